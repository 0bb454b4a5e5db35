"""close_join: each ending of poolDemo() is recorded as it happens, wrong results are errors."""

import multiprocessing

import pandas as pd
import pytest
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench.experiments import close_join
from mpbench.present import close_join as present

TINY = {"workers": 2, "tasks": 4, "task_seconds": 0.06, "get_timeout": 0.1, "linger_seconds": 0.05}
SECTION = {
    "enabled": True,
    "api": ["map", "apply_async"],
    "workers": 2,
    "tasks": 3,
    "task_seconds": 0.01,
    "get_timeout": 0.05,
    "linger_seconds": 0.02,
}
EXPECTED = {
    "close_join": "ok",
    "no_close_join": "ok",
    "no_close_join_kept": "ok",
    "close_only": "ok",
    "join_only": "error: ValueError",
    "context_manager": "ok",
    "context_manager_late_get": "incomplete",
}


@pytest.mark.parametrize("api", close_join.APIS)
def test_every_pattern_records_its_outcome_and_leaves_no_process(api):
    seen = {}
    for variant in close_join.VARIANTS:
        facts, result = close_join.measure(variant, api, **TINY)
        seen[variant] = facts
        close_join.check_result(variant, api, TINY["tasks"], result)  # must not raise
        assert facts["outcome"] == EXPECTED[variant], (variant, facts)
        assert facts["results_complete"] == (EXPECTED[variant] == "ok")
        if EXPECTED[variant] == "ok":
            assert result["values"] == [i**2 for i in range(TINY["tasks"])]
            assert facts["results_delivered"] == TINY["tasks"]
        else:
            assert facts["results_delivered"] < TINY["tasks"]
        assert 0 <= facts["children_alive_after"] <= TINY["workers"]
        assert multiprocessing.active_children() == [], f"{variant} left a process behind"
    # The deterministic counts: join() waited, terminate() joined, the kept Pool's workers are still there.
    assert seen["close_join"]["children_alive_after"] == 0 == seen["close_join"]["children_lingering"]
    assert seen["context_manager"]["children_alive_after"] == 0
    kept = seen["no_close_join_kept"]
    assert kept["children_alive_after"] == TINY["workers"] == kept["children_lingering"]
    assert kept["pool_collected"] is False
    assert kept["children_exit_seconds"] != kept["children_exit_seconds"]  # NaN: they never exited by themselves


def test_check_accepts_missing_results_but_not_wrong_ones():
    close_join.check_result("context_manager_late_get", "map", 3, {"values": [0, None, None], "error": None})
    close_join.check_result("join_only", "map", 3, {"values": None, "error": "ValueError"})
    with pytest.raises(RuntimeError, match="result 1 is 7, expected 1"):
        close_join.check_result("close_join", "map", 3, {"values": [0, 7, 4], "error": None})
    with pytest.raises(RuntimeError, match="2 results for 3 tasks"):
        close_join.check_result("close_join", "apply_async", 3, {"values": [0, 1], "error": None})
    with pytest.raises(RuntimeError, match="no results and no error"):
        close_join.check_result("close_only", "map", 3, {"values": None, "error": None})


def test_run_rows():
    rows = close_join.run({"api": "apply_async"}, SECTION, repeats=1, warmup=0)
    raw = pd.DataFrame(rows)
    assert len(raw) == len(close_join.VARIANTS) and set(raw["variant"]) == set(close_join.VARIANTS)
    assert raw["verified"].all() and (raw["api"] == "apply_async").all()
    for column in (
        "outcome",
        "results_complete",
        "results_delivered",
        "children_alive_after",
        "children_exit_seconds",
        "children_lingering",
        "pool_collected",
        "resource_warnings",
        "pool_cleanup_stuck",
        "seconds",
        "started_at",
        "ended_at",
        "config_hash",
    ):
        assert column in raw.columns, column
    by = raw.set_index("variant")
    assert by.loc["join_only", "outcome"] == "error: ValueError"
    assert by.loc["close_join", "outcome"] == "ok" and by.loc["close_join", "results_delivered"] == 3
    assert multiprocessing.active_children() == []


