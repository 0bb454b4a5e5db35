"""The post's conclusions as checks: every reachable verdict - holds, does not hold,
inconclusive, not measured - from synthetic summaries, including mixed directions,
missing intervals and a tiny swap of two medians."""

import numpy as np
import pandas as pd
import pytest

from mpbench import claims as C


def appendix(speedups, loops=(1, 5, 10, 20, 40, 80, 160), workers=4, width=0.1, **over):
    rows = []
    for n, s in zip(loops, speedups):
        row = {
            "loops": n,
            "workers": workers,
            "serial_median": 0.05 * n,
            "pool_median": 0.05 * n / s,
            "speedup": s,
            "speedup_ci_low": s - width,
            "speedup_ci_high": s + width,
            "speedup_ci_coverage": 0.96,
            "serial_ci_low": 0.049 * n,
            "serial_ci_high": 0.051 * n,
            "pool_ci_low": 0.049 * n / s,
            "pool_ci_high": 0.051 * n / s,
        }
        rows.append(row)
    frame = pd.DataFrame(rows)
    for key, value in over.items():
        frame[key] = value(frame) if callable(value) else value
    return frame


# --------------------------------------------------------------------------
# the interval helpers


def test_interval_order_and_holm():
    assert C.order((1.2, 1.5), (1.0, 1.1)) == "above" and C.order((0.5, 0.9), (1.0, 1.0)) == "below"
    assert C.order((0.9, 1.1), (1.0, 1.0)) == "overlap" and C.order(None, (1.0, 1.0)) == "unknown"
    # an interval that covers less than 95% (too few repetitions) is no interval
    assert C.interval({"speedup_ci_low": 1.1, "speedup_ci_high": 1.3, "speedup_ci_coverage": 0.75}) is None
    assert C.interval({"speedup_ci_low": np.nan, "speedup_ci_high": 1.3}) is None
    # Holm: 0.01 < 0.05/3, then 0.02 < 0.05/2, then 0.04 < 0.05/1: all; 0.03 first stops at 0.05/3
    assert C.holm([0.02, 0.01, 0.04]) == [True, True, True]
    assert C.holm([0.03, 0.03, 0.03]) == [False, False, False]
    assert C.holm([0.001, 0.04, 0.5]) == [True, False, False]


# --------------------------------------------------------------------------
# reads: the more parallel the better


def test_reads_more_parallel_all_outcomes():
    holds = C.reads_more_parallel_is_better(appendix([0.7, 1.3, 1.5, 1.7, 1.8, 1.85, 1.9]))
    assert holds["verdict"] == C.HOLDS and "160 loops 1.90×" in holds["evidence"]
    assert C.reads_more_parallel_is_better(appendix([2.5, 2.0, 1.8, 1.5, 1.2, 1.0, 0.9]))["verdict"] == C.FAILS
    # a peak before the end, clearly above the largest count: does not hold
    assert C.reads_more_parallel_is_better(appendix([0.7, 1.3, 1.9, 1.7, 1.5, 1.4, 1.3]))["verdict"] == C.FAILS
    # wide intervals that overlap from the first to the last: inconclusive, and says what would decide
    wide = C.reads_more_parallel_is_better(appendix([1.0, 1.1, 1.2, 1.2, 1.3, 1.3, 1.4], width=0.5))
    assert wide["verdict"] == C.INCONCLUSIVE and "1 and 160 loops overlap" in wide["decide"]
    assert C.reads_more_parallel_is_better(appendix([1.0, 1.2], loops=(1, 5)))["verdict"] == C.UNKNOWN
    assert C.reads_more_parallel_is_better(None)["verdict"] == C.UNKNOWN
    # without 95% intervals (too few repetitions) nothing is decided from the medians
    few = appendix([0.7, 1.3, 1.5, 1.7, 1.8, 1.85, 1.9], speedup_ci_coverage=0.75)
    assert C.reads_more_parallel_is_better(few)["verdict"] == C.INCONCLUSIVE


