"""threads_vs_processes: every variant computes what the serial loop does, or the run is an error."""

import multiprocessing
import pickle
from functools import partial

import pandas as pd
import pytest
from figdata import assert_drawn, assert_findings_in_both_languages, capture, spread_runs

from mpbench import experiments
from mpbench.datagen import write_test_file
from mpbench.experiments import threads_vs_processes as tvp
from mpbench.present import threads_vs_processes as present

SECTION = {
    "enabled": True,
    "kinds": ["cpu", "io", "sleep"],
    "workers": [2],
    "tasks": 5,
    "cpu_steps": 2000,
    "sleep_seconds": 0.002,
}


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tvp") / "input.txt"
    write_test_file(path, 30_000, 60, seed=3)
    return str(path)


def test_points_and_closed_form_sum():
    assert experiments.points("threads_vs_processes", SECTION) == [
        {"kind": k, "workers": 2} for k in ("cpu", "io", "sleep")
    ]
    steps, tasks = 300, 4
    brute = sum(tvp.cpu_task(steps, i)[1] for i in range(tasks))
    assert (
        tvp.expected_cpu_total(steps, tasks) == brute == sum(k * k for i in range(tasks) for k in range(i, i + steps))
    )


@pytest.mark.parametrize("kind", tvp.KINDS)
@pytest.mark.parametrize("variant", tvp.VARIANTS)
def test_every_variant_gives_the_serial_result(kind, variant, data_file):
    fn, expected = tvp.make_task(kind, SECTION, data_file)
    workers = 3 if variant != "serial" else 1
    times, result = tvp.execute(variant, fn, SECTION["tasks"], workers)
    tvp.verify(kind, variant, result, SECTION["tasks"], expected)  # does not raise
    assert sorted(i for i, _ in result) == list(range(5))
    assert 0 <= times["start_seconds"] <= times["seconds"] and times["ended_at"] >= times["started_at"]
    if kind == "io":
        assert expected == 30_000 and all(v == 30_000 for _, v in result)


def test_tasks_pickle_and_run_under_spawn(data_file):
    for kind in tvp.KINDS:  # what a spawn or forkserver child receives
        fn, _ = tvp.make_task(kind, SECTION, data_file)
        assert pickle.loads(pickle.dumps(fn))(1) == fn(1)
    fn, expected = tvp.make_task("cpu", SECTION, None)
    _, result = tvp.execute("process_pool", fn, 2, 1, ctx=multiprocessing.get_context("spawn"))
    tvp.verify("cpu", "process_pool", result, 2, tvp.expected_cpu_total(2000, 2))


@pytest.mark.parametrize(
    "kind, result, message",
    [
        ("cpu", [(0, 5), (1, 7)], "sum of results 12 differs from the serial sum 13"),
        ("cpu", [(0, 13)], r"task indices incomplete \(1 results for 2 tasks, missing \[1\]"),
        ("io", [(0, 100), (1, 99)], r"1 reads did not return the full file \(99 of 100 characters in task 1\)"),
        ("sleep", [(0, 0), (1, 0)], "task 1 returned 0"),
        ("sleep", [(0, 0), (0, 0)], "1 duplicated"),
    ],
)
def test_a_wrong_result_is_an_error(kind, result, message):
    expected = {"cpu": 13, "io": 100, "sleep": None}[kind]
    with pytest.raises(RuntimeError, match=message):
        tvp.verify(kind, "thread", result, 2, expected)


@pytest.mark.parametrize("variant", tvp.PARALLEL)
def test_a_failing_task_fails_the_run(variant):
    broken = partial(tvp.cpu_task, "not a number")  # TypeError inside every task, picklable
    with pytest.raises(TypeError):
        tvp.execute(variant, broken, 4, 2)


@pytest.mark.parametrize("variant", tvp.VARIANTS)
def test_run_raises_when_a_variant_loses_a_task(monkeypatch, variant, data_file):
    real = tvp.execute

    def lossy(name, fn, tasks, workers, ctx=None):
        times, result = real(name, fn, tasks, workers, ctx)
        return times, (result[:-1] if name == variant else result)

    monkeypatch.setattr(tvp, "execute", lossy)
    with pytest.raises(RuntimeError, match=f"threads_vs_processes sleep {variant}: task indices incomplete"):
        tvp.run({"kind": "sleep", "workers": 2}, SECTION, repeats=1, warmup=0, data_file=data_file)


