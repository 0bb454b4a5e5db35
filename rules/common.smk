import math
import re
import sys
from pathlib import Path

# The workflow's own package (worker functions, statistics, tables, plots).
sys.path.insert(0, workflow.basedir)

from mpbench import experiments as EXP  # noqa: E402
from mpbench.config import ConfigError, validate_config  # noqa: E402

# Validate before any job runs: one line naming the key, the value and what
# is allowed, and the schema's defaults filled in for everything unset.
try:
    _effective = validate_config(config, workdir=Path.cwd())
except ConfigError as err:
    sys.exit(f"mpbench: {err}")
config.clear()
config.update(_effective)
from mpbench.config import warnings_for  # noqa: E402

for _line in warnings_for(config):
    print(f"mpbench: warning: {_line}", file=sys.stderr)

# Every experiment goes the same way (rules/experiments.smk); the appendix's two
# tables, read and readwrite (whose job also times the overwrite), are the
# report's centre.
APPENDIX_TABLES = list(EXP.spec("appendix").tables)
DATA_FILE = "results/data/input.txt"
# The name this run files its results under (results/hosts/<HOST>/); $MPBENCH_HOST overrides it.
from mpbench.environment import hostname  # noqa: E402

HOST = hostname()
# Timed jobs ask for more threads than any machine has; Snakemake lowers this
# to --cores, so a timed job holds every core and nothing else runs beside it.
WHOLE_MACHINE = 4096


def point_mem_mb(workers, size_mb):
    """Memory for one timed job: a parent and up to ``workers`` children, each
    holding the file as bytes and as text (about 3 x its size) besides Python."""
    return int(500 + (int(workers) + 1) * (3 * size_mb + 80))


def repeat_setting(section=None):
    """How a point repeats (repeats, and with auto its precision and max_repeats): a
    change re-measures; the time cap from the budget is left out (a resource)."""
    from mpbench.precision import policy_for, setting

    return setting(policy_for(config, section))


from mpbench import plan as _plan  # noqa: E402

# Split budget_minutes over the points before anything runs, in this machine's
# unit costs when a calibration is at hand; say what it will cost.
RUN_PLAN = _plan.build(config, _plan.load_calibration())
for _line in RUN_PLAN.lines(
    {
        (p.experiment, p.point_id)
        for p in RUN_PLAN.points
        if Path(f"results/raw/{p.experiment}/{p.point_id}.csv").exists()
    }
):
    print(f"mpbench: {_line}", file=sys.stderr)


def point_cap_s(experiment, point_id):
    """The seconds one point may spend (its share of budget_minutes)."""
    return int(math.ceil(RUN_PLAN.cap(experiment, point_id) or 0)) or None


def point_runtime(experiment, point_id):
    """The time a scheduler should allow one timed job: its cap, twice over for
    estimates that were off, and at least 10 minutes (with the unit: some
    Snakemake 9 releases read a bare number as seconds)."""
    cap = RUN_PLAN.cap(experiment, point_id) or 600
    return f"{max(10, int(2 * cap / 60) + 5)}m"


def base_condition():
    """The appendix tables' conditions; the condition experiments vary one of them at a time."""
    return {key: config[key] for key in ("start_method", "chunksize", "cache", "fsync")}


def enabled_experiments():
    """The experiments with a section of their own that the config switches on (the report's sections)."""
    return [name for name in EXP.NAMES if config[name]["enabled"]]


def run_experiments():
    """Every experiment this run measures: the appendix, then the enabled others."""
    return [name for name in EXP.ALL if EXP.section(name, config)["enabled"]]


def run_tables():
    """Every table this run makes (a raw folder, a summary and a table each)."""
    return [table for name in run_experiments() for table in EXP.spec(name).tables]


def run_figures():
    return [figure for name in run_experiments() for figure in EXP.spec(name).figure_names]


def experiment_raw(name, table=None):
    """Every per-point raw CSV of one experiment (of one of its tables), for the configured sweep."""
    return [f"results/raw/{t}/{pid}.csv" for t, pid in EXP.jobs(name, EXP.section(name, config)) if table in (None, t)]


def table_raw(table):
    """Every per-point raw CSV of one table."""
    return experiment_raw(EXP.TABLES[table], table)


def measure_settings(name):
    """The keys of an experiment's section that change how each point is measured."""
    sweep = EXP.spec(name).sweep
    return {k: v for k, v in EXP.section(name, config).items() if k not in sweep and k != "enabled"}


# The tables beside the post's: its numbers against ours, and its claims checked.
POST_TABLES = ["seed_vs_measured", "claims"]
# The cost model's table (rules/model.smk).
MODEL_TABLES = ["model"]


def html_tables():
    """Every markdown table, by name, that the HTML report shows as a page."""
    return run_tables() + POST_TABLES + MODEL_TABLES


def category(name):
    """The HTML report's category of an experiment's tables and figures."""
    return "File IO (appendix B)" if name == "appendix" else name


def table_category(wildcards):
    """The HTML report's category of a table: its experiment's, or the post's."""
    if wildcards.name in POST_TABLES:
        return "The post side by side"
    if wildcards.name in MODEL_TABLES:
        return "Cost model"
    return category(EXP.TABLES[wildcards.name])


def figure_category(wildcards):
    return category(EXP.FIGURES[wildcards.figure])


def compare_hosts():
    """Host folders copied into results/hosts/ (complete ones), other than this host's."""
    from mpbench.compare import host_dirs

    return [d for d in host_dirs("results/hosts") if d.name != HOST]


def model_inputs(kind):
    """The cost model's inputs of this run: the raw CSVs of the tables it is fitted from, or the summaries of
    the held-out tables it predicts (mpbench.model), of the experiments that run."""
    from mpbench.model import FIT_TABLES, HELD_OUT_TABLES

    if kind == "raw":
        tables = sorted({t for ts in FIT_TABLES.values() for t in ts})
        return [f for t in tables if EXP.TABLES.get(t) in run_experiments() for f in table_raw(t)]
    return [f"results/summary/{t}.csv" for t in HELD_OUT_TABLES.values() if EXP.TABLES.get(t) in run_experiments()]


def all_outputs():
    return (
        [f"results/tables/{table}.md" for table in run_tables()]
        + [f"results/figures/{figure}.{ext}" for figure in run_figures() for ext in ("png", "svg")]
        + [f"results/tables/{name}.md" for name in POST_TABLES]
        + ["results/model.json", "results/summary/model_predictions.csv", "results/tables/model.md"]
        + [f"results/figures/model_predicted_vs_measured.{ext}" for ext in ("png", "svg")]
        + [f"results/figures/seed_vs_measured.{ext}" for ext in ("png", "svg")]
        + [f"results/html/{name}.html" for name in html_tables()]
        + [f"results/hosts/{HOST}/{name}" for name in ("summary/read.csv", "summary/readwrite.csv", "environment.json")]
        + ["results/report.md"]
    )
