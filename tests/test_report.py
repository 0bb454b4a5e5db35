"""The markdown report: sections, sentences and honest wording, from synthetic data."""

import pandas as pd
import pytest

from mpbench import report
from mpbench.report import render, speedup_sentence, verdict_of

ENV = {
    "host": "box",
    "cpu_model": "Test CPU",
    "usable_cores": 2,
    "logical_cores": 2,
    "physical_cores": 2,
    "memory_bytes": 8 * 2**30,
    "platform": "Linux-test",
    "python_implementation": "CPython",
    "python": "3.11.7",
    "python_build": "main",
    "start_method": "fork",
    "filesystems": {"scratch": "ext4"},
    "packages": {"pandas": "3.1.1"},
}
CONFIG = {
    "data": {"size_mb": 2, "lines": 100, "seed": 1},
    "loops": [1, 8],
    "workers": [4],
    "repeats": 6,
    "ci_level": 0.95,
    "language": "en",
}


def summary(low, high, coverage=0.97, prefix=""):
    rows = []
    for loops in (1, 8):
        rows.append(
            {
                "loops": loops,
                "workers": 4,
                f"{prefix}serial_median": 2.0 * loops,
                f"{prefix}pool_median": 1.0 * loops,
                f"{prefix}speedup": 2.0,
                f"{prefix}speedup_ci_low": low,
                f"{prefix}speedup_ci_high": high,
                f"{prefix}speedup_ci_coverage": coverage,
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "low, high, words",
    [(1.5, 2.5, "faster than serial"), (0.5, 0.8, "slower than serial"), (0.9, 1.2, "not distinguishable from serial")],
)
def test_verdict_follows_the_interval(low, high, words):
    assert verdict_of(1.05, low, high).startswith(words)


def test_sentence_states_numbers_and_ideal():
    (sentence,) = speedup_sentence(summary(1.8, 2.2), "read", cores=2, level=0.95)
    assert "8 loops, Pool(4)" in sentence and "**2.00×**" in sentence
    assert "95% interval 1.80–2.20×" in sentence and "2× would be the ideal on 2 usable cores" in sentence


def test_small_samples_do_not_claim_95_percent():
    (sentence,) = speedup_sentence(summary(1.8, 2.2, coverage=0.75), "read", cores=2, level=0.95)
    assert "95%" not in sentence and "75%" in sentence


def test_render_has_every_section():
    raw = pd.DataFrame({"started_at": [100.0, 160.0], "ended_at": [150.0, 220.0], "host": ["box", "box"]})
    rw = summary(1.8, 2.2).merge(summary(0.9, 1.1, prefix="overwrite_"), on=["loops", "workers"])
    text = render(
        CONFIG,
        ENV,
        {"read": "| read table |", "readwrite": "| rw table |"},
        {"read": summary(1.8, 2.2), "readwrite": rw},
        raw,
        {"time": "figures/time.png", "speedup": "figures/speedup.png"},
    )
    for needle in [
        "## Machine",
        "Test CPU",
        "CPython 3.11.7",
        "| read table |",
        "| rw table |",
        "![Time against loops](figures/time.png)",
        "## Configuration",
        "repeats: 6",
        "read & overwrite, 8 loops",
    ]:
        assert needle in text
    assert "Warning" not in text


def test_mixed_hosts_are_flagged():
    raw = pd.DataFrame({"started_at": [1.0, 2.0], "ended_at": [1.5, 2.5], "host": ["a", "b"]})
    rw = summary(1.8, 2.2).merge(summary(0.9, 1.1, prefix="overwrite_"), on=["loops", "workers"])
    text = render(
        CONFIG,
        ENV,
        {"read": "", "readwrite": ""},
        {"read": summary(1.8, 2.2), "readwrite": rw},
        raw,
        {"time": "t.png", "speedup": "s.png"},
    )
    assert "mix 2 hosts (a, b)" in text


def test_precision_notes_name_wide_cells_and_the_repeats_they_need():
    from mpbench.report import precision_notes

    lines = precision_notes(
        [
            ("read, 1 loops, serial", 0.02, 6.0),
            ("read, 8 loops, pool", 0.12, 40.0),
            ("overwrite, 8 loops, pool", 0.07, 14.0),
        ],
        level=0.95,
    )
    assert lines[0].startswith("2 of 3 cells") and "half of them would reach ±5% with about 27 repetitions" in lines[0]
    assert lines[1] == "read, 8 loops, pool: ±12.0%, needs about 40 repetitions"
    assert precision_notes([("a", 0.01, 6.0)], level=0.95) == ["Every cell's 95% interval of the median is within ±5%."]


def test_precision_notes_set_each_wide_cell_against_the_floor_of_its_kind():
    from mpbench.report import precision_notes

    cal = {
        "floor": [
            {"operation": "cpu_loop", "median": 0.1, "cv": 0.02},
            {"operation": "write", "median": 0.1, "cv": 0.10},
            {"operation": "pool", "median": 0.05, "cv": 0.3},
        ]
    }
    cells = [
        ("write, serial", 0.08, 30, 0.11, 0.1, "readwrite", 9),  # at the write floor, 9 repetitions: floor
        ("loop", 0.08, 30, 0.20, 0.1, "crossover", 9),  # 10x the loop's floor: noisy
        ("pool", 0.08, 30, 0.30, 0.05, "cpu_loop+pool", 9),  # as short as a Pool start: its floor
        ("loop, many", 0.06, 30, 0.025, 0.1, None, 9),  # near the floor, its spread says 9 would do: budget
        ("fine", 0.01, 6, 0.01, 0.1, None, 6),
    ]
    text = precision_notes(cells, 0.95, calibration=cal)[0]
    assert text.startswith("4 of 5 cells")
    assert "2 held back by the machine" in text and "1 short of repetitions" in text
    assert "1 noisier than the machine, which alone would have allowed the target" in text
    assert "the F-test of the two spreads puts beyond chance" in text
    assert (
        "Not held back by the machine: loop ±8.0% (noisier than the machine); loop, many ±6.0% (short of repetitions)"
    ) in text


def test_speedup_sentence_says_whether_the_difference_is_significant():
    s = summary(1.8, 2.2)
    s["speedup_p"] = 0.03125
    (sentence,) = speedup_sentence(s, "read", cores=2, level=0.95)
    assert "significant (paired sign test, p = 0.031 < 0.05)" in sentence
    s["speedup_p"] = 0.5
    (sentence,) = speedup_sentence(s, "read", cores=2, level=0.95)
    assert "not significant" in sentence


def test_conditions_section_reports_what_the_rows_recorded():
    from mpbench.report import conditions_section

    raw = pd.DataFrame(
        {
            "experiment": ["read", "readwrite"],
            "variant": ["pool", "pool"],
            "start_method": ["spawn", "spawn"],
            "chunksize": ["default", "default"],
            "chunksize_effective": [1, 2],
            "cache": ["cold", "cold"],
            "resident_before": [0.0, 0.0],
            "fsync": [True, True],
            "scratch_fs": ["tmpfs", "tmpfs"],
        }
    )
    text = "\n".join(conditions_section(raw, {"scratch_dir": "/dev/shm/x"}, ENV))
    assert "spawn" in text and "effective 1, 2" in text and "before every timed run 0% of the test file's pages" in text
    assert "fsync before close" in text and "tmpfs" in text


def test_render_includes_the_checked_claims_and_the_post_side_by_side():
    raw = pd.DataFrame({"started_at": [100.0], "ended_at": [150.0], "host": ["box"]})
    rw = summary(1.8, 2.2).merge(summary(0.9, 1.1, prefix="overwrite_"), on=["loops", "workers"])
    text = render(
        CONFIG,
        ENV,
        {"read": "", "readwrite": ""},
        {"read": summary(1.8, 2.2), "readwrite": rw},
        raw,
        {"time": "t.png", "speedup": "s.png"},
        seed_section={
            "sentences": ["This machine has 2 usable cores."],
            "table": "| seed table |",
            "figure": "figures/seed_vs_measured.png",
            "claims": "| claims table |",
        },
    )
    assert "## The post's conclusions, checked" in text and "| claims table |" in text
    assert "## The post side by side" in text and "- This machine has 2 usable cores." in text
    assert "![The post against this machine](figures/seed_vs_measured.png)" in text
    assert text.index("## The post's conclusions") < text.index("## Figures")


def test_quiet_lines_warn_once_per_busy_point():
    from mpbench.receipt import quiet_lines

    points = pd.DataFrame({"others_runnable": [0, 1, 0, 2, 0], "steal_share": [0.0, 0.10, 0.08, 0.0, 0.01]})
    (line,) = quiet_lines(points)
    assert line.startswith("**Quiet machine?** 2 of 5 points began with another task runnable (up to 2)")
    assert "at most 10.0%" in line and "busy** during 3 points" in line  # point 1 is both, counted once
    (calm,) = quiet_lines(pd.DataFrame({"others_runnable": [0] * 20, "steal_share": [0.01] * 20}))
    assert "Warning" not in calm
    assert quiet_lines(pd.DataFrame()) == []


def test_an_appendix_row_whose_overwrite_missed_gives_the_read_and_write_jobs_reason():
    from mpbench.report import appendix_rows_on_target

    rw = pd.DataFrame(
        [
            {
                "loops": 5,
                "workers": 4,
                "serial_n": 9,
                "serial_ci_halfwidth_rel": 0.03,
                "pool_ci_halfwidth_rel": 0.04,
                "speedup_ci_halfwidth_rel": 0.04,
                "overwrite_pool_ci_halfwidth_rel": 0.18,
            }
        ]
    )
    points = pd.DataFrame(
        [
            {
                "experiment": "readwrite",
                "point": "loops5_workers4",
                "repeats_done": 9,
                "stop_reason": "time",
                "why": "the machine's floor: even at its floor …",
            }
        ]
    )
    lines = appendix_rows_on_target({"readwrite": rw}, points, 0.05)
    assert lines[0].startswith("**Appendix tables**: 0 of 1 rows")
    assert "overwrite pool ±18.0% (9 repetitions, stopped: time; the machine's floor" in lines[1]


def test_points_lines_say_what_points_went_on_with_time_others_left():
    row = {
        "experiment": "crossover",
        "repeats_done": 72,
        "stop_reason": "precise",
        "precise": True,
        "worst": "pool",
        "worst_halfwidth_rel": 0.04,
        "why": "precise",
    }
    points = pd.DataFrame(
        [
            {**row, "point": "a", "borrowed_s": 3.5},
            {
                **row,
                "point": "b",
                "borrowed_s": 8.0,
                "precise": False,
                "stop_reason": "time",
                "worst_halfwidth_rel": 0.06,
                "why": "the budget: ...",
            },
            {**row, "point": "c", "borrowed_s": 0.0},
        ]
    )
    lines = report.points_lines(points, 0.05)
    assert (
        "2 points went on past their share of the budget with 12 s that points which finished early left; "
        "1 of them then reached ±5%." in lines
    )
    assert not any("went on" in line for line in report.points_lines(points.assign(borrowed_s=0.0), 0.05))


def test_points_lines_say_which_points_overran_their_share_at_the_first_repetitions():
    row = {
        "experiment": "readwrite",
        "stop_reason": "time",
        "precise": False,
        "worst": "serial",
        "worst_halfwidth_rel": 0.08,
        "why": "the machine's floor: ...",
        "borrowed_s": 0.0,
    }
    points = pd.DataFrame(
        [
            {**row, "point": "a", "repeats_done": 6, "timed_seconds": 364.6, "time_cap_s": 291.0},
            {**row, "point": "b", "repeats_done": 6, "timed_seconds": 100.0, "time_cap_s": 120.0},
            {**row, "point": "c", "repeats_done": 14, "timed_seconds": 50.0, "time_cap_s": 40.0},
        ]
    )
    lines = report.points_lines(points, 0.05)
    assert any(
        line.startswith("1 points ran 74 s past their share in timed runs alone: the 6 repetitions") for line in lines
    )  # c went past at 14 repetitions: a repetition in flight, not the minimum
    assert not any(
        "past their share in timed" in line for line in report.points_lines(points.drop(columns="timed_seconds"), 0.05)
    )
    # b stopped for time with 20 s of its share unused, more than a repetition: it paid back the run's debt
    assert not any("paid it back" in line for line in lines)  # without rep_seconds it cannot tell
    lines = report.points_lines(points.assign(rep_seconds=[60.0, 16.0, 3.0]), 0.05)
    assert any(line.startswith("1 points stopped for time 20 s before their share ran out") for line in lines)


def test_the_floor_line_names_the_loop_on_every_core_when_it_was_measured():
    from mpbench.report import floor_line

    one = {"operation": "cpu_loop", "median": 0.01, "cv": 0.02}
    both = floor_line({"floor": [one, {"operation": "cpu_parallel", "median": 0.011, "cv": 0.09}]})
    assert "every core at once" in both and "CV 9.0% at 0.011 s" in both
    assert "every core at once" not in floor_line({"floor": [one]})
