"""The post's conclusions as checks: each verdict is computed, both ways, from synthetic summaries."""

import numpy as np
import pandas as pd
import pytest

from mpbench import claims as C


def appendix(speedups, loops=(1, 5, 10, 20, 40, 80, 160), workers=4, width=0.1, **over):
    rows = []
    for n, s in zip(loops, speedups):
        row = {"loops": n, "workers": workers, "serial_median": 0.05 * n, "pool_median": 0.05 * n / s,
               "speedup": s, "speedup_ci_low": s - width, "speedup_ci_high": s + width,
               "serial_ci_low": 0.049 * n, "serial_ci_high": 0.051 * n,
               "pool_ci_low": 0.049 * n / s, "pool_ci_high": 0.051 * n / s}
        rows.append(row)
    frame = pd.DataFrame(rows)
    for key, value in over.items():
        frame[key] = value(frame) if callable(value) else value
    return frame


def test_reads_more_parallel_holds_when_speedup_grows_with_loops():
    verdict = C.reads_more_parallel_is_better(appendix([0.7, 1.3, 1.5, 1.7, 1.8, 1.85, 1.9]))
    assert verdict["verdict"] == C.HOLDS and "1.90×" in verdict["evidence"]


def test_reads_more_parallel_fails_when_speedup_falls():
    verdict = C.reads_more_parallel_is_better(appendix([2.5, 2.0, 1.8, 1.5, 1.2, 1.0, 0.9]))
    assert verdict["verdict"] == C.FAILS


def test_reads_more_parallel_not_measured_without_enough_loop_counts():
    assert C.reads_more_parallel_is_better(appendix([1.0, 1.2], loops=(1, 5)))["verdict"] == C.UNKNOWN
    assert C.reads_more_parallel_is_better(None)["verdict"] == C.UNKNOWN


def test_writes_80_as_loop_count_both_ways():
    peak80 = appendix([0.8, 1.7, 2.3, 2.6, 2.9, 3.1, 1.6])  # the post's own read & write shape
    assert C.writes_best_at_about_80(peak80)[0]["verdict"] == C.HOLDS
    rising = appendix([0.8, 1.2, 1.4, 1.6, 1.7, 1.8, 1.95])
    assert C.writes_best_at_about_80(rising)[0]["verdict"] == C.FAILS
    no80 = appendix([0.8, 1.2, 1.4], loops=(1, 5, 10))
    assert C.writes_best_at_about_80(no80)[0]["verdict"] == C.UNKNOWN


def sweep(op_speedups, workers=(1, 2, 4, 8, 16, 32, 80)):
    rows = []
    for op, speedups in op_speedups.items():
        rows.append({"operation": op, "variant": "serial", "workers": 1, "speedup": 1.0})
        for w, s in zip(workers, speedups):
            rows.append({"operation": op, "variant": f"w{w}", "workers": w, "speedup": s})
    return pd.DataFrame(rows)


def test_writes_80_as_worker_count_both_ways():
    best80 = sweep({"readwrite": [0.9, 1.5, 1.8, 1.9, 2.0, 2.1, 2.3]})
    assert C.writes_best_at_about_80(None, best80)[1]["verdict"] == C.HOLDS
    best2 = sweep({"readwrite": [0.9, 1.9, 1.8, 1.7, 1.5, 1.2, 0.8], "overwrite": [0.9, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5]})
    verdict = C.writes_best_at_about_80(None, best2)[1]
    assert verdict["verdict"] == C.FAILS and "best Pool(2)" in verdict["evidence"]
    assert C.writes_best_at_about_80(None, sweep({"readwrite": [1, 2]}, workers=(1, 2)))[1]["verdict"] == C.UNKNOWN
    assert C.writes_best_at_about_80(None, None)[1]["verdict"] == C.UNKNOWN


def with_overwrite(factor_serial, factor_pool, over_speedup):
    frame = appendix([0.8, 1.5, 1.7, 1.8, 1.9, 1.9, 1.9])
    for mode, factor in (("serial", factor_serial), ("pool", factor_pool)):
        frame[f"overwrite_{mode}_median"] = frame[f"{mode}_median"] * factor
        frame[f"overwrite_{mode}_ci_low"] = frame[f"{mode}_ci_low"] * factor
        frame[f"overwrite_{mode}_ci_high"] = frame[f"{mode}_ci_high"] * factor
    frame["overwrite_speedup"] = over_speedup
    frame["overwrite_speedup_ci_low"] = over_speedup - 0.1
    frame["overwrite_speedup_ci_high"] = over_speedup + 0.1
    return frame


def test_overwrite_slower_both_ways():
    assert C.overwrite_is_slower(with_overwrite(1.5, 2.0, 1.0))["verdict"] == C.HOLDS
    assert C.overwrite_is_slower(with_overwrite(1.0, 1.0, 1.9))["verdict"] == C.FAILS
    assert C.overwrite_is_slower(with_overwrite(0.8, 0.8, 1.9))["verdict"] == C.FAILS
    assert C.overwrite_is_slower(appendix([1, 1, 1, 1, 1, 1, 1]))["verdict"] == C.UNKNOWN


