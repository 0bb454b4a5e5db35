"""crossover (数学运算要达到较高数量级后才能体现多进程的优势): from which size a Pool pays off.

What it measures and how to read it: docs/experiments/crossover.md.
"""

from __future__ import annotations

import functools
import multiprocessing

from .. import timing
from ..plan import Units
from ..tasks import bounds, sum_squares
from .common import expected_sum, run_variants

VARIANTS = ("serial", "pool")


def serial_sum(n: int) -> int:
    return sum_squares((0, n))


def _serial_once(n: int, _i: int) -> int:
    return serial_sum(n)


def pool_sum(n: int, workers: int, ctx=None) -> tuple[dict, int]:
    """Pool(workers) -> map over ``workers`` chunks -> close -> join; the
    seconds of each phase and the total."""
    ctx = ctx or multiprocessing.get_context()
    times, parts = timing.time_pool(sum_squares, bounds(n, workers), workers, ctx, chunksize=1)
    phases = {k: times[k] for k in ("pool_start_seconds", "map_seconds", "pool_close_seconds")}
    return phases, sum(parts)


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    workers, n = point["workers"], point["size"]
    expected = expected_sum(n)
    one = functools.partial(_serial_once, n)
    # A small sum takes microseconds: time that many back to back (timing.inner_loops).
    inner = timing.inner_loops(one, 1)

    def serial():
        times, (total,) = timing.time_serial(one, 1, inner)
        return {**times, "chunks": 1}, total

    def pool():
        times, (phases, total) = timing.timed(lambda: pool_sum(n, workers))
        return {**times, **phases, "chunks": workers}, total

    def check(variant: str, total) -> None:
        if not isinstance(total, int) or total != expected:
            raise RuntimeError(f"crossover {variant} workers={workers} size={n}: sum {total!r}, expected {expected}")

    settings = {"task": "sum_squares", "chunks": "workers"}
    return run_variants("crossover", point, {"serial": serial, "pool": pool}, check, repeats, warmup, settings=settings)


def cost(point: dict, section: dict, u: Units) -> float:
    n = point["size"]
    return n * u.step * 0.75 * (1 + 1 / min(point["workers"], u.cores)) + u.pool
