"""chunksize_sweep (Pool.map 的 chunksize): the file operations and the seed's id**2 through Pool.map per chunksize.

What it measures and how to read it: docs/experiments/chunksize_sweep.md.
"""

from __future__ import annotations

import multiprocessing
from functools import partial

from .. import fileio, timing
from ..plan import Units, file_run
from ..tasks import square
from .common import conditions, finish_rows, settings_of

NAME = __name__.rsplit(".", 1)[-1]  # the config section and the raw rows' experiment


def variant_name(chunksize) -> str:
    return f"chunksize_{chunksize}"


def run(
    point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str, data_file: str, base: dict
) -> list[dict]:
    op, workers = point["operation"], section["workers"]
    if op == "square":
        rows = square_rows(
            section["items"],
            workers,
            section["square_chunksizes"],
            base["start_method"],
            repeats=repeats,
            warmup=warmup,
        )
    else:
        loops = section["loops"]
        held = {**base, "workers": workers, "scratch_dir": scratch_dir}
        variants = conditions(held, {variant_name(c): {"chunksize": c} for c in section["chunksizes"]})
        rows = fileio.run_conditions(
            op, loops, variants, src=data_file, repeats=repeats, warmup=warmup, label=f"{NAME} {op} loops={loops}"
        )
        for row in rows:
            row["tasks"] = loops
    for row in rows:
        if row["mode"] == "serial":
            row["chunksize"] = "none"  # a plain loop has no chunks
    settings = settings_of(section, base, "operations")
    return finish_rows(NAME, point, rows, repeats=repeats, warmup=warmup, settings=settings)


def square_rows(items: int, workers: int, chunksizes, start_method: str, *, repeats: int, warmup: int) -> list[dict]:
    """The seed's id**2 worker over range(items): serial list comprehension and Pool.map per chunksize."""
    expected = [i * i for i in range(items)]
    ctx = multiprocessing.get_context(start_method)
    calls = {"serial": partial(timing.time_serial, square, items, timing.inner_loops(square, items))}
    meta = {
        "serial": {
            "mode": "serial",
            "start_method": "none",
            "chunksize": "none",
            "chunksize_effective": None,
            "floor_kind": "cpu_loop",
        }
    }
    for c in chunksizes:
        name = variant_name(c)
        calls[name] = partial(timing.time_pool, square, items, workers, ctx, chunksize=fileio.map_chunksize(c))
        effective = fileio.effective_chunksize(items, workers, c)
        # One item per task: the run is the tasks' trips through the queues.
        meta[name] = {
            "mode": "pool",
            "start_method": start_method,
            "chunksize": str(c),
            "chunksize_effective": effective,
            "floor_kind": "dispatch+pool" if effective == 1 else "cpu_loop+pool",
        }

    def check(variant: str, result) -> None:
        if result != expected:
            wrong = next((i for i, (a, b) in enumerate(zip(result, expected)) if a != b), min(len(result), items))
            raise RuntimeError(
                f"{NAME} square {variant}: {len(result)} results for {items} items, first wrong at index {wrong}"
            )

    rows = timing.repeat_variants(calls, repeats, warmup, check, label=f"{NAME} square items={items}")
    return [{"operation": "square", "tasks": items, "workers": workers, **meta[row["variant"]], **row} for row in rows]


def cost(point: dict, section: dict, u: Units) -> float:
    w = section["workers"]
    if point["operation"] == "square":
        items = section["items"]
        tasks = [items / max(1, fileio.effective_chunksize(items, w, c)) for c in section["square_chunksizes"]]
        return items * 5 * u.step + sum(u.pool + t * u.task + items * u.step for t in tasks)
    op, loops = point["operation"], section["loops"]
    return file_run(op, loops, u) + len(section["chunksizes"]) * file_run(op, loops, u, w)
