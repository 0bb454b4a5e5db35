"""Repeat until precise: the stopping rule, its coverage, stop reasons, the budget split, the calibration."""

import itertools
import json
import math
import multiprocessing
import random
import time

import pytest

from mpbench import calibrate, plan, precision, timing
from mpbench.precision import Policy


def test_checkpoints_grow_by_half_and_end_at_the_maximum():
    assert precision.checkpoints(6, 50) == [6, 9, 14, 21, 32, 48, 50]
    assert precision.checkpoints(6, 6) == [6]
    assert Policy(max_repeats=20).looks() == [6, 9, 14, 20]
    assert Policy(repeats=3).looks() == [3]


def test_halfwidth_needs_a_95_percent_interval():
    assert precision.halfwidth_rel([1.0] * 5) == math.inf  # 5 runs give no 95% interval
    assert precision.halfwidth_rel([1.0] * 6) == 0.0
    # 6 runs: the interval is [min, max]
    assert precision.halfwidth_rel([1, 1, 1, 1, 1, 1.2]) == pytest.approx(0.1)


def test_widths_cover_every_variant_and_its_ratio_to_the_baseline():
    w = precision.widths({"serial": [2.0] * 6, "pool": [1, 1, 1, 1, 1, 1.1]}, "serial")
    assert set(w) == {"serial", "pool", ("serial", "pool")}
    assert w["serial"] == 0 and w["pool"] == pytest.approx(0.05)


def decide_at(policy, n, times, elapsed=0.0, rep_s=0.0):
    return policy.decide(n, times, "a", elapsed, rep_s)


def test_decide_stop_reasons():
    tight = {"a": [1.0] * 6, "b": [2.0] * 6}
    loose = {"a": [1, 2, 1, 2, 1, 2], "b": [2, 1, 2, 1, 2, 1]}
    assert decide_at(Policy(), 6, tight) == precision.PRECISE
    assert decide_at(Policy(), 6, loose) is None
    assert decide_at(Policy(max_repeats=6), 6, loose) == precision.MAX_REPEATS
    # the next checkpoint (9) would end at 6 + 3 x 1 s, past a 7.5 s cap and its 15% slack
    assert decide_at(Policy(time_cap_s=7.5), 6, loose, elapsed=6, rep_s=1) == precision.TIME
    assert decide_at(Policy(time_cap_s=8), 6, loose, elapsed=6, rep_s=1) is None
    assert decide_at(Policy(repeats=4), 4, loose) == precision.FIXED


def fake_variants(draw):
    """Variants whose "seconds" come from ``draw(name)`` instead of a clock."""

    def make(name):
        def run():
            return {"seconds": draw(name), "started_at": 0.0, "ended_at": 0.0}, name

        return run

    return {name: make(name) for name in ("serial", "pool")}


def run_policy(policy, draw, **kw):
    return timing.repeat_variants(fake_variants(draw), policy, 0, lambda v, r: None, **kw)


def test_repeat_variants_stops_when_precise_and_records_why():
    rows = run_policy(Policy(), lambda name: 1.0 if name == "serial" else 0.5)
    assert {r["stop_reason"] for r in rows} == {"precise"}
    assert {r["repeats_done"] for r in rows} == {6} and len(rows) == 12
    assert all("dirty_before" in r for r in rows)


def test_repeat_variants_goes_on_while_noisy_up_to_max_repeats():
    rng = random.Random(1)
    rows = run_policy(Policy(max_repeats=14), lambda name: rng.uniform(0.5, 1.5))
    assert {r["stop_reason"] for r in rows} == {"max_repeats"}
    assert len(rows) == 2 * 14 and {r["repeats_done"] for r in rows} == {14}


def test_repeat_variants_stops_at_its_time_cap_but_not_before_six():
    rng = random.Random(2)
    rows = run_policy(Policy(time_cap_s=0.0), lambda name: rng.uniform(0.5, 1.5))
    assert {r["stop_reason"] for r in rows} == {"time"}
    assert {r["repeats_done"] for r in rows} == {6}  # a 95% interval needs 6, whatever the cap


