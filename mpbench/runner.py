"""Running one parameter point of a file experiment: warm-up, repetitions, rows.

One call measures one (experiment, loops, workers) cell.  Within every
repetition the serial and the Pool variant both run, and their order flips
from one repetition to the next (serial first, then Pool first, ...) so that
slow drift of the machine - page cache, thermal state - hits both alike.
Every run's result is checked: each operation must report the full length
of the file, or the run is an error rather than a number.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from . import timing, workloads

RAW_COLUMNS = [
    "experiment", "variant", "loops", "workers", "rep", "order", "seconds",
    "pool_start_seconds", "map_seconds", "pool_close_seconds",
    "started_at", "ended_at", "host", "start_method", "python",
    "size_bytes", "lines", "data_seed", "repeats", "warmup", "config_hash",
    "verified",
]


def config_hash(params: dict) -> str:
    """A short, stable hash of everything that defines how a point was measured."""
    blob = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _operation(experiment: str, src: str, out_dir: str):
    fn = workloads.OPERATIONS[experiment]
    if experiment in workloads.WRITES:
        return functools.partial(fn, src, out_dir)
    return functools.partial(fn, src)


def _empty_dir(path: Path) -> None:
    """Remove what a write run left, keeping the directory itself."""
    for child in path.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


def run_point(
    experiment: str,
    loops: int,
    workers: int,
    *,
    src: str | os.PathLike,
    scratch_dir: str | os.PathLike,
    repeats: int,
    warmup: int = 1,
    data: dict | None = None,
    context: multiprocessing.context.BaseContext | None = None,
) -> list[dict]:
    """Measure one cell; return one row per timed run (``repeats`` x 2 rows)."""
    if experiment not in workloads.OPERATIONS:
        raise ValueError(f"unknown experiment {experiment!r}; allowed: {', '.join(workloads.OPERATIONS)}")
    ctx = context or multiprocessing.get_context()
    src = str(Path(src).resolve())
    expected = workloads.read_once(src, 0)  # also brings the file into the page cache
    data = data or {}
    params = {
        "experiment": experiment, "loops": loops, "workers": workers, "repeats": repeats,
        "warmup": warmup, "start_method": ctx.get_start_method(), **{f"data_{k}": v for k, v in data.items()},
    }
    base = {
        "experiment": experiment, "loops": loops, "workers": workers,
        "host": socket.gethostname(), "start_method": ctx.get_start_method(),
        "python": sys.version.split()[0], "size_bytes": os.path.getsize(src),
        "lines": data.get("lines"), "data_seed": data.get("seed"),
        "repeats": repeats, "warmup": warmup, "config_hash": config_hash(params),
    }
    Path(scratch_dir).mkdir(parents=True, exist_ok=True)
    out_dir = Path(tempfile.mkdtemp(prefix=f"{experiment}-loops{loops}-workers{workers}-", dir=scratch_dir))

    def check(variant: str, results: list[int]) -> None:
        if len(results) != loops or any(r != expected for r in results):
            raise RuntimeError(
                f"{experiment} loops={loops} workers={workers} {variant}: "
                f"an operation handled {sorted(set(results))} characters, expected {expected}"
            )

    try:
        fn = _operation(experiment, src, str(out_dir))
        variants = {
            "serial": lambda: timing.time_serial(fn, loops),
            "pool": lambda: timing.time_pool(fn, loops, workers, ctx),
        }
        rows = timing.repeat_variants(
            variants, repeats, warmup, check, after_run=lambda: _empty_dir(out_dir),
            label=f"{experiment} loops={loops} workers={workers}",
        )
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return [{**base, **row} for row in rows]
