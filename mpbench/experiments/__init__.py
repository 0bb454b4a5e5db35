"""The seed's other sections, each as a measured experiment of the same shape.

An experiment is a module in this package with:

``TITLE``
    the report's section heading (with the seed's section name).
``SWEEP``
    the keys of its config section that list parameter points; changing
    them adds or drops points, every other key of the section changes how
    each point is measured (and so re-measures all of them).
``points(section) -> list[dict]``
    the parameter points of the config section, one Snakemake job each.
``run(point, section, *, repeats, warmup, scratch_dir) -> list[dict]``
    measure one point: one row per timed run (``variant``, ``rep``,
    ``seconds``, ``started_at``, ``ended_at``, ``verified`` and anything
    else worth keeping); every run's result is checked.
``check_config(section, cfg, workdir)`` (optional)
    checks a schema cannot express (a start method this platform lacks, a
    directory that does not exist); raises ``mpbench.config.ConfigError``
    with one line naming the key, the value and what is allowed.  Only
    called when the section is enabled.
``FILE_CONDITIONS`` (optional)
    True for the condition experiments of the file operations: ``run``
    then also gets ``base=`` the appendix tables' conditions (start_method,
    chunksize, cache, fsync) and varies one of them.
``NEEDS_DATA`` (optional)
    True when ``run`` reads the pipeline's test file; it then gets
    ``data_file=<path>`` as a further keyword argument.
``summarize(raw, level) -> DataFrame``, ``table(summary, language) -> str``,
``plot(summary, cores, out_paths)``, ``findings(summary, env) -> list[str]``
    the path from raw rows to the report, as for the appendix tables.

Each has a config section ``<name>:`` whose schema is
``schemas/experiments/<name>.schema.yaml`` (with ``enabled``).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from types import ModuleType

# The report's order, the seed's order of sections; an experiment takes part
# once its module exists.
ORDER = ["pool_api", "process_queue", "threads_vs_processes", "shared_memory", "lock", "close_join", "crossover",
         # The measurement conditions of the appendix's file operations.
         "workers_sweep", "start_method_sweep", "chunksize_sweep", "cache_state", "fsync_sweep", "scratch_location", "ceiling"]
NAMES: list[str] = [name for name in ORDER if (Path(__file__).parent / f"{name}.py").exists()]


def get(name: str) -> ModuleType:
    if name not in NAMES:
        raise ValueError(f"unknown experiment {name!r}; allowed: {', '.join(NAMES)}")
    return import_module(f"{__name__}.{name}")


def point_id(point: dict) -> str:
    """File-name form of a point: {"kind": "cpu", "workers": 4} -> "kindcpu_workers4"."""
    return "_".join(f"{key}{value}" for key, value in point.items())


def find_point(module: ModuleType, section: dict, pid: str) -> dict:
    for point in module.points(section):
        if point_id(point) == pid:
            return point
    raise ValueError(f"no point {pid!r} in the config of {module.__name__}")
