"""crossover: both sums are exact, wrong sums are errors, and the break-even is interpolated as stated."""

import math

import numpy as np
import pandas as pd
import pytest
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench import experiments
from mpbench.experiments import crossover
from mpbench.present import crossover as present

SECTION = {"enabled": True, "workers": [2], "sizes": [1000, 5000]}


def test_the_task_and_its_chunks():
    assert crossover.expected_sum(0) == 0 and crossover.expected_sum(1) == 0
    assert crossover.expected_sum(10) == sum(i * i for i in range(10)) == 285
    assert crossover.serial_sum(12345) == crossover.expected_sum(12345)
    chunks = crossover.bounds(10, 3)
    assert chunks == [(0, 3), (3, 6), (6, 10)]
    assert sum(crossover.sum_squares(c) for c in chunks) == 285
    assert crossover.bounds(1, 2) == [(0, 0), (0, 1)]  # more workers than terms: an empty chunk


@pytest.mark.parametrize("workers", [1, 3])
def test_pool_sum_is_exact_and_timed_by_phase(workers):
    phases, total = crossover.pool_sum(20001, workers)
    assert total == crossover.expected_sum(20001)
    assert set(phases) == {"pool_start_seconds", "map_seconds", "pool_close_seconds"}
    assert all(v >= 0 for v in phases.values())


def test_run_rows():
    rows = crossover.run({"workers": 2, "size": 1000}, SECTION, repeats=2, warmup=0)
    raw = pd.DataFrame(rows)
    assert len(raw) == 2 * len(crossover.VARIANTS)
    assert set(raw["variant"]) == set(crossover.VARIANTS)
    assert (raw["workers"] == 2).all() and (raw["size"] == 1000).all() and raw["verified"].all()
    assert raw["experiment"].eq("crossover").all() and raw["config_hash"].nunique() == 1
    assert list(raw.groupby("variant")["chunks"].first().sort_index()) == [2, 1]  # pool, serial
    pool = raw[raw["variant"] == "pool"]
    assert pool[["pool_start_seconds", "map_seconds", "pool_close_seconds"]].notna().all().all()
    assert (pool["seconds"] >= pool["map_seconds"]).all()
    assert raw[raw["variant"] == "serial"]["map_seconds"].isna().all()


def test_points_cover_every_worker_count_and_size():
    pts = experiments.points("crossover", {"workers": [2, 4], "sizes": [10, 100, 1000]})
    assert len(pts) == 6 and pts[0] == {"workers": 2, "size": 10} and pts[-1] == {"workers": 4, "size": 1000}


def test_a_wrong_pool_sum_is_an_error(monkeypatch):
    monkeypatch.setattr(crossover, "pool_sum", lambda n, w, ctx=None: ({}, crossover.expected_sum(n) + 1))
    with pytest.raises(RuntimeError, match=r"crossover pool workers=2 size=1000: sum 332833501, expected 332833500"):
        crossover.run({"workers": 2, "size": 1000}, SECTION, repeats=1, warmup=0)


def test_a_wrong_serial_sum_is_an_error(monkeypatch):
    monkeypatch.setattr(crossover, "serial_sum", lambda n: float(crossover.expected_sum(n)))  # not an exact int
    with pytest.raises(RuntimeError, match=r"crossover serial workers=2 size=1000: sum 332833500.0"):
        crossover.run({"workers": 2, "size": 1000}, SECTION, repeats=1, warmup=0)


def _raw(pool_seconds: dict[int, dict[int, list[float]]], serial: float = 1.0) -> pd.DataFrame:
    """Synthetic raw rows: serial always takes ``serial`` s per size unit of 1000 terms."""
    rows = []
    for workers, by_size in pool_seconds.items():
        for size, times in by_size.items():
            for rep, seconds in enumerate(times):
                base = {"experiment": "crossover", "workers": workers, "size": size, "rep": rep, "config_hash": "h"}
                rows.append({**base, "variant": "serial", "seconds": serial * size / 1000, "chunks": 1})
                rows.append(
                    {
                        **base,
                        "variant": "pool",
                        "seconds": seconds,
                        "chunks": workers,
                        "pool_start_seconds": 0.01,
                        "map_seconds": seconds - 0.02,
                        "pool_close_seconds": 0.01,
                    }
                )
    return pd.DataFrame(rows)


def test_summarize_speedups_and_an_interpolated_break_even(tmp_path):
    # serial 1, 10, 100 s; pool medians 10, 20, 50 s -> speedups 0.1, 0.5, 2
    raw = _raw({2: {1000: [9.0, 10.0, 11.0], 10000: [19.0, 20.0, 21.0], 100000: [49.0, 50.0, 51.0]}})
    summary = present.summarize(raw, 0.95)
    assert list(summary["variant"].astype(str)) == ["serial", "pool"] * 3
    pool = summary[summary["variant"] == "pool"].set_index("size")
    assert pool["speedup"].tolist() == pytest.approx([0.1, 0.5, 2.0])
    assert pool.loc[100000, "speedup_ci_low"] == pytest.approx(100 / 51)
    assert pool.loc[100000, "pool_start_median"] == pytest.approx(0.01)
    assert summary[summary["variant"] == "serial"]["speedup"].tolist() == pytest.approx([1.0] * 3)
    # log-log crossing between 10,000 (0.5x) and 100,000 (2x): halfway, sqrt(1e4 * 1e5)
    assert summary["break_even_size"].iloc[0] == pytest.approx(math.sqrt(1e4 * 1e5))
    assert (summary["break_even_low"] == 10000).all() and (summary["break_even_high"] == 100000).all()
    assert (summary["break_even_note"] == "interpolated").all()
    assert (summary["faster_from_size"] == 100000).all()
    # the table and findings read the summary back from CSV
    summary.to_csv(tmp_path / "s.csv", index=False)
    back = pd.read_csv(tmp_path / "s.csv")
    text = " ".join(present.findings(back, {"usable_cores": 2}))
    assert_findings_in_both_languages(present, back, {"usable_cores": 2})
    assert (
        "crosses 1× at about n ≈ 32,000 terms (interpolated between n = 10,000 and 100,000; an estimate from the medians"
        in text
    )
    assert "interval lies above 1× from n = 100,000" in text
    assert (
        "speedup 2.00× (interval 1.96–2.04×, the Pool is faster), against an ideal of min(2 workers, 2 cores) = 2×"
        in text
    )


