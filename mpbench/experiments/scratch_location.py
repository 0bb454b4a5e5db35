"""scratch_location (文件写在哪里): the write operations with their files in
different directories, e.g. the disk-backed ``results/scratch`` against the
memory-backed ``/dev/shm`` (tmpfs).

Each point is one operation done ``loops`` times, serially and through
``Pool(workers)``, with the written files in each directory of ``dirs`` in
turn (the test file itself stays where it is); every row records the
directory and its file system (ext4, tmpfs, overlay, ...).  The point is the
operation only: the directories are settings, so a path never becomes part
of a file name.  The first directory is the reference of the time ratios.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..lazy import pandas as pd

from ..config import MIB, ConfigError, existing_ancestor, free_bytes
from .cache_state import (context, few_repeats, mode_medians, ordered, plot_levels, run_levels, speedup_text,
                          summarize_levels, table_levels, versus)

FACTOR = "scratch_dir"




def _resolve(d: str, workdir) -> Path:
    path = Path(d)
    return path if path.is_absolute() or workdir is None else Path(workdir) / path


def check_config(section: dict, cfg: dict, workdir=None) -> None:
    """Every directory exists (or is relative and can be created), is writable and has
    room for ``loops`` copies of the test file."""
    allowed = ("allowed: existing writable directories, or relative ones the pipeline creates "
               "(on macOS, which has no /dev/shm, set scratch_location.dirs)")
    needed = section["loops"] * cfg["data"]["size_mb"] * MIB
    seen = {}
    for i, d in enumerate(section["dirs"]):
        where = f"config: scratch_location.dirs[{i}] = {d!r}"
        path = _resolve(d, workdir)
        if path.exists():
            if not path.is_dir():
                raise ConfigError(f"{where} is not a directory; {allowed}")
            target = path
        elif not Path(d).is_absolute():
            target = existing_ancestor(path)  # the pipeline creates it
        else:
            raise ConfigError(f"{where} does not exist; {allowed}")
        if not os.access(target, os.W_OK | os.X_OK):
            raise ConfigError(f"{where} is not writable; {allowed}")
        key = os.path.realpath(path)
        if key in seen:
            raise ConfigError(f"{where} is the same directory as {seen[key]!r}; allowed: different directories")
        seen[key] = d
        free = free_bytes(target)
        if needed > free:
            raise ConfigError(f"{where} has {free / MIB:.0f} MiB free but loops = {section['loops']} copies of a "
                              f"{cfg['data']['size_mb']} MiB file need {needed / MIB:.0f} MiB; allowed: a directory "
                              f"with that much free space (or lower scratch_location.loops)")


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None,
        data_file: str | None = None, base: dict | None = None) -> list[dict]:
    return run_levels("scratch_location", point, section, FACTOR, list(section["dirs"]),
                      lambda d: {"scratch_dir": d}, repeats=repeats, warmup=warmup, data_file=data_file, base=base)


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    return summarize_levels(raw, level, FACTOR)


def wrap_path(path: str, width: int = 16) -> str:
    """A long path over several lines, broken after a "/" (tick labels of the figure)."""
    lines = [""]
    for part in path.replace("/", "/\0").split("\0"):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(lines)


def _labeller(summary: pd.DataFrame, wrap: bool = False):
    fs = dict(zip(summary[FACTOR].astype(str), summary["scratch_fs"].astype(str)))
    return lambda d: f"{wrap_path(d)}\n({fs.get(d, 'unknown')})" if wrap else f"{d} ({fs.get(d, 'unknown')})"


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    return table_levels(summary, FACTOR, language, {"zh": "写入目录（文件系统）", "en": "Written to (file system)"},
                        _labeller(summary))


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    plot_levels(summary, FACTOR, out_paths, "Scratch location: the written files in each directory (file system)",
                "directory of the written files (file system)", _labeller(summary, wrap=True))


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    data = ordered(summary, FACTOR)
    label = _labeller(data)
    out = []
    for op, rows in data.groupby("operation", sort=False):
        levels = list(dict.fromkeys(rows[FACTOR]))
        ref = rows[rows[FACTOR] == levels[0]]
        text = f"{op} ({context(rows)}): files in {label(levels[0])}: {mode_medians(ref)}"
        pool = ref[ref["variant"] == "pool"]
        text += f", Pool {speedup_text(pool.iloc[0])}." if not pool.empty else "."
        for d in levels[1:]:
            cell = rows[rows[FACTOR] == d]
            pool = cell[cell["variant"] == "pool"]
            text += (f" In {label(d)}: {mode_medians(cell)}; time relative to {levels[0]}: {versus(cell)}"
                     + (f"; Pool {speedup_text(pool.iloc[0])}." if not pool.empty else "."))
        out.append(text + few_repeats(rows))
    return out