def test_a_tiny_swap_of_two_medians_does_not_flip_a_verdict():
    # 80 and 160 loops swap by 0.01x: the old median rule flipped writes_80_loops between holds and fails
    a = appendix([0.8, 1.7, 2.3, 2.6, 2.9, 3.10, 3.09], width=0.2)
    b = appendix([0.8, 1.7, 2.3, 2.6, 2.9, 3.09, 3.10], width=0.2)
    va, vb = C.writes_best_at_about_80(a)[0]["verdict"], C.writes_best_at_about_80(b)[0]["verdict"]
    assert va == vb == C.INCONCLUSIVE
    ra = C.reads_more_parallel_is_better(appendix([1.0, 1.5, 1.8, 1.9, 2.0, 2.11, 2.10]))["verdict"]
    rb = C.reads_more_parallel_is_better(appendix([1.0, 1.5, 1.8, 1.9, 2.0, 2.10, 2.11]))["verdict"]
    assert ra == rb == C.HOLDS


# --------------------------------------------------------------------------
# writes: best at about 80


def test_writes_80_as_loop_count_all_outcomes():
    peak80 = appendix([0.8, 1.7, 2.3, 2.6, 2.9, 3.5, 1.6])
    assert C.writes_best_at_about_80(peak80)[0]["verdict"] == C.HOLDS
    rising = appendix([0.8, 1.2, 1.4, 1.6, 1.7, 1.8, 2.3])
    assert C.writes_best_at_about_80(rising)[0]["verdict"] == C.FAILS
    close = appendix([0.8, 1.2, 1.4, 1.6, 1.7, 1.8, 1.85])  # 160 loops within reach of 80
    verdict = C.writes_best_at_about_80(close)[0]
    assert verdict["verdict"] == C.INCONCLUSIVE and "160" in verdict["decide"]
    no80 = appendix([0.8, 1.2, 1.4], loops=(1, 5, 10))
    assert C.writes_best_at_about_80(no80)[0]["verdict"] == C.UNKNOWN


def sweep(op_speedups, workers=(1, 2, 4, 8, 16, 32, 80), loops=160, width=0.1):
    rows = []
    for op, speedups in op_speedups.items():
        rows.append(
            {
                "operation": op,
                "variant": "serial",
                "workers": 1,
                "loops": loops,
                "speedup": 1.0,
                "speedup_ci_low": 1.0,
                "speedup_ci_high": 1.0,
            }
        )
        for w, s in zip(workers, speedups):
            rows.append(
                {
                    "operation": op,
                    "variant": f"w{w}",
                    "workers": w,
                    "loops": loops,
                    "speedup": s,
                    "speedup_ci_low": s - width,
                    "speedup_ci_high": s + width,
                }
            )
    return pd.DataFrame(rows)


def test_writes_80_as_worker_count_all_outcomes():
    best80 = sweep({"readwrite": [0.9, 1.5, 1.8, 1.9, 2.0, 2.1, 2.5]})
    assert C.writes_best_at_about_80(None, best80)[1]["verdict"] == C.HOLDS
    best2 = sweep({"readwrite": [0.9, 1.9, 1.8, 1.7, 1.5, 1.2, 0.8], "overwrite": [0.9, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5]})
    verdict = C.writes_best_at_about_80(None, best2)[1]
    assert verdict["verdict"] == C.FAILS and "above every count in the band: 2" in verdict["evidence"]
    near = sweep({"readwrite": [0.9, 1.5, 1.8, 1.9, 2.0, 2.1, 2.15]})
    assert C.writes_best_at_about_80(None, near)[1]["verdict"] == C.INCONCLUSIVE
    # the default sweep gives Pool(80) 40 tasks: the question cannot be asked, and the reason is given
    idle = C.writes_best_at_about_80(None, sweep({"readwrite": [0.9, 1.5, 1.8, 1.9, 2.0, 2.1, 2.5]}, loops=40))[1]
    assert idle["verdict"] == C.UNKNOWN and "workers_sweep.loops to 100" in idle["evidence"]
    assert C.writes_best_at_about_80(None, sweep({"readwrite": [1, 2]}, workers=(1, 2)))[1]["verdict"] == C.UNKNOWN
    assert C.writes_best_at_about_80(None, None)[1]["verdict"] == C.UNKNOWN