def test_variant_order_is_balanced_seeded_and_recorded():
    from collections import Counter

    def variants(names):
        return {n: (lambda n=n: ({"seconds": 1.0, "started_at": 0.0, "ended_at": 0.0}, n)) for n in names}

    rows = timing.repeat_variants(variants("abcd"), 12, 0, lambda v, r: None, label="point x")
    # each variant right after each other one, and in each position, equally often (a Williams design)
    follows = Counter((r["previous"], r["variant"]) for r in rows if r["previous"] is not None)
    assert len(follows) == 12 and set(follows.values()) == {3}
    assert set(Counter((r["variant"], r["order"]) for r in rows).values()) == {3}
    assert all(r["previous"] is None for r in rows if r["order"] == 0)
    # not the fixed cycle of before, where a always followed d
    assert len({r["previous"] for r in rows if r["variant"] == "a" and r["previous"]}) == 3
    # seeded by the point's label: the same point runs in the same orders
    order = [r["variant"] for r in rows]
    again = timing.repeat_variants(variants("abcd"), 12, 0, lambda v, r: None, label="point x")
    assert [r["variant"] for r in again] == order
    other = timing.repeat_variants(variants("abcd"), 12, 0, lambda v, r: None, label="point y")
    assert [r["variant"] for r in other] != order
    # three variants: six orders per block, still balanced
    rows3 = timing.repeat_variants(variants("abc"), 6, 0, lambda v, r: None, label="z")
    assert set(Counter((r["previous"], r["variant"]) for r in rows3 if r["previous"]).values()) == {2}
    # two variants: each first once in every block of two repetitions
    pairs = [[r["variant"] for r in run_policy(4, lambda n: 1.0) if r["rep"] == k] for k in range(4)]
    assert all(sorted(p) == ["pool", "serial"] for p in pairs) and pairs[0] != pairs[1] and pairs[2] != pairs[3]


def test_fixed_repeats_ignore_precision():
    rows = run_policy(3, lambda name: 1.0)
    assert {r["stop_reason"] for r in rows} == {"fixed"} and len(rows) == 6


def test_cheap_warmups_and_prime_run_untimed():
    calls = []

    def make(name):
        def run():
            calls.append(name)
            return {"seconds": 1.0, "started_at": 0.0, "ended_at": 0.0}, name

        run.warmup = lambda: calls.append(f"{name} warm-up")
        return run

    rows = timing.repeat_variants(
        {"a": make("a"), "b": make("b")}, 1, 1, lambda v, r: None, prime=lambda: calls.append("prime")
    )
    assert calls == ["a warm-up", "b warm-up", "prime", "a", "b"]
    assert [r["variant"] for r in rows] == ["a", "b"]


def skewed(rng, sigma):
    """A skewed timing: a lognormal body and one slow run in ten (1-2x)."""
    x = math.exp(rng.gauss(0, sigma))
    return x * (1 + rng.random()) if rng.random() < 0.1 else x


def true_median(draw, n=100_000, seed=99):
    rng = random.Random(seed)
    return precision.median([draw(rng) for _ in range(n)])


@pytest.mark.parametrize("sigma", [0.02, 0.05, 0.1])
def test_the_stopping_rule_keeps_the_intervals_coverage(sigma):
    """Skewed timings under the rule: the final 95% intervals of a variant's
    median and of the paired ratio still cover the truth >= 93% of the time."""
    serial = lambda rng: skewed(rng, sigma)  # noqa: E731
    shared = sigma / 2

    def pair(rng):
        common = math.exp(rng.gauss(0, shared))  # drift both runs of a repetition share
        return serial(rng) * common, 0.5 * skewed(rng, sigma) * common

    truth_serial = true_median(lambda rng: pair(rng)[0])
    truth_ratio = true_median(lambda rng: (lambda a, b: a / b)(*pair(rng)))
    rng = random.Random(7)
    policy = Policy(max_repeats=50)
    sims, cover_serial, cover_ratio, sizes = 1000, 0, 0, []
    for _ in range(sims):
        times = {"serial": [], "pool": []}
        for n in itertools.count(1):
            a, b = pair(rng)
            times["serial"].append(a)
            times["pool"].append(b)
            if n in policy.looks() and policy.decide(n, times, "serial", 0, 0):
                break
        for values, truth, hit in (
            (times["serial"], truth_serial, "s"),
            ([x / y for x, y in zip(times["serial"], times["pool"])], truth_ratio, "r"),
        ):
            x = sorted(values)
            lo, hi, _ = precision.median_ci_ranks(len(x))
            if x[lo] <= truth <= x[hi]:
                if hit == "s":
                    cover_serial += 1
                else:
                    cover_ratio += 1
        sizes.append(len(times["serial"]))
    assert cover_serial / sims >= 0.93
    assert cover_ratio / sims >= 0.93
    assert min(sizes) >= 6


def test_setting_names_what_defines_the_repetitions():
    assert precision.setting(Policy(time_cap_s=5)) == {"repeats": "auto", "precision": 0.05, "max_repeats": 50}
    assert precision.setting(Policy(repeats=6)) == {"repeats": 6}
    assert precision.setting(4) == {"repeats": 4}


