"""shared_memory (共享内存): the cost of giving worker processes data - pickled, RawArray or SharedMemory.

What it measures and how to read it: docs/experiments/shared_memory.md.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing import shared_memory as shm_module
from typing import TYPE_CHECKING

import numpy as np

from .. import timing
from ..tasks import bounds

if TYPE_CHECKING:  # annotations only: a spawned child does not load the plan
    from ..plan import Units

VARIANTS = ("serial", "pickle", "value_array", "shared_memory")
PHASES = ("copy_seconds", "pool_start_seconds", "map_seconds", "close_seconds")
SEED = 2019
ITEM = np.dtype(np.float64).itemsize


def make_data(kib: int) -> np.ndarray:
    """``kib`` KiB of float64 holding the integers 0..999 (so every sum is exact)."""
    n = kib * 1024 // ITEM
    return np.random.default_rng(SEED).integers(0, 1000, n).astype(np.float64)


def checksum(values: np.ndarray) -> tuple[int, float]:
    """The job: the element count and sum of one slice."""
    return int(values.shape[0]), float(np.sum(values))


def combine(parts) -> tuple[int, float]:
    parts = list(parts)
    return sum(c for c, _ in parts), float(sum(s for _, s in parts))


# --------------------------------------------------------------------------
# the worker side (module level: picklable under fork, spawn and forkserver)

_SHARED: np.ndarray | None = None


def _sum_pickled(chunk: np.ndarray) -> tuple[int, float]:
    return checksum(chunk)


def _init_raw(raw) -> None:
    """Pool initializer of value_array: keep a numpy view of the inherited RawArray."""
    global _SHARED
    _SHARED = np.frombuffer(raw, dtype=np.float64)


def _sum_raw(span: tuple[int, int]) -> tuple[int, float]:
    start, stop = span
    return checksum(_SHARED[start:stop])


def _sum_shm(task: tuple[str, int, int, int]) -> tuple[int, float]:
    """Attach to the block by name, sum the slice, drop the view, close."""
    name, n, start, stop = task
    block = shm_module.SharedMemory(name=name)
    view = None
    try:
        view = np.ndarray((n,), dtype=np.float64, buffer=block.buf)
        return checksum(view[start:stop])
    finally:
        del view  # no exported buffer may remain, or close() fails
        block.close()


# --------------------------------------------------------------------------
# the parent side


def _pool_map(ctx, workers: int, fn, tasks: list, initializer=None, initargs=()) -> tuple[dict, list]:
    """Start a Pool, map, close and join it (terminate on error); phase times."""
    times, results = timing.time_pool(fn, tasks, workers, ctx, chunksize=1, initializer=initializer, initargs=initargs)
    return {
        "pool_start_seconds": times["pool_start_seconds"],
        "map_seconds": times["map_seconds"],
        "close_seconds": times["pool_close_seconds"],
    }, results


def _check_shm_space(nbytes: int) -> None:
    """Refuse a block larger than /dev/shm can hold (writing it would kill us with SIGBUS)."""
    if os.path.isdir("/dev/shm"):
        st = os.statvfs("/dev/shm")
        free = st.f_bavail * st.f_frsize
        if nbytes > free:
            raise RuntimeError(
                f"shared_memory: {nbytes:,} bytes do not fit in /dev/shm ({free:,} bytes free); "
                "lower shared_memory.sizes_mb or enlarge /dev/shm (e.g. docker --shm-size)"
            )


def measure(variant: str, data: np.ndarray, workers: int, ctx=None, inner: int = 1) -> tuple[dict, tuple[int, float]]:
    """Run one variant once: phase times (seconds, copy/pool/map/close) and the checksum.

    The serial variant runs ``inner`` times back to back, its times the mean
    per run (a small array takes microseconds; see timing.inner_loops)."""
    ctx = ctx or multiprocessing.get_context()
    n = int(data.shape[0])
    spans = bounds(n, workers)
    started_at = time.time()
    t0 = time.perf_counter()
    phases = dict.fromkeys(PHASES, 0.0)
    freed = 0.0  # unmapping the shared block, after the Pool: part of the close
    if variant == "serial":
        for _ in range(inner):
            result = combine(checksum(data[a:b]) for a, b in spans)
        phases["map_seconds"] = (time.perf_counter() - t0) / inner
    elif variant == "pickle":
        times, parts = _pool_map(ctx, workers, _sum_pickled, [data[a:b] for a, b in spans])
    elif variant == "value_array":
        raw = ctx.RawArray("d", n)
        np.frombuffer(raw, dtype=np.float64)[:] = data
        phases["copy_seconds"] = time.perf_counter() - t0
        try:
            times, parts = _pool_map(ctx, workers, _sum_raw, spans, initializer=_init_raw, initargs=(raw,))
        finally:
            t1 = time.perf_counter()
            del raw  # the last reference: the heap frees (unmaps) the block
            freed = time.perf_counter() - t1
    elif variant == "shared_memory":
        _check_shm_space(data.nbytes)
        block = shm_module.SharedMemory(create=True, size=max(data.nbytes, 1))
        try:
            view = np.ndarray(data.shape, dtype=np.float64, buffer=block.buf)
            view[:] = data
            del view
            phases["copy_seconds"] = time.perf_counter() - t0
            times, parts = _pool_map(ctx, workers, _sum_shm, [(block.name, n, a, b) for a, b in spans])
        finally:
            t1 = time.perf_counter()
            block.close()
            block.unlink()
            freed = time.perf_counter() - t1
    else:
        raise ValueError(f"unknown variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    if variant != "serial":
        phases.update(times)
        phases["close_seconds"] += freed
        result = combine(parts)
    seconds = (time.perf_counter() - t0) / (inner if variant == "serial" else 1)
    extra = {"inner_loops": inner} if variant == "serial" and inner > 1 else {}
    return {"seconds": seconds, **phases, **extra, "started_at": started_at, "ended_at": time.time()}, result


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    from .common import run_variants  # here: the spawned workers import this module and need none of it

    kib, workers = point["size_kib"], point["workers"]
    data = make_data(kib)
    expected = checksum(data)  # the serial numpy reference, computed once
    facts = {"elements": int(data.shape[0]), "nbytes": int(data.nbytes)}
    inner = timing.inner_loops(lambda _i: measure("serial", data, workers), 1)

    def one(name):
        times, result = measure(name, data, workers, inner=inner)
        return {**times, **facts, "count": result[0], "checksum": result[1]}, result

    def check(name: str, result: tuple[int, float]) -> None:
        count, total = result
        if count != expected[0] or not np.isclose(total, expected[1], rtol=1e-12, atol=0.0):
            raise RuntimeError(
                f"shared_memory {name} size_kib={kib} workers={workers}: checksum "
                f"({count}, {total!r}), expected ({expected[0]}, {expected[1]!r})"
            )

    settings = {"seed": SEED, "dtype": "float64"}
    return run_variants("shared_memory", point, one, check, repeats, warmup, names=VARIANTS, settings=settings)


def cost(point: dict, section: dict, u: Units) -> float:
    return u.pool + point["size_kib"] * 1024 * 5e-9
