"""backends: every backend runs each workload and returns the serial loop's results, its phases are recorded,
a backend that cannot be imported is skipped with its reason, nothing a backend starts outlives its job,
and the recommendation follows the paired intervals."""

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
import uuid

import numpy as np
import pandas as pd
import pytest
from conftest import REPO
from figdata import assert_drawn, assert_findings_in_both_languages, capture, texts

from mpbench import experiments
from mpbench.experiments import backends as bk
from mpbench.present import backends as present

#: The backends that start in milliseconds (Dask and Ray take seconds: the tests that need them say so).
QUICK = ["pool", "executor", "joblib", "mpire", "multiprocess"]
SECTION = {
    "enabled": True,
    "workloads": ["cpu_small", "array"],
    "backends": QUICK,
    "workers": 2,
    "loops_small": 2,
    "loops_large": 3,
    "cpu_small": 5000,
    "cpu_large": 20000,
    "cpu_tasks": 4,
    "array_mib": 1,
    "array_tasks": 3,
    "tiny_tasks": 50,
}


def test_points_and_presets():
    assert experiments.points("backends", SECTION) == [{"workload": "cpu_small"}, {"workload": "array"}]
    tiny = experiments.spec("backends").presets["tiny"]
    assert "backends" not in tiny, "the tiny preset runs every backend"


def run(workload, section=SECTION, **kwargs):
    kwargs = {"repeats": 2, "warmup": 0, **kwargs}
    return pd.DataFrame(bk.run({"workload": workload}, section, **kwargs))


@pytest.mark.parametrize("workload", ["cpu_small", "array", "tiny"])
def test_rows_carry_the_phases_and_how_each_backend_started(workload, tmp_path):
    rows = run(workload, scratch_dir=str(tmp_path))
    assert sorted(rows["variant"].unique()) == sorted(["serial", *QUICK]) and len(rows) == 2 * 6
    assert rows["verified"].all() and rows["experiment"].eq("backends").all() and rows["config_hash"].nunique() == 1
    runs = rows[rows["variant"] != "serial"]
    phases = runs["start_seconds"] + runs["work_seconds"] + runs["stop_seconds"]
    assert np.allclose(runs["seconds"], phases) and (runs[["start_seconds", "work_seconds"]] > 0).all().all()
    how = rows.groupby("variant")["start_method"].first()
    assert how["joblib"] == "loky" and how["serial"] == "none"
    assert (how[["pool", "executor", "mpire", "multiprocess"]] == multiprocessing.get_start_method()).all()
    versions = rows.groupby("variant")["backend_version"].first()
    assert versions["pool"] == "stdlib" and versions["joblib"][0].isdigit()
    assert (runs["children_peak_mib"] > 0).all()  # each backend's own processes, read before its shutdown
    assert rows["skipped"].eq("").all()


def test_the_file_workloads_check_their_files_and_leave_none(tmp_path, data_file):
    scratch = tmp_path / "scratch"
    section = {**SECTION, "backends": ["pool", "executor", "mpire"]}
    rows = run("readwrite_small", section, scratch_dir=str(scratch), data_file=data_file)
    assert rows["verified"].all() and rows["tasks"].eq(2).all()
    assert list(scratch.iterdir()) == []  # the copies are removed after the point
    with pytest.raises(ValueError, match="read_large: needs data_file"):
        run("read_large", section, scratch_dir=str(scratch))


def test_a_backend_that_cannot_be_imported_is_skipped_with_its_reason(monkeypatch, tmp_path):
    monkeypatch.setitem(bk.NEEDS, "ray", "mpbench_no_such_backend")
    rows = run("cpu_small", {**SECTION, "backends": ["pool", "ray"]}, scratch_dir=str(tmp_path))
    assert sorted(rows["variant"].unique()) == ["pool", "serial"]
    why = "ray: ModuleNotFoundError: No module named 'mpbench_no_such_backend'"
    assert rows["skipped"].eq(why).all()
    summary = present.summarize(rows, 0.95)
    assert f"Not run: {why}." in present.table(summary, "en") and f"未运行：{why}。" in present.table(summary, "zh")
    assert present.findings(summary, {})[-1] == f"{why} (not run)."


def test_a_wrong_result_is_an_error_and_the_backend_is_stopped(monkeypatch, tmp_path):
    real = bk.API["pool"]
    stopped = []

    def lossy(pool, work, workers):
        return real.map(pool, work, workers)[:-1]

    def stop(pool):
        stopped.append(pool)
        real.stop(pool)

    monkeypatch.setitem(bk.API, "pool", bk.Backend(real.start, lossy, stop, real.abort))
    with pytest.raises(RuntimeError, match=r"backends cpu_small pool: 3 results for 4 tasks, first wrong at index 3"):
        run("cpu_small", {**SECTION, "backends": ["pool"]}, scratch_dir=str(tmp_path))
    assert len(stopped) == 1