def test_break_even_edge_cases():
    never = present.break_even([10, 100, 1000], [0.1, 0.5, 0.9], [0.05, 0.4, 0.8])
    assert np.isnan(never["break_even_size"]) and never["break_even_note"] == "Pool not faster at the largest size"
    assert np.isnan(never["faster_from_size"])
    always = present.break_even([10, 100], [1.2, 1.5], [0.9, 1.3])
    assert np.isnan(always["break_even_size"]) and always["break_even_note"].startswith("Pool faster already")
    assert always["faster_from_size"] == 100
    # up, down, up again: the last upward crossing counts, and the note says so
    twice = present.break_even([10, 100, 1000, 10000], [1.1, 0.9, 1.0, 1.2], [1.0, 0.8, 0.9, 1.1])
    assert twice["break_even_low"] == 1000 and twice["break_even_size"] == pytest.approx(1000)
    assert "more than once" in twice["break_even_note"]
    # unsorted input is sorted by size first
    assert present.break_even([100, 10], [2.0, 0.5], [1.5, 0.4])["break_even_size"] == pytest.approx(math.sqrt(1000))


def test_findings_when_the_pool_never_pays_off():
    raw = _raw({4: {1000: [5.0, 5.0, 5.0], 10000: [12.0, 9.5, 11.0]}})  # speedups 0.2 and 10/11
    summary = present.summarize(raw, 0.95)
    assert np.isnan(summary["break_even_size"]).all()
    text = present.findings(summary, {"usable_cores": 2})
    assert_findings_in_both_languages(present, summary, {"usable_cores": 2})
    assert len(text) == 2
    assert "not faster than the serial loop (median) at the largest size n = 10,000" in text[0]
    assert "no break-even within this sweep" in text[0] and "does not lie above 1×" in text[0]
    assert "not distinguishable from serial" in text[1] and "min(4 workers, 2 cores) = 2×" in text[1]


@pytest.mark.parametrize("language, first", [("zh", "| 进程数 | 规模 n"), ("en", "| Processes | Size n")])
def test_table_headers_rows_and_break_even_lines(language, first):
    raw = _raw({2: {1000: [10.0], 10000: [20.0], 100000: [50.0]}, 4: {1000: [5.0], 10000: [12.0]}})
    md = present.table(present.summarize(raw, 0.95), language)
    lines = md.splitlines()
    assert lines[0].startswith(first) and len(lines[0].split("|")) == 8
    body = [line for line in lines[2:] if line.startswith("| ")]
    assert len(body) == 5
    assert body[0].startswith("| 2 | 1,000 | 1 | 10 | 0.10 |")
    bullets = [line for line in lines if line.startswith("- ")]
    assert len(bullets) == 2
    if language == "en":
        assert "2 processes: break-even size ≈ 32,000" in bullets[0]
        assert "4 processes: the Pool is not faster than serial up to the largest size n = 10,000" in bullets[1]
    else:
        assert "进程数 2：盈亏平衡规模 ≈ 32,000" in bullets[0] and "进程数 4：直到最大规模 n = 10,000" in bullets[1]


def test_plot_writes_png_and_svg(tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    raw = _raw(
        {
            2: {1000: [10.0, 11.0], 10000: [20.0, 22.0], 100000: [50.0, 55.0]},
            4: {1000: [0.5, 0.6], 10000: [12.0, 9.0], 100000: [60.0, 70.0]},
        }
    )
    summary = present.summarize(raw, 0.95)
    summary.to_csv(tmp_path / "s.csv", index=False)
    summary = pd.read_csv(tmp_path / "s.csv")
    out = [tmp_path / "crossover.png", tmp_path / "crossover.svg"]
    present.plot(summary, 2, out)
    assert out[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in out[1].read_text()[:2000]
    # left: serial and Pool medians with intervals (seconds) at each size; right: the speedup with its
    # interval, and a vertical line at each break-even size
    assert_drawn(figs, summary[["median", "ci_low", "ci_high"]], what="serial and Pool time, seconds")
    assert_drawn(figs, summary["size"], what="sizes n on x")
    pool = summary[summary["variant"] == "pool"]
    assert_drawn(figs, pool[["speedup", "speedup_ci_low", "speedup_ci_high"]], what="Pool speedup and interval")
    assert np.isfinite(summary["break_even_size"]).any()
    assert_drawn(figs, summary["break_even_size"], what="break-even sizes")
