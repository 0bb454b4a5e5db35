"""End to end: the whole pipeline on a tiny config, as a user runs it.

Runs ``snakemake --cores 2`` in a temporary directory with tests/tiny.yaml
(2 MiB, loops 1/2/4, 2 workers, 2 repeats) and checks every output, that no
two timed runs overlapped, that config changes re-run only what depends on
them, that a bad config stops before any job, and that the HTML report builds.
"""

import json
import multiprocessing
import re
import signal
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO

from mpbench import experiments
from mpbench.tables import HEADERS

TINY = REPO / "tests" / "tiny.yaml"
LOOPS = [1, 2, 4]
EXPERIMENTS = ["read", "readwrite"]  # the appendix's jobs; readwrite's also runs the overwrite
BENCH_RULES = {"bench_experiment"}


def command(workdir, *args, configfile=TINY):
    """The pipeline in ``workdir`` on 2 cores: targets and options in ``args``, then the config file
    (after them, so that a ``--config`` in ``args`` does not take the targets for its values)."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        *args,
        "--configfile",
        str(configfile),
    ]


def snakemake(workdir, *args, timeout=300, env=None, configfile=TINY):
    return subprocess.run(
        command(workdir, *args, configfile=configfile), capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("pipeline")
    proc = snakemake(workdir, timeout=420)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return workdir


def job_counts(proc):
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", proc.stdout + proc.stderr, re.M)}


def test_raw_rows(run):
    files = sorted(f for e in EXPERIMENTS for f in (run / "results" / "raw" / e).glob("*.csv"))
    assert len(files) == len(EXPERIMENTS) * len(LOOPS)
    raw = pd.concat([pd.read_csv(f) for f in files])
    for column in [
        "experiment",
        "variant",
        "loops",
        "workers",
        "rep",
        "seconds",
        "pool_start_seconds",
        "started_at",
        "ended_at",
        "host",
        "config_hash",
        "start_method",
    ]:
        assert column in raw.columns
    # 2 repeats x (serial, pool), and in readwrite's jobs the overwrite's serial and pool too
    assert len(raw) == len(LOOPS) * 2 * 2 + len(LOOPS) * 2 * 4
    assert set(raw["variant"]) == {"serial", "pool"}
    assert set(raw["experiment"]) == {"read", "readwrite", "overwrite"}
    paired = raw[raw["experiment"] != "read"]
    # the overwrite ran in the read & write job, in the same repetitions, rotating with it
    assert paired.groupby(["loops", "rep"])["order"].nunique().eq(4).all()
    assert set(paired["previous"].dropna()) >= {"serial", "pool", "overwrite_serial", "overwrite_pool"}
    assert raw.loc[raw["variant"] == "pool", "pool_start_seconds"].gt(0).all()
    assert raw["verified"].all()


def test_timed_runs_never_overlap(run):
    raw = pd.concat([pd.read_csv(f) for f in (run / "results" / "raw").glob("*/*.csv")])
    spans = raw.sort_values("started_at")[["started_at", "ended_at"]].to_numpy()
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        assert e1 <= s2, "two timed runs overlapped"


def test_benchmark_jobs_ran_alone(run):
    """From Snakemake's own log: no job started or ran while a benchmark job ran."""
    log = sorted((run / ".snakemake" / "log").glob("*.log"))[-1].read_text()
    events = re.finditer(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    jobid: (\d+)$|^Finished jobid: (\d+)", log, re.M)
    running: dict[str, str] = {}
    started = 0
    for event in events:
        rule, jobid, finished = event.groups()
        if finished:
            running.pop(finished, None)
            continue
        started += 1
        assert not BENCH_RULES & set(running.values()), f"{rule} started while a benchmark job ran"
        assert rule not in BENCH_RULES or not running, f"a benchmark job started beside {running}"
        running[jobid] = rule
    assert started >= len(EXPERIMENTS) * len(LOOPS)


def test_summaries(run):
    for table in ["read", "readwrite"]:
        s = pd.read_csv(run / "results" / "summary" / f"{table}.csv")
        assert list(s["loops"]) == LOOPS
        # the speedup is the median of the paired per-repetition ratios, inside its own interval
        raw = pd.concat(pd.read_csv(f) for f in (run / "results" / "raw" / table).glob("*.csv"))
        raw = raw[raw["experiment"] == table]
        for row in s.itertuples():
            cell = raw[raw["loops"] == row.loops].pivot(index="rep", columns="variant", values="seconds")
            assert row.speedup == pytest.approx((cell["serial"] / cell["pool"]).median())
            assert row.speedup_ci_low <= row.speedup <= row.speedup_ci_high
        assert (s["per_op_seconds"] == s["pool_median"] / s["loops"]).all()
        assert (s["serial_ci_low"] <= s["serial_median"]).all() and (s["serial_median"] <= s["serial_ci_high"]).all()
        assert (s["serial_n"] == 2).all()
    rw = pd.read_csv(run / "results" / "summary" / "readwrite.csv")
    assert "overwrite_pool_median" in rw
    # overwrite against new files, paired by repetition inside one job
    raw = pd.concat(pd.read_csv(f) for f in (run / "results" / "raw" / "readwrite").glob("*.csv"))
    for row in rw.itertuples():
        for mode in ("serial", "pool"):
            cell = raw[(raw["loops"] == row.loops) & (raw["variant"] == mode)].pivot(
                index="rep", columns="experiment", values="seconds"
            )
            ratio = getattr(row, f"overwrite_{mode}_ratio")
            assert ratio == pytest.approx((cell["overwrite"] / cell["readwrite"]).median())
            assert (
                getattr(row, f"overwrite_{mode}_ratio_ci_low")
                <= ratio
                <= getattr(row, f"overwrite_{mode}_ratio_ci_high")
            )


def test_tables(run):
    for table in ["read", "readwrite"]:
        md = (run / "results" / "tables" / f"{table}.md").read_text()
        lines = [line for line in md.splitlines() if line.startswith("|")]
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        assert header == HEADERS["zh"][table]
        body = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
        assert [r[0] for r in body] == [str(n) for n in LOOPS]
        assert all(all(cell for cell in r) and "n/a" not in r for r in body)
        assert "Pool(processes=2)" in md


def test_figures(run):
    for name in ["time", "speedup"]:
        png = run / "results" / "figures" / f"{name}.png"
        svg = run / "results" / "figures" / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in svg.read_text()[:2000]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_figure_cuts_off_its_text(run, tmp_path, monkeypatch, language):
    """Every figure of the run, drawn again from its summaries in each language: no title, label, legend or
    note runs past the figure's edges (the figure keeps its size when saved, so such text is lost)."""
    from figdata import assert_within, capture

    from mpbench.environment import recorded_cores
    from mpbench.present import model

    results = run / "results"
    summaries = {p.stem: pd.read_csv(p) for p in (results / "summary").glob("*.csv")}
    cores = recorded_cores(results / "environment.json")
    drawn, cut = [], []

    def check(figure, figs):
        try:
            assert_within(figs)
        except AssertionError as err:
            cut.append(f"{figure}: {str(err).splitlines()[0]}")

    for figure in experiments.FIGURES:
        if not (results / "figures" / f"{figure}.png").exists():
            continue
        figs = capture(monkeypatch)
        experiments.plot(figure, summaries, cores, [tmp_path / f"{figure}.png"], language)
        check(figure, figs)
        drawn.append(figure)
    figs = capture(monkeypatch)
    model.plot(summaries["model_predictions"], [tmp_path / "model.png"], language)
    check("model_predicted_vs_measured", figs)
    assert {"time", "speedup", "custom", "backends"} <= set(drawn)
    assert not cut, "\n".join(cut)


def test_report(run):
    report = (run / "results" / "report.md").read_text()
    env = json.loads((run / "results" / "environment.json").read_text())
    assert env["host"] in report and env["cpu_model"] in report
    assert f"Python {env['python']}" in report or env["python"] in report
    for needle in ["## Machine", "## Configuration", "循环读取次数（次）", "写覆盖耗时（秒）", "## Figures"]:
        assert needle in report
    # One sentence per operation about the largest loop count, in the config's language (zh).
    assert len(re.findall(r"^- \*\*.*4 次，Pool\(2\)\*\*.*加速比 \*\*[0-9.]+×\*\*", report, re.M)) == 3
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report):
        assert (run / "results" / link).exists()