def test_policy_from_config_and_an_experiments_own_repeats():
    cfg = {"repeats": "auto", "precision": 0.02, "max_repeats": 30, "ci_level": 0.95}
    p = precision.policy_for(cfg, time_cap_s=60)
    assert (p.repeats, p.precision, p.max_repeats, p.time_cap_s) == (None, 0.02, 30, 60)
    fixed = precision.policy_for(cfg, {"repeats": 3}, time_cap_s=60)
    assert (fixed.repeats, fixed.time_cap_s) == (3, None)


# --------------------------------------------------------------------------
# the budget split


def test_split_gives_cheap_points_more_repetitions_within_the_budget():
    costs = [0.1, 1.0, 10.0]
    reps = plan.split(costs, budget_s=200, first=6, most=50)
    assert sum(c * r for c, r in zip(costs, reps)) == pytest.approx(200, rel=1e-3)
    assert reps[0] >= reps[1] >= reps[2] >= 6
    assert max(reps) <= 50
    # proportional to 1/sqrt(cost) where neither bound holds
    assert reps[1] / reps[2] == pytest.approx(math.sqrt(10), rel=1e-3)


def test_split_over_and_under_budget():
    assert plan.split([10.0, 10.0], budget_s=60, first=6, most=50) == [6.0, 6.0]  # 120 s needed: first each
    assert plan.split([0.1, 0.1], budget_s=1000, first=6, most=50) == [50.0, 50.0]


def points(*costs):
    return [plan.Point("x", f"p{i}", c, None) for i, c in enumerate(costs)]


def test_plan_caps_and_the_over_budget_warning():
    p = plan.make(points(1.0, 2.0), budget_minutes=1)
    assert set(p.caps) == {("x", "p0"), ("x", "p1")}
    # each share is rounded to the nearest checkpoint, so the total is about the budget
    assert set(p.reps.values()) <= set(precision.checkpoints(6, 50))
    assert sum(p.caps.values()) == pytest.approx(60, rel=0.25)
    assert len(p.lines()) == 1 and "plan: 2 points to measure" in p.lines()[0]
    over = plan.make(points(60.0, 60.0), budget_minutes=1)
    lines = over.lines()
    assert len(lines) == 2 and lines[1].startswith("warning: even 6 repetitions per point")
    assert over.lines({("x", "p0"), ("x", "p1")}) == []  # everything measured: nothing to say


def test_plan_of_the_default_config_covers_every_point(tmp_path):
    from mpbench.config import validate_config

    cfg = validate_config({}, workdir=tmp_path)
    p = plan.build(cfg)
    # 8 loop counts x 1 worker count x 2 jobs (read; read & write with the overwrite)
    assert len(p.points) == 16 + sum(1 for _ in p.points if _.experiment not in ("read", "readwrite"))
    assert all(pt.rep_seconds > 0 for pt in p.points)
    # the read & write job's repetition also pays for the overwrite's runs
    rw = {pt.point_id: pt.rep_seconds for pt in p.points if pt.experiment == "readwrite"}
    u = plan.units(None, int(cfg["data"]["size_mb"] * plan.MIB))
    assert rw["loops40_workers4"] == pytest.approx(
        sum(plan.file_run(op, 40, u) + plan.file_run(op, 40, u, 4) for op in ("readwrite", "overwrite"))
    )
    # the expensive appendix cell gets fewer repetitions than the cheap one
    assert p.reps[("readwrite", "loops160_workers4")] < p.reps[("read", "loops1_workers4")]


def test_units_follow_the_calibration_and_the_file_size():
    cal = {
        "units": {
            "read_seconds": 0.2,
            "readwrite_seconds": 0.5,
            "pool_seconds": 0.1,
            "step_seconds": 1e-7,
            "cores": 8,
            "size_bytes": 10 * plan.MIB,
        }
    }
    u = plan.units(cal, 20 * plan.MIB)
    assert (u.read, u.readwrite, u.cores) == (pytest.approx(0.4), pytest.approx(1.0), 8)


# --------------------------------------------------------------------------
# the calibration


