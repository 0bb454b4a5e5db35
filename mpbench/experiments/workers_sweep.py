"""workers_sweep (进程数): the appendix's file operations over Pool sizes beyond the default 4.

What it measures and how to read it: docs/experiments/workers_sweep.md.
"""

from __future__ import annotations

from pathlib import Path

from ..environment import usable_cores
from ..fileio import MIB, run_conditions
from ..plan import Units, file_run
from .common import conditions, finish_rows, settings_of


def check_config(section: dict, cfg: dict, workdir) -> None:
    """readwrite keeps ``loops`` copies of the test file at once in the scratch directory.
    Raises ValueError (config.check_experiments reports it as a ConfigError)."""
    if "readwrite" not in section["operations"]:
        return
    from ..config import free_bytes  # the config check only, never timed

    free = free_bytes(Path(workdir or "", cfg["scratch_dir"]))
    size = int(cfg["data"]["size_mb"] * MIB)
    if section["loops"] * size > free:
        raise ValueError(
            f"config: workers_sweep.loops = {section['loops']} is not allowed; allowed: at most "
            f"{free // max(1, size)} (readwrite writes loops copies of the "
            f"{cfg['data']['size_mb']} MiB file; {free / MIB:.0f} MiB free in scratch_dir)"
        )


def run(point: dict, section: dict, *, repeats, warmup, scratch_dir=None, data_file=None, base=None) -> list[dict]:
    if not data_file:
        raise ValueError("workers_sweep: run needs data_file (the pipeline's test file)")
    op, loops, base = point["operation"], section["loops"], dict(base or {})
    held = {**base, "workers": 1, "scratch_dir": scratch_dir or "results/scratch"}
    variants = conditions(held, {f"pool{w}": {"workers": w} for w in section["workers"]})
    rows = run_conditions(
        op, loops, variants, src=data_file, repeats=repeats, warmup=warmup, label=f"workers_sweep {op} loops={loops}"
    )
    cores = usable_cores()
    rows = [{**row, "usable_cores": cores} for row in rows]
    settings = settings_of(section, base, "operations", "repeats", data_bytes=Path(data_file).stat().st_size)
    return finish_rows("workers_sweep", point, rows, repeats=repeats, warmup=warmup, settings=settings)


def cost(point: dict, section: dict, u: Units) -> float:
    op, loops = point["operation"], section["loops"]
    return file_run(op, loops, u) + sum(file_run(op, loops, u, w) for w in section["workers"])
