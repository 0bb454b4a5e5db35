"""The machine's own noise floor, and what its basic operations cost (the units of :mod:`mpbench.plan`),
measured first: docs/method.md, "Know the machine's floor".  Only the standard library: this is timed."""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time

from . import workloads
from .environment import machine_state, usable_cores
from .poolstart import pool_phases
from .tasks import cpu_loop  # the fixed operation (its result is checked)

#: Run lengths (seconds) of the CPU loop, and how many back-to-back runs each gets.
FLOOR_RUNS = {0.01: 30, 0.1: 15, 1.0: 5}
#: File operations per run, and back-to-back runs, for the read and the write floors.
FILE_RUNS = {1: 12, 10: 5}
#: Back-to-back Pool starts for the pool floor.
POOL_RUNS = 15
#: Tiny tasks per run, and back-to-back runs, for the dispatch floor.
DISPATCH_RUNS = {500: 10, 5000: 5}
#: The same loop on every Pool worker at once: run lengths (seconds) and back-to-back runs.
PARALLEL_RUNS = {0.01: 30, 0.1: 15, 1.0: 5}
#: Which floor a timed operation is compared with.
KINDS = {"read": "read", "readwrite": "write", "overwrite": "write"}
#: The floors a run's work can be compared with (``floor_kind``); a kind may end in ``+pool``.
BASE_KINDS = ("cpu_loop", "read", "write", "dispatch")
POOL = "+pool"
#: The floor of CPU work in a Pool: the loop on every worker at once (:func:`_parallel_floor`).
PARALLEL = "cpu_parallel"


def spread(values: list[float]) -> dict:
    """Median, CV (std / mean), the robust CV (1.4826 MAD / median) and the total seconds of runs."""
    mid = statistics.median(values)
    mad = statistics.median(abs(v - mid) for v in values)
    mean = statistics.fmean(values)
    return {
        "n": len(values),
        "median": mid,
        "cv": statistics.stdev(values) / mean if len(values) > 1 else math.nan,
        "robust_cv": 1.4826 * mad / mid if mid > 0 else math.nan,
        "total": math.fsum(values),
    }


def _repeat(op, k: int) -> list:
    return [op(i) for i in range(k)]