def test_calibration_measures_the_floor_and_the_units(tmp_path):
    out = calibrate.measure(str(tmp_path), 100_000, runs={0.002: 5, 0.01: 5}, workers=3)
    cpu = [f for f in out["floor"] if f["operation"] == "cpu_loop"]
    assert [f["target_seconds"] for f in cpu] == [0.002, 0.01]
    assert all(f["n"] == 5 and f["median"] > 0 and f["cv"] >= 0 for f in cpu)
    assert [(f["operation"], f["steps"]) for f in out["floor"] if f["operation"] != "cpu_loop"] == [
        ("read", 1),
        ("read", 10),
        ("write", 1),
        ("write", 10),
        ("pool", 3),
        *((f"pool_{m}", 3) for m in multiprocessing.get_all_start_methods() if m != "fork"),
        ("dispatch", 500),
        ("dispatch", 5000),
        ("cpu_parallel", cpu[0]["steps"]),
        ("cpu_parallel", cpu[1]["steps"]),
    ]
    # the loop on one worker per core at once (never more than the Pool's workers)
    parallel = [f for f in out["floor"] if f["operation"] == "cpu_parallel"]
    assert [f["target_seconds"] for f in parallel] == [0.002, 0.01] and all(f["n"] == 5 for f in parallel)
    assert {f["workers"] for f in parallel} == {min(3, calibrate.usable_cores())}
    assert all(f["n"] > 1 and f["median"] > 0 and f["cv"] >= 0 for f in out["floor"])
    assert all(
        out["units"][k] > 0
        for k in ("step_seconds", "read_seconds", "readwrite_seconds", "pool_seconds", "task_seconds")
    )
    assert out["units"]["pool_workers"] == 3
    assert out["units"]["size_bytes"] == 100_000
    assert list(tmp_path.iterdir()) == []  # nothing left behind
    json.dumps(out)  # what calibration.json holds


def test_floor_cv_interpolates_between_run_lengths():
    cal = {
        "floor": [
            {"operation": "cpu_loop", "median": 0.01, "cv": 0.04},
            {"operation": "cpu_loop", "median": 1.0, "cv": 0.01},
            {"operation": "read", "median": 0.05, "cv": 0.5},
        ]
    }
    assert calibrate.floor_of(cal, 0.001)[0] == 0.04  # held flat beyond the ends
    assert calibrate.floor_of(cal, 10)[0] == 0.01
    assert calibrate.floor_of(cal, 0.1)[0] == pytest.approx(0.02)  # halfway on log-log axes
    assert math.isnan(calibrate.floor_of(None, 1.0)[0])
    # a file operation is set against the floor of its kind; a kind not measured falls back to the loop's
    assert calibrate.floor_of(cal, 0.05, calibrate.floor_kind("read"))[0] == 0.5
    assert calibrate.floor_kind("readwrite") == "write" and calibrate.floor_kind("crossover") == "cpu_loop"
    assert calibrate.floor_of(cal, 0.1, "write")[0] == pytest.approx(0.02)


def test_a_run_that_starts_a_pool_adds_the_pool_starts_spread():
    cal = {
        "floor": [
            {"operation": "cpu_loop", "median": 0.01, "cv": 0.05},
            {"operation": "pool", "median": 0.03, "cv": 0.2},
            {"operation": "dispatch", "median": 0.1, "cv": 0.08},
        ]
    }
    assert calibrate.floor_kind("readwrite", pool=True) == "write+pool"
    assert calibrate.floor_kind("dispatch+pool") == "dispatch+pool"
    assert calibrate.floor_kind("square", pool=True) == "cpu_loop+pool"
    # shorter than a Pool start: the Pool start's floor
    assert calibrate.floor_of(cal, 0.02, "cpu_loop+pool")[0] == 0.2
    # a start of 30 ms (sd 6 ms) in a 1.03 s run whose second of work has a 5% floor (sd 50 ms)
    assert calibrate.floor_of(cal, 1.03, "cpu_loop+pool")[0] == pytest.approx(math.hypot(0.006, 0.05) / 1.03)
    assert calibrate.floor_of(cal, 0.13, "dispatch+pool")[0] == pytest.approx(math.hypot(0.006, 0.008) / 0.13)
    # without a pool floor, the work's own
    assert calibrate.floor_of({"floor": cal["floor"][:1]}, 1.0, "cpu_loop+pool")[0] == 0.05


def test_cpu_work_in_a_pool_is_set_against_the_loop_on_every_core_at_once():
    one_core = [
        {"operation": "cpu_loop", "median": 0.01, "cv": 0.05},
        {"operation": "pool", "median": 0.03, "cv": 0.2, "n": 15},
    ]
    cal = {"floor": [*one_core, {"operation": "cpu_parallel", "median": 0.01, "cv": 0.15, "n": 30}]}
    # the work of a Pool run: the parallel loop's spread, not one core's
    assert calibrate.floor_of(cal, 1.03, "cpu_loop+pool")[0] == pytest.approx(math.hypot(0.006, 0.15) / 1.03)
    assert calibrate.floor_of(cal, 1.03, "cpu_loop+pool")[1] == 15  # on the fewest runs of the two
    # a serial run stays on one core's; file work in a Pool keeps its own kind; an older calibration
    # without the parallel loop gives the one-core floor
    assert calibrate.floor_of(cal, 1.0, "cpu_loop")[0] == 0.05
    assert calibrate.floor_of({"floor": one_core}, 1.03, "cpu_loop+pool")[0] == pytest.approx(
        math.hypot(0.006, 0.05) / 1.03
    )
    read = {"floor": [*cal["floor"], {"operation": "read", "median": 0.05, "cv": 0.5}]}
    assert (
        calibrate.floor_of(read, 0.02, "read+pool")[0] == 0.2 and calibrate.floor_of(read, 1.03, "read+pool")[0] > 0.4
    )