# --------------------------------------------------------------------------
# overwrite


def with_overwrite(factor_serial, factor_pool, over_speedup, width=0.1):
    frame = appendix([0.8, 1.5, 1.7, 1.8, 1.9, 1.9, 1.9])
    for mode, factor in (("serial", factor_serial), ("pool", factor_pool)):
        factors = np.resize(np.atleast_1d(factor), len(frame))
        frame[f"overwrite_{mode}_median"] = frame[f"{mode}_median"] * factors
        frame[f"overwrite_{mode}_ci_low"] = frame[f"{mode}_ci_low"] * factors
        frame[f"overwrite_{mode}_ci_high"] = frame[f"{mode}_ci_high"] * factors
    frame["overwrite_speedup"] = over_speedup
    frame["overwrite_speedup_ci_low"] = over_speedup - width
    frame["overwrite_speedup_ci_high"] = over_speedup + width
    frame["overwrite_speedup_ci_coverage"] = 0.96
    return frame


def test_overwrite_slower_all_outcomes():
    assert C.overwrite_is_slower(with_overwrite(1.5, 2.0, 1.0))["verdict"] == C.HOLDS
    assert C.overwrite_is_slower(with_overwrite(0.8, 0.8, 1.9))["verdict"] == C.FAILS
    # equal times: overlapping intervals everywhere - that is not evidence against the claim
    same = C.overwrite_is_slower(with_overwrite(1.0, 1.0, 1.9))
    assert same["verdict"] == C.INCONCLUSIVE and same["decide"]
    # mixed directions: clearly faster at 3 of 7 counts, slower at 4 - the claim does not hold
    mixed = C.overwrite_is_slower(with_overwrite([1.5, 0.7, 1.5, 0.7, 1.5, 0.7, 1.5], 2.0, 1.0))
    assert mixed["verdict"] == C.FAILS and "faster at 5, 20, 80" in mixed["evidence"]
    assert C.overwrite_is_slower(appendix([1, 1, 1, 1, 1, 1, 1]))["verdict"] == C.UNKNOWN


def paired_overwrite(ratio, p):
    """The medians' intervals overlap; the paired ratios of the same repetitions say ``ratio`` with ``p``."""
    frame = with_overwrite(1.0, 1.0, 1.0)
    for mode in ("serial", "pool"):
        frame[f"overwrite_{mode}_ratio"] = ratio
        frame[f"overwrite_{mode}_ratio_ci_low"] = np.asarray(ratio, dtype=float) * 0.97
        frame[f"overwrite_{mode}_ratio_ci_high"] = np.asarray(ratio, dtype=float) * 1.03
        frame[f"overwrite_{mode}_ratio_p"] = p
    return frame


def test_overwrite_slower_uses_the_paired_tests_when_there_are_some():
    slower = C.overwrite_is_slower(paired_overwrite(1.06, 2 / 2**14))  # 14 pairs each, all slower
    assert slower["verdict"] == C.HOLDS and "paired sign tests, Holm-corrected over 12" in slower["evidence"]
    assert C.overwrite_is_slower(paired_overwrite(0.94, 2 / 2**14))["verdict"] == C.FAILS


def test_overwrite_slower_one_uncorrected_difference_among_twelve_decides_nothing():
    """Six pairs give at best p = 0.031: below 5% alone, not after Holm over 12 comparisons
    (Uncorrected, one such 'faster' loop count made the claim fail in a real run.)"""
    p = [1.0, 1.0, 1.0, 1.0, 0.031, 1.0, 1.0]
    ratio = [1.0, 1.0, 1.0, 1.0, 0.84, 1.0, 1.0]
    verdict = C.overwrite_is_slower(paired_overwrite(ratio, p))
    assert verdict["verdict"] == C.INCONCLUSIVE and "faster at none" in verdict["evidence"]


