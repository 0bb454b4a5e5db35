"""close_join (进程池 Pool: "close join 这两句到底是什么意思，可有可无？"): the ways poolDemo() can end.

What it measures and how to read it: docs/experiments/close_join.md.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import threading
import time
import warnings
import weakref
from multiprocessing import connection

from ..plan import Units
from ..tasks import worker
from .common import run_variants

APIS = ("map", "apply_async")
VARIANTS = (
    "close_join",
    "no_close_join",
    "no_close_join_kept",
    "close_only",
    "join_only",
    "context_manager",
    "context_manager_late_get",
)
BASELINE = "close_join"
CLEANUP_GRACE = 2.0  # seconds the Pool's own threads get to finish before the harness steps in


class Probe:
    """What the harness may know about a pattern's Pool without keeping it alive (a weak reference; ``kept``
    holds it strongly only for the variant that keeps it referenced on purpose)."""

    def __init__(self) -> None:
        self.workers: list = []
        self.threads: list = []
        self.inqueue = None
        self.ref = None
        self.kept = None

    def watch(self, pool):
        self.workers = list(pool._pool)
        self.threads = [pool._worker_handler, pool._task_handler, pool._result_handler]
        self.inqueue = pool._inqueue
        self.ref = weakref.ref(pool)
        return pool

    def alive(self) -> int:
        """Workers that have not exited: their sentinel is not ready yet (not ``is_alive()``: the Pool's own
        threads reap the same processes, and a ``waitpid`` that loses that race reports a dead worker as alive)."""
        return len(self._pending(self.workers, 0.0))

    def wait_exit(self, deadline: float) -> int:
        """Wait until every worker has exited or ``deadline`` (perf_counter) passed; return how many remain."""
        pending = self._pending(self.workers, 0.0)
        while pending:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            pending = self._pending(pending, left)
        return len(pending)

    @staticmethod
    def _pending(workers: list, timeout: float) -> list:
        if not workers:
            return []
        ready = set(connection.wait([p.sentinel for p in workers], timeout=timeout))
        return [p for p in workers if p.sentinel not in ready]

    def cleanup(self, grace: float | None = None) -> bool:
        """Terminate and join the Pool, then make sure every worker has exited; returns whether the Pool's own
        clean-up was stuck (docs/experiments/close_join.md, "Cleaning up after a pattern")."""
        grace = CLEANUP_GRACE if grace is None else grace
        pool = self.ref() if self.ref is not None else None
        self.kept = None
        stuck = False
        try:
            if pool is not None:
                pool.terminate()
                pool.join()
        finally:
            del pool
            if not self._join_threads(grace) and self.inqueue is not None:
                stuck = True
                for _ in self.workers:
                    self.inqueue.put(None)
                self._join_threads(10.0)
            left = [thread.name for thread in self.threads if thread.is_alive()]
            for p in self._pending(self.workers, 0.0):
                p.terminate()
            if self.wait_exit(time.perf_counter() + 10.0):
                raise RuntimeError("close_join: a pool worker survived terminate()")
            for p in self.workers:
                p.join(1.0)  # reap it, unless the Pool's own threads already did
            self.inqueue = None
            if left:
                raise RuntimeError(f"close_join: pool threads did not finish: {', '.join(left)}")
        return stuck

    def _join_threads(self, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        for thread in self.threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.perf_counter()))
        return not any(thread.is_alive() for thread in self.threads)


def _get_by(result, deadline: float):
    """``result.get()`` with what is left of a shared deadline; None if it timed out."""
    try:
        return result.get(timeout=max(0.0, deadline - time.perf_counter()))
    except multiprocessing.TimeoutError:
        return None


def pattern(
    variant: str, api: str, *, workers: int, tasks: int, task_seconds: float, get_timeout: float, probe: Probe, ctx=None
) -> list:
    """One ``poolDemo(length)`` ending in ``variant``; returns its results.

    A result that never arrived is None (only the late .get() can lose one);
    an exception such as join()'s ValueError propagates to the caller.
    """
    ctx = ctx or multiprocessing.get_context()
    fn = functools.partial(worker, seconds=task_seconds)
    safety = max(30.0, 20.0 * tasks * task_seconds)  # a .get() that should return must not hang the pipeline
    if variant == "context_manager":
        with ctx.Pool(processes=workers) as p:
            probe.watch(p)
            if api == "map":
                return p.map(fn, list(range(tasks)))
            multi_res = [p.apply_async(worker, (i, task_seconds)) for i in range(tasks)]
            return [res.get(timeout=safety) for res in multi_res]
    if variant == "context_manager_late_get":
        with ctx.Pool(processes=workers) as p:
            probe.watch(p)
            if api == "map":
                pending = p.map_async(fn, list(range(tasks)))  # map() itself would block inside the block
            else:
                multi_res = [p.apply_async(worker, (i, task_seconds)) for i in range(tasks)]
        deadline = time.perf_counter() + get_timeout
        if api == "map":
            res = _get_by(pending, deadline)
            return [None] * tasks if res is None else res
        return [_get_by(res, deadline) for res in multi_res]
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    p = probe.watch(ctx.Pool(processes=workers))
    if api == "map":
        res = p.map(fn, list(range(tasks)))
    else:
        multi_res = [p.apply_async(worker, (i, task_seconds)) for i in range(tasks)]
    if variant in ("close_join", "close_only"):
        p.close()
    if variant in ("close_join", "join_only"):
        p.join()
    if variant == "no_close_join_kept":
        probe.kept = p
    if api == "map":
        return res
    return [res.get(timeout=safety) for res in multi_res]


def measure(
    variant: str,
    api: str,
    *,
    workers: int,
    tasks: int,
    task_seconds: float,
    get_timeout: float,
    linger_seconds: float,
    ctx=None,
) -> tuple[dict, dict]:
    """Run one pattern and observe its worker processes; returns (facts, result)."""
    if api not in APIS:
        raise ValueError(f"unknown api {api!r}; allowed: {', '.join(APIS)}")
    ctx = ctx or multiprocessing.get_context()
    probe = Probe()
    seen: list[str] = []
    values, error, stuck = None, None, False
    how = {"workers": workers, "tasks": tasks, "task_seconds": task_seconds, "get_timeout": get_timeout}
    started_at = time.time()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ResourceWarning)
            # Record only the text: the default recorder would keep the Pool
            # (the warning's source) alive and change what is measured.
            warnings.showwarning = lambda message, category, *args, **kwargs: seen.append(str(message))
            t0 = time.perf_counter()
            try:
                values = pattern(variant, api, probe=probe, ctx=ctx, **how)
            except Exception as exc:
                if probe.ref is None:  # no Pool came to be: a real failure, not an outcome
                    raise
                error = type(exc).__name__
            t1 = time.perf_counter()
            alive_after = probe.alive()
            collected = probe.ref is not None and probe.ref() is None
            lingering = probe.wait_exit(t1 + linger_seconds)
            t2 = time.perf_counter()
    finally:
        stuck = probe.cleanup()
    warned = sum("unclosed running multiprocessing pool" in text for text in seen)
    if error is not None:
        outcome, delivered = f"error: {error}", 0
    else:
        delivered = sum(v is not None for v in values)
        outcome = "ok" if delivered == len(values) else "incomplete"
    facts = {
        "seconds": t1 - t0,
        "started_at": started_at,
        "ended_at": time.time(),
        "outcome": outcome,
        "results_complete": outcome == "ok",
        "results_delivered": delivered,
        "expected_results": tasks,
        "pool_size": workers,
        "children_alive_after": alive_after,
        "children_exit_seconds": (t2 - t0) if lingering == 0 else math.nan,
        "children_lingering": lingering,
        "pool_collected": collected,
        "resource_warnings": warned,
        "pool_cleanup_stuck": stuck,
        "task_seconds": task_seconds,
        "get_timeout": get_timeout,
        "linger_seconds": linger_seconds,
        "start_method": ctx.get_start_method(),
    }
    return facts, {"values": values, "error": error}


def check_result(variant: str, api: str, tasks: int, result: dict) -> None:
    """Raise when a pattern handed back a wrong value (a missing one is an outcome)."""
    values = result["values"]
    if values is None:
        if result["error"] is None:
            raise RuntimeError(f"close_join {api} {variant}: no results and no error")
        return
    if len(values) != tasks:
        raise RuntimeError(f"close_join {api} {variant}: {len(values)} results for {tasks} tasks")
    wrong = [(i, v) for i, v in enumerate(values) if v is not None and v != i**2]
    if wrong:
        i, v = wrong[0]
        raise RuntimeError(
            f"close_join {api} {variant}: result {i} is {v!r}, expected {i**2} ({len(wrong)} wrong of {tasks})"
        )


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    api = point["api"]
    settings = {k: section[k] for k in ("workers", "tasks", "task_seconds", "get_timeout", "linger_seconds")}

    def check(name: str, result: dict) -> None:
        check_result(name, api, settings["tasks"], result)

    one = functools.partial(measure, api=api, **settings)
    return run_variants("close_join", point, one, check, repeats, warmup, names=VARIANTS, settings=settings)


def cost(point: dict, section: dict, u: Units) -> float:
    tasks = section["tasks"] * section["task_seconds"] / section["workers"]
    return 7 * (u.pool + tasks) + 2 * section["linger_seconds"] + section["get_timeout"]
