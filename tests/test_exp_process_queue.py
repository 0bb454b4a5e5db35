"""process_queue: every variant sums exactly, wrong sums and dead children are errors, the summary adds up."""

import multiprocessing

import pandas as pd
import pytest
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench.experiments import process_queue as pq
from mpbench.experiments.common import expected_sum
from mpbench.present import process_queue as present

SECTION = {"enabled": True, "workers": [2], "size": 20000, "start_method": "default"}


def test_expected_sum_and_shares():
    for size in (1000, 1001, 12345):
        assert expected_sum(size) == sum(i * i for i in range(size)) == pq.sum_squares((0, size))
        for workers in (1, 2, 3, 7):
            parts = pq.bounds(size, workers)
            assert len(parts) == workers and parts[0][0] == 0 and parts[-1][1] == size
            assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
            lengths = [hi - lo for lo, hi in parts]
            assert max(lengths) - min(lengths) <= 1
            assert sum(pq.sum_squares(part) for part in parts) == expected_sum(size)


@pytest.mark.parametrize("variant", pq.VARIANTS)
def test_every_variant_sums_exactly_and_times_its_phases(variant):
    times, total = pq.compute(variant, 30001, 3)
    assert total == expected_sum(30001)
    phases = times["start_seconds"] + times["work_seconds"] + times["join_seconds"]
    assert times["seconds"] == pytest.approx(phases)
    assert min(times["start_seconds"], times["work_seconds"], times["join_seconds"]) >= 0
    if variant == "serial":
        assert times["start_seconds"] == times["join_seconds"] == 0.0
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("variant", ["process_queue", "pool"])
def test_workers_run_under_spawn(variant):
    assert pq.compute(variant, 5000, 2, "spawn")[1] == expected_sum(5000)


def test_a_dead_child_is_an_error_not_a_hang():
    ctx = multiprocessing.get_context()
    with pytest.raises(RuntimeError, match="exited with"):
        pq.run_process_queue([(0, 10), ("x", 5)], ctx)  # range("x", 5) fails in the child
    assert multiprocessing.active_children() == []


def test_a_failing_pool_is_cleaned_up():
    with pytest.raises(TypeError):
        pq.run_pool([(0, 10), ("x", 5)], multiprocessing.get_context())
    assert multiprocessing.active_children() == []


def test_run_rows():
    rows = pq.run({"workers": 2}, SECTION, repeats=2, warmup=0)
    raw = pd.DataFrame(rows)
    assert len(raw) == 2 * len(pq.VARIANTS) and set(raw["variant"]) == set(pq.VARIANTS)
    for column in (
        "seconds",
        "start_seconds",
        "work_seconds",
        "join_seconds",
        "size",
        "shares",
        "start_method",
        "config_hash",
        "started_at",
        "ended_at",
    ):
        assert column in raw.columns
    assert raw["verified"].all() and (raw["workers"] == 2).all() and (raw["size"] == 20000).all()
    assert (raw["start_method"] == multiprocessing.get_start_method()).all()
    summary = present.summarize(raw, 0.95)
    assert list(summary["variant"].astype(str)) == list(pq.VARIANTS)
    assert summary.set_index("variant").loc["serial", "speedup"] == pytest.approx(1.0)
    assert len(present.findings(summary, {"usable_cores": 2})) == 3
    assert_findings_in_both_languages(present, summary, {"usable_cores": 2})


@pytest.mark.parametrize("variant", pq.VARIANTS)
def test_a_wrong_sum_is_an_error(monkeypatch, variant):
    expected = expected_sum(SECTION["size"])
    monkeypatch.setattr(
        pq,
        "compute",
        lambda v, size, workers, start_method="default": (
            {
                "seconds": 0.1,
                "start_seconds": 0.0,
                "work_seconds": 0.1,
                "join_seconds": 0.0,
                "started_at": 0.0,
                "ended_at": 0.1,
            },
            expected - (v == variant),
        ),
    )
    with pytest.raises(RuntimeError, match=f"variant {variant}, workers=2: sum {expected - 1}, expected {expected}"):
        pq.run({"workers": 2}, SECTION, repeats=1, warmup=0)


def test_a_lost_share_is_caught(monkeypatch):
    real = pq.bounds
    monkeypatch.setattr(pq, "bounds", lambda size, workers: real(size, workers)[:-1])
    # both process variants hand out the shares; whichever runs first in the balanced order fails
    with pytest.raises(RuntimeError, match="variant (process_queue|pool), workers=2: sum"):
        pq.run({"workers": 2}, SECTION, repeats=1, warmup=0)


def _raw(cells: dict) -> pd.DataFrame:
    """cells: workers -> variant -> list of (start, work, join) per rep."""
    rows = []
    for workers, variants in cells.items():
        for variant, runs in variants.items():
            for rep, (start, work, join) in enumerate(runs):
                rows.append(
                    {
                        "experiment": "process_queue",
                        "workers": workers,
                        "variant": variant,
                        "rep": rep,
                        "seconds": start + work + join,
                        "start_seconds": start,
                        "work_seconds": work,
                        "join_seconds": join,
                        "config_hash": "h",
                        "size": 1000,
                        "shares": workers,
                        "start_method": "fork",
                    }
                )
    return pd.DataFrame(rows)


