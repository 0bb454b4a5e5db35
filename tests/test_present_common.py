"""The presentation's shared helpers (mpbench/present/common.py): paired comparisons under a
summary's column names, tables from column specs, paired ratios in words."""

import math
from collections import namedtuple

import pandas as pd

from mpbench.present.common import (
    columns_table,
    compare_to,
    few_repeats,
    in_words,
    paired,
    ratio_columns,
    repetitions_note,
)
from mpbench.stats import compare_paired

REP = range(6)
BASE = pd.Series([1.0, 1.1, 0.9, 1.0, 1.05, 0.95], index=REP)


def test_paired_names_what_compare_paired_returns():
    slow = BASE * 2
    c = compare_paired(slow, BASE)
    got = paired(slow, BASE, names="t t_low t_high t_p t_significant")
    assert got == {
        "t": c["ratio"],
        "t_low": c["ratio_ci_low"],
        "t_high": c["ratio_ci_high"],
        "t_p": c["p_value"],
        "t_significant": c["significant"],
    }
    assert math.isclose(got["t"], 2.0) and got["t_significant"] is True
    assert list(paired(slow, BASE)) == ["ratio", "ratio_ci_low", "ratio_ci_high", "p_value", "significant", "pairs"]


def test_compare_to_skips_serial_and_the_reference():
    series = {"serial": BASE * 3, "pool_fork": BASE, "pool_spawn": BASE * 2}
    out = compare_to(series, "pool_fork", 0.95, "vs_method")
    assert list(out) == ["pool_spawn"]
    assert out["pool_spawn"]["vs_method"] == "fork" and math.isclose(out["pool_spawn"]["ratio"], 2.0)
    assert compare_to(series, "pool_forkserver", 0.95, "vs_method") == {}
    assert compare_to(series, None, 0.95, "vs_method") == {}


Row = namedtuple("Row", "name vs ratio ratio_ci_low ratio_ci_high p_value")
COLUMNS = [("Name", "名称", lambda r: r.name), *ratio_columns("Ratio (x)", "比值（倍）", "vs")]
ROWS = [Row("a", "fork", 2.0, 1.5, 2.5, 0.031), Row("b", float("nan"), 1.0, 1.0, 1.0, float("nan"))]


def test_columns_table_in_both_languages():
    en, zh = (columns_table(COLUMNS, ROWS, language).splitlines() for language in ("en", "zh"))
    assert en[0] == "| Name | Ratio (x) | Paired interval (x) | p |"
    assert zh[0] == "| 名称 | 比值（倍） | 配对区间（倍） | p 值 |"
    assert en[2:] == zh[2:] == ["| a | 2.00 | 1.50 – 2.50 | 0.031 |", "| b | — | — | — |"]
    short = columns_table(ratio_columns("R", "R", "vs", interval=False), ROWS[:1])
    assert short.splitlines()[0] == "| R | p |"


def test_in_words_fills_every_field():
    row = {"s": 2.0, "s_low": 1.5, "s_high": 2.5, "s_p": 0.031, "s_sig": True}
    template = "{ratio} [{low}, {high}] p={p} {sig}; {where}; {extra}"
    assert in_words(template, row, "s s_low s_high s_p s_sig", extra="x") == (
        "2.00 [1.50, 2.50] p=0.031 significant; faster than serial; x"
    )
    assert (
        in_words("{sig}, {where}", {**row, "s_low": 0.5, "s_sig": "False"}, "s s_low s_high s_p s_sig", "zh")
        == "不显著, 与串行无法区分"
    )


def test_few_repeats_only_when_no_p_can_reach_5_percent():
    assert few_repeats(5, "{n}: {p:.3g}") == "5: 0.0625"
    assert few_repeats(6, "{n}: {p:.3g}") == ""


def test_repetitions_note():
    summary = pd.DataFrame({"repeats_done": [6, 14], "stop_reason": ["precise", "max_repeats/time"]})
    assert repetitions_note(summary, "en") == (
        "Repetitions per point: 6–14. Some points stopped before their intervals reached ±5% "
        "(max_repeats, time); the report's Precision section says why."
    )
    assert repetitions_note(summary.assign(stop_reason="precise"), "zh") == "每个测量点重复 6–14 次。"