def test_overwrite_defeats_parallel_all_outcomes():
    assert C.overwrite_defeats_parallel(with_overwrite(1.5, 2.0, 0.95))["verdict"] == C.HOLDS
    assert C.overwrite_defeats_parallel(with_overwrite(1.5, 2.0, 1.9))["verdict"] == C.FAILS
    # 1.05x with a wide interval: neither ineffective nor clearly faster
    assert C.overwrite_defeats_parallel(with_overwrite(1.5, 2.0, 1.05, width=0.3))["verdict"] == C.INCONCLUSIVE
    # a NaN interval gave "holds" before: now it says what is missing
    nan = with_overwrite(1.5, 2.0, 1.0)
    nan["overwrite_speedup_ci_low"] = np.nan
    verdict = C.overwrite_defeats_parallel(nan)
    assert verdict["verdict"] == C.INCONCLUSIVE and "6 repetitions" in verdict["decide"]
    assert C.overwrite_defeats_parallel(appendix([1.0] * 7))["verdict"] == C.UNKNOWN


# --------------------------------------------------------------------------
# cores


def test_more_cores_faster_all_outcomes():
    assert C.more_cores_faster(sweep({"read": [0.9, 1.8, 1.9, 1.9, 1.8, 1.7, 1.5]}), cores=2)["verdict"] == C.HOLDS
    assert C.more_cores_faster(sweep({"read": [0.9, 0.6, 1.9, 1.9, 1.8, 1.7, 1.5]}), cores=2)["verdict"] == C.FAILS
    assert (
        C.more_cores_faster(sweep({"read": [0.9, 1.8, 2.5, 3.0]}, workers=(1, 2, 4, 8)), cores=8)["verdict"] == C.HOLDS
    )
    flat = C.more_cores_faster(sweep({"read": [0.9, 1.8, 1.85, 3.0]}, workers=(1, 2, 4, 8)), cores=8)
    assert flat["verdict"] == C.INCONCLUSIVE and "Pool(2)→Pool(4)" in flat["decide"]
    assert C.more_cores_faster(sweep({"read": [0.9]}, workers=(1,)), cores=2)["verdict"] == C.UNKNOWN
    assert C.more_cores_faster(None, cores=2)["verdict"] == C.UNKNOWN


def limit_sweep(ratios, p_values, width=0.03):
    rows = [
        {
            "operation": "read",
            "variant": "serial",
            "workers": 1,
            "speedup": 1.0,
            "time_vs_cores": np.nan,
            "time_vs_cores_low": np.nan,
            "time_vs_cores_high": np.nan,
            "time_vs_cores_p": np.nan,
            "cores_reference_workers": 2,
        }
    ]
    rows.append(
        {
            "operation": "read",
            "variant": "pool2",
            "workers": 2,
            "speedup": 1.8,
            "time_vs_cores": 1.0,
            "time_vs_cores_low": 1.0,
            "time_vs_cores_high": 1.0,
            "time_vs_cores_p": np.nan,
            "cores_reference_workers": 2,
        }
    )
    for w, ratio, p in zip((4, 8, 16), ratios, p_values):
        rows.append(
            {
                "operation": "read",
                "variant": f"pool{w}",
                "workers": w,
                "speedup": 1.8,
                "time_vs_cores": ratio,
                "time_vs_cores_low": ratio - width,
                "time_vs_cores_high": ratio + width,
                "time_vs_cores_p": p,
                "cores_reference_workers": 2,
            }
        )
    return pd.DataFrame(rows)


def test_cores_are_the_limit_all_outcomes():
    assert C.cores_are_the_limit(limit_sweep([1.0, 1.02, 1.1], [0.9, 0.5, 0.01]), cores=2)["verdict"] == C.HOLDS
    faster = C.cores_are_the_limit(limit_sweep([0.8, 1.02, 1.1], [0.0001, 0.5, 0.01]), cores=2)
    assert faster["verdict"] == C.FAILS and "read Pool(4)" in faster["evidence"]
    # p = 0.04 is significant alone, but not after Holm over three counts (one-sided 0.02 > 0.05 / 3)
    one = C.cores_are_the_limit(limit_sweep([0.8, 1.02, 1.1], [0.04, 0.5, 0.5]), cores=2)
    assert one["verdict"] == C.INCONCLUSIVE and "Pool(4)" in one["decide"]
    assert C.cores_are_the_limit(limit_sweep([0.8, 1.0, 1.0], [0.0001, 0.5, 0.5]), cores=16)["verdict"] == C.UNKNOWN
    assert C.cores_are_the_limit(None, cores=2)["verdict"] == C.UNKNOWN


