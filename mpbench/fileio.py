"""The seed's file operations under stated conditions (:class:`Condition`): :func:`run_conditions` times
one operation under several, and every row records its condition, ``resident_before`` (mincore) and
``scratch_fs``, so a reader can check the condition instead of trusting it (docs/outputs.md).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from . import cache, timing, workloads
from .environment import filesystem_of

if TYPE_CHECKING:
    from .precision import Policy

OPERATIONS = tuple(workloads.OPERATIONS)
START_METHODS = ("fork", "spawn", "forkserver")
CACHE_STATES = ("warm", "cold")
DEFAULT_CHUNKSIZE = "default"


@dataclass(frozen=True)
class Condition:
    """How one variant runs: serially or through a Pool, and the conditions."""

    mode: str = "pool"  # "serial" (the seed's Demo) or "pool" (its poolDemo)
    workers: int = 4
    start_method: str = "fork"
    chunksize: int | str = DEFAULT_CHUNKSIZE  # "default": Pool.map's own rule
    cache: str = "warm"  # "warm" (seed) or "cold" (input evicted before the run)
    fsync: bool = False  # write operations: fsync each written file before close
    scratch_dir: str = "results/scratch"

    def __post_init__(self):
        for key, allowed in (("mode", ("serial", "pool")), ("start_method", START_METHODS), ("cache", CACHE_STATES)):
            if getattr(self, key) not in allowed:
                raise ValueError(f"{key} = {getattr(self, key)!r}; allowed: {', '.join(allowed)}")
        if self.chunksize != DEFAULT_CHUNKSIZE and not (isinstance(self.chunksize, int) and self.chunksize >= 1):
            raise ValueError(f"chunksize = {self.chunksize!r}; allowed: default or a whole number >= 1")
        if self.workers < 1:
            raise ValueError(f"workers = {self.workers!r}; allowed: a whole number >= 1")


def map_chunksize(chunksize: int | str) -> int | None:
    """The value handed to Pool.map: None lets Pool.map apply its own rule."""
    return None if chunksize == DEFAULT_CHUNKSIZE else int(chunksize)


def effective_chunksize(items: int, workers: int, chunksize: int | str) -> int:
    """The chunksize Pool.map really uses for ``items`` tasks: its own rule (CPython's
    ``Pool._map_async``) is ``ceil(items / (4 * workers))``, 0 for no items."""
    if chunksize != DEFAULT_CHUNKSIZE:
        return int(chunksize)
    return -(-items // (workers * 4))


def operation(op: str, src: str, out_dir: str, fsync: bool = False):
    """The picklable callable that Pool.map hands ``i`` to."""
    fn = workloads.OPERATIONS[op]
    if op in workloads.WRITES:
        return functools.partial(fn, src, out_dir, fsync=fsync)
    return functools.partial(fn, src)


MIB = 1024 * 1024


def bytes_written(op: str, loops: int, size_bytes: int) -> int:
    """What one run of ``op`` leaves in its scratch directory at most: a copy
    per operation (readwrite), one shared file (overwrite), nothing (read)."""
    return {"readwrite": loops * size_bytes, "overwrite": size_bytes}.get(op, 0)


def check_free_space(op: str, loops: int, size_bytes: int, directories, label: str = "") -> None:
    """Stop before a write run that would not fit, with a message naming the directory."""
    need = bytes_written(op, loops, size_bytes)
    if not need:
        return
    for directory in dict.fromkeys(map(str, directories)):
        free = shutil.disk_usage(directory).free
        if need > free:
            raise OSError(
                f"{label + ': ' if label else ''}not enough free space in {directory}: one run of {op} writes "
                f"{need / MIB:.3g} MiB and {free / MIB:.3g} MiB are free; free space, point the scratch "
                f"directory elsewhere, or lower loops / data.size_mb"
            )


def prepare_cache(src: str, state: str) -> float | None:
    """Put ``src`` in the asked page-cache state; return its residency after that."""
    if state == "cold":
        cache.evict(src)
    else:
        fraction = cache.resident_fraction(src)
        if fraction is None or fraction < 1.0:
            cache.warm(src)
    return cache.resident_fraction(src)


def run_conditions(
    op: str,
    loops: int,
    variants: Mapping[str, Condition],
    *,
    src: str | os.PathLike,
    repeats: "int | Policy",
    warmup: int = 1,
    label: str = "",
    ops: Mapping[str, str] | None = None,
    baseline: "str | Mapping[str, str] | None" = None,
) -> list[dict]:
    """Time ``op`` done ``loops`` times under every condition in ``variants``.

    ``ops`` names another operation for some variants (the appendix's read &
    write job also runs the overwrite, so that the two are paired by
    repetition); each row's ``operation`` is its variant's.  ``repeats`` and
    ``baseline`` as in timing.repeat_variants.

    Returns one row per timed run: the variant's name, its condition, the
    seconds (and the Pool's phases), ``resident_before``, and the effective
    chunksize.  Every run must handle the whole file ``loops`` times or it
    is an error; its warm-up, its prime (:func:`prime_files`) and its scratch
    directory, removed after the last run: docs/method.md.
    """
    op_of = {name: (ops or {}).get(name, op) for name in variants}
    for one in {op, *op_of.values()}:
        if one not in workloads.OPERATIONS:
            raise ValueError(f"unknown operation {one!r}; allowed: {', '.join(workloads.OPERATIONS)}")
    src = str(Path(src).resolve())
    expected = workloads.read_once(src, 0)  # also brings the file into the page cache
    label = label or f"{op} loops={loops}"
    out_dirs: dict[str, str] = {}
    calls = {}
    extra: dict[str, dict] = {}
    for cond in variants.values():
        Path(cond.scratch_dir).mkdir(parents=True, exist_ok=True)
    for one in dict.fromkeys(op_of.values()):
        check_free_space(
            one, loops, os.path.getsize(src), [c.scratch_dir for n, c in variants.items() if op_of[n] == one], label
        )
    try:
        for name, cond in variants.items():
            if cond.scratch_dir not in out_dirs:
                out_dirs[cond.scratch_dir] = tempfile.mkdtemp(prefix=f"{op}-loops{loops}-", dir=cond.scratch_dir)
            out = out_dirs[cond.scratch_dir]
            fn = operation(op_of[name], src, out, cond.fsync)
            calls[name] = variant(fn, loops, cond, src, f"{label} {name}", op_of[name], out)
            extra[name] = {
                "operation": op_of[name],
                **asdict(cond),
                "chunksize": str(cond.chunksize),
                "chunksize_effective": effective_chunksize(loops, cond.workers, cond.chunksize)
                if cond.mode == "pool"
                else None,
                "scratch_fs": filesystem_of(cond.scratch_dir),
            }

        def check(variant: str, results) -> None:
            if len(results) != loops or any(r != expected for r in results):
                raise RuntimeError(
                    f"{label} {variant}: an operation handled {sorted(set(results))} characters, expected {expected}"
                )

        # Every file a write variant replaces, written once before the timed runs.
        written = dict.fromkeys(
            os.path.join(out_dirs[variants[n].scratch_dir], name)
            for n in variants
            if op_of[n] in workloads.WRITES
            for name in workloads.written_names(op_of[n], loops)
        )
        prime = prime_files(src, written) if written else None
        rows = timing.repeat_variants(calls, repeats, warmup, check, label=label, prime=prime, baseline=baseline)
    finally:
        for out_dir in out_dirs.values():
            shutil.rmtree(out_dir, ignore_errors=True)
    return [{"loops": loops, **extra[row["variant"]], **row} for row in rows]


def prime_files(src: str, paths) -> "Callable[[], None]":
    """What a write run needs before its timed runs, untimed: every file it will replace, there already,
    written with the test file's bytes by one thread per core (why, and what this was measured against:
    docs/method.md, "Freed memory goes back to the host")."""
    paths = [str(p) for p in paths]

    def prime() -> None:
        data = Path(src).read_bytes()

        def write(path: str) -> None:
            with open(path, "wb") as fh:
                fh.write(data)

        with ThreadPoolExecutor(min(len(paths), os.cpu_count() or 1)) as threads:
            list(threads.map(write, paths))

    return prime


def variant(fn, loops: int, cond: Condition, src: str, label: str = "", op: str = "read", out_dir: str | None = None):
    """One timed run of ``fn`` done ``loops`` times under ``cond`` (a write ``op``'s files in ``out_dir``
    checked after it, untimed), and its ``warmup``: seconds, not a whole run - the cache state of ``src``,
    one operation, and for a Pool its start with one operation per worker."""
    ctx = multiprocessing.get_context(cond.start_method)
    size = os.path.getsize(src)

    def run():
        resident = prepare_cache(src, cond.cache)  # untimed
        if cond.mode == "serial":
            times, results = timing.time_serial(fn, loops)
        else:
            times, results = timing.time_pool(
                fn, loops, cond.workers, ctx, chunksize=map_chunksize(cond.chunksize), label=label
            )
        if op in workloads.WRITES:
            # Untimed: every file the run should have written, written whole by it.
            problem = workloads.written_problem(op, out_dir, loops, size, times["started_at"])
            if problem:
                raise RuntimeError(f"{label}: a write run left the wrong files: {problem}")
        return {**times, "resident_before": resident}, results

    def warmup():
        prepare_cache(src, cond.cache)
        if cond.mode == "serial":
            fn(0)
        else:
            timing.time_pool(fn, min(loops, cond.workers), cond.workers, ctx, label=f"{label} warm-up")

    run.warmup = warmup
    return run