# Nothing a backend starts outlives its job -------------------------------------------------------------------

#: The job: one point, or each backend's run with a task that fails, or hangs, in a worker (never in the parent).
JOB = """
import os, sys, time, multiprocessing
sys.path.insert(0, {repo!r})
sys.path.insert(0, {here!r})
if __name__ == "__main__":
    from mpbench import timing
    from mpbench.experiments import backends as bk
    timing.children_skip_main()
    multiprocessing.set_start_method("fork", force=True)
    os.environ["MPBENCH_TEST_PARENT"] = str(os.getpid())
    section = {section!r}
    case = {case!r}
    if case == "decoy":  # a process left behind on purpose: the check must see it
        import subprocess
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(20)"])
    elif case == "point":
        rows = bk.run({{"workload": "array"}}, section, repeats=1, warmup=0, scratch_dir={here!r})
        assert len(rows) == 1 + len(section["backends"]) and all(r.get("children_peak_mib") for r in rows if r["variant"] != "serial")
    else:
        import tasks_here
        work = bk.Work(getattr(tasks_here, case), list(range(4)))
        for backend in section["backends"]:
            if case == "hang":  # point_timeout_s, two seconds into the work
                real = bk.API[backend]
                def arm_then_map(handle, work, workers, real=real):
                    timing.point_deadline(2, "backends hang")
                    return real.map(handle, work, workers)
                bk.API[backend] = bk.Backend(real.start, arm_then_map, real.stop, real.abort)
            try:
                bk.run_backend(backend, work, 2, "fork")
            except Exception as err:
                print(backend, "failed:", type(err).__name__, flush=True)
            else:
                raise SystemExit(backend + ": the failing task did not fail")
"""

TASKS = """
import os, time

def fail(i):
    if os.getpid() != int(os.environ["MPBENCH_TEST_PARENT"]):
        raise RuntimeError("a task failed in a worker")
    return i

def hang(i):
    time.sleep(600)
"""


def marked(mark: str) -> list[str]:
    """Every process whose environment carries ``mark`` (what the job's processes inherit), as "pid: command"."""
    out = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if f"MPBENCH_LEAK_MARK={mark}".encode() not in fh.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                command = fh.read().replace(b"\0", b" ").decode(errors="replace")
            out.append(f"{entry}: {command[:120]}")
        except OSError:
            continue
    return out


