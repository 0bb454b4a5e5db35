"""A Pool's phases, and how long it takes until its workers can work (stdlib only: spawn and forkserver
children import this module, which holds the initializer).

``Pool(...)`` returns before its workers run (under spawn each still starts an interpreter), so
:func:`time_startup` times until every worker has run its initializer, which reports the worker's pid and
start method and meets the parent at a ``Barrier(workers + 1)`` (docs/experiments/start_method_sweep.md).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time


def ready(barrier, report, timeout: float) -> None:
    """Pool initializer: report (pid, start method) to the parent, then wait
    at the barrier until every worker and the parent have arrived."""
    report.put((os.getpid(), multiprocessing.get_start_method(allow_none=True)))
    barrier.wait(timeout)


def pool_phases(context, workers: int, work, phase: str, *, from_start: bool = False, **options) -> tuple[dict, object]:
    """Create ``context.Pool(workers, **options)``, run ``work(pool)``, then close and join.

    Returns the seconds of each phase - ``pool_start_seconds`` (until
    ``Pool()`` returned), ``phase`` (``work``'s, from ``Pool()``'s return, or
    from its call with ``from_start``), ``pool_close_seconds`` (close and
    join) and ``seconds`` (create to joined) - with the wall-clock start and
    end, and what ``work`` returned.  On an error the Pool is terminated and
    joined, so no worker outlives a failed run.
    """
    started_at = time.time()
    t0 = time.perf_counter()
    pool = context.Pool(processes=workers, **options)
    t1 = time.perf_counter()
    try:
        result = work(pool)
        t2 = time.perf_counter()
        pool.close()
        pool.join()
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    t3 = time.perf_counter()
    times = {"seconds": t3 - t0, "pool_start_seconds": t1 - t0, phase: t2 - (t0 if from_start else t1)}
    return {**times, "pool_close_seconds": t3 - t2, "started_at": started_at, "ended_at": time.time()}, result


def time_startup(context, workers: int, timeout: float = 60.0) -> tuple[dict, list[tuple[int, str]]]:
    """The times of :func:`pool_phases` with ``ready_seconds`` (until every worker had run its initializer),
    and the (pid, start method) each worker reported; RuntimeError when not all are ready within ``timeout``."""
    barrier = context.Barrier(workers + 1)
    report = context.SimpleQueue()  # put() writes at once: done before a worker reaches the barrier

    def wait(_pool) -> None:
        try:
            barrier.wait(timeout)
        except threading.BrokenBarrierError:
            raise RuntimeError(
                f"Pool({workers}) under {context.get_start_method()}: the workers were not all "
                f"ready within {timeout:g} s"
            ) from None
        except BaseException:
            barrier.abort()  # frees the workers waiting at it before the Pool is terminated
            raise

    args = (barrier, report, timeout)
    times, _ = pool_phases(context, workers, wait, "ready_seconds", from_start=True, initializer=ready, initargs=args)
    seen = [report.get() for _ in range(workers)]
    report.close()
    return times, seen
