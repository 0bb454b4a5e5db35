"""scratch_location (文件写在哪里): the write operations with their files in each directory of ``dirs``.

What it measures and how to read it: docs/experiments/scratch_location.md.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..plan import levels_cost
from .common import levels_run

FACTOR = "scratch_dir"


def check_config(section: dict, cfg: dict, workdir=None) -> None:
    """Every directory exists (or is relative and can be created), is writable and has
    room for ``loops`` copies of the test file."""
    from ..config import MIB, ConfigError, free_bytes, writable_dir  # the config check only, never timed

    allowed = (
        "allowed: existing writable directories, or relative ones the pipeline creates "
        "(on macOS, which has no /dev/shm, set scratch_location.dirs)"
    )
    needed = section["loops"] * cfg["data"]["size_mb"] * MIB
    seen = {}
    for i, d in enumerate(section["dirs"]):
        where = f"config: scratch_location.dirs[{i}] = {d!r}"
        target = writable_dir(d, workdir, where, allowed)
        key = os.path.realpath(Path(workdir or "", d))
        if key in seen:
            raise ConfigError(f"{where} is the same directory as {seen[key]!r}; allowed: different directories")
        seen[key] = d
        free = free_bytes(target)
        if needed > free:
            raise ConfigError(
                f"{where} has {free / MIB:.0f} MiB free but loops = {section['loops']} copies of a "
                f"{cfg['data']['size_mb']} MiB file need {needed / MIB:.0f} MiB; allowed: a directory "
                f"with that much free space (or lower scratch_location.loops)"
            )


run = levels_run("scratch_location", FACTOR, lambda section: {d: {"scratch_dir": d} for d in section["dirs"]})
#: Estimated seconds of one repetition (mpbench.plan).
cost = levels_cost("dirs")
