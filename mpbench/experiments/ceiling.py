"""ceiling (硬件上限): how far Python's read-and-decode is from what the machine can move (raw os.readv / os.write).

What it measures and how to read it: docs/experiments/ceiling.md.
"""

from __future__ import annotations

import shutil
import tempfile
from functools import partial
from pathlib import Path

from .. import cache as pagecache
from .. import rawio, timing, workloads
from ..environment import filesystem_of, usable_cores
from ..fileio import Condition, effective_chunksize, operation, prime_files, variant
from ..plan import Units, file_run
from .common import finish_rows, settings_of

VARIANTS = tuple(f"{p}_{d}_{m}" for d in ("read", "write") for p in ("raw", "python") for m in ("serial", "pool"))


def resolve_workers(value) -> int:
    """ "cores" -> the usable cores of this process; a whole number (>= 1: the schema) as is."""
    return usable_cores() if value == "cores" else value


def check_config(section: dict, cfg: dict, workdir=None) -> None:
    from ..config import ConfigError  # the config check only, never timed

    if section["cache"] == "cold" and not pagecache.EVICTION_SUPPORTED:
        raise ConfigError(
            "config: ceiling.cache = 'cold' needs os.posix_fadvise to evict the test file, "
            "which this platform lacks; allowed here: inherit, warm"
        )


def run(
    point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str, data_file: str, base: dict
) -> list[dict]:
    loops, workers = point["loops"], resolve_workers(section["workers"])
    state = base["cache"] if section["cache"] == "inherit" else section["cache"]
    src = str(Path(data_file).resolve())
    size = Path(src).stat().st_size
    chars = workloads.read_once(src, 0)
    rawio.load(src, size)  # the parent's buffer; forked workers inherit it
    Path(scratch_dir).mkdir(parents=True, exist_ok=True)
    out = {kind: tempfile.mkdtemp(prefix=f"ceiling-{kind}-", dir=scratch_dir) for kind in ("raw", "python")}
    fns = {
        "raw_read": partial(rawio.read_raw, src, size),
        "raw_write": partial(rawio.write_raw, src, size, out["raw"], bool(base["fsync"])),
        "python_read": operation("read", src, out["python"]),
        "python_write": operation("readwrite", src, out["python"], bool(base["fsync"])),
    }
    calls, extra = {}, {}
    for name in VARIANTS:
        path, direction, mode = name.split("_")
        procs = workers if mode == "pool" else 1
        cond = Condition(**{**base, "cache": state}, mode=mode, workers=procs, scratch_dir=scratch_dir)
        calls[name] = variant(fns[f"{path}_{direction}"], loops, cond, src, f"ceiling loops={loops} {name}")
        extra[name] = {
            "path": path,
            "direction": direction,
            "mode": mode,
            "workers": procs,
            "pool_workers": workers,
            "start_method": cond.start_method,
            "chunksize": str(cond.chunksize),
            "chunksize_effective": effective_chunksize(loops, procs, cond.chunksize) if mode == "pool" else None,
            "cache": cond.cache,
            "fsync": cond.fsync,
            "scratch_fs": filesystem_of(scratch_dir),
            "size_bytes": size,
            "chars": chars,
            # the machine's floor for these runs: reads or writes, plus a Pool start
            "floor_kind": ("read" if direction == "read" else "write") + ("+pool" if mode == "pool" else ""),
        }

    def check(name: str, result) -> None:
        want = size if name.startswith("raw") else chars
        if len(result) != loops or any(r != want for r in result):
            unit = "bytes" if name.startswith("raw") else "characters"
            raise RuntimeError(
                f"ceiling {name}: {len(result)} operations handled {sorted(set(result))} {unit}, "
                f"expected {loops} x {want}"
            )

    # Written files are replaced by the next run, not deleted between runs;
    # they are there before the first (fileio.prime_files).
    prime = prime_files(
        src,
        [Path(out["raw"], f"raw_{i}.bin") for i in range(loops)]
        + [Path(out["python"], name) for name in workloads.written_names("readwrite", loops)],
    )

    try:
        rows = timing.repeat_variants(calls, repeats, warmup, check, label=f"ceiling loops={loops}", prime=prime)
    finally:
        for d in out.values():
            shutil.rmtree(d, ignore_errors=True)
    rows = [{**extra[r["variant"]], **r} for r in rows]
    settings = settings_of(section, base, "loops", data_bytes=size, workers_resolved=workers)
    return finish_rows("ceiling", point, rows, repeats=repeats, warmup=warmup, settings=settings)


def cost(point: dict, section: dict, u: Units) -> float:
    loops = point["loops"]
    w = u.cores if section["workers"] == "cores" else int(section["workers"])
    python = sum(file_run(op, loops, u) + file_run(op, loops, u, w) for op in ("read", "readwrite"))
    return python * 1.4  # the raw variants cost about 40% of the Python ones