def job(tmp_path, case: str, backends=tuple(bk.BACKENDS)) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the job of ``case`` to its end; return it and the processes it left behind."""
    (tmp_path / "tasks_here.py").write_text(TASKS)
    section = {**SECTION, "backends": list(backends), "array_mib": 1}
    code = JOB.format(repo=str(REPO), here=str(tmp_path), section=section, case=case)
    mark = uuid.uuid4().hex
    env = {**os.environ, "MPBENCH_LEAK_MARK": mark, "PYTHONPATH": str(tmp_path), "RAY_USAGE_STATS_ENABLED": "0"}
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(code))
    # Output to files, not pipes: a process left behind holding a pipe would keep run() waiting.
    with open(tmp_path / "out", "w+") as out, open(tmp_path / "err", "w+") as err:
        code = subprocess.run([sys.executable, str(script)], stdout=out, stderr=err, timeout=600, env=env).returncode
        # A process that ends on its own moments after the job (a resource tracker that saw its pipe close) is
        # not left behind: a few seconds' grace.
        deadline = time.monotonic() + 5
        while (left := marked(mark)) and time.monotonic() < deadline:
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(script, code, out.read(), err.read()), left


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads processes from /proc")
def test_the_check_sees_a_process_a_job_leaves_behind(tmp_path):
    done, left = job(tmp_path, "decoy")
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(left) == 1 and "time.sleep(20)" in left[0]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads processes from /proc")
@pytest.mark.parametrize("case", ["point", "fail"])
def test_no_backend_process_outlives_its_job(tmp_path, case):
    pytest.importorskip("distributed")
    pytest.importorskip("ray")
    done, left = job(tmp_path, case)
    assert done.returncode == 0, done.stderr[-3000:]
    if case == "fail":  # every backend's run failed in a worker, and was shut down
        assert done.stdout.count("failed: ") == len(bk.BACKENDS), done.stdout
    assert left == []


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads processes from /proc")
@pytest.mark.parametrize("backend", ["dask", "ray", "joblib", "mpire"])
def test_no_backend_process_outlives_a_point_timeout(tmp_path, backend):
    pytest.importorskip(bk.NEEDS[backend])
    done, left = job(tmp_path, "hang", [backend])
    assert done.returncode == 1 and "point_timeout_s = 2 s" in done.stderr, done.stderr[-3000:]
    assert left == []


# The presentation --------------------------------------------------------------------------------------------


def _raw(reps: int = 6) -> pd.DataFrame:
    """tiny ×100, 2 workers: executor fastest, pool within ±5% of it (not distinguishable), ray 100× the Pool."""
    times = {"serial": 0.001, "pool": 0.05, "executor": 0.049, "ray": 5.0}
    wobble = {
        "pool": [1.03, 0.99, 1.04, 0.98, 1.05, 1.01],
        "executor": [1.0] * 6,
        "ray": [1.03, 0.99, 1.04, 0.98, 1.05, 1.01],  # as the Pool's: 100x its time in every repetition
        "serial": [1.0] * 6,
    }
    rows = []
    for rep in range(reps):
        for variant, seconds in times.items():
            s = seconds * wobble[variant][rep] * (1 + rep / 100)
            phases = (
                {}
                if variant == "serial"
                else {"start_seconds": s * 0.6, "work_seconds": s * 0.3, "stop_seconds": s * 0.1}
            )
            rows.append(
                {
                    "experiment": "backends",
                    "workload": "tiny",
                    "variant": variant,
                    "rep": rep,
                    "config_hash": "h",
                    "tasks": 100,
                    "workers": 2,
                    "seconds": s,
                    "start_method": {"serial": "none", "ray": "raylet"}.get(variant, "fork"),
                    "backend_version": "stdlib",
                    "children_peak_mib": None if variant == "serial" else 100.0,
                    "skipped": "",
                    **phases,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture()
def summary(tmp_path):
    present.summarize(_raw(), 0.95).to_csv(tmp_path / "s.csv", index=False)
    return pd.read_csv(tmp_path / "s.csv")


def test_summary_picks_the_fastest_and_those_not_distinguishable(summary):
    s = summary.set_index("variant")
    assert list(summary["variant"]) == ["serial", "pool", "executor", "ray"]
    assert s.loc["executor", "pick"] == "fastest" and bool(s.loc["executor", "is_best"])
    assert s.loc["pool", "pick"] == "not distinguishable" and s.loc["ray", "pick"] == "slower"
    assert s.loc["ray", "ratio"] == pytest.approx(100.0) and pd.isna(s.loc["pool", "ratio"])  # against the Pool
    assert s.loc["ray", "work_speedup"] == pytest.approx(s.loc["serial", "median"] / s.loc["ray", "work_seconds"])
    # (work - serial / min(workers, tasks)) / tasks
    expected = (s.loc["ray", "work_seconds"] - s.loc["serial", "median"] / 2) / 100
    assert s.loc["ray", "overhead_per_task"] == pytest.approx(expected)


def test_too_few_repetitions_recommend_nothing():
    summary = present.summarize(_raw(reps=3), 0.95)
    assert set(summary["pick"].dropna()) == {"inconclusive"}
    text = present.findings(summary, {})
    assert text[0].startswith("tiny: no recommendation (inconclusive): 3 repetitions give no 95% interval")


def test_findings(summary):
    assert_findings_in_both_languages(present, summary, {})
    text = present.findings(summary, {})
    assert text[0].startswith("tiny: the fastest backend was executor, 0.05")
    assert "; pool could not be told apart from it" in text[0]
    assert text[1].startswith("tiny: start-up took from 0.03") and "(ray)" in text[1]


@pytest.mark.parametrize("language, first", [("zh", "| 工作负载 | 后端 |"), ("en", "| Workload | Backend |")])
def test_table(summary, language, first):
    md = present.table(summary, language)
    assert md.startswith(first)
    assert "| tiny ×100 | executor ★ | fork |" in md and "| tiny ×100 | pool ≈ | fork |" in md
    assert "| tiny ×100 | ray | raylet |" in md and "| 100.00 | 100.00 – 100.00 | 0.031 |" in md
    assert {"en": "start_method does not reach joblib, dask, ray", "zh": "start_method 对 joblib, dask, ray 不起作用"}[
        language
    ] in md


def test_plot(summary, tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    out = [tmp_path / "b.png", tmp_path / "b.svg"]
    present.plot(summary, 2, out)
    assert out[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in out[1].read_text()[:2000]
    backends = summary[summary["variant"] != "serial"]
    assert_drawn(figs, backends[["speedup", "speedup_ci_low", "speedup_ci_high"]], what="speedup and its interval")
    assert_drawn(figs, backends["work_speedup"], what="the work-only speedup")
    assert {"pool", "executor", "ray", "★"} <= set(texts(figs))


def test_the_backends_processes_find_the_package_wherever_the_pipeline_runs(monkeypatch):
    # loky, Dask's nannies and Ray's workers are fresh interpreters: they import the task functions through
    # PYTHONPATH, not through the job's sys.path (a pipeline run in another directory, the package not installed)
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    bk.importable()
    bk.importable()
    assert os.environ["PYTHONPATH"].split(os.pathsep) == [bk.ROOT, "/elsewhere"]
    assert os.path.isfile(os.path.join(bk.ROOT, "mpbench", "experiments", "backends.py"))