def test_io_needs_the_data_file():
    with pytest.raises(ValueError, match="needs data_file"):
        tvp.run({"kind": "io", "workers": 2}, SECTION, repeats=1, warmup=0)


def test_run_rows(data_file):
    rows = tvp.run({"kind": "io", "workers": 2}, SECTION, repeats=2, warmup=1, scratch_dir=None, data_file=data_file)
    raw = pd.DataFrame(rows)
    assert len(raw) == 2 * len(tvp.VARIANTS) and set(raw["variant"]) == set(tvp.VARIANTS)
    for column in (
        "experiment",
        "kind",
        "workers",
        "variant",
        "rep",
        "seconds",
        "start_seconds",
        "tasks",
        "result_total",
        "start_method",
        "verified",
        "config_hash",
        "host",
    ):
        assert column in raw.columns, column
    assert (raw["kind"] == "io").all() and (raw["workers"] == 2).all() and raw["verified"].all()
    assert (raw["result_total"] == 5 * 30_000).all() and raw["config_hash"].nunique() == 1
    assert (raw.loc[raw["variant"] == "serial", "start_seconds"] == 0).all()


def _raw(cells):
    """Synthetic raw rows: {(kind, workers): {variant: [seconds per rep]}}."""
    rows = []
    for (kind, workers), variants in cells.items():
        for variant, times in variants.items():
            for rep, seconds in enumerate(times):
                rows.append(
                    {
                        "experiment": "threads_vs_processes",
                        "kind": kind,
                        "workers": workers,
                        "variant": variant,
                        "rep": rep,
                        "seconds": seconds,
                        "config_hash": "h",
                        "tasks": 8,
                        "start_seconds": 0.0 if variant == "serial" else 0.01,
                    }
                )
    return pd.DataFrame(rows)


def _cell(serial, thread, thread_pool, process_pool, n=6, jitter=0.01):
    spread = [1 + jitter * k for k in (-2, -1, 0, 0, 1, 2)][:n]
    return {
        v: [t * s for s in spread]
        for v, t in (
            ("serial", serial),
            ("thread", thread),
            ("thread_pool", thread_pool),
            ("process_pool", process_pool),
        )
    }


CELLS = {
    ("cpu", 2): _cell(1.0, 1.0, 1.02, 0.55),
    ("cpu", 8): _cell(1.0, 1.05, 1.0, 0.5),
    ("io", 2): _cell(0.5, 0.45, 0.45, 0.4),
    ("io", 8): _cell(0.5, 0.3, 0.31, 0.3),
    ("sleep", 2): _cell(0.16, 0.08, 0.08, 0.1),
    ("sleep", 8): _cell(0.16, 0.02, 0.025, 0.08),
}


def test_summarize_arithmetic():
    raw = _raw(
        {
            ("sleep", 4): {
                "serial": [1.0, 3.0, 2.0],
                "thread": [0.5, 1.0, 1.0],
                "thread_pool": [0.25, 0.5, 2.0],
                "process_pool": [2.0, 2.0, 2.0],
            }
        }
    )
    s = present.summarize(raw.sample(frac=1, random_state=1), 0.95).set_index("variant")
    assert list(s.index.astype(str)) == list(tvp.VARIANTS)
    assert s.loc["serial", "median"] == 2.0 and s.loc["serial", "speedup"] == pytest.approx(1.0)
    assert s.loc["thread", "speedup"] == pytest.approx(2.0)
    assert s.loc["thread_pool", "speedup"] == pytest.approx(4.0)
    assert s.loc["process_pool", "speedup"] == pytest.approx(1.0)
    # paired ratios per rep: 2, 3, 2 -> interval [2, 3]
    assert (s.loc["thread", "speedup_ci_low"], s.loc["thread", "speedup_ci_high"]) == (2.0, 3.0)
    assert s.loc["thread", "start_seconds_median"] == 0.01 and s.loc["serial", "tasks"] == 8