@pytest.mark.parametrize("name", experiments.NAMES)
def test_every_experiment_reaches_the_report(run, name):
    summary = pd.read_csv(run / "results" / "summary" / f"{name}.csv")
    assert len(summary) > 0
    raw = pd.concat([pd.read_csv(f) for f in (run / "results" / "raw" / name).glob("*.csv")])
    assert raw["verified"].all() and (raw["seconds"] > 0).all()
    assert (run / "results" / "tables" / f"{name}.md").read_text().startswith("|")
    for ext in ("png", "svg"):
        assert (run / "results" / "figures" / f"{name}.{ext}").stat().st_size > 1000
    report = (run / "results" / "report.md").read_text()
    assert f"## {experiments.spec(name).title}" in report and f"figures/{name}.png" in report


def test_scratch_left_empty(run):
    scratch = run / "results" / "scratch"
    assert not scratch.exists() or list(scratch.iterdir()) == []


def test_nothing_to_do_after_a_run(run):
    proc = snakemake(run, "-n")
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_new_loop_count_measures_only_the_new_points(run):
    proc = snakemake(run, "-n", "--config", "loops=[1,2,4,8]")
    assert proc.returncode == 0, proc.stderr
    counts = job_counts(proc)
    assert counts["bench_experiment"] == len(EXPERIMENTS)
    assert "loops8_workers2" in proc.stdout + proc.stderr
    assert "generate_data" not in counts