def test_a_sentinel_after_every_repetition_records_the_machine_while_the_point_ran(monkeypatch):
    rows = run_policy(Policy(max_repeats=9), lambda name: 0.02 if name == "serial" else 0.01)
    reps = {r["rep"] for r in rows}
    ticks = {r["rep"]: r["sentinel_seconds"] for r in rows}
    # one sentinel per repetition, shared by that repetition's rows, each a real timed run
    assert all(r["sentinel_seconds"] == ticks[r["rep"]] for r in rows) and len(ticks) == len(reps) >= 6
    assert all(t > 0 for t in ticks.values())
    # sized from the first repetition's shortest run: about half of it, within the bounds
    # (at a machine speed fixed here: what a run takes on a shared machine is no test's business)
    from mpbench import calibrate

    monkeypatch.setattr(calibrate, "steps_per_second", lambda probe_s: 1e6)
    sizes = {}
    for shortest in (0.01, 0.03, 100.0, 1e-6):
        sentinel = timing.Sentinel()
        sentinel.size(shortest)
        sizes[shortest] = sentinel.steps
    assert sizes[0.01] == 1e6 * timing.SENTINEL_MIN_S and sizes[0.03] == 15_000
    assert sizes[100.0] == 1e6 * timing.SENTINEL_MAX_S and sizes[1e-6] == 1e6 * timing.SENTINEL_MIN_S
    assert sentinel.run() > 0


def test_the_floor_is_the_sentinels_when_the_machine_was_noisier_during_the_point():
    cal = {
        "floor": [
            {"operation": "cpu_loop", "median": 0.01, "cv": 0.01},
            {"operation": "cpu_loop", "median": 1.0, "cv": 0.01},
        ]
    }
    assert calibrate.floor_of(cal, 0.1, "cpu_loop", sentinel=0.2)[0] == 0.2
    assert calibrate.floor_of(cal, 0.1, "cpu_loop", sentinel=0.001)[0] == pytest.approx(
        0.01
    )  # never below the calibration's
    assert calibrate.floor_of(cal, 0.1, "cpu_loop", sentinel=float("nan"))[0] == pytest.approx(0.01)
    assert calibrate.floor_of(None, 0.1, "cpu_loop", sentinel=0.2)[0] == 0.2
    # the sentinel (a loop of milliseconds) accounts for a longer run's spread up to that spread, not beyond,
    # and never below the calibration's floor
    own = (0.05, 9)
    assert calibrate.floor_of(cal, 0.1, "cpu_loop", 0.2, 12, own) == own
    assert calibrate.floor_of(cal, 0.1, "cpu_loop", 0.2, 12, (0.3, 9)) == (0.2, 12)
    assert calibrate.floor_of(cal, 0.1, "cpu_loop", 0.2, 12, (0.001, 9))[0] == pytest.approx(0.01)
    assert math.isnan(calibrate.sentinel_spread([0.1, 0.1]))  # too few to tell
    assert calibrate.sentinel_spread([1.0, 2.0, 3.0]) == pytest.approx(0.5)


def test_a_cell_as_noisy_as_the_sentinel_is_held_back_by_the_machine_not_by_itself():
    import pandas as pd

    from mpbench.receipt import floor_verdict, point_row

    cal = {"floor": [{"operation": "cpu_loop", "median": 0.1, "cv": 0.01}]}
    rng = random.Random(3)
    rows = []
    for rep in range(9):
        tick = 0.02 * rng.lognormvariate(0, 0.2)
        for variant in ("serial", "pool"):
            rows.append(
                {
                    "experiment": "crossover",
                    "variant": variant,
                    "rep": rep,
                    "seconds": 0.1 * rng.lognormvariate(0, 0.2),
                    "started_at": rep,
                    "ended_at": rep + 0.1,
                    "stop_reason": "time",
                    "repeats_done": 9,
                    "time_cap_s": 2.0,
                    "sentinel_seconds": tick,
                }
            )
    raw = pd.DataFrame(rows)
    quiet = point_row("crossover", "p", raw.drop(columns="sentinel_seconds"), cal, 0.05, 0.95)
    noisy = point_row("crossover", "p", raw, cal, 0.05, 0.95)
    assert quiet["floor_cv"] < 0.05 < noisy["floor_cv"] and noisy["sentinel_cv"] > 0.1
    assert floor_verdict(quiet, 0.05, 0.95).startswith("noisier than the machine")
    assert floor_verdict(noisy, 0.05, 0.95).startswith("the machine's floor")
    assert noisy["sentinel_seconds"] == pytest.approx(raw.drop_duplicates("rep")["sentinel_seconds"].sum())
    assert noisy["borrowed_s"] == 0.0 and noisy["repaid_s"] == 0.0  # rows from before the ledger
    # a point quieter than its sentinel: the sentinel accounts for the point's own spread, not for more
    calm = raw.assign(seconds=[0.1 * (1 + 0.01 * (i % 3)) for i in range(len(raw))])
    capped = point_row("crossover", "p", calm, cal, 0.05, 0.95)
    assert capped["floor_cv"] == pytest.approx(capped["worst_cv"]) and capped["floor_cv"] < capped["sentinel_cv"]
    assert (
        point_row("crossover", "p", raw.assign(borrowed_s=[0.0] * 8 + [1.5] * 10), cal, 0.05, 0.95)["borrowed_s"] == 1.5
    )