def _runs(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _pool_once(ctx, workers: int) -> None:
    """Start a Pool, map one tiny task per worker, close, join (terminate on an error)."""
    pool_phases(ctx, workers, lambda pool: pool.map(abs, range(workers)), "map_seconds")


def steps_per_second(probe_s: float = 0.05) -> float:
    """How many loop steps this machine does per second (from a short probe)."""
    steps = 10_000
    while True:
        t0 = time.perf_counter()
        cpu_loop(steps)
        took = time.perf_counter() - t0
        if took >= probe_s:
            return steps / took
        steps *= 4


def sample_file(path: str, size_bytes: int) -> None:
    """A text file of ``size_bytes`` (lines of 2,000 characters) for the file costs: the
    calibration runs first in a run, before the test file exists."""
    line = ("abcdefghijklmnopqrstuvwxyz0123456789" * 56)[:1999] + "\n"
    block = line * max(1, (1 << 20) // len(line))
    with open(path, "w", encoding="utf-8") as fh:
        left = size_bytes
        while left > 0:
            fh.write(block[:left])
            left -= len(block)


def measure(
    scratch_dir: str,
    size_bytes: int,
    start_method: str = "fork",
    runs: dict[float, int] | None = None,
    workers: int | None = None,
) -> dict:
    """The floor and the unit costs; about 35 s on a 2-core machine with a 40 MiB file.  ``workers``: the
    Pool size of the pool and dispatch floors (default: one per usable core)."""
    started_at = time.time()
    quiet = machine_state()
    rate = steps_per_second()
    floor = []
    for seconds, n in (runs or FLOOR_RUNS).items():
        steps = max(1000, int(rate * seconds))
        expected = cpu_loop(1000)  # warm the loop
        times = _runs(functools.partial(cpu_loop, steps), n)
        if expected != cpu_loop(1000):
            raise RuntimeError("calibration: the CPU loop gave two different results")
        floor.append({"operation": "cpu_loop", "target_seconds": seconds, "steps": steps, **spread(times)})
    out_dir = tempfile.mkdtemp(prefix="calibration-", dir=scratch_dir)
    try:
        src = os.path.join(out_dir, "sample.txt")
        sample_file(src, size_bytes)
        size = os.path.getsize(src)
        workloads.read_once(src, 0)  # in the page cache, as the warm file experiments have it
        ops = {
            "read": functools.partial(workloads.read_once, src),
            # write: read the file and replace a copy of it, as the read & write runs do
            "write": functools.partial(workloads.readwrite_once, src, out_dir),
        }
        unit = {}
        for kind, op in ops.items():
            for k, n in FILE_RUNS.items():
                run = functools.partial(_repeat, op, k)
                run()  # untimed: the copies the write runs then replace, as in the experiments
                times = spread(_runs(run, n))
                floor.append({"operation": kind, "target_seconds": None, "steps": k, **times})
                unit.setdefault(kind, times["median"] / k)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    cores = usable_cores()
    workers = workers or cores

    # Pool starts under the configured method ("pool"), then under every other one ("pool_<method>").
    others = [m for m in multiprocessing.get_all_start_methods() if m != start_method]
    for method in (start_method, *others):
        start = functools.partial(_pool_once, multiprocessing.get_context(method), workers)
        start()  # untimed: the first start pays for what later ones find ready
        times = spread(_runs(start, POOL_RUNS))
        operation = "pool" if method == start_method else f"pool_{method}"
        floor.append({"operation": operation, "target_seconds": None, "steps": workers, **times})
        unit.setdefault("pool", times["median"])  # the first: the configured method's
    p = multiprocessing.get_context(start_method).Pool(workers)
    try:
        list(p.imap(abs, range(workers * 10)))  # every worker up and running
        for k, n in DISPATCH_RUNS.items():
            items = list(range(k))
            times = spread(_runs(lambda: list(p.imap(abs, items)), n))
            floor.append({"operation": "dispatch", "target_seconds": None, "steps": k, **times})
            unit.setdefault("task", times["median"] / k)
        floor += _parallel_floor(p, min(workers, cores), rate, runs or PARALLEL_RUNS)
        p.close()
    finally:
        p.terminate()
        p.join()
    return {
        "started_at": started_at,
        "ended_at": time.time(),
        "machine_state": {k: v for k, v in quiet.items() if k != "steal"},
        "floor": floor,
        "units": {
            "step_seconds": 1 / rate,
            "read_seconds": unit["read"],
            "readwrite_seconds": unit["write"],
            "pool_seconds": unit["pool"],
            "pool_workers": workers,
            "task_seconds": unit["task"],
            "start_method": start_method,
            "size_bytes": size,
            "cores": cores,
        },
    }


def _parallel_floor(pool, workers: int, rate: float, runs: dict[float, int]) -> list[dict]:
    """The CPU loop on ``workers`` workers of a running ``pool`` at once (one per core), timed from the map's
    call to its last result: what a Pool run of CPU work on all cores meets beyond one core's noise (the other cores' work,
    the parent's wake-ups, the loaded machine's scheduling)."""
    out = []
    for seconds, n in runs.items():
        steps = max(1000, int(rate * seconds))
        results = []
        times = _runs(lambda: results.append(pool.map(cpu_loop, [steps] * workers, chunksize=1)), n)
        if len({r for rs in results for r in rs}) != 1:
            raise RuntimeError("calibration: the CPU loop gave different results on the Pool's workers")
        out.append(
            {"operation": PARALLEL, "target_seconds": seconds, "steps": steps, "workers": workers, **spread(times)}
        )
    return out


def floor_kind(operation: str | None, pool: bool = False) -> str:
    """The floor a run of ``operation`` is compared with: read, write, dispatch
    (tiny tasks one at a time), or the CPU loop's; ``pool``: the run starts a
    Pool, whose spread adds to its work's (the kind ends in ``+pool``)."""
    name = str(operation)
    base = name[: -len(POOL)] if name.endswith(POOL) else name
    base = base if base in BASE_KINDS or base.startswith("pool_") else KINDS.get(base, "cpu_loop")
    return base + (POOL if pool or name.endswith(POOL) else "")


def fewest(*counts: float) -> float:
    """The smallest of some run counts; NaN when any is unknown."""
    return math.nan if any(c != c for c in counts) else min(counts)


def _interpolated(calibration: dict | None, seconds: float, kind: str) -> tuple[float, float]:
    """The floor of ``kind`` at ``seconds`` and the fewest runs it rests on."""
    points = sorted(
        (f["median"], f["cv"], f.get("n", math.nan))
        for f in (calibration or {}).get("floor", [])
        if f.get("operation") == kind and f.get("median", 0) > 0 and f.get("cv", 0) > 0
    )
    if not points and kind != "cpu_loop":
        # a start method the calibration did not time: the configured one's Pool start
        return _interpolated(calibration, seconds, "pool" if kind.startswith("pool_") else "cpu_loop")
    if not points or not seconds or seconds <= 0 or not math.isfinite(seconds):
        return math.nan, math.nan
    if not points[0][0] < seconds < points[-1][0]:  # held flat beyond the calibration's run lengths
        _, cv, n = points[0] if seconds <= points[0][0] else points[-1]
        return cv, n
    for (x0, y0, n0), (x1, y1, n1) in zip(points, points[1:]):
        if x0 <= seconds <= x1:
            t = (math.log(seconds) - math.log(x0)) / (math.log(x1) - math.log(x0))
            return math.exp(math.log(y0) + t * (math.log(y1) - math.log(y0))), fewest(n0, n1)
    return points[-1][1], points[-1][2]


def floor_of(
    calibration: dict | None,
    seconds: float,
    kind: str = "cpu_loop",
    sentinel: float = math.nan,
    sentinel_n: float = math.nan,
    own: tuple[float, float] = (math.nan, math.nan),
) -> tuple[float, float]:
    """The machine's CV for a run of ``seconds`` of this :func:`floor_kind` and the fewest runs it rests on
    (NaN when unknown): the calibration's, interpolated on log-log axes and held flat beyond them (with a Pool
    start: sqrt((cv_pool s)^2 + (cv_work (T - s))^2) / T), or the point's ``sentinel`` where that is higher,
    :func:`capped` at the ``own`` spread (CV, runs) being judged."""
    at_start = _floor_at_start(calibration, seconds, kind)
    if sentinel is not None and math.isfinite(sentinel) and sentinel > 0:
        if not math.isfinite(at_start[0]) or sentinel > at_start[0]:
            return capped((sentinel, sentinel_n), at_start, own)
    return at_start


def capped(floor: tuple[float, float], calibrated: tuple[float, float], own: tuple[float, float]) -> tuple:
    """A floor above the calibration's (the sentinel's, a short loop's) accounts for a spread ``own`` up to
    that spread, never for more, and never below the ``calibrated`` floor (docs/method.md, "Know the
    machine's floor"); each a (CV, runs) pair."""
    if own[0] < floor[0] and not floor[0] <= calibrated[0]:
        return calibrated if own[0] <= calibrated[0] else own
    return floor


def sentinel_spread(values) -> float:
    """The CV (std / mean) of a point's sentinel runs (one per repetition); NaN for fewer than 3."""
    x = [float(v) for v in values if v == v and v is not None and float(v) > 0]
    return spread(x)["cv"] if len(x) >= 3 else math.nan


def _floor_at_start(calibration: dict | None, seconds: float, kind: str) -> tuple[float, float]:
    if not kind.endswith(POOL):
        return _interpolated(calibration, seconds, kind)
    floors = (calibration or {}).get("floor", [])
    base = kind[: -len(POOL)]
    # CPU work in a Pool against the loop on every worker at once, where the calibration has it
    if base == "cpu_loop" and any(f.get("operation") == PARALLEL for f in floors):
        base = PARALLEL
    start = [f for f in floors if f.get("operation") == "pool" and f.get("median", 0) > 0]
    if not start or not seconds or not math.isfinite(seconds) or seconds <= 0:
        return _interpolated(calibration, seconds, base)
    s, cv_s, n_s = start[0]["median"], start[0]["cv"], start[0].get("n", math.nan)
    if seconds <= s:
        return cv_s, n_s
    rest = seconds - s
    cv_w, n_w = _interpolated(calibration, rest, base)
    return math.sqrt((cv_s * s) ** 2 + (cv_w * rest) ** 2) / seconds, fewest(n_s, n_w)
