"""fsync_sweep (写入是否落盘): the write operations with buffered writes (the seed's) and with fsync before every close.

What it measures and how to read it: docs/experiments/fsync_sweep.md.
"""

from __future__ import annotations

from ..plan import levels_cost
from .common import run_levels

WRITE_MODES = ("buffered", "fsync")
FACTOR = "write_mode"
NAME = __name__.rsplit(".", 1)[-1]  # the section name; it may have to differ from the top-level key `fsync`


def run(point: dict, section: dict, *, repeats, warmup, scratch_dir=None, data_file=None, base=None) -> list[dict]:
    scratch = scratch_dir or "results/scratch"
    modes = [m for m in WRITE_MODES if m in section["modes"]]
    levels = {m: {"fsync": m == "fsync", "scratch_dir": scratch} for m in modes}
    return run_levels(NAME, point, section, FACTOR, levels, repeats, warmup, data_file=data_file, base=base)


#: Estimated seconds of one repetition (mpbench.plan).
cost = levels_cost("modes", 1.3)
