"""start_method_sweep (启动方式 fork / spawn / forkserver): what a Pool's start method costs.

What it measures and how to read it: docs/experiments/start_method_sweep.md.
"""

from __future__ import annotations

import multiprocessing
from functools import partial

from .. import fileio, poolstart, timing
from ..plan import Units, file_run
from .common import conditions, finish_rows, settings_of

NAME = __name__.rsplit(".", 1)[-1]  # the config section and the raw rows' experiment
METHODS = fileio.START_METHODS
STARTUP_TIMEOUT = 120.0  # seconds for all workers to be ready before the run is an error


def check_config(section: dict, cfg: dict, workdir=None) -> None:
    """Raises ValueError (config.check_experiments reports it as a ConfigError)."""
    available = multiprocessing.get_all_start_methods()
    missing = [m for m in section["methods"] if m not in available]
    if missing:
        raise ValueError(
            f"config: {NAME}.methods = {section['methods']!r} is not allowed; allowed here: "
            f"a list of {', '.join(available)} (this platform lacks {', '.join(missing)})"
        )


def run(
    point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str, data_file: str, base: dict
) -> list[dict]:
    op, loops, workers, methods = point["operation"], section["loops"], section["workers"], section["methods"]
    held = {**base, "workers": workers, "scratch_dir": scratch_dir}
    variants = conditions(held, {f"pool_{m}": {"start_method": m} for m in methods})
    label = f"{NAME} {op} loops={loops}"
    rows = fileio.run_conditions(op, loops, variants, src=data_file, repeats=repeats, warmup=warmup, label=label)
    rows += startup_rows(methods, workers, repeats=repeats, warmup=warmup, label=label)
    for row in rows:
        if row["mode"] == "serial":
            row["start_method"] = "none"  # no Pool, no start method
    settings = settings_of(section, base, "operations")
    return finish_rows(NAME, point, rows, repeats=repeats, warmup=warmup, settings=settings)


def startup_rows(methods, workers: int, *, repeats: int, warmup: int, label: str = "") -> list[dict]:
    """Pool start-up per method (poolstart.time_startup), order balanced over the repetitions."""

    def startup(method: str):
        times, seen = poolstart.time_startup(multiprocessing.get_context(method), workers, STARTUP_TIMEOUT)
        return {
            **times,
            "start_method_seen": ",".join(sorted({str(s) for _, s in seen})),
            "worker_pids": len({pid for pid, _ in seen}),
        }, seen

    def check(variant: str, seen) -> None:
        method = variant.removeprefix("startup_")
        methods_seen = sorted({str(s) for _, s in seen})
        pids = {pid for pid, _ in seen}
        if methods_seen != [method] or len(pids) != workers:
            raise RuntimeError(
                f"{label} {variant}: {len(pids)} workers reported start methods {methods_seen}, "
                f"expected {workers} workers started by {method}"
            )

    calls = {f"startup_{m}": partial(startup, m) for m in methods}
    rows = timing.repeat_variants(calls, repeats, warmup, check, label=f"{label} start-up")
    # Held to the floor of a Pool start (and the CPU loop's for what a slower method adds).
    return [
        {
            "mode": "startup",
            "workers": workers,
            "start_method": row["variant"].removeprefix("startup_"),
            "floor_kind": "pool_" + row["variant"].removeprefix("startup_"),
            **row,
        }
        for row in rows
    ]


def cost(point: dict, section: dict, u: Units) -> float:
    op, loops, w = point["operation"], section["loops"], section["workers"]
    starts = [u.spawn if m == "spawn" else u.pool * (2 if m == "forkserver" else 1) for m in section["methods"]]
    return file_run(op, loops, u) + sum(file_run(op, loops, u, w, s) + s for s in starts)
