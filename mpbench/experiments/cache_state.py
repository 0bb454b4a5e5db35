"""cache_state (缓存状态): the file operations with the test file warm in the page cache or evicted (cold).

What it measures and how to read it: docs/experiments/cache_state.md.
"""

from __future__ import annotations

from pathlib import Path

from .. import cache
from ..plan import levels_cost
from .common import run_levels

STATES = ("warm", "cold")


def states(section: dict) -> list[str]:
    """The configured states this platform can measure (warm first); warm alone where eviction is missing."""
    usable = [s for s in STATES if s in section["states"] and (s != "cold" or cache.EVICTION_SUPPORTED)]
    return usable or ["warm"]


def run(point: dict, section: dict, *, repeats, warmup, scratch_dir=None, data_file=None, base=None) -> list[dict]:
    scratch = scratch_dir or "results/scratch"
    try:
        levels = {s: {"cache": s, "scratch_dir": scratch} for s in states(section)}
        return run_levels(
            "cache_state", point, section, "cache", levels, repeats, warmup, data_file=data_file, base=base
        )
    finally:
        if data_file and Path(data_file).exists():
            cache.warm(data_file)  # leave the test file as the other experiments expect it


#: Estimated seconds of one repetition (mpbench.plan).
cost = levels_cost("states", 1.3)