def test_a_wrong_result_is_an_error(monkeypatch):
    def wrong(variant, api, *, tasks, **kwargs):
        return [i**2 + (variant == "close_only") for i in range(tasks)]

    monkeypatch.setattr(close_join, "pattern", wrong)
    with pytest.raises(RuntimeError, match="close_join map close_only: result 0 is 1, expected 0"):
        close_join.run({"api": "map"}, SECTION, repeats=1, warmup=0)


def _rows(overrides=None, reps=2):
    """Synthetic raw rows: every pattern behaves as measured unless overridden."""
    overrides = overrides or {}
    rows = []
    for api in close_join.APIS:
        for variant in close_join.VARIANTS:
            for rep in range(reps):
                outcome = EXPECTED[variant]
                row = {
                    "experiment": "close_join",
                    "api": api,
                    "variant": variant,
                    "rep": rep,
                    "seconds": 0.2 + 0.1 * rep,
                    "config_hash": "h",
                    "outcome": outcome,
                    "results_complete": outcome == "ok",
                    "results_delivered": 10 if outcome == "ok" else 0,
                    "expected_results": 10,
                    "pool_size": 4,
                    "children_alive_after": 4 if variant == "no_close_join_kept" else 0,
                    "children_exit_seconds": float("nan") if variant == "no_close_join_kept" else 0.25,
                    "children_lingering": 4 if variant == "no_close_join_kept" else 0,
                    "pool_collected": variant not in ("no_close_join_kept", "context_manager_late_get"),
                    "resource_warnings": int(variant == "no_close_join"),
                    "pool_cleanup_stuck": False,
                    "task_seconds": 0.05,
                    "get_timeout": 0.5,
                    "linger_seconds": 0.5,
                }
                row.update(overrides.get((api, variant, rep), {}))
                rows.append(row)
    return pd.DataFrame(rows)


def test_summarize_arithmetic_and_csv_round_trip(tmp_path):
    raw = _rows(
        {
            ("map", "close_only", 1): {
                "outcome": "error: TimeoutError",
                "results_complete": False,
                "results_delivered": 0,
                "children_alive_after": 3,
            },
            ("apply_async", "close_join", 0): {"seconds": 0.4},
        }
    )
    summary = present.summarize(raw, 0.95)
    assert len(summary) == 2 * len(close_join.VARIANTS)
    assert list(summary["variant"].astype(str))[:7] == list(close_join.VARIANTS)
    by = summary.assign(api=summary["api"].astype(str), variant=summary["variant"].astype(str)).set_index(
        ["api", "variant"]
    )
    close_only = by.loc[("map", "close_only")]
    assert close_only["runs_complete"] == 1 and close_only["runs_ok"] == 1 and close_only["runs_error"] == 1
    assert close_only["children_alive_after_median"] == 1.5 and close_only["children_alive_after_max"] == 3
    assert close_only["outcomes"] in ("ok ×1, error: TimeoutError ×1", "error: TimeoutError ×1, ok ×1")
    kept = by.loc[("map", "no_close_join_kept")]
    assert kept["runs_lingering"] == 2 and kept["children_lingering_max"] == 4 and kept["runs_pool_collected"] == 0
    assert by.loc[("map", "no_close_join"), "runs_resource_warning"] == 2
    assert by["runs_cleanup_stuck"].sum() == 0
    assert by.loc[("map", "close_join"), "speedup"] == pytest.approx(1.0)
    # apply_async close_join took 0.4 and 0.3, the others 0.2 and 0.3: paired ratios 2.0 and 1.0, median 1.5.
    assert by.loc[("apply_async", "close_join"), "median"] == pytest.approx(0.35)
    assert by.loc[("apply_async", "context_manager"), "speedup"] == pytest.approx((0.4 / 0.2 + 0.3 / 0.3) / 2)
    path = tmp_path / "summary.csv"
    summary.to_csv(path, index=False)
    back = pd.read_csv(path)
    assert present.table(back, "en") == present.table(summary, "en")