# --------------------------------------------------------------------------
# close / join, crossover


def test_close_join_optional_both_ways():
    def frame(complete):
        return pd.DataFrame(
            [
                {
                    "api": api,
                    "variant": v,
                    "runs_complete": 6 if (v != "join_only" and (complete or v == "close_join")) else 0,
                    "n": 6,
                    "children_alive_after_max": 0,
                    "runs_error": 6 if v == "join_only" else 0,
                }
                for api in ("map", "apply_async")
                for v in ("close_join", "no_close_join", "join_only")
            ]
        )

    verdict = C.close_join_optional(frame(True))
    assert verdict["verdict"] == C.HOLDS and "join() alone failed in 12 of 12 runs" in verdict["evidence"]
    assert C.close_join_optional(frame(False))["verdict"] == C.FAILS
    assert C.close_join_optional(None)["verdict"] == C.UNKNOWN


def crossover(speedups, sizes=(1000, 100000, 10000000), width=0.1):
    rows = []
    for n, s in zip(sizes, speedups):
        rows.append(
            {
                "workers": 2,
                "size": n,
                "variant": "serial",
                "speedup": 1.0,
                "speedup_ci_low": 1.0,
                "speedup_ci_high": 1.0,
            }
        )
        rows.append(
            {
                "workers": 2,
                "size": n,
                "variant": "pool",
                "speedup": s,
                "speedup_ci_low": s * (1 - width),
                "speedup_ci_high": s * (1 + width),
            }
        )
    return pd.DataFrame(rows)


def test_cpu_needs_large_size_all_outcomes():
    assert C.cpu_needs_large_size(crossover([0.01, 0.8, 1.9]))["verdict"] == C.HOLDS
    assert C.cpu_needs_large_size(crossover([0.01, 0.5, 0.8]))["verdict"] == C.FAILS  # never pays off
    assert C.cpu_needs_large_size(crossover([1.5, 1.8, 1.9]))["verdict"] == C.FAILS  # pays off from the start
    undecided = C.cpu_needs_large_size(crossover([0.01, 0.8, 1.02]))  # 0.92-1.12 at the largest size
    assert undecided["verdict"] == C.INCONCLUSIVE and "larger largest size" in undecided["decide"]
    assert C.cpu_needs_large_size(None)["verdict"] == C.UNKNOWN
    # one worker count pays off at the largest size, another (more workers than cores) not yet: holds
    mixed = pd.concat([crossover([0.01, 0.8, 1.9]), crossover([0.005, 0.5, 1.0]).assign(workers=4)])
    verdict = C.cpu_needs_large_size(mixed)
    assert verdict["verdict"] == C.HOLDS and "0.01× (0.009–0.011) at n = 1,000" in verdict["evidence"]


def test_check_all_and_table_keep_the_posts_order_and_text():
    frame = C.check_all({"read": appendix([0.7, 1.3, 1.5, 1.7, 1.8, 1.85, 1.9])}, cores=2)
    assert list(frame["id"]) == [
        "reads_more_parallel",
        "writes_80_loops",
        "writes_80_workers",
        "overwrite_slower",
        "overwrite_no_parallel",
        "more_cores_faster",
        "cores_limit",
        "close_join_optional",
        "cpu_large_size",
    ]
    assert list(frame["verdict"]) == [C.HOLDS] + [C.UNKNOWN] * 8
    text = C.table(frame)
    assert "读操作，并行越多越好" in text and "**holds**" in text and "**not measured**" in text
    assert "what would decide it" in text.splitlines()[0]


@pytest.mark.parametrize(
    "cid",
    [
        "reads_more_parallel",
        "writes_80_loops",
        "overwrite_slower",
        "overwrite_no_parallel",
        "more_cores_faster",
        "cores_limit",
        "cpu_large_size",
    ],
)
def test_every_rule_is_written_down_in_the_docs(cid):
    from conftest import REPO

    assert f"`{cid}`" in (REPO / "docs" / "claims.md").read_text()
