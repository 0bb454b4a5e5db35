"""pool_api (进程池 Pool): the seed's appendix A, Pool.map and apply_async, and the rest of the Pool API.

What it measures and how to read it: docs/experiments/pool_api.md.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from .. import timing
from ..fileio import DEFAULT_CHUNKSIZE, effective_chunksize
from ..plan import Units
from ..tasks import heavy, square
from .common import run_variants

FUNCTIONS = ("square", "heavy")
#: Every variant and the items per task it sends: the chunksize Pool.map chooses itself ("map"), the section's
#: chunksize ("chunked") or one per item (1: the dashed lines of the figure); None for the serial loop.
CHUNKS = {
    "serial": None,
    "map": "map",
    "apply_async": 1,
    "map_async": "map",
    "imap": 1,
    "imap_chunked": "chunked",
    "imap_unordered": 1,
    "imap_unordered_chunked": "chunked",
    "starmap": "map",
    "executor_map": 1,
}
VARIANTS = tuple(CHUNKS)
POOL_VARIANTS = VARIANTS[1:]
UNORDERED = {"imap_unordered", "imap_unordered_chunked"}
PER_ITEM = {variant for variant, chunks in CHUNKS.items() if chunks == 1}


def worker_function(name: str, heavy_iterations: int):
    """The picklable callable of a function name (module-level, or a partial of one)."""
    if name == "square":
        return square
    if name == "heavy":
        return functools.partial(heavy, iterations=heavy_iterations)
    raise ValueError(f"unknown function {name!r}; allowed: {', '.join(FUNCTIONS)}")


def variant_chunksize(variant: str, length: int, workers: int, chunksize: int) -> float:
    """Items per task that a variant sends (NaN for the serial loop)."""
    chunks = CHUNKS[variant]
    if chunks is None:
        return math.nan
    if chunks == "map":  # the chunksize Pool.map / map_async / starmap choose themselves
        return effective_chunksize(length, workers, DEFAULT_CHUNKSIZE)
    return chunksize if chunks == "chunked" else chunks


def compute(variant: str, fn, length: int, workers: int, chunksize: int, ctx=None, inner: int = 1) -> tuple[dict, list]:
    """Run one variant once; return its times (total and phases: docs/experiments/pool_api.md) and its
    results.  The serial loop runs ``inner`` times back to back (see timing.inner_loops)."""
    if variant == "serial":
        return timing.time_serial(fn, length, inner)
    ctx = ctx or multiprocessing.get_context()
    started_at = time.time()
    t0 = time.perf_counter()
    if variant == "executor_map":
        ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        t1 = time.perf_counter()
        try:
            res = list(ex.map(fn, list(range(length))))
        except BaseException:
            ex.shutdown(wait=True, cancel_futures=True)
            raise
        t2 = time.perf_counter()
        ex.shutdown(wait=True)
        t3 = t4 = time.perf_counter()
    else:
        p = ctx.Pool(processes=workers)
        t1 = time.perf_counter()
        try:
            pending = None
            if variant == "map":
                res = p.map(fn, list(range(length)))
            elif variant == "apply_async":
                pending = [p.apply_async(fn, (i,)) for i in range(length)]
            elif variant == "map_async":
                pending = p.map_async(fn, list(range(length)))
            elif variant == "imap":
                res = list(p.imap(fn, list(range(length))))
            elif variant == "imap_chunked":
                res = list(p.imap(fn, list(range(length)), chunksize))
            elif variant == "imap_unordered":
                res = list(p.imap_unordered(fn, list(range(length))))
            elif variant == "imap_unordered_chunked":
                res = list(p.imap_unordered(fn, list(range(length)), chunksize))
            elif variant == "starmap":
                res = p.starmap(fn, [(i,) for i in range(length)])
            else:
                raise ValueError(f"unknown variant {variant!r}")
            t2 = time.perf_counter()
            p.close()
            p.join()
            t3 = time.perf_counter()
            if variant == "apply_async":
                res = [r.get() for r in pending]
            elif variant == "map_async":
                res = pending.get()
            t4 = time.perf_counter()
        except BaseException:
            p.terminate()
            p.join()
            raise
    return {
        "seconds": t4 - t0,
        "pool_start_seconds": t1 - t0,
        "call_seconds": t2 - t1,
        "close_join_seconds": t3 - t2,
        "collect_seconds": t4 - t3,
        "started_at": started_at,
        "ended_at": time.time(),
    }, res


def mismatch(variant: str, result, expected: list) -> str | None:
    """Why ``result`` is not the serial loop's result (None when it is)."""
    if not isinstance(result, list):
        return f"result is a {type(result).__name__}, not a list"
    if len(result) != len(expected):
        return f"{len(result)} results, expected {len(expected)}"
    got, want = (sorted(result), sorted(expected)) if variant in UNORDERED else (result, expected)
    if got != want:
        k = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
        where = "sorted position" if variant in UNORDERED else "index"
        return f"differs from the serial loop at {where} {k}: got {got[k]!r}, expected {want[k]!r}"
    return None


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    name, length, workers = point["function"], point["length"], point["workers"]
    chunksize, iterations = section["chunksize"], section["heavy_iterations"]
    fn = worker_function(name, iterations)
    expected = [fn(i) for i in range(length)]
    start_method = multiprocessing.get_start_method()
    inner = timing.inner_loops(fn, length)

    def measure(v):
        times, result = compute(v, fn, length, workers, chunksize, inner=inner)
        extra = {
            "chunksize": variant_chunksize(v, length, workers, chunksize),
            "matches_serial": mismatch(v, result, expected) is None,
            "start_method": start_method,
        }
        return {**times, **extra}, result

    def check(v: str, result) -> None:
        why = mismatch(v, result, expected)
        if why is not None:
            raise RuntimeError(f"pool_api {v} function={name} length={length} workers={workers}: {why}")

    settings = {"chunksize": chunksize, "heavy_iterations": iterations}
    # The machine's floor of each variant (mpbench.calibrate): the loop's, a Pool start plus the work,
    # or a Pool start plus one task per item.
    kinds = {"serial": "cpu_loop", **{v: "dispatch+pool" if v in PER_ITEM else "cpu_loop+pool" for v in POOL_VARIANTS}}
    return run_variants(
        "pool_api", point, measure, check, repeats, warmup, names=VARIANTS, settings=settings, floor_kinds=kinds
    )


def cost(point: dict, section: dict, u: Units) -> float:
    # Nine Pool variants; per item, the tasks through the queues (four variants send one
    # task per item, ProcessPoolExecutor.map's cost about four of them) and the function.
    work = section["heavy_iterations"] * u.step * 5 if point["function"] == "heavy" else 0.0
    return 9 * u.pool + point["length"] * (8 * u.task + work)