def test_language_change_redraws_tables_and_figures_only(run):
    proc = snakemake(run, "-n", "--config", "language=en")
    counts = job_counts(proc)
    # every table is redrawn (the appendix's two and one per experiment), nothing is measured
    assert "bench_experiment" not in counts and counts["table_experiment"] == len(experiments.TABLES)
    # and every figure (the appendix's two, one per experiment) and the post's comparison
    assert counts["plot_experiment"] == len(experiments.FIGURES) and counts["post_compare"] == 1


def test_repeats_change_remeasures_every_point(run):
    proc = snakemake(run, "-n", "--config", "repeats=3")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    # every appendix point (the experiments of tests/tiny.yaml fix their own repeats)
    assert all(f"results/raw/{e}/loops{n}_workers2.csv" in out for e in EXPERIMENTS for n in LOOPS)
    assert job_counts(proc)["bench_experiment"] >= len(EXPERIMENTS) * len(LOOPS)


@pytest.mark.parametrize(
    "override, words",
    [("repeats=0", "repeats = 0"), ("workers=[0]", "workers[0] = 0"), ("lopos=[1]", "unknown key 'lopos'")],
)
def test_bad_config_stops_before_any_job_and_keeps_results(run, override, words):
    raw = sorted((run / "results" / "raw").glob("*/*.csv"))
    before = {p: p.stat().st_mtime_ns for p in raw}
    proc = snakemake(run, "--config", override)
    assert proc.returncode != 0
    # Snakemake's own notice that it loaded profiles/default may precede ours.
    message = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.strip() and not line.startswith("Using workflow specific profile")
    ]
    assert len(message) == 1, message
    assert message[0].startswith("mpbench: config: ") and words in message[0]
    assert "Traceback" not in proc.stderr
    assert {p: p.stat().st_mtime_ns for p in raw} == before


