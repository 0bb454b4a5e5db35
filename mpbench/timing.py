"""Timing one run of ``loops`` operations, serially or through a Pool.

Both return a dict of seconds measured with ``time.perf_counter`` plus the
wall-clock start and end (epoch seconds) so that runs can be shown never to
overlap.  The Pool variant times what the seed's ``poolDemo`` does - create
the Pool, map, close, join - and also each of those phases on its own.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Callable


def time_serial(fn: Callable[[int], int], loops: int) -> tuple[dict, list[int]]:
    """The seed's ``Demo``: a plain for loop over ``range(loops)``."""
    started_at = time.time()
    t0 = time.perf_counter()
    results = [fn(i) for i in range(loops)]
    t1 = time.perf_counter()
    ended_at = time.time()
    return {"seconds": t1 - t0, "started_at": started_at, "ended_at": ended_at}, results


def time_pool(
    fn: Callable[[int], int],
    loops: int,
    workers: int,
    context: multiprocessing.context.BaseContext | None = None,
) -> tuple[dict, list[int]]:
    """The seed's ``poolDemo``: Pool(workers).map over range(loops), close, join."""
    ctx = context or multiprocessing.get_context()
    started_at = time.time()
    t0 = time.perf_counter()
    pool = ctx.Pool(processes=workers)
    t1 = time.perf_counter()
    try:
        results = pool.map(fn, range(loops))
        t2 = time.perf_counter()
        pool.close()
        pool.join()
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    t3 = time.perf_counter()
    ended_at = time.time()
    return {
        "seconds": t3 - t0,
        "pool_start_seconds": t1 - t0,
        "map_seconds": t2 - t1,
        "pool_close_seconds": t3 - t2,
        "started_at": started_at,
        "ended_at": ended_at,
    }, results
