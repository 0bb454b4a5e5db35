"""cache_state (缓存状态): the file operations with the test file warm in the page cache or evicted (cold).

What it measures and how to read it: docs/experiments/cache_state.md.
"""

from __future__ import annotations

from pathlib import Path

from .. import cache
from ..plan import levels_cost
from .common import levels_run

STATES = ("warm", "cold")


def states(section: dict) -> list[str]:
    """The configured states this platform can measure (warm first); warm alone where eviction is missing."""
    usable = [s for s in STATES if s in section["states"] and (s != "cold" or cache.EVICTION_SUPPORTED)]
    return usable or ["warm"]


_run = levels_run("cache_state", "cache", lambda section: {s: {"cache": s} for s in states(section)})


def run(point: dict, section: dict, *, data_file=None, **how) -> list[dict]:
    """common.levels_run's run (``how``: repeats, warmup, scratch_dir, base), then the test file warm again."""
    try:
        return _run(point, section, data_file=data_file, **how)
    finally:
        if data_file and Path(data_file).exists():
            cache.warm(data_file)  # leave the test file as the other experiments expect it


#: Estimated seconds of one repetition (mpbench.plan).
cost = levels_cost("states", 1.3)