@pytest.mark.parametrize("language, first", [("en", "| API | Pattern | Outcome |"), ("zh", "| 接口 | 写法 | 结果 |")])
def test_table_headers_and_rows(language, first):
    md = present.table(present.summarize(_rows(), 0.95), language)
    lines = md.strip().splitlines()
    assert lines[0].startswith(first)
    assert len(lines) == 2 + 2 * len(close_join.VARIANTS)
    assert sum(line.startswith("| map |") for line in lines) == len(close_join.VARIANTS)
    assert "error: ValueError" in md and "[map_async]" in md
    assert ("still alive 0.5 s later (2/2 runs)" if language == "en" else "0.5 秒后仍有 4 个存活（2/2 次）") in md


@pytest.mark.parametrize(
    "overrides",
    [
        None,
        # one failed run: 1.5 workers alive (median) and 3 at most, 50% of the results (median), none at least
        {
            ("map", "close_only", 1): {
                "outcome": "error: TimeoutError",
                "results_complete": False,
                "results_delivered": 0,
                "children_alive_after": 3,
            }
        },
    ],
)
def test_plot_writes_png_and_svg(tmp_path, monkeypatch, overrides):
    figs = capture(monkeypatch)
    png, svg = tmp_path / "close_join.png", tmp_path / "close_join.svg"
    summary = present.summarize(_rows(overrides), 0.95)
    present.plot(summary, 2, [png, svg])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:500]
    # left: time, bar = median, whiskers = interval; middle: workers alive, bar = median, whiskers = min-max;
    # right: results delivered in % of the tasks, bar = median, whiskers = min-max
    assert_drawn(figs, summary[["median", "ci_low", "ci_high"]], what="time of poolDemo(), seconds")
    assert_drawn(
        figs,
        summary[[f"children_alive_after_{k}" for k in ("min", "median", "max")]],
        what="worker processes alive after return",
    )
    share = [summary[f"results_delivered_{k}"] / summary["tasks"] * 100 for k in ("min", "median", "max")]
    assert_drawn(figs, share, what="results delivered, % of tasks")


def test_findings_when_the_two_lines_are_optional_for_results():
    text = " ".join(present.findings(present.summarize(_rows(), 0.95), {"usable_cores": 2}))
    assert_findings_in_both_languages(present, present.summarize(_rows(), 0.95), {"usable_cores": 2})
    assert "close() and join() were not needed for the results" in text
    assert "map returned complete, correct results in all 2 runs - map() itself waits" in text
    assert "4 of 4 map workers were still alive 0.5 s after the return in all 2 runs" in text
    assert "join() without close(): for map it raised ValueError in all 2 runs, with 0 of 4 workers" in text
    assert "join() alone raised ValueError every time" in text
    assert "0 of 10 results arrived" in text and "results must be fetched inside it" in text
    assert "ResourceWarning: unclosed running multiprocessing pool' in all 2 runs for map" in text
    assert "not distinguishable from it" in text


def test_findings_when_results_were_lost_and_times_differ():
    overrides = {
        ("map", "no_close_join", 0): {"outcome": "incomplete", "results_complete": False, "results_delivered": 5},
        ("map", "close_only", 1): {
            "pool_cleanup_stuck": True,
            "children_lingering": 3,
            "children_exit_seconds": float("nan"),
        },
    }
    for rep in range(2):  # the kept Pool's workers exited, and one pattern is clearly slower
        overrides[("apply_async", "no_close_join_kept", rep)] = {"children_lingering": 0, "children_exit_seconds": 0.3}
        overrides[("apply_async", "context_manager", rep)] = {"seconds": 1.0 + rep}
        overrides[("map", "context_manager", rep)] = {"seconds": 0.05 + 0.01 * rep}
    text = " ".join(present.findings(present.summarize(_rows(overrides), 0.95), {"usable_cores": 2}))
    assert_findings_in_both_languages(present, present.summarize(_rows(overrides), 0.95), {"usable_cores": 2})
    assert "needed for complete results in at least one case" in text
    assert "map returned complete, correct results in 1 of 2 runs." in text
    assert "the apply_async workers had all exited 0.3 s after the start" in text
    assert "slower: 'with Pool() as p, results inside' 1.5 s" in text
    assert "faster: 'with Pool() as p, results inside' 0.055 s" in text
    assert "In 1 of 2 runs of map 'close() only' the Pool's own clean-up" in text
    assert "some still alive 0.5 s later in 1 of 2 runs" in text
