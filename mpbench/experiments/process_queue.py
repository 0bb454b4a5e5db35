"""process_queue (添加进程 Process / 存储进程输出 Queue): one CPU-bound job split over processes made by hand
with a Queue, against Pool.map and a serial loop.

What it measures and how to read it: docs/experiments/process_queue.md.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
from typing import TYPE_CHECKING

from .. import timing
from ..tasks import bounds, sum_squares

if TYPE_CHECKING:  # annotations only: a spawned child does not load the plan
    from ..plan import Units

VARIANTS = ("serial", "process_queue", "pool")
# How long the parent waits on the Queue before it looks whether the children
# are still alive (a child that died never puts its result).
POLL_SECONDS = 0.5


def _share_sum(share: tuple[int, int]) -> int:
    """Pool.map's worker function, here beside the Process's target: a spawned child of either imports this module."""
    return sum_squares(share)


def _child(q, index: int, lo: int, hi: int) -> None:
    """The hand-made Process's target: compute its share, put it on the Queue."""
    q.put((index, sum_squares((lo, hi))))


def _context(start_method: str):
    return multiprocessing.get_context(None if start_method == "default" else start_method)


def _collect(q, procs, count: int) -> dict[int, int]:
    """Get ``count`` (index, partial) results from the Queue before anyone is joined.

    A child that dies never puts its result, so a plain ``q.get()`` would
    wait for ever; the Queue is polled and the children checked between polls.
    """
    results: dict[int, int] = {}
    while len(results) < count:
        try:
            index, partial = q.get(timeout=POLL_SECONDS)
        except queue_module.Empty:
            failed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if failed:
                raise RuntimeError(f"process_queue: worker processes exited with {failed}") from None
            if not all(p.exitcode == 0 for p in procs):
                continue
            # A child that exited cleanly has flushed its put; one last look.
            try:
                index, partial = q.get(timeout=POLL_SECONDS)
            except queue_module.Empty:
                raise RuntimeError(
                    f"process_queue: all processes exited but only {len(results)} of {count} results arrived"
                ) from None
        if index in results:
            raise RuntimeError(f"process_queue: share {index} reported twice")
        results[index] = partial
    return results


def run_process_queue(parts: list[tuple[int, int]], ctx) -> tuple[dict, int]:
    """Hand-made Processes + Queue: start, get every result, then join."""
    procs = []
    q = None
    started_at = time.time()
    try:
        t0 = time.perf_counter()
        q = ctx.Queue()
        procs = [ctx.Process(target=_child, args=(q, k, lo, hi)) for k, (lo, hi) in enumerate(parts)]
        for p in procs:
            p.start()
        t1 = time.perf_counter()
        results = _collect(q, procs, len(parts))  # get BEFORE join
        t2 = time.perf_counter()
        for p in procs:
            p.join()
        t3 = time.perf_counter()
    except BaseException:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            if p.pid is not None:
                p.join()
        raise
    finally:
        if q is not None:
            q.close()
            q.join_thread()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"process_queue: worker processes exited with {failed}")
    if sorted(results) != list(range(len(parts))):
        raise RuntimeError(f"process_queue: results for shares {sorted(results)}, expected {len(parts)}")
    times = {"seconds": t3 - t0, "start_seconds": t1 - t0, "work_seconds": t2 - t1, "join_seconds": t3 - t2}
    return {**times, "started_at": started_at, "ended_at": time.time()}, sum(results.values())


#: The Pool's phases under the names of the hand-made processes' (start, work, join).
POOL_PHASES = {
    "pool_start_seconds": "start_seconds",
    "map_seconds": "work_seconds",
    "pool_close_seconds": "join_seconds",
}


def run_pool(parts: list[tuple[int, int]], ctx) -> tuple[dict, int]:
    """The same shares through Pool(workers).map, then close and join."""
    times, partials = timing.time_pool(_share_sum, parts, len(parts), ctx, chunksize=1)
    if len(partials) != len(parts):
        raise RuntimeError(f"pool: {len(partials)} results for {len(parts)} shares")
    return {POOL_PHASES.get(key, key): value for key, value in times.items()}, sum(partials)


def run_serial(size: int) -> tuple[dict, int]:
    """The whole job in one loop in the parent."""
    times, total = timing.timed(lambda: sum_squares((0, size)))
    work = times["seconds"]
    return {"seconds": work, "start_seconds": 0.0, "work_seconds": work, "join_seconds": 0.0, **times}, total


def compute(variant: str, size: int, workers: int, start_method: str = "default") -> tuple[dict, int]:
    """Run one variant once: (phase times, the total it computed)."""
    if variant == "serial":
        return run_serial(size)
    ctx = _context(start_method)
    parts = bounds(size, workers)
    if variant == "process_queue":
        return run_process_queue(parts, ctx)
    if variant == "pool":
        return run_pool(parts, ctx)
    raise ValueError(f"unknown variant {variant!r}")


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    from .common import expected_sum, run_variants  # here: spawned children import this module for their target

    workers, size = point["workers"], section["size"]
    start_method = section.get("start_method", "default")
    method = _context(start_method).get_start_method()
    expected = expected_sum(size)

    def measure(name):
        times, total = compute(name, size, workers, start_method)
        return {**times, "size": size, "shares": workers, "start_method": method}, total

    def check(name: str, total: int) -> None:
        if total != expected:
            raise RuntimeError(f"process_queue variant {name}, workers={workers}: sum {total}, expected {expected}")

    settings = {"size": size, "start_method": start_method}
    return run_variants("process_queue", point, measure, check, repeats, warmup, names=VARIANTS, settings=settings)


def cost(point: dict, section: dict, u: Units) -> float:
    return section["size"] * u.step * 1.5 + 2 * u.pool
