"""appendix (附录 B): the post's two tables - read, and read & write with the overwrite beside it.

What it measures (a point: runner.run_point) and how to read it: docs/experiments/appendix.md.
"""

from __future__ import annotations

from ..plan import Units, file_run
from ..runner import PAIRED, RAW_COLUMNS, run_point


def run(point: dict, section: dict, *, repeats, warmup: int, scratch_dir, data_file=None, base=None) -> list[dict]:
    """The rows of one point (see runner.run_point), under the top-level conditions ``base``;
    every row has every column of runner.RAW_COLUMNS, in that order (None where it has no value)."""
    if not data_file:
        raise ValueError("appendix: needs data_file (the pipeline's test file)")
    rows = run_point(
        point["operation"],
        int(point["loops"]),
        int(point["workers"]),
        src=data_file,
        scratch_dir=scratch_dir,
        repeats=repeats,
        warmup=warmup,
        data=section.get("data"),
        **(base or {}),
    )
    return [{**{column: row.get(column) for column in RAW_COLUMNS}, **row} for row in rows]


def cost(point: dict, section: dict, u: "Units") -> float:
    """A repetition: serial and Pool, for read & write also the overwrite's (mpbench.plan)."""
    op, loops, workers = point["operation"], point["loops"], point["workers"]
    return sum(
        file_run(one, loops, u) + file_run(one, loops, u, workers)
        for one in (op, *([PAIRED[op]] if op in PAIRED else []))
    )
