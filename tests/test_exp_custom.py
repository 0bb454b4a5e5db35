"""custom: the example and a function of a package written here run from config through the experiment's run and
the pipeline; every bad input fails in one line naming the key (before any job where reading can tell, at the
point otherwise) without importing the user's code at the config check; nothing the point starts outlives it;
and the verdict follows the intervals."""

import multiprocessing
import os
import pickle
import subprocess
import sys
import textwrap
import time
import uuid

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO
from figdata import assert_drawn, assert_findings_in_both_languages, assert_within, capture, texts

from mpbench import experiments
from mpbench.config import ConfigError, load_schema, validate_config
from mpbench.experiments import custom
from mpbench.present import custom as present
from mpbench.timing import PointError

SCHEMA = load_schema()

#: A user's package: a task, an input maker, checks, and functions that fail each way. Importing it leaves a
#: mark, so that a test can tell the config check did not import it.
TASKS = """
import os
open(os.path.join(os.path.dirname(__file__), "imported"), "a").close()

def square(x):
    return x * x

def make(n=4, size=1):
    if size == 13:
        raise ValueError("size 13 is unlucky")
    return [size * 10 + i for i in range(n)]

def nothing(n=4):
    return []

def boom(x):
    return 1 / (x - x)

def pid(x):
    return os.getpid()

def noisy(x):
    return x + os.getpid() * 1e-12

def close_enough(serial, other):
    return len(serial) == len(other) and all(abs(a - b) < 1e-3 for a, b in zip(serial, other))

def never(serial, other):
    return False

def fails_in_a_worker(x):
    if os.getpid() != int(os.environ["CUSTOM_TEST_PARENT"]):
        raise RuntimeError("a task failed in a worker")
    return x
"""


@pytest.fixture()
def package(tmp_path, monkeypatch):
    """A package of a fresh name in the working directory (found there, not through sys.path); its name."""
    name = f"userpkg_{uuid.uuid4().hex[:8]}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / name / "tasks.py").write_text(TASKS)
    monkeypatch.chdir(tmp_path)
    return name