@pytest.mark.parametrize(
    "language, first", [("zh", "| 任务类型 | 线程/进程数 | 串行（秒） |"), ("en", "| Work | Workers | Serial (s) |")]
)
def test_table_headers_and_rows(language, first, tmp_path):
    present.summarize(_raw(CELLS), 0.95).to_csv(tmp_path / "s.csv", index=False)
    summary = pd.read_csv(tmp_path / "s.csv")  # plain strings, as the pipeline reads it back
    md = present.table(summary.iloc[::-1], language)
    lines = md.splitlines()
    assert lines[0].startswith(first) and len(lines[0].split("|")) == 8
    body = [line for line in lines[2:] if line.startswith("| ")]
    assert len(body) == len(CELLS)
    labels = present.TEXT[language]["kinds"]
    assert body[0].startswith(f"| {labels['cpu']} | 2 | 1 | 1 / 1.00 |") and body[-1].startswith(
        f"| {labels['sleep']} | 8 |"
    )
    assert "6" in lines[-1]


@pytest.mark.parametrize("spread", [False, True], ids=["as-measured", "spread-runs"])
def test_plot_writes_png_and_svg(tmp_path, monkeypatch, spread):
    figs = capture(monkeypatch)
    raw = _raw(CELLS)
    summary = present.summarize(spread_runs(raw) if spread else raw, 0.95)  # spread: intervals that are not points
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    present.plot(summary, 2, [png, svg])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:2000]
    # every parallel variant's speedup over serial, with its interval (serial itself is the 1x line)
    par = summary[summary["variant"].astype(str) != "serial"]
    assert_drawn(figs, par[["speedup", "speedup_ci_low", "speedup_ci_high"]], what="speedups and interval ends")


def test_findings_name_the_winner_per_kind():
    summary = present.summarize(_raw(CELLS), 0.95)
    cpu, io, sleep = present.findings(summary, {"usable_cores": 2})
    assert_findings_in_both_languages(present, summary, {"usable_cores": 2})
    assert cpu.startswith("CPU-bound (pure Python) with 8 workers on 2 cores:")
    assert "processes 2.00× (multiprocessing.Pool, faster than serial)" in cpu
    assert "Here processes pay off: 2.0× as fast as threads." in cpu and "As the GIL predicts" in cpu
    assert "not distinguishable from each other" in io and "Both pay off" in io
    assert "threads reached 8.00× serial (threading.Thread, faster than serial; ThreadPoolExecutor 6.40×)" in sleep
    assert "Here threads pay off: 4.0× as fast as processes." in sleep


def test_findings_when_threads_win_cpu_and_nothing_pays_off_for_sleep():
    noisy = [1.0, 1.1, 0.9, 1.0, 1.2, 0.8]
    cells = {
        ("cpu", 4): _cell(1.0, 0.7, 0.72, 1.0),
        ("sleep", 4): {
            "serial": noisy,
            "thread": noisy[::-1],
            "thread_pool": noisy[1:] + noisy[:1],
            "process_pool": noisy[2:] + noisy[:2],
        },
    }
    cpu, sleep = present.findings(present.summarize(_raw(cells), 0.95), {})
    assert_findings_in_both_languages(present, present.summarize(_raw(cells), 0.95), {})
    assert "threads reached 1.43× serial (threading.Thread, faster than serial; ThreadPoolExecutor 1.39×)" in cpu
    assert "processes 1.00× (multiprocessing.Pool, not distinguishable from serial)" in cpu
    assert "Here threads pay off: 1.4× as fast as processes." in cpu and "which the GIL should prevent" in cpu
    assert sleep.startswith("Sleep (waiting) with 4 workers:") and sleep.count("not distinguishable from serial") == 2
    assert "Threads and processes are not distinguishable from each other here" in sleep


def test_findings_name_the_best_worker_count_when_it_is_not_the_largest():
    rows = []
    for workers, pool_speedup in [(2, 1.4), (8, 0.9)]:
        for variant, speedup in [
            ("serial", 1.0),
            ("thread", 1.0),
            ("thread_pool", 1.0),
            ("process_pool", pool_speedup),
        ]:
            rows.append(
                {
                    "kind": "cpu",
                    "workers": workers,
                    "variant": variant,
                    "median": 1.0 / speedup,
                    "speedup": speedup,
                    "speedup_ci_low": speedup * 0.95,
                    "speedup_ci_high": speedup * 1.05,
                    "n": 6,
                }
            )
    text = " ".join(present.findings(pd.DataFrame(rows), {"usable_cores": 2}))
    assert_findings_in_both_languages(present, pd.DataFrame(rows), {"usable_cores": 2})
    assert "best of all worker counts was multiprocessing.Pool with 2 workers: 1.40×" in text
