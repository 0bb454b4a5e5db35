"""pool_api: every Pool API variant computes what the loop computes, and the report says what the numbers show."""

import multiprocessing

import pandas as pd
import pytest
from figdata import assert_drawn, assert_findings_in_both_languages, capture, spread_runs

from mpbench.experiments import pool_api
from mpbench.present import pool_api as present

SECTION = {
    "enabled": True,
    "functions": ["square", "heavy"],
    "lengths": [30],
    "workers": [2],
    "chunksize": 4,
    "heavy_iterations": 20,
}


@pytest.mark.parametrize("function", ["square", "heavy"])
def test_every_variant_matches_the_serial_loop(function):
    fn = pool_api.worker_function(function, 20)
    expected = [fn(i) for i in range(37)]
    for variant in pool_api.VARIANTS:
        times, result = pool_api.compute(variant, fn, 37, 2, 5)
        assert pool_api.mismatch(variant, result, expected) is None, variant
        if variant in pool_api.UNORDERED:
            assert sorted(result) == sorted(expected)
        else:
            assert result == expected
        assert times["seconds"] > 0 and times["ended_at"] >= times["started_at"]
        if variant != "serial":
            parts = ["pool_start_seconds", "call_seconds", "close_join_seconds", "collect_seconds"]
            assert sum(times[p] for p in parts) == pytest.approx(times["seconds"])


def test_workers_are_picklable_under_spawn():
    ctx = multiprocessing.get_context("spawn")
    fn = pool_api.worker_function("heavy", 10)
    _, result = pool_api.compute("imap_unordered_chunked", fn, 20, 2, 3, ctx=ctx)
    assert sorted(result) == sorted(fn(i) for i in range(20))


def test_mismatch_explains_wrong_results():
    assert "at index 1: got 5, expected 1" in pool_api.mismatch("map", [0, 5, 4], [0, 1, 4])
    assert pool_api.mismatch("imap_unordered", [4, 0, 1], [0, 1, 4]) is None
    assert "at index 0" in pool_api.mismatch("imap", [4, 0, 1], [0, 1, 4])  # order matters for imap
    assert "2 results, expected 3" in pool_api.mismatch("starmap", [0, 1], [0, 1, 4])
    assert "not a list" in pool_api.mismatch("map_async", (0, 1, 4), [0, 1, 4])


def test_chunksizes():
    assert pool_api.variant_chunksize("map", 1000, 4, 50) == 63 and pool_api.variant_chunksize("map", 16, 4, 50) == 1
    assert pool_api.variant_chunksize("imap_chunked", 1000, 4, 50) == 50
    assert pool_api.variant_chunksize("apply_async", 1000, 4, 50) == 1
    assert pool_api.variant_chunksize("starmap", 1000, 4, 50) == 63


def test_run_rows_and_summary():
    rows = pool_api.run({"function": "square", "length": 30, "workers": 2}, SECTION, repeats=1, warmup=0)
    raw = pd.DataFrame(rows)
    assert len(raw) == len(pool_api.VARIANTS) and set(raw["variant"]) == set(pool_api.VARIANTS)
    assert raw["verified"].all() and raw["matches_serial"].all()
    assert (raw[["function", "length", "workers"]] == ["square", 30, 2]).all().all()
    by = raw.set_index("variant")
    assert pd.isna(by.loc["serial", "pool_start_seconds"]) and by.loc["map", "pool_start_seconds"] > 0
    assert by.loc["imap_chunked", "chunksize"] == 4 and by.loc["imap", "chunksize"] == 1
    # 30 squares take microseconds: the serial loop is timed many times back to back
    assert by.loc["serial", "inner_loops"] > 10 and by["inner_loops"].notna().sum() == 1
    assert by.loc["serial", "floor_kind"] == "cpu_loop" and by.loc["map", "floor_kind"] == "cpu_loop+pool"
    assert by.loc["imap", "floor_kind"] == "dispatch+pool"
    summary = present.summarize(raw, 0.95)
    assert list(summary["variant"].astype(str)) == list(pool_api.VARIANTS)
    s = summary.set_index("variant")
    assert s.loc["serial", "speedup"] == pytest.approx(1.0)
    # the floor is read at the length of one timed sample: all the loops of it
    assert s.loc["serial", "sample_seconds"] == pytest.approx(
        s.loc["serial", "median"] * by.loc["serial", "inner_loops"]
    )
    assert s.loc["map", "sample_seconds"] == s.loc["map", "median"] and s.loc["imap", "floor_kind"] == "dispatch+pool"


def test_a_wrong_result_is_an_error(monkeypatch):
    real = pool_api.compute

    def broken(variant, fn, length, workers, chunksize, ctx=None, inner=1):
        times, result = real(variant, fn, length, workers, chunksize, ctx, inner)
        return times, (result[:-1] + [-1] if variant == "imap_unordered" else result)

    monkeypatch.setattr(pool_api, "compute", broken)
    with pytest.raises(RuntimeError, match="pool_api imap_unordered function=square length=30 workers=2"):
        pool_api.run({"function": "square", "length": 30, "workers": 2}, SECTION, repeats=1, warmup=0)


def _raw(seconds: dict[str, dict[int, float]], function="square", repeats=3) -> pd.DataFrame:
    """Synthetic rows: seconds[variant][length] for every repetition (slightly jittered)."""
    rows = []
    for variant, by_length in seconds.items():
        for length, s in by_length.items():
            for rep in range(repeats):
                rows.append(
                    {
                        "experiment": "pool_api",
                        "function": function,
                        "length": length,
                        "workers": 4,
                        "variant": variant,
                        "rep": rep,
                        "seconds": s * (1 + 0.01 * rep),
                        "config_hash": "h",
                        "chunksize": {"serial": float("nan")}.get(
                            variant, 50.0 if variant.endswith("_chunked") else 1.0
                        ),
                        "matches_serial": True,
                        "pool_start_seconds": float("nan") if variant == "serial" else 0.05,
                        "close_join_seconds": float("nan") if variant == "serial" else 0.01,
                    }
                )
    return pd.DataFrame(rows)