@pytest.fixture(autouse=True)
def import_path(monkeypatch):
    """run() puts the working and project directories on the import path and PYTHONPATH: undone after each test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))


def section(package: str | None = None, **values) -> dict:
    """The custom section of a validated config, with ``values``; ``package``: the user's functions'."""
    if package:
        values = {"workload": f"{package}.tasks:square", "inputs": f"{package}.tasks:make", **values}
    base = {"workers": [1, 2], "backends": ["executor"], **values}
    return validate_config({"custom": base}, SCHEMA, workdir=os.getcwd())["custom"]


def run(sec: dict, size="default", reps: int = 2) -> pd.DataFrame:
    return pd.DataFrame(custom.run({"size": size}, sec, repeats=reps, warmup=0))


def test_points_and_presets():
    assert experiments.points("custom", {"sizes": "default"}) == [{"size": "default"}]
    assert experiments.points("custom", {"sizes": [50, 200]}) == [{"size": 50}, {"size": 200}]
    tiny = experiments.spec("custom").presets["tiny"]
    assert len(tiny["sizes"]) == 2 and "input_kwargs" not in tiny  # a user's input maker need not take the example's
    defaults = validate_config({}, SCHEMA)["custom"]
    assert defaults["workload"] == "examples.workload:longest_chain" and defaults["enabled"] is True


def test_the_example_runs_serially_through_each_pool_and_the_backends():
    sec = validate_config({"custom": {"input_kwargs": {"tasks": 4, "size": 30}, "backends": ["executor"]}}, SCHEMA)
    rows = run(sec["custom"])
    pools = [f"pool{w}" for w in sec["custom"]["workers"]]
    assert sorted(rows["variant"].unique()) == sorted(["serial", *pools, "executor"]) and rows["verified"].all()
    assert rows["tasks"].eq(4).all() and rows["workload"].eq("examples.workload:longest_chain").all()
    by = rows.groupby("variant").first()
    assert by.loc["serial", "backend"] == "serial" and by.loc["pool4", "workers"] == 4
    assert by.loc["executor", "workers"] == custom.backend_workers([1, 2, 4], by.loc["executor", "usable_cores"])
    runs = rows[rows["variant"] != "serial"]
    assert np.allclose(runs["seconds"], runs[["start_seconds", "work_seconds", "stop_seconds"]].sum(axis=1))
    assert (by.loc[pools, "start_method"] == multiprocessing.get_start_method()).all()
    # for the cost model: the pickled size of one argument and one result, and the kind the config names
    assert rows["arg_bytes"].eq(len(pickle.dumps((1, 31), pickle.HIGHEST_PROTOCOL))).all()
    assert rows["result_bytes"].gt(0).all() and rows["work_kind"].eq("cpu").all()
    summary = present.summarize(rows, 0.95)
    assert summary["arg_bytes"].notna().all() and set(summary["work_kind"]) == {"cpu"}


def test_pickled_bytes_samples_evenly_and_says_nan_for_what_cannot_be_pickled():
    values = [b"x" * i for i in range(1000)]
    sample = values[:: 1000 // custom.SIZE_SAMPLE][: custom.SIZE_SAMPLE]
    expected = sum(len(pickle.dumps(v, pickle.HIGHEST_PROTOCOL)) for v in sample) / len(sample)
    assert custom.pickled_bytes(values) == expected
    assert np.isnan(custom.pickled_bytes([lambda: 0]))


def test_backends_run_at_the_largest_worker_count_within_the_cores():
    assert custom.backend_workers([1, 2, 4], 2) == 2 and custom.backend_workers([1, 2, 4], 16) == 4
    assert custom.backend_workers([4, 8], 2) == 4


def test_a_users_package_runs_from_config_point_by_point(package):
    sec = section(package, sizes=[3, 5], input_kwargs={"n": 3})
    points = experiments.points("custom", sec)
    rows = pd.concat([run(sec, p["size"]) for p in points])
    assert sorted(rows["size"].unique()) == [3, 5] and rows["verified"].all() and rows["tasks"].eq(3).all()
    summary = present.summarize(rows, 0.95)
    assert set(summary["size"]) == {"3", "5"} and set(summary["pays_off"]) == {"inconclusive"}  # 2 repetitions


def test_a_check_function_accepts_what_equality_would_not(package):
    with pytest.raises(PointError, match=r"^custom: pool1's results differ from the serial loop's: 4 results"):
        run(section(package, workload=f"{package}.tasks:noisy", workers=[1], backends=[]))
    rows = run(section(package, workload=f"{package}.tasks:noisy", check=f"{package}.tasks:close_enough"))
    assert rows["verified"].all()


# Bad input: at the config check, one line, the user's code not imported ---------------------------------------


@pytest.mark.parametrize(
    "values, message",
    [
        (
            {"workload": "square"},
            "config: custom.workload = 'square' is not of the form module.path:function; allowed: 'module.path:function'",
        ),
        (
            {"workload": "nosuchpkg_x.tasks:f"},
            "config: custom.workload = 'nosuchpkg_x.tasks:f': no module nosuchpkg_x.tasks in the working directory",
        ),
        (
            {"inputs": "{pkg}.nosuchmodule:make"},
            "config: custom.inputs = '{pkg}.nosuchmodule:make': no module {pkg}.nosuchmodule",
        ),
        (
            {"workload": "{pkg}.tasks:cube"},
            "defines no cube at its top level; allowed: one of its functions (boom, close_enough, fails_in_a_worker, make, never, noisy, nothing, pid, square)",
        ),
        ({"check": "{pkg}.tasks:agree"}, "config: custom.check = '{pkg}.tasks:agree': "),
        (
            {"input_kwargs": {"count": 3}},
            "config: custom.input_kwargs.count: {pkg}.tasks:make takes no keyword argument count; allowed: its parameters (n, size)",
        ),
        (
            {"inputs": "{pkg}.tasks:nothing", "sizes": [2]},
            "config: custom.sizes (each passed as size=): {pkg}.tasks:nothing takes no keyword argument size; allowed: its parameters (n)",
        ),
        ({"input_kwargs": {"size": 2}, "sizes": [2]}, "config: custom.input_kwargs.size is given by custom.sizes too"),
    ],
)
def test_bad_functions_are_refused_in_one_line_before_anything_runs(package, values, message):
    values = {k: (v.format(pkg=package) if isinstance(v, str) else v) for k, v in values.items()}
    with pytest.raises(ConfigError) as info:
        section(package, **values)
    text = str(info.value)
    assert message.format(pkg=package) in text and "\n" not in text
    assert not (os.path.exists(f"{package}/imported")), "the config check imported the user's module"
    assert package not in sys.modules


def test_a_module_on_the_import_path_is_found_and_read():
    sec = section(workload="json:dumps", inputs="examples.workload:make_inputs")
    assert sec["workload"] == "json:dumps"
    with pytest.raises(ConfigError, match="defines no dumps_all at its top level"):
        section(workload="json:dumps_all")


# Bad input: at the point, one line; the earlier points' rows are the caller's ---------------------------------


@pytest.mark.parametrize(
    "values, size, message",
    [
        (
            {"inputs": "{pkg}.tasks:make"},
            13,
            r"^custom\.inputs: {pkg}\.tasks:make\(size=13\) raised ValueError: size 13 is unlucky$",
        ),
        (
            {"inputs": "{pkg}.tasks:nothing"},
            "default",
            r"^custom\.inputs: {pkg}\.tasks:nothing\(\) returned no task arguments; allowed: a list of at least one$",
        ),
        (
            {"workload": "{pkg}.tasks:boom"},
            1,
            r"^custom\.workload: {pkg}\.tasks:boom\(10\) raised ZeroDivisionError: division by zero \(task 0 of 4\)$",
        ),
        (
            {"workload": "{pkg}.tasks:pid"},
            1,
            r"^custom: (pool\d|executor)'s results differ from the serial loop's: 4 results for 4 tasks, first different at task 0 \(\d+, serially \d+\); allowed: ",
        ),
        (
            {"check": "{pkg}.tasks:never"},
            1,
            r"^custom\.check: {pkg}\.tasks:never says (serial|pool\d|executor)'s results differ from the serial loop's \(size 1\)$",
        ),
    ],
)
def test_what_only_running_can_tell_stops_the_point_in_one_line(package, values, size, message):
    values = {k: v.format(pkg=package) for k, v in values.items()}
    before = set(multiprocessing.active_children())
    with pytest.raises(PointError, match=message.format(pkg=package)) as info:
        run(section(package, sizes=[size] if size != "default" else "default", **values), size)
    assert "\n" not in str(info.value)
    assert set(multiprocessing.active_children()) <= before


# Nothing the point starts outlives it -------------------------------------------------------------------------

JOB = """
import os, sys, multiprocessing
sys.path.insert(0, {repo!r})
if __name__ == "__main__":
    from mpbench import timing
    from mpbench.experiments import custom
    multiprocessing.set_start_method("fork", force=True)
    os.environ["CUSTOM_TEST_PARENT"] = str(os.getpid())
    section = {section!r}
    try:
        custom.run({{"size": "default"}}, section, repeats=1, warmup=0)
    except timing.PointError as err:
        print("failed:", err, flush=True)