def test_html_report(run):
    out = run / "results" / "report.html"
    proc = snakemake(run, "--report", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.stat().st_size > 10_000


CONDITION_EXPERIMENTS = [
    "workers_sweep",
    "start_method_sweep",
    "chunksize_sweep",
    "cache_state",
    "fsync_sweep",
    "scratch_location",
    "ceiling",
]


def test_every_raw_row_records_its_conditions(run):
    """The appendix rows carry every condition; every experiment's rows their start method."""
    appendix = pd.concat([pd.read_csv(f) for e in EXPERIMENTS for f in (run / "results" / "raw" / e).glob("*.csv")])
    for column in [
        "start_method",
        "chunksize",
        "chunksize_effective",
        "cache",
        "resident_before",
        "fsync",
        "scratch_dir",
        "scratch_fs",
    ]:
        assert appendix[column].notna().any(), column
    assert set(appendix["start_method"]) == {"fork"} and set(appendix["cache"]) == {"warm"}
    for name in experiments.NAMES:
        raw = pd.concat([pd.read_csv(f) for f in (run / "results" / "raw" / name).glob("*.csv")])
        assert "start_method" in raw.columns and raw["start_method"].notna().all(), name


def test_condition_experiments_reach_the_report(run):
    assert set(CONDITION_EXPERIMENTS) <= set(experiments.NAMES)
    report = (run / "results" / "report.md").read_text()
    for name in CONDITION_EXPERIMENTS:
        assert f"## {experiments.spec(name).title}" in report
        assert (run / "results" / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (run / "results" / "figures" / f"{name}.svg").exists()
    assert "## Conditions of the appendix tables" in report and "## Precision" in report
    # eviction is verified from mincore, and stated (in Chinese: tiny.yaml has language: zh)
    assert "已确认逐出" in report
    assert "测量条件：启动方式 fork" in (run / "results" / "tables" / "read.md").read_text()


def test_cold_spawn_fsync_conditions_run_end_to_end(tmp_path):
    """The appendix under non-default conditions, as a user would set them on the command line."""
    proc = snakemake(
        tmp_path,
        "results/tables/read.md",
        "results/tables/readwrite.md",
        "--config",
        "start_method=spawn",
        "cache=cold",
        "fsync=true",
        "chunksize=2",
        "loops=[2]",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    raw = pd.concat([pd.read_csv(f) for f in (tmp_path / "results" / "raw").glob("*/*.csv")])
    assert set(raw["start_method"]) == {"spawn"} and set(raw["cache"]) == {"cold"}
    assert set(raw["chunksize_effective"].dropna()) == {2}
    assert raw["resident_before"].max() == 0.0  # evicted before every timed run
    assert raw.loc[raw["experiment"] != "read", "fsync"].all()
    assert (
        "测量条件：启动方式 spawn，chunksize 2，页缓存 冷" in (tmp_path / "results" / "tables" / "read.md").read_text()
    )


def test_two_hosts_compared(run, tmp_path):
    """A second run filed under another host name, copied into the first tree, then the compare target."""
    import os
    import shutil

    second = tmp_path / "second"
    targets = [
        f"results/hosts/second/{name}" for name in ("summary/read.csv", "summary/readwrite.csv", "environment.json")
    ]
    proc = snakemake(second, *targets, env={**os.environ, "MPBENCH_HOST": "second"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(pd.read_csv(second / "results" / "raw" / "read" / "loops1_workers2.csv")["host"]) == {"second"}
    shutil.copytree(second / "results" / "hosts" / "second", run / "results" / "hosts" / "second")
    try:
        proc = snakemake(run, "compare")
        assert proc.returncode == 0, proc.stderr[-3000:]
        frame = pd.read_csv(run / "results" / "summary" / "compare_hosts.csv")
        assert len(set(frame["host"])) == 2 and "second" in set(frame["host"])
        assert set(frame["operation"]) == {"read", "readwrite", "overwrite"}
        text = (run / "results" / "tables" / "compare_hosts.md").read_text()
        assert "| loops |" in text and "second" in text
        assert (run / "results" / "figures" / "compare_hosts.png").stat().st_size > 10_000
    finally:
        shutil.rmtree(run / "results" / "hosts" / "second")


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_an_interrupted_run_resumes_and_loses_nothing(tmp_path, how):
    """Stop a real run midway, start it again: finished points are kept, none is measured twice."""
    import os
    import time

    targets = [f"results/raw/{e}/loops{n}_workers2.csv" for e in EXPERIMENTS for n in LOOPS]
    cmd = command(tmp_path, *targets, "--config", "repeats=3")
    # Ctrl-C as in a terminal: a test run started in the background (``cmd &`` in a
    # script) ignores SIGINT, and the run would inherit that and never stop.
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    raw = tmp_path / "results" / "raw"
    deadline = time.monotonic() + 120
    while len(list(raw.glob("*/*.csv"))) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, how)  # Ctrl-C reaches the whole process group; a kill takes everything down
    proc.wait(timeout=60)
    if how == signal.SIGKILL:
        # A killed Snakemake leaves its lock: the README says to unlock first.
        unlock = subprocess.run(cmd + ["--unlock"], capture_output=True, text=True, timeout=120)
        assert unlock.returncode == 0, unlock.stderr[-2000:]
    before = {f: f.stat().st_mtime_ns for f in raw.glob("*/*.csv")}
    assert 2 <= len(before) < len(targets)

    def whole(f):  # 3 repetitions of serial and Pool (read & write: and of the overwrite's two)
        return 3 * (4 if f.parent.name == "readwrite" else 2)

    for f in before:  # what is there is whole
        assert len(pd.read_csv(f)) == whole(f)
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    after = sorted(raw.glob("*/*.csv"))
    assert len(after) == len(targets)
    for f in after:
        frame = pd.read_csv(f)
        assert len(frame) == whole(f) and not frame.duplicated(["experiment", "variant", "rep"]).any()
    # Kept, not measured again - except at most the one point whose job was still
    # finishing when the run stopped (its file was whole, but Snakemake had not yet
    # recorded the job as done, so it measures that point again, into a new whole file).
    changed = [f for f in before if f.stat().st_mtime_ns != before[f]]
    assert len(changed) <= 1, changed
    assert not list(raw.glob("*/*.tmp*")) and not list((tmp_path / "results").glob("scratch/*"))


def test_a_point_past_its_timeout_fails_its_job_with_a_message(tmp_path):
    target = "results/raw/read/loops4_workers2.csv"
    proc = snakemake(tmp_path, target, "--config", "repeats=200", "point_timeout_s=1")
    assert proc.returncode != 0
    log = (tmp_path / "results" / "logs" / "bench" / "read" / "loops4_workers2.log").read_text()
    assert "read loops=4 workers=2: the point took longer than point_timeout_s = 1 s" in log
    assert not (tmp_path / target).exists()  # no half-written result


def test_paths_with_spaces_and_shell_metacharacters(tmp_path):
    """Config paths and names reach the jobs as arguments or quoted, never bare in a shell."""
    import os

    workdir = tmp_path / "work dir"
    scratch = tmp_path / "scr atch $(touch pwned); 'x' & y"
    host = "host $(touch pwned2) & 'q'"
    targets = ["results/tables/readwrite.md"] + [
        f"results/hosts/{host}/{name}" for name in ("summary/read.csv", "summary/readwrite.csv", "environment.json")
    ]
    proc = snakemake(
        workdir, *targets, "--config", f"scratch_dir={scratch}", "loops=[2]", env={**os.environ, "MPBENCH_HOST": host}
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    raw = pd.read_csv(workdir / "results" / "raw" / "readwrite" / "loops2_workers2.csv")
    assert set(raw["scratch_dir"]) == {str(scratch)} and set(raw["host"]) == {host}
    assert scratch.is_dir() and list(scratch.iterdir()) == []
    assert (workdir / "results" / "hosts" / host / "environment.json").is_file()  # the one shell rule, quoted
    assert not list(tmp_path.rglob("pwned*")) and not list(workdir.rglob("pwned*"))


def test_what_the_run_bought(run):
    """points.csv has every point with its stop reason; the report opens with the receipt."""
    points = pd.read_csv(run / "results" / "summary" / "points.csv")
    raw_files = list((run / "results" / "raw").glob("*/*.csv"))
    assert len(points) == len(raw_files)
    assert set(points["stop_reason"]) == {"fixed"}  # tiny.yaml fixes repeats at 2
    assert (points["repeats_done"] == 2).all() and points["timed_seconds"].gt(0).all()
    report = (run / "results" / "report.md").read_text()
    first = [line for line in report.splitlines() if line.startswith("**This run:")]
    assert len(first) == 1
    assert re.search(
        r"\d+\.\d min wall time, \d+% of it in timed runs \(\d+\.\d% of it the sentinel's, \d+\.\d% of it the calibration's\); "
        r"\d+ of \d+ cells reached ±5%; "
        rf"{len(points)} points stopped: {len(points)} after a fixed number of repetitions",
        first[0],
    )
    assert "The machine's floor" in report and "**Appendix tables**" in report
    # every point timed its sentinel after each repetition (two here: too few for a spread)
    assert points["sentinel_seconds"].gt(0).all()
    raw = pd.concat([pd.read_csv(f) for f in raw_files])
    assert raw["sentinel_seconds"].gt(0).all()
    assert (raw.groupby(["experiment", "rep"])["sentinel_seconds"].nunique() >= 1).all()
    env = json.loads((run / "results" / "environment.json").read_text())
    assert [f["operation"] for f in env["calibration"]["floor"]] == ["cpu_loop"] * 3 + ["read"] * 2 + ["write"] * 2 + [
        "pool"
    ] + [f"pool_{m}" for m in multiprocessing.get_all_start_methods() if m != "fork"] + ["dispatch"] * 2 + [
        "cpu_parallel"
    ] * 3


def test_budget_change_remeasures_nothing(run):
    proc = snakemake(run, "-n", "--config", "budget_minutes=5")
    assert proc.returncode == 0, proc.stderr
    counts = job_counts(proc)
    # environment.json records the whole config, so it and the report are redone; nothing is measured
    assert not BENCH_RULES & set(counts) and "calibrate" not in counts


def test_repeat_until_precise_end_to_end(tmp_path):
    """repeats: auto on a tiny sweep: every point stops for a stated reason after
    6 to max_repeats repetitions, and the plan is printed before anything runs."""
    proc = snakemake(tmp_path, configfile=REPO / "tests" / "auto.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    # 2 loop counts x (read; read & write with the overwrite) + 1 crossover point
    assert re.search(r"^mpbench: plan: 5 points to measure, at most about \d+ min", proc.stderr, re.M)
    raw = pd.concat([pd.read_csv(f) for f in (tmp_path / "results" / "raw").glob("*/*.csv")])
    assert set(raw["stop_reason"]) <= {"precise", "max_repeats", "time"}
    assert raw["repeats_done"].between(6, 9).all()
    assert (
        raw.groupby(["experiment", "loops", "workers", "size"], dropna=False)["rep"].nunique()
        == raw.groupby(["experiment", "loops", "workers", "size"], dropna=False)["repeats_done"].first()
    ).all()
    assert raw["time_cap_s"].gt(0).all() and (raw["repeats"].astype(str) == "auto").all()
    points = pd.read_csv(tmp_path / "results" / "summary" / "points.csv")
    assert len(points) == 5 and points["why"].notna().all()
    # six or more sentinels per point: the machine's spread while it ran, beside the calibration's floor (a
    # sentinel accounts for a point's spread up to the point's own)
    floor_at_least = points[["sentinel_cv", "worst_cv"]].min(axis=1) - 1e-12
    assert points["sentinel_cv"].notna().all() and (points["floor_cv"] >= floor_at_least).all()
    assert "**The machine while the points ran**" in (tmp_path / "results" / "report.md").read_text()


def test_cost_model_reaches_the_report(run):
    results = run / "results"
    model = json.loads((results / "model.json").read_text())
    assert {"parameters", "terms", "held_out", "bootstrap", "fit_sources", "held_out_sources"} <= set(model)
    assert set(model["fit_sources"]).isdisjoint(model["held_out_sources"].values())
    # every term either fitted with its parameters or missing with the reason, in the file and the table
    for term, info in model["terms"].items():
        assert info["status"] == "fitted" or info["reason"], term
    assert model["terms"]["start"]["status"] == "fitted" and model["terms"]["map"]["status"] == "fitted"
    pred = pd.read_csv(results / "summary" / "model_predictions.csv")
    assert {"appendix read", "appendix readwrite", "crossover", "shared_memory", "custom"} <= set(pred["source"])
    assert pred.loc[pred["source"] == "custom", "predicted"].notna().all()  # the user's function, held out
    assert (pred["predicted"].notna() | pred["skipped"].notna()).all()
    assert (results / "tables" / "model.md").read_text().count("|") > 10
    assert (results / "figures" / "model_predicted_vs_measured.png").stat().st_size > 1000
    report = (results / "report.md").read_text()
    assert "## The cost model (成本模型" in report and "figures/model_predicted_vs_measured.png" in report
    assert "python -m mpbench advise" in report