def _all(serial, others):
    """serial seconds per length, and one seconds-per-length for every other variant."""
    return {"serial": serial, **{v: others.get(v, {n: 10.0 for n in serial}) for v in pool_api.POOL_VARIANTS}}


def test_summarize_arithmetic():
    raw = _raw(_all({100: 1.0, 1000: 2.0}, {"map": {100: 4.0, 1000: 1.0}}), repeats=1)
    s = present.summarize(raw, 0.95).set_index(["length", "variant"])
    assert s.loc[(100, "map"), "speedup"] == pytest.approx(0.25)
    assert s.loc[(1000, "map"), "speedup"] == pytest.approx(2.0)
    assert s.loc[(1000, "executor_map"), "speedup"] == pytest.approx(0.2)
    assert s.loc[(1000, "map"), "per_item_seconds"] == pytest.approx(1.0 / 1000)
    assert s.loc[(1000, "map"), "pool_start_median"] == pytest.approx(0.05)
    assert s["matches_serial"].all() and len(s) == 2 * len(pool_api.VARIANTS)


@pytest.mark.parametrize("language, first", [("zh", "| 函数 | 长度（个） |"), ("en", "| Function | Length (items) |")])
def test_table_headers_and_rows(language, first, tmp_path):
    raw = pd.concat([_raw(_all({100: 1.0, 1000: 2.0}, {})), _raw(_all({100: 1.0, 1000: 2.0}, {}), "heavy")])
    summary = present.summarize(raw, 0.95)
    path = tmp_path / "s.csv"
    summary.to_csv(path, index=False)
    md = present.table(pd.read_csv(path), language)  # as the pipeline reads it back
    lines = md.strip().splitlines()
    assert lines[0].startswith(first) and len(lines) == 2 + 2 * 2 * len(pool_api.VARIANTS)
    assert "id**2" in lines[2] and "ProcessPoolExecutor.map" in md


# every Pool variant its own time, and its own spread of runs (intervals that are not points)
DISTINCT = {v: {100: 0.73 + 0.29 * i, 1000: 0.47 + 0.37 * i} for i, v in enumerate(pool_api.POOL_VARIANTS)}


@pytest.mark.parametrize("distinct", [False, True], ids=["as-measured", "distinct-variants"])
def test_plot_writes_png_and_svg(tmp_path, monkeypatch, distinct):
    figs = capture(monkeypatch)
    if distinct:
        raw = pd.concat(
            [
                spread_runs(_raw(_all({100: 1.0, 1000: 2.0}, DISTINCT))),
                spread_runs(_raw(_all({100: 1.5, 1000: 3.0}, DISTINCT), "heavy"), step=0.03),
            ]
        )
    else:
        raw = pd.concat(
            [
                _raw(_all({100: 1.0, 1000: 2.0}, {"map": {100: 4.0, 1000: 1.0}})),
                _raw(_all({100: 1.0, 1000: 2.0}, {}), "heavy"),
            ]
        )
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    summary = present.summarize(raw, 0.95)
    present.plot(summary, 2, [png, svg])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:2000]
    # every Pool variant's speedup over the loop, with its interval (the serial rows are not drawn)
    pool = summary[summary["variant"].astype(str) != "serial"]
    assert_drawn(figs, pool[["speedup", "speedup_ci_low", "speedup_ci_high"]], what="speedups and interval ends")


def test_findings_when_processes_lose():
    raw = _raw(_all({100: 0.001, 1000: 0.01}, {"map": {100: 0.05, 1000: 0.06}}))
    text = " ".join(present.findings(present.summarize(raw, 0.95), {"usable_cores": 2}))
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {"usable_cores": 2})
    assert "the fastest process API was `map`" in text
    assert "Every process variant was slower than the plain for loop for `id**2` at every length" in text
    assert "数学运算要达到较高数量级后才能体现多进程的优势" in text
    assert "took a time not distinguishable from that of `imap` with chunksize 50 (10.1 s)" in text


def test_findings_when_processes_win():
    raw = _raw(
        _all(
            {100: 0.01, 1000: 1.0},
            {
                "map": {100: 0.05, 1000: 0.5},
                "starmap": {100: 0.06, 1000: 0.502},
                "imap_chunked": {100: 0.06, 1000: 0.8},
            },
        ),
        function="heavy",
    )
    text = " ".join(present.findings(present.summarize(raw, 0.95), {"usable_cores": 2}))
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {"usable_cores": 2})
    assert "Processes beat the for loop for the heavy worker at length 1,000 (of 100, 1,000)" in text
    assert "`starmap` not distinguishable from it" in text
    assert "slowest was `apply_async`" in text
    assert "`imap` sending one item per task (10.1 s) took 12.5× the time of `imap` with chunksize 50" in text


def test_findings_when_not_distinguishable():
    raw = _raw(_all({1000: 1.0}, {"map": {1000: 1.0}}))
    raw.loc[raw["variant"] == "serial", "seconds"] = 1.0
    raw.loc[raw["variant"] == "map", "seconds"] = [0.98, 1.0, 1.02]
    text = " ".join(present.findings(present.summarize(raw, 0.95), {}))
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {})
    assert "not distinguishable from the loop" in text
