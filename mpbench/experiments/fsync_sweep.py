"""fsync_sweep (写入是否落盘): the write operations with buffered writes (the seed's) and with fsync before every close.

What it measures and how to read it: docs/experiments/fsync_sweep.md.
"""

from __future__ import annotations

from ..plan import levels_cost
from .common import levels_run

WRITE_MODES = ("buffered", "fsync")
FACTOR = "write_mode"
NAME = __name__.rsplit(".", 1)[-1]  # the section name; it may have to differ from the top-level key `fsync`


run = levels_run(NAME, FACTOR, lambda s: {m: {"fsync": m == "fsync"} for m in WRITE_MODES if m in s["modes"]})
#: Estimated seconds of one repetition (mpbench.plan).
cost = levels_cost("modes", 1.3)
