"""lock (进程锁): a shared counter without a lock, locked per increment and locked per batch.

What it measures and how to read it: docs/experiments/lock.md.
"""

from __future__ import annotations

import multiprocessing

from .. import timing
from ..plan import Units
from ..tasks import add_to_counter as _add
from .common import run_variants

VARIANTS = ("serial", "no_lock", "lock_each", "lock_batch")


def count(mode: str, workers: int, increments: int, batch: int, ctx=None) -> int:
    """Run one variant to the end and return the counter's final value."""
    ctx = ctx or multiprocessing.get_context()
    counter = ctx.Value("q", 0)
    lock = ctx.Lock()
    if mode == "serial":
        _add(counter, lock, workers * increments, "no_lock", batch)
        return counter.value
    procs = [ctx.Process(target=_add, args=(counter, lock, increments, mode, batch)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"lock {mode}: worker processes exited with {failed}")
    return counter.value


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    workers, n, batch = point["workers"], section["increments"], section["batch"]
    expected = workers * n

    def measure(mode):
        times, final = timing.timed(lambda: count(mode, workers, n, batch))
        return {**times, "final_count": final, "expected_count": expected, "lost_updates": expected - final}, final

    def check(mode: str, final: int) -> None:
        if mode == "no_lock":
            if not 0 < final <= expected:
                raise RuntimeError(f"lock no_lock workers={workers}: impossible final count {final} of {expected}")
        elif final != expected:
            raise RuntimeError(f"lock {mode} workers={workers}: final count {final}, expected {expected}")

    settings = {"increments": n, "batch": batch}
    return run_variants("lock", point, measure, check, repeats, warmup, names=VARIANTS, settings=settings)


def cost(point: dict, section: dict, u: Units) -> float:
    n, w = section["increments"], point["workers"]
    return n * w * 30 * u.step * max(1.0, w / u.cores) ** 0.5 + 3 * u.pool