FAST = {
    2: {"serial": [(0, 2.0, 0)] * 3, "process_queue": [(0.01, 0.98, 0.01)] * 3, "pool": [(0.02, 1.2, 0.03)] * 3},
    4: {"serial": [(0, 2.0, 0)] * 3, "process_queue": [(0.04, 1.9, 0.06)] * 3, "pool": [(0.04, 1.9, 0.06)] * 3},
}
SLOW = {
    2: {
        "serial": [(0, 1.0, 0), (0, 1.0, 0), (0, 1.0, 0)],
        "process_queue": [(0.1, 0.8, 0.1), (0.1, 1.1, 0.1), (0.1, 0.9, 0.1)],
        "pool": [(0.1, 1.0, 0.1)] * 3,
    }
}


def test_summarize_arithmetic():
    summary = present.summarize(_raw(FAST), 0.95).set_index(["workers", "variant"])
    assert len(summary) == 6
    row = summary.loc[(2, "process_queue")]
    assert row["median"] == pytest.approx(1.0) and row["speedup"] == pytest.approx(2.0)
    assert row["start_median"] == pytest.approx(0.01) and row["work_median"] == pytest.approx(0.98)
    assert row["join_median"] == pytest.approx(0.01)
    assert row["time_vs_pool"] == pytest.approx(1.0 / 1.25)
    assert row["time_vs_pool_ci_low"] == pytest.approx(0.8) == row["time_vs_pool_ci_high"]
    assert summary.loc[(2, "pool"), "speedup"] == pytest.approx(2.0 / 1.25)
    assert summary.loc[(2, "pool"), "time_vs_pool"] == pytest.approx(1.0)
    assert summary.loc[(4, "serial"), "start_median"] == 0.0
    assert (summary["size"] == 1000).all() and (summary["start_method"] == "fork").all()


def test_table_in_both_languages_and_back_from_csv(tmp_path):
    summary = present.summarize(_raw(FAST), 0.95)
    summary.to_csv(tmp_path / "s.csv", index=False)
    back = pd.read_csv(tmp_path / "s.csv")
    for language, first in (
        ("en", "| Processes | Variant | Median total (s) | Start-up (s) |"),
        ("zh", "| 进程数 | 方式 | 总耗时中位数（秒） | 启动（秒） |"),
    ):
        md = present.table(back, language)
        lines = md.strip().splitlines()
        assert lines[0].startswith(first) and len(lines) == 2 + 6
        assert md.count("\n| 2 |") == 3 and md.count("\n| 4 |") == 3
    en = present.table(back, "en").splitlines()
    assert en[2].startswith("| 2 | serial (one loop) | 2 | – | 2 | – | 1.00 |")
    assert en[3].startswith("| 2 | Process + Queue (by hand) | 1 | 0.01 | 0.98 | 0.01 | 2.00 |")


# FAST with a spread of runs, in a different order per variant: intervals that are not points, and
# speedups and times that no reference line of the figure (1x, the ideal 2x) happens to draw too
_SPREAD = (0.97, 0.99, 1.0, 1.02, 1.05, 1.1)
_ORDER = {"serial": _SPREAD, "process_queue": _SPREAD[::-1], "pool": _SPREAD[2:] + _SPREAD[:2]}
FAST_SPREAD = {
    w: {v: [tuple(t * f for t in runs[0]) for f in _ORDER[v]] for v, runs in cells.items()} for w, cells in FAST.items()
}


@pytest.mark.parametrize("cells", [FAST, FAST_SPREAD], ids=["identical-runs", "spread-runs"])
def test_plot_writes_png_and_svg(tmp_path, monkeypatch, cells):
    figs = capture(monkeypatch)
    summary = pd.read_csv(_csv(tmp_path, present.summarize(_raw(cells), 0.95)))
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    present.plot(summary, 2, [png, svg])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:2000]
    # left and middle: each phase's median (bar) and interval (whiskers), seconds, and the serial time (line);
    # right: the speedup of both variants with its interval
    par = summary[summary["variant"] != "serial"]
    phases = [par[f"{phase}_{k}"] for phase in present.PHASES for k in ("median", "ci_low", "ci_high")]
    assert_drawn(figs, phases, what="time per phase, seconds")
    assert_drawn(figs, summary.loc[summary["variant"] == "serial", "median"], what="serial time, seconds")
    assert_drawn(figs, par[["speedup", "speedup_ci_low", "speedup_ci_high"]], what="speedups and interval ends")


def _csv(tmp_path, frame):
    path = tmp_path / "summary.csv"
    frame.to_csv(path, index=False)
    return path


def test_findings_when_processes_pay_off():
    text = " ".join(present.findings(present.summarize(_raw(FAST), 0.95), {"usable_cores": 2}))
    assert_findings_in_both_languages(present, present.summarize(_raw(FAST), 0.95), {"usable_cores": 2})
    assert "With 2 processes (start method fork), creating and starting them by hand with a Queue took 10 ms" in text
    assert "creating Pool(2) took 20 ms" in text
    assert "Process + Queue was faster in total time: Process + Queue / Pool = 0.800" in text
    assert "Pool.map took 25.0% longer" in text
    assert "Process + Queue 2.00× (2.00–2.00) and Pool.map 1.60× (1.60–1.60); the ideal is min(2, 2 cores) = 2×" in text
    assert "With 4 processes, hand-made Processes + Queue and Pool.map are not distinguishable" in text


def test_findings_when_processes_do_not_pay_off():
    text = " ".join(present.findings(present.summarize(_raw(SLOW), 0.95), {"usable_cores": 1}))
    assert_findings_in_both_languages(present, present.summarize(_raw(SLOW), 0.95), {"usable_cores": 1})
    assert "not distinguishable in total time" in text
    assert "Process + Queue 0.91× (not distinguishable from serial)" in text
    assert "Pool.map 0.83× (0.83–0.83)" in text  # slower than serial every time
    assert "the ideal is min(2, 1 core) = 1×" in text