def test_a_points_sentinel_spread_is_taken_within_each_block_of_variants():
    import pandas as pd

    from mpbench.stats import point_sentinel_cv

    # two blocks (own baselines) whose sentinels were sized 10 ms and 40 ms, each steady within itself
    rows = pd.DataFrame(
        [
            {"baseline": base, "rep": rep, "variant": v, "sentinel_seconds": tick * (1 + 0.01 * rep)}
            for base, tick, names in (("serial", 0.04, ("serial", "pool")), ("startup_fork", 0.01, ("a",)))
            for rep in range(6)
            for v in names
        ]
    )
    assert point_sentinel_cv(rows) < 0.03  # not the ~60% of mixing both lengths
    assert math.isnan(point_sentinel_cv(rows.drop(columns="sentinel_seconds")))


def test_cell_verdicts_against_the_floor():
    from mpbench.receipt import miss_kind

    # a cell, as the report judges it: against the repetitions it got
    assert miss_kind(0.30, 0.05, 20, 0.05, 0.95, n=20) == "noisy"
    assert miss_kind(0.06, 0.05, 6, 0.05, 0.95, n=6) == "floor"  # +-5% at a 5% floor needs ~15
    assert miss_kind(0.06, 0.05, 50, 0.05, 0.95, n=50) == "budget"
    assert miss_kind(float("nan"), 0.05, 6, 0.05, 0.95, n=6) == "unknown"


def test_the_f_distribution_matches_its_tables():
    from mpbench.stats import beta_cdf, f_survival

    assert beta_cdf(0.3, 1, 1) == pytest.approx(0.3)
    assert beta_cdf(0.5, 2, 2) == pytest.approx(0.5)
    assert beta_cdf(0.2, 2, 3) == pytest.approx(0.1808)  # 1 - (0.8^4 + 4 0.2 0.8^3)
    assert f_survival(1.0, 7, 7) == pytest.approx(0.5)
    # upper 5% points of F: F(5, 4) = 6.26, F(49, 29) ~ 1.77 (tables), and F(1, 10) = t(10)^2 = 2.228^2
    assert f_survival(6.2561, 5, 4) == pytest.approx(0.05, abs=2e-4)
    assert f_survival(2.2281**2, 1, 10) == pytest.approx(0.05, abs=2e-4)
    assert 0.04 < f_survival(1.77, 49, 29) < 0.06
    assert f_survival(0.0, 3, 3) == 1.0


def test_noisier_than_the_machine_needs_more_than_a_ratio():
    from mpbench.receipt import noisier
    from mpbench.stats import spread_above_p

    # 2.4x the floor over 6 runs against a floor of 5 runs: a CV from so few runs is too unsure to tell
    assert spread_above_p(0.24, 6, 0.10, 5) > 0.05 and not noisier(0.24, 6, 0.10, 5)
    # the same ratio over 50 runs against 30: beyond chance
    assert spread_above_p(0.24, 50, 0.10, 30) < 0.001 and noisier(0.24, 50, 0.10, 30)
    # significantly above the floor, but within 1.5x of it: the machine's own
    assert spread_above_p(0.14, 500, 0.10, 500) < 0.001 and not noisier(0.14, 500, 0.10, 500)
    # without run counts the ratio decides, as for results recorded before they were
    assert noisier(0.24, None, 0.10, None) and not noisier(0.14, None, 0.10, None)
    assert math.isnan(spread_above_p(0.24, 1, 0.10, 5))


