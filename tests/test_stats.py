"""Aggregation arithmetic: medians, intervals, speedup, per-operation time."""

import math

import pandas as pd
import pytest

from mpbench.stats import check_consistent_by, describe, median_ci_ranks, summarize


@pytest.mark.parametrize(
    "n, ranks, coverage",
    [
        (1, (0, 0), 0.0),
        (3, (0, 2), 0.75),
        (5, (0, 4), 0.9375),
        (6, (0, 5), 0.96875),
        (9, (1, 7), 0.9609375),
        (20, (5, 14), 0.9586105346679688),
    ],
)
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
        base = {
            "experiment": experiment,
            "loops": loops,
            "workers": workers,
            "rep": rep,
            "host": "h1",
            "config_hash": config_hash,
        }
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
        raw_rows("readwrite", 5, 2, [1.0, 1.0], [0.5, 0.5]) + raw_rows("overwrite", 5, 2, [1.5, 1.5], [3.0, 3.0])
    )
    s = summarize(raw, "readwrite")
    assert len(s) == 1
    assert s.iloc[0]["speedup"] == pytest.approx(2.0)
    assert s.iloc[0]["overwrite_pool_median"] == 3.0
    assert s.iloc[0]["overwrite_speedup"] == pytest.approx(0.5)


def test_stale_rows_are_refused():
    raw = pd.DataFrame(raw_rows("read", 5, 2, [1.0], [0.5], "old") + raw_rows("read", 5, 2, [1.0], [0.5], "new"))
    with pytest.raises(ValueError, match="different configurations"):
        check_consistent_by(raw, ["experiment", "loops", "workers"])
    with pytest.raises(ValueError):
        summarize(raw, "read")


def test_missing_experiment_is_an_error():
    raw = pd.DataFrame(raw_rows("read", 5, 2, [1.0], [0.5]))
    with pytest.raises(ValueError, match="no raw rows"):
        summarize(raw, "readwrite")


def test_single_repetition_has_no_spread():
    d = describe([2.0])
    assert d["cv"] == 0.0 and d["ci_coverage"] == 0.0 and not math.isnan(d["median"])


@pytest.mark.parametrize(
    "low, high, where",
    [
        (1.2, 1.5, "above"),
        (0.5, 0.9, "below"),
        (0.9, 1.1, "includes"),
        (1.0, 1.3, "includes"),
        (float("nan"), float("nan"), "includes"),
    ],
)
def test_interval_vs_one(low, high, where):
    from mpbench.stats import interval_vs_one

    assert interval_vs_one(low, high) == where


# --------------------------------------------------------------------------
# one speedup estimator, and its test


def test_sign_test_p_values_derived_by_hand():
    from mpbench.stats import paired_p_value

    assert paired_p_value([2.0] * 6, [1.0] * 6) == pytest.approx(2 / 64)  # all six ratios above 1
    # 10 pairs, 2 below 1: 2 * (C(10,0) + C(10,1) + C(10,2)) / 2^10 = 2 * 56 / 1024
    a = [2.0] * 8 + [0.5] * 2
    assert paired_p_value(a, [1.0] * 10) == pytest.approx(0.109375)
    assert paired_p_value([2.0, 2.0, 2.0, 0.5, 0.5, 0.5], [1.0] * 6) == 1.0
    p30 = paired_p_value([2.0] * 30, [1.0] * 30)
    assert p30 == pytest.approx(2 / 2**30) and p30 > 0  # never 0
    assert paired_p_value([1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [1.0] * 7) == pytest.approx(2 / 64)  # a tie drops out
    assert math.isnan(paired_p_value([1.0], [1.0]))


def test_pairs_are_matched_by_repetition_not_position():
    from mpbench.stats import paired_p_value, ratio_summary

    serial = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=[0, 1, 2, 3, 4, 5])
    pool = pd.Series([3.0, 2.5, 2.0, 1.5, 1.0, 0.5], index=[5, 4, 3, 2, 1, 0])  # rep i took (i + 1) / 2
    r = ratio_summary(serial, pool)
    assert r["ratio"] == pytest.approx(2.0) and r["ratio_ci_low"] == r["ratio_ci_high"] == pytest.approx(2.0)
    assert paired_p_value(serial, pool) == pytest.approx(2 / 64)
    with pytest.raises(ValueError, match="pair them by repetition"):
        paired_p_value([1.0, 2.0], [1.0])


def test_the_speedup_lies_inside_its_interval():
    import numpy as np

    from mpbench.stats import ratio_summary

    rng = np.random.default_rng(7)
    for n in (6, 9, 10, 14, 21, 32, 50):
        for _ in range(50):
            serial = pd.Series(rng.lognormal(0.0, 0.3, n))
            pool = pd.Series(rng.lognormal(-0.5, 0.5, n))
            r = ratio_summary(serial, pool)
            assert r["ratio_ci_low"] <= r["ratio"] <= r["ratio_ci_high"]
            assert r["ratio"] == pytest.approx(float(np.median(serial / pool)))
            assert 0 < r["p_value"] <= 1


def test_reported_statistics_against_values_derived_by_hand():
    # n = 10: the 95% interval of the median is [x(2), x(9)] (P(B(10, 1/2) <= 1) = 11/1024, coverage 0.979)
    d = describe([float(v) for v in range(1, 11)])
    assert (d["ci_low"], d["ci_high"]) == (2.0, 9.0) and d["ci_coverage"] == pytest.approx(1 - 22 / 1024)
    assert d["ci_halfwidth_rel"] == pytest.approx((9 - 2) / 2 / 5.5)
    # a CV of 10%: the normal approximation (1.959964 x 1.2533 x 0.10 / 0.05)^2 = 24.1 says 25 repetitions
    # for +-5%; the interval the tables print is wider: at 28 runs its ranks are x(9), x(20) (0-based 8, 19),
    # whose Blom positions (8.625 / 28.25, 19.625 / 28.25) lie 0.509 sigma from the middle, ±5.09%; at 30,
    # x(10), x(21): 0.473 sigma, ±4.73%
    from mpbench.precision import expected_halfwidth
    from mpbench.stats import repeats_needed

    assert expected_halfwidth(28) == pytest.approx(0.509, abs=5e-4)
    assert expected_halfwidth(30) == pytest.approx(0.473, abs=5e-4)
    assert repeats_needed(0.10) == 30
    # 6 runs: [min, max], at the 10th and 90th percentiles (Blom): 1.2816 sigma, not the approximation's 1.003
    assert expected_halfwidth(6) == pytest.approx(1.2816, abs=1e-4) and repeats_needed(0.05) == 9
    # below 6 runs there is no 95% interval, so no half-width to speak of
    assert describe([1.0, 2.0, 3.0])["ci_halfwidth_rel"] == math.inf
    raw = pd.DataFrame(raw_rows("read", 4, 2, [2.0] * 6, [1.0, 1.0, 1.0, 1.0, 1.0, 4.0]))
    s = summarize(raw, "read").iloc[0]
    # ratios 2, 2, 2, 2, 2, 0.5: median 2; five above 1, one below: p = 2 x 7 / 64
    assert s["speedup"] == pytest.approx(2.0) and s["speedup_p"] == pytest.approx(14 / 64)
    assert (s["speedup_ci_low"], s["speedup_ci_high"]) == (0.5, 2.0)