def test_overwrite_defeats_parallel_both_ways():
    assert C.overwrite_defeats_parallel(with_overwrite(1.5, 2.0, 1.0))["verdict"] == C.HOLDS
    assert C.overwrite_defeats_parallel(with_overwrite(1.5, 2.0, 1.9))["verdict"] == C.FAILS


def test_more_cores_faster_both_ways():
    assert C.more_cores_faster(sweep({"read": [0.9, 1.8, 1.9, 1.9, 1.8, 1.7, 1.5]}), cores=2)["verdict"] == C.HOLDS
    assert C.more_cores_faster(sweep({"read": [0.9, 0.8, 1.9, 1.9, 1.8, 1.7, 1.5]}), cores=2)["verdict"] == C.FAILS
    assert C.more_cores_faster(sweep({"read": [0.9, 1.8, 2.5, 3.0]}, workers=(1, 2, 4, 8)), cores=8)["verdict"] == C.HOLDS
    assert C.more_cores_faster(sweep({"read": [0.9]}, workers=(1,)), cores=2)["verdict"] == C.UNKNOWN
    assert C.more_cores_faster(None, cores=2)["verdict"] == C.UNKNOWN


def crossover(speedups, sizes=(1000, 100000, 10000000)):
    rows = []
    for n, s in zip(sizes, speedups):
        rows.append({"workers": 2, "size": n, "variant": "serial", "speedup": 1.0, "speedup_ci_low": 1.0,
                     "speedup_ci_high": 1.0})
        rows.append({"workers": 2, "size": n, "variant": "pool", "speedup": s, "speedup_ci_low": s * 0.9,
                     "speedup_ci_high": s * 1.1})
    return pd.DataFrame(rows)


def test_cpu_needs_large_size_both_ways():
    assert C.cpu_needs_large_size(crossover([0.01, 0.8, 1.9]))["verdict"] == C.HOLDS
    assert C.cpu_needs_large_size(crossover([0.01, 0.5, 0.9]))["verdict"] == C.FAILS  # never pays off
    assert C.cpu_needs_large_size(crossover([1.5, 1.8, 1.9]))["verdict"] == C.FAILS  # pays off from the start
    assert C.cpu_needs_large_size(None)["verdict"] == C.UNKNOWN
    # one worker count pays off at the largest size, another (more workers than cores) not yet: holds
    mixed = pd.concat([crossover([0.01, 0.8, 1.9]), crossover([0.005, 0.5, 1.0]).assign(workers=4)])
    verdict = C.cpu_needs_large_size(mixed)
    assert verdict["verdict"] == C.HOLDS and "0.01× at n = 1,000" in verdict["evidence"]


def test_check_all_and_table_keep_the_posts_order_and_text():
    frame = C.check_all({"read": appendix([0.7, 1.3, 1.5, 1.7, 1.8, 1.85, 1.9])}, cores=2)
    assert list(frame["id"]) == ["reads_more_parallel", "writes_80_loops", "writes_80_workers", "overwrite_slower",
                                 "overwrite_no_parallel", "more_cores_faster", "cores_limit", "close_join_optional",
                                 "cpu_large_size"]
    assert list(frame["verdict"]) == [C.HOLDS] + [C.UNKNOWN] * 8
    text = C.table(frame)
    assert "读操作，并行越多越好" in text and "**holds**" in text and "**not measured**" in text


def limit_sweep(ratio_above, significant):
    rows = [{"operation": "read", "variant": "serial", "workers": 1, "speedup": 1.0, "time_vs_cores": np.nan,
             "time_vs_cores_p": np.nan, "time_vs_cores_significant": False, "cores_reference_workers": 2}]
    for w, ratio in ((2, np.nan), (4, ratio_above), (8, 1.1)):
        rows.append({"operation": "read", "variant": f"pool{w}", "workers": w, "speedup": 1.8, "time_vs_cores": ratio,
                     "time_vs_cores_p": 0.031 if significant else 0.5, "time_vs_cores_significant": significant,
                     "cores_reference_workers": 2})
    return pd.DataFrame(rows)


def test_cores_are_the_limit_both_ways():
    assert C.cores_are_the_limit(limit_sweep(0.98, False), cores=2)["verdict"] == C.HOLDS
    verdict = C.cores_are_the_limit(limit_sweep(0.9, True), cores=2)
    assert verdict["verdict"] == C.FAILS and "Pool(4) at 0.90× the time of Pool(2)" in verdict["evidence"]
    assert C.cores_are_the_limit(limit_sweep(0.9, True), cores=16)["verdict"] == C.UNKNOWN
    assert C.cores_are_the_limit(None, cores=2)["verdict"] == C.UNKNOWN


def test_close_join_optional_both_ways():
    def frame(complete):
        return pd.DataFrame([
            {"api": api, "variant": v, "runs_complete": 6 if (v != "join_only" and (complete or v == "close_join")) else 0,
             "n": 6, "children_alive_after_max": 0, "runs_error": 6 if v == "join_only" else 0}
            for api in ("map", "apply_async") for v in ("close_join", "no_close_join", "join_only")])

    verdict = C.close_join_optional(frame(True))
    assert verdict["verdict"] == C.HOLDS and "join() alone failed in 12 of 12 runs" in verdict["evidence"]
    assert C.close_join_optional(frame(False))["verdict"] == C.FAILS
    assert C.close_join_optional(None)["verdict"] == C.UNKNOWN