def test_a_cell_the_floor_already_rules_out_is_held_back_by_the_machine_even_when_noisier():
    from mpbench.receipt import miss_kind

    # +-5% at a 10% floor needs about 25 repetitions: 9 cannot reach it, whatever the cell adds
    assert miss_kind(0.30, 0.10, 9, 0.05, 0.95, 9, 30) == "floor"
    # with 48 allowed the floor would have reached it: the cell's own, proven, noise held it back
    assert miss_kind(0.30, 0.10, 48, 0.05, 0.95, 48, 30) == "noisy"
    # ... and an unproven one is not a verdict: more repetitions would have told
    assert miss_kind(0.30, 0.10, 48, 0.05, 0.95, 48, 3) == "budget"
    assert miss_kind(float("nan"), 0.10, 48, 0.05, 0.95) == "unknown"


def test_a_cell_just_past_the_target_is_named_with_its_width_to_a_hundredth():
    from mpbench.report import precision_notes

    # 2.6x a floor of 15.4% (over 21 runs, as the cell's), which would have allowed ±5% in 21 runs
    cells = [("lock: workers 2, variant serial", 0.0501, 75.0, 0.40, 0.077, "cpu_loop", 21, 0.1537)]
    text = precision_notes(cells, 0.95, 0.05, calibration=None)[0]
    assert "lock: workers 2, variant serial ±5.01% (noisier than the machine)" in text


def test_a_spread_near_the_floor_is_the_machines_own():
    """A spread within NEAR_FLOOR times the floor counts as the machine's: the cell is judged
    at its own spread, and one that missed with every repetition it was allowed was held
    back by the machine, not short of repetitions.  Above NEAR_FLOOR the floor decides."""
    from mpbench.receipt import NEAR_FLOOR, floor_verdict, machine_spread, miss_kind
    from mpbench.report import precision_notes

    assert machine_spread(0.1623, 0.1537) == 0.1623  # near: its own
    assert machine_spread(0.10, 0.1537) == 0.1537  # quieter: the floor
    assert machine_spread(0.40, 0.1537) == 0.1537  # noisier than NEAR_FLOOR allows: the floor
    assert machine_spread(NEAR_FLOOR * 0.2, 0.2) == NEAR_FLOOR * 0.2
    # lock's serial run at 2 workers: ±5.01% after 21 runs, CV 16.2% against a floor of 15.4%;
    # at the floor ±5% needed about 20 runs, at its own spread 22: more than the 21 it got
    assert miss_kind(0.1623, 0.1537, 21, 0.05, 0.95, 21, 21, half=0.0501) == "floor"
    cells = [("lock: workers 2, variant serial", 0.0501, 75.0, 0.1623, 0.077, "cpu_loop", 21, 0.1537)]
    text = precision_notes(cells, 0.95, 0.05, calibration=None)[0]
    assert "1 held back by the machine" in text and "Not held back" not in text
    # ... while the same width with 40 runs allowed was the budget's to buy
    assert miss_kind(0.1623, 0.1537, 40, 0.05, 0.95, 21, 21, half=0.0501) == "budget"
    # a point stopped at max_repeats was allowed no more than it ran, whatever its cap paid for:
    # ±5.15% after 100 runs at the floor's spread needs 107, which its cap (6 s at 0.0556 s) paid for
    row = {
        "precise": False, "worst_cv": 0.30, "floor_cv": 0.30, "worst_n": 100, "floor_n": 15,
        "stop_reason": "max_repeats", "repeats_done": 100, "time_cap_s": 6.0, "rep_seconds": 0.0556,
        "worst_halfwidth_rel": 0.0515,
    }  # fmt: skip
    verdict = floor_verdict(row, 0.05, 0.95)
    assert verdict.startswith("the machine's floor") and "needs about 107" in verdict and "paid for 100" in verdict
    assert floor_verdict({**row, "stop_reason": "time"}, 0.05, 0.95).startswith("the budget")


def test_a_heavy_tailed_cell_is_judged_by_its_own_interval_at_the_floor():
    """100 runs quieter than the floor (CV 16.8% against 19.2%) that still measured ±6.0%:
    the normal approximation says the floor allows ±5% in 89 runs, the cell's own
    interval scaled to the floor says 191, more than the 100 it was allowed."""
    from mpbench.receipt import miss_kind, reps_at_floor

    assert miss_kind(0.168, 0.192, 100, 0.05, 0.95, 100, 30) == "budget"
    assert reps_at_floor(0.1915, 0.05, 0.95, 0.1677, 100, 0.0605) == 191
    assert miss_kind(0.168, 0.192, 100, 0.05, 0.95, 100, 30, half=0.060) == "floor"
    # a light-tailed cell: its interval is narrower than the approximation, and it says so
    assert reps_at_floor(0.192, 0.05, 0.95, 0.168, 100, 0.030) < reps_at_floor(0.192, 0.05, 0.95)
    # under SHAPE_N runs an interval is too coarse to scale: the approximation decides
    assert reps_at_floor(0.192, 0.05, 0.95, 0.168, 9, 0.30) == reps_at_floor(0.192, 0.05, 0.95)


