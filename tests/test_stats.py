"""Aggregation arithmetic: medians, intervals, speedup, per-operation time."""

import math

import pandas as pd
import pytest

from mpbench.stats import check_consistent, describe, median_ci_ranks, summarize


@pytest.mark.parametrize("n, ranks, coverage", [
    (1, (0, 0), 0.0),
    (3, (0, 2), 0.75),
    (5, (0, 4), 0.9375),
    (6, (0, 5), 0.96875),
    (9, (1, 7), 0.9609375),
    (20, (5, 14), 0.9586105346679688),
])
def test_order_statistic_interval(n, ranks, coverage):
    lo, hi, cov = median_ci_ranks(n, 0.95)
    assert (lo, hi) == ranks
    assert cov == pytest.approx(coverage)


def test_describe():
    d = describe([3.0, 1.0, 2.0, 10.0, 4.0, 5.0])
    assert d["median"] == 3.5
    assert (d["ci_low"], d["ci_high"]) == (1.0, 10.0)
    assert d["n"] == 6
    assert d["cv"] == pytest.approx(pd.Series([3.0, 1, 2, 10, 4, 5]).std() / 25 * 6)


def raw_rows(experiment, loops, workers, serial, pool, config_hash="h"):
    rows = []
    for rep, (s, p) in enumerate(zip(serial, pool)):
        base = {"experiment": experiment, "loops": loops, "workers": workers, "rep": rep,
                "host": "h1", "config_hash": config_hash}
        rows.append({**base, "variant": "serial", "seconds": s})
        rows.append({**base, "variant": "pool", "seconds": p, "pool_start_seconds": 0.01, "map_seconds": p - 0.02})
    return rows


def test_summary_arithmetic():
    raw = pd.DataFrame(
        raw_rows("read", 10, 4, [2.0, 2.2, 1.8], [1.0, 1.0, 1.2])
        + raw_rows("read", 20, 4, [4.0, 4.0, 4.0], [2.0, 2.5, 1.5])
    )
    s = summarize(raw, "read")
    assert list(s["loops"]) == [10, 20]
    r = s.iloc[0]
    assert r["serial_median"] == 2.0 and r["pool_median"] == 1.0
    assert r["per_op_seconds"] == pytest.approx(1.0 / 10)
    assert r["speedup"] == pytest.approx(2.0)
    # paired ratios 2.0, 2.2, 1.5 -> range [1.5, 2.2] with 75% coverage for n=3
    assert (r["speedup_ci_low"], r["speedup_ci_high"]) == pytest.approx((1.5, 2.2))
    assert r["speedup_ci_coverage"] == pytest.approx(0.75)
    assert (r["serial_ci_low"], r["serial_ci_high"]) == (1.8, 2.2)
    assert r["serial_n"] == 3 and r["pool_n"] == 3
    assert r["pool_start_median"] == pytest.approx(0.01)
    assert s.iloc[1]["serial_cv"] == 0.0
    assert s.iloc[1]["per_op_seconds"] == pytest.approx(2.0 / 20)


def test_readwrite_summary_carries_overwrite():
    raw = pd.DataFrame(
        raw_rows("readwrite", 5, 2, [1.0, 1.0], [0.5, 0.5])
        + raw_rows("overwrite", 5, 2, [1.5, 1.5], [3.0, 3.0])
    )
    s = summarize(raw, "readwrite")
    assert len(s) == 1
    assert s.iloc[0]["speedup"] == pytest.approx(2.0)
    assert s.iloc[0]["overwrite_pool_median"] == 3.0
    assert s.iloc[0]["overwrite_speedup"] == pytest.approx(0.5)


def test_stale_rows_are_refused():
    raw = pd.DataFrame(raw_rows("read", 5, 2, [1.0], [0.5], "old") + raw_rows("read", 5, 2, [1.0], [0.5], "new"))
    with pytest.raises(ValueError, match="different configurations"):
        check_consistent(raw)
    with pytest.raises(ValueError):
        summarize(raw, "read")


def test_missing_experiment_is_an_error():
    raw = pd.DataFrame(raw_rows("read", 5, 2, [1.0], [0.5]))
    with pytest.raises(ValueError, match="no raw rows"):
        summarize(raw, "readwrite")


def test_single_repetition_has_no_spread():
    d = describe([2.0])
    assert d["cv"] == 0.0 and d["ci_coverage"] == 0.0 and not math.isnan(d["median"])


@pytest.mark.parametrize("low, high, where", [(1.2, 1.5, "above"), (0.5, 0.9, "below"), (0.9, 1.1, "includes"),
                                              (1.0, 1.3, "includes"), (float("nan"), float("nan"), "includes")])
def test_interval_vs_one(low, high, where):
    from mpbench.stats import interval_vs_one

    assert interval_vs_one(low, high) == where
