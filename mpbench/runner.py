"""Running one parameter point of the appendix: serial and Pool (for read & write also the overwrite, paired
with it) in a balanced order per repetition, every result checked (docs/method.md)."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys

from . import fileio, workloads
from .environment import hostname, scheduler_facts
from .precision import Policy, setting

RAW_COLUMNS = """
experiment variant loops workers rep order seconds pool_start_seconds map_seconds pool_close_seconds started_at ended_at
host slurm_job_id node start_method chunksize chunksize_effective cache resident_before fsync scratch_dir scratch_fs
python size_bytes lines data_seed repeats precision max_repeats warmup config_hash verified previous dirty_before
baseline stop_reason repeats_done time_cap_s borrowed_s repaid_s load_1m others_runnable cpu_mhz governor steal_share
sentinel_seconds
""".split()  # the columns of every appendix row, in this order


#: Operations that run in another's job, paired with it repetition by repetition.
PAIRED = {"readwrite": "overwrite"}


def config_hash(params: dict) -> str:
    """A short, stable hash of everything that defines how a point was measured."""
    blob = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def finish_rows(
    experiment: str,
    point: dict,
    rows: list[dict],
    *,
    repeats: "int | Policy",
    warmup: int,
    settings: dict,
    facts: dict | None = None,
) -> list[dict]:
    """The one place raw rows get what every row carries: the experiment, the
    point's parameters, host, scheduler facts, Python, the repetition setting,
    ``facts`` (recorded, not hashed) and ``config_hash`` - a hash of the
    experiment, the point, ``settings`` (everything else that defines the
    measurement), the repetition setting and the warm-up - so rows measured
    under another configuration are recognised later."""
    # How the point's Pools and Processes started (set by the job, or a condition of the point).
    settings = {"start_method": multiprocessing.get_start_method(allow_none=True) or "default", **settings}
    hashed = {"experiment": experiment, **point, **settings, **setting(repeats), "warmup": warmup}
    base = {
        "experiment": experiment,
        **point,
        "host": hostname(),
        **scheduler_facts(),
        "python": sys.version.split()[0],
        **(facts or {}),
        "precision": None,
        "max_repeats": None,
        **setting(repeats),
        "warmup": warmup,
        "start_method": settings["start_method"],
        "config_hash": config_hash(hashed),
    }
    return [{**base, **row} for row in rows]


def run_point(
    experiment: str,
    loops: int,
    workers: int,
    *,
    src: str | os.PathLike,
    scratch_dir: str | os.PathLike,
    repeats: "int | Policy",
    warmup: int = 1,
    data: dict | None = None,
    start_method: str = "fork",
    chunksize: int | str = "default",
    cache: str = "warm",
    fsync: bool = False,
) -> list[dict]:
    """Measure one cell under the appendix tables' conditions (fileio.Condition; the defaults are the seed's),
    ``repeats`` times or until precise (a precision.Policy): one row per timed run, two per repetition, four
    for readwrite (the overwrite's serial and Pool runs too)."""
    if experiment not in workloads.OPERATIONS:
        raise ValueError(f"unknown experiment {experiment!r}; allowed: {', '.join(workloads.OPERATIONS)}")
    data = data or {}
    held = {"start_method": start_method, "chunksize": chunksize, "cache": cache, "fsync": fsync}
    common = {**held, "workers": workers, "scratch_dir": str(scratch_dir)}
    variants = {"serial": fileio.Condition(mode="serial", **common), "pool": fileio.Condition(mode="pool", **common)}
    ops, baseline = {}, {"serial": "serial", "pool": "serial"}
    if experiment in PAIRED:
        # Its own speedup (serial / Pool) is what the stopping rule watches, beside
        # every median; the overwrite's speedup is the table's other ratio.
        for mode in ("serial", "pool"):
            name = f"{PAIRED[experiment]}_{mode}"
            variants[name] = fileio.Condition(mode=mode, **common)
            ops[name] = PAIRED[experiment]
            baseline[name] = f"{PAIRED[experiment]}_serial"
    label = f"{experiment} loops={loops} workers={workers}"
    rows = fileio.run_conditions(
        experiment, loops, variants, src=src, repeats=repeats, warmup=warmup, label=label, ops=ops, baseline=baseline
    )
    settings = {**held, "chunksize": str(chunksize), **{f"data_{k}": v for k, v in data.items()}}
    facts = {"size_bytes": os.path.getsize(src), "lines": data.get("lines"), "data_seed": data.get("seed")}
    point = {"loops": loops, "workers": workers}
    rows = finish_rows(experiment, point, rows, repeats=repeats, warmup=warmup, settings=settings, facts=facts)
    for row in rows:  # "operation" and "mode" are "experiment" and "variant" here
        row["experiment"], row["variant"] = row.pop("operation"), row.pop("mode")
    return rows