def test_a_pool_start_under_another_method_has_its_own_floor():
    cal = {
        "floor": [
            {"operation": "pool", "median": 0.02, "cv": 0.2, "n": 15},
            {"operation": "pool_spawn", "median": 0.12, "cv": 0.05, "n": 15},
        ]
    }
    assert calibrate.floor_kind("pool_spawn") == "pool_spawn"
    assert calibrate.floor_of(cal, 0.11, "pool_spawn") == (0.05, 15)
    # a method the calibration did not time: the configured method's Pool start
    assert calibrate.floor_of(cal, 0.02, "pool_forkserver") == (0.2, 15)


def test_a_floor_says_how_many_runs_it_rests_on():
    cal = {
        "floor": [
            {"operation": "cpu_loop", "median": 0.01, "cv": 0.2, "n": 30},
            {"operation": "cpu_loop", "median": 0.1, "cv": 0.1, "n": 15},
            {"operation": "pool", "median": 0.02, "cv": 0.2, "n": 12},
        ]
    }
    assert calibrate.floor_of(cal, 0.005, "cpu_loop") == (0.2, 30)
    cv, n = calibrate.floor_of(cal, 0.03, "cpu_loop")
    assert 0.1 < cv < 0.2 and n == 15  # between two run lengths: the fewer runs
    assert calibrate.floor_of(cal, 0.2, "cpu_loop+pool")[1] == 12
    assert calibrate.floor_of(cal, 0.03, "cpu_loop", sentinel=0.5, sentinel_n=9) == (0.5, 9)
    assert calibrate.floor_of(cal, 0.03, "cpu_loop", sentinel=0.01, sentinel_n=9)[1] == 15
    assert math.isnan(
        calibrate.floor_of({"floor": [{"operation": "cpu_loop", "median": 0.1, "cv": 0.1}]}, 0.1, "cpu_loop")[1]
    )


def test_short_serial_loops_are_timed_back_to_back():
    from mpbench import timing

    assert timing.inner_loops(lambda i: i, 10, min_seconds=0.01) > 10
    assert timing.inner_loops(lambda i: time.sleep(0.002), 10, min_seconds=0.01) == 1
    times, results = timing.time_serial(lambda i: i * i, 5, inner=7)
    assert results == [0, 1, 4, 9, 16] and times["inner_loops"] == 7 and times["seconds"] > 0
    assert "inner_loops" not in timing.time_serial(lambda i: i, 3)[0]


# --------------------------------------------------------------------------
# what the run bought


def test_floor_verdict_tells_the_machine_from_the_cell():
    from mpbench.receipt import floor_verdict

    base = {"precise": False, "stop_reason": "time", "repeats_done": 6, "rep_seconds": 10.0, "time_cap_s": 60.0}
    assert floor_verdict({**base, "precise": True}, 0.05, 0.95) == "precise"
    assert floor_verdict({**base, "worst_cv": 0.2, "floor_cv": 0.02}, 0.05, 0.95).startswith("noisier than")
    machine = floor_verdict({**base, "worst_cv": 0.06, "floor_cv": 0.05}, 0.05, 0.95)
    assert machine.startswith("the machine's floor") and "paid for 6" in machine
    budget = floor_verdict({**base, "worst_cv": 0.03, "floor_cv": 0.025}, 0.05, 0.95)
    assert budget.startswith("the budget")
    # repetitions of 5 s with a cap of 60: 12 paid for, and at a CV of 4.5% ±5% needs 9 - short of repetitions;
    # with 24 s of its 60 gone to points that overran theirs, 7 were paid for: held back by the machine
    fast = {**base, "rep_seconds": 5.0, "worst_cv": 0.045, "floor_cv": 0.04}
    assert floor_verdict(fast, 0.05, 0.95).startswith("the budget")
    repaid = floor_verdict({**fast, "repaid_s": 24.0}, 0.05, 0.95)
    assert repaid.startswith("the machine's floor") and "paid for 7 (24 s of its share went to points" in repaid
    # never fewer than it ran
    assert "paid for 6 (59 s" in floor_verdict({**fast, "repaid_s": 59.0}, 0.05, 0.95)
    fixed = floor_verdict({**base, "stop_reason": "fixed", "worst_cv": 0.03, "floor_cv": 0.025}, 0.05, 0.95)
    assert fixed.startswith("repeats fixed at 6")


def test_stop_counts_count_every_point_once():
    import pandas as pd

    from mpbench.receipt import stop_counts

    points = pd.DataFrame({"stop_reason": ["precise", "time", "precise/time", "max_repeats/precise", "precise"]})
    assert stop_counts(points) == {"precise": 2, "time": 1, "mixed": 2}
    assert sum(stop_counts(points).values()) == len(points)