"""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads processes from /proc")
def test_no_process_outlives_a_point_whose_workers_fail(package, tmp_path):
    from test_exp_backends import marked

    sec = section(package, workload=f"{package}.tasks:fails_in_a_worker", backends=["executor"])
    mark = uuid.uuid4().hex
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(JOB.format(repo=str(REPO), section=sec)))
    env = {**os.environ, "MPBENCH_LEAK_MARK": mark}
    with open(tmp_path / "out", "w+") as out:
        code = subprocess.run([sys.executable, str(script)], stdout=out, stderr=subprocess.STDOUT, timeout=300, env=env)
        deadline = time.monotonic() + 5
        while (left := marked(mark)) and time.monotonic() < deadline:
            time.sleep(0.2)
        out.seek(0)
        text = out.read()
    assert code.returncode == 0 and f"failed: custom.workload: {package}.tasks:fails_in_a_worker failed in " in text, (
        text
    )
    assert "RuntimeError: a task failed in a worker" in text
    assert left == []


# Through the pipeline -------------------------------------------------------------------------------------------


def test_a_users_function_through_the_pipeline(package, tmp_path):
    from test_pipeline import snakemake

    config = yaml.safe_load((REPO / "tests" / "tiny.yaml").read_text())
    config["custom"] = {"workload": f"{package}.tasks:square", "inputs": f"{package}.tasks:make", "sizes": [3]}
    (tmp_path / "my.yaml").write_text(yaml.safe_dump(config))
    targets = ["results/tables/custom.md", "results/figures/custom.png"]
    done = snakemake(tmp_path, *targets, configfile=tmp_path / "my.yaml")
    assert done.returncode == 0, done.stderr[-3000:]
    table = (tmp_path / "results" / "tables" / "custom.md").read_text()
    assert f"{package}.tasks:square" in table and "| 规模 3 ×4 | Pool(2)" in table
    kept = tmp_path / "results" / "raw" / "custom" / "size3.csv"
    stamp = kept.stat().st_mtime_ns

    # A new size whose input maker raises: one line on the terminal, the measured point kept.
    config["custom"]["sizes"] = [3, 13]
    (tmp_path / "my.yaml").write_text(yaml.safe_dump(config))
    failed = snakemake(tmp_path, *targets, configfile=tmp_path / "my.yaml")
    assert failed.returncode != 0
    line = f"mpbench: custom size13: custom.inputs: {package}.tasks:make(size=13) raised ValueError: size 13 is unlucky"
    assert line in failed.stderr, failed.stderr[-3000:]
    assert kept.stat().st_mtime_ns == stamp and not (tmp_path / "results" / "raw" / "custom" / "size13.csv").exists()

    # A function that is not there: one line, and no job starts.
    config["custom"]["workload"] = f"{package}.tasks:cube"
    (tmp_path / "my.yaml").write_text(yaml.safe_dump(config))
    refused = snakemake(tmp_path, *targets, configfile=tmp_path / "my.yaml")
    assert refused.returncode != 0 and f"mpbench: config: custom.workload = '{package}.tasks:cube'" in refused.stderr
    assert kept.stat().st_mtime_ns == stamp


# The presentation -----------------------------------------------------------------------------------------------

#: Per size, each variant's time (s) and, per repetition, a factor: "10" pays off from 2 workers (4 as fast as 2),
#: "1" does not (every Pool slower than serial); executor runs with 2 workers.
TIMES = {
    "10": {"serial": 1.0, "pool1": 1.05, "pool2": 0.52, "pool4": 0.53, "executor": 0.55},
    "1": {"serial": 0.01, "pool1": 0.05, "pool2": 0.04, "pool4": 0.06, "executor": 0.045},
}
WOBBLE = {
    "pool4": [1.04, 0.97, 1.05, 0.96, 1.03, 0.98, 1.02, 0.99],
    "executor": [1.01, 1.03, 1.02, 1.04, 1.01, 1.02, 1.03, 1.05],
}


def _raw(reps: int = 8) -> pd.DataFrame:
    rows = []
    for size, times in TIMES.items():
        for rep in range(reps):
            for variant, seconds in times.items():
                s = seconds * WOBBLE.get(variant, [1.0] * 8)[rep] * (1 + rep / 100)
                backend = variant.rstrip("0123456789") if variant.startswith("pool") else variant
                workers = {"serial": 1, "executor": 2}.get(variant) or int(variant[4:])
                phases = (
                    {}
                    if variant == "serial"
                    else {"start_seconds": s * 0.2, "work_seconds": s * 0.7, "stop_seconds": s * 0.1}
                )
                rows.append(
                    {
                        "experiment": "custom",
                        "size": int(size),
                        "variant": variant,
                        "backend": backend,
                        "rep": rep,
                        "config_hash": "h",
                        "tasks": 48,
                        "workers": workers,
                        "seconds": s,
                        "start_method": "none" if variant == "serial" else "fork",
                        "backend_version": "stdlib",
                        "usable_cores": 2,
                        "skipped": "",
                        "workload": "examples.workload:longest_chain",
                        **phases,
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture()
def summary(tmp_path):
    present.summarize(_raw(), 0.95).to_csv(tmp_path / "s.csv", index=False)
    return pd.read_csv(tmp_path / "s.csv")


def test_the_verdict_and_the_fewest_workers(summary):
    s = summary.set_index(["size", "variant"])
    assert list(summary["size"].drop_duplicates()) == [1, 10]
    assert list(summary.loc[summary["size"] == 10, "variant"]) == ["serial", "pool1", "pool2", "pool4", "executor"]
    assert s.loc[(10, "pool2"), "pays_off"] == "pays off" and bool(s.loc[(10, "pool2"), "is_best"])
    assert s.loc[(10, "pool2"), "fewest_workers"] == 2 and bool(s.loc[(10, "pool4"), "as_fast"])
    assert not bool(s.loc[(10, "pool1"), "as_fast"])
    assert s.loc[(1, "pool2"), "pays_off"] == "does not pay off"
    assert s.loc[(10, "executor"), "vs_pool"] == "Pool(2)"
    assert s.loc[(10, "executor"), "ratio"] == pytest.approx(0.55 * 1.025 / 0.52)


def test_too_few_repetitions_are_inconclusive():
    summary = present.summarize(_raw(reps=3), 0.95)
    assert set(summary["pays_off"]) == {"inconclusive"}
    assert present.findings(summary, {})[0].startswith(
        "size 1 ×48: whether a Pool pays off is inconclusive: 3 repetitions give no 95% interval. The fastest, Pool(2)"
    )


def test_findings(summary):
    assert_findings_in_both_languages(present, summary, {})
    text = present.findings(summary, {})
    assert text[0].startswith("size 1 ×48: a Pool does not pay off. Even the fastest, Pool(2), took 0.04")
    assert text[2].startswith(
        "size 10 ×48: a Pool pays off. The fastest, Pool(2), took 0.5382 s against 1.035 s serially: speedup 1.92×"
    )
    assert text[2].endswith("every Pool with fewer workers was slower (paired intervals above 1×).")
    assert text[3].startswith("size 10 ×48: executor with 2 workers took 1.08× the time of Pool(2) (paired interval")


@pytest.mark.parametrize("language, first", [("zh", "| 输入 | 运行方式 |"), ("en", "| Inputs | Run |")])
def test_table(summary, language, first):
    md = present.table(summary, language)
    assert md.startswith(first)
    assert "| Pool(2) ★ | 2 | fork |" in md and "| Pool(4) ≈ | 4 | fork |" in md and "| executor | 2 | fork |" in md
    assert "examples.workload:longest_chain" in md


@pytest.mark.parametrize("language", ["zh", "en"])
def test_nothing_is_cut_off_at_the_figures_edges(summary, tmp_path, monkeypatch, language):
    figs = capture(monkeypatch)
    one = summary[summary["size"] == summary["size"].iloc[0]].assign(workload="examples.workload:longest_chain")
    present.plot(one, 2, [tmp_path / "c.png"], language)  # one panel: the narrowest figure
    assert_within(figs)


def test_plot(summary, tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    out = [tmp_path / "c.png", tmp_path / "c.svg"]
    present.plot(summary, 2, out)
    assert out[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in out[1].read_text()[:2000]
    runs = summary[summary["variant"] != "serial"]
    assert_drawn(figs, runs[["speedup", "speedup_ci_low", "speedup_ci_high"]], what="speedups and their intervals")
    assert {"★", "executor", "size 10 ×48", "size 1 ×48"} <= set(texts(figs))
