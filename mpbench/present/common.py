"""What every experiment's presentation shares: the summary of its variants (with more columns), paired
comparisons under a summary's column names, why its points stopped, one fixed ordering of rows, tables
from column specs, the note under a table, the words of its findings and of both languages side by side."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..stats import compare_paired, describe, interval_vs_one
from ..tables import fmt_p, fmt_ratio, fmt_seconds, fmt_span, markdown_table

#: What stats.compare_paired returns, in the order :func:`paired` and :func:`in_words` name it.
PAIRED = "ratio ratio_ci_low ratio_ci_high p_value significant pairs"


def flag(value) -> bool:
    """A boolean that may have come back from CSV as text or NaN."""
    return value in (True, "True")


def speedup_vs_one(r) -> str:
    """Where a row's speedup interval lies against 1× (stats.interval_vs_one): "above", "below" or "includes"."""
    return interval_vs_one(r.speedup_ci_low, r.speedup_ci_high)


def tail_start(above) -> int | None:
    """The index of the first of ``above`` (booleans) from which all hold to the end; None where the last does not."""
    if len(above) == 0 or not above[-1]:
        return None
    k = len(above) - 1
    while k > 0 and above[k - 1]:
        k -= 1
    return k


def paired(a: pd.Series, b: pd.Series, level: float = 0.95, names: str = PAIRED) -> dict:
    """``a`` against ``b`` paired by repetition (stats.compare_paired: a / b) under a summary's
    column names: ``names`` stand, in order, for the ratio, its interval's low and high, p,
    significant and pairs (the first ones only, when fewer)."""
    c = compare_paired(a, b, level)
    return dict(zip(names.split(), (c[k] for k in PAIRED.split())))


def by_variant(cell: pd.DataFrame) -> dict[str, pd.Series]:
    """Each variant's seconds of one cell, indexed by repetition (what :func:`paired` pairs them on)."""
    return {v: c.set_index("rep")["seconds"] for v, c in cell.groupby("variant")}


def compare_to(series: Mapping[str, pd.Series], ref: str | None, level: float, key: str) -> dict[str, dict]:
    """Each variant's times (but serial's and the reference's own) against the reference variant's:
    {variant: {key: the reference's name after its prefix ("pool_fork" -> "fork"), **paired}}."""
    if ref not in series:
        return {}
    name = ref.split("_", 1)[1]
    return {v: {key: name, **paired(s, series[ref], level)} for v, s in series.items() if v not in (ref, "serial")}


def summarize_sweep(raw: pd.DataFrame, level: float, reference: Callable, key: str, columns=lambda v, s: {}, **agg):
    """The summary of a sweep of Pool variants by operation (:func:`summarize_with` ``agg``), with each
    (operation, variant)'s ``columns(variant, series)`` and its paired time against the operation's
    ``reference(series)`` variant (:func:`compare_to`); ``series``: each variant's seconds by repetition."""
    summary = summarize_with(raw, ["operation"], level, "serial", **agg)
    extra = []
    for op, cell in raw.groupby("operation", sort=True):
        series = by_variant(cell)
        compared = compare_to(series, reference(series), level, key)
        extra += [{"operation": op, "variant": v, **columns(v, series), **compared.get(v, {})} for v in series]
    return summary.merge(pd.DataFrame(extra), on=["operation", "variant"], how="left", validate="one_to_one")


def summarize_variants(
    raw: pd.DataFrame, keys: list[str], level: float, baseline: str | None = "serial"
) -> pd.DataFrame:
    """One row per (keys..., variant): median, interval, CV, n, and the speedup over ``baseline`` with its
    interval and sign test (``p_vs_baseline``), as docs/method.md, "How a cell is summarised", says."""
    from ..receipt import row_kind
    from ..stats import check_consistent_by, point_sentinel_cv, ratio_summary

    check_consistent_by(raw, ["experiment", *keys])
    out = []
    for group, cell in raw.groupby(keys, sort=True):
        group = group if isinstance(group, tuple) else (group,)
        base = cell[cell["variant"] == baseline].set_index("rep")["seconds"] if baseline else None
        for variant, runs in cell.groupby("variant", sort=False):
            row = dict(zip(keys, group))
            row["variant"] = variant
            row.update(describe(runs["seconds"].to_numpy(), level))
            row["floor_kind"] = row_kind(runs, str(runs["experiment"].iloc[0]) if "experiment" in runs else "")
            # Loops timed back to back in one sample (timing.inner_loops): the sample's length is
            # what the machine's floor is read at.
            inner = runs["inner_loops"].max() if "inner_loops" in runs else None
            row["sample_seconds"] = row["median"] * (float(inner) if pd.notna(inner) and inner > 1 else 1.0)
            # The machine's noise while the point ran (timing.Sentinel).
            row["sentinel_cv"] = point_sentinel_cv(cell)
            if base is not None and not base.empty:
                r = ratio_summary(base, runs.set_index("rep")["seconds"], level)
                row.update({k.replace("ratio", "speedup"): v for k, v in r.items() if k.startswith("ratio")})
                # Is this variant's time different from the baseline's at all?
                row["p_vs_baseline"] = r["p_value"] if variant != baseline else np.nan
            out.append(row)
    return pd.DataFrame(out)


def summarize_with(raw: pd.DataFrame, keys: list[str], level: float, baseline: str | None = "serial", **columns):
    """:func:`summarize_variants` with more columns per (keys..., variant): ``columns`` as pandas'
    named aggregation of the cell's raw rows (``name=(raw column, function)``)."""
    return with_agg(summarize_variants(raw, keys, level, baseline), raw, [*keys, "variant"], **columns)


def with_agg(summary: pd.DataFrame, raw: pd.DataFrame, keys: list[str], **agg) -> pd.DataFrame:
    """``summary`` with the named aggregations ``agg`` (as ``DataFrame.agg``'s) of ``raw`` grouped by ``keys``
    merged in, one row to one row."""
    return summary.merge(raw.groupby(keys).agg(**agg).reset_index(), on=keys, validate="one_to_one")


def ordered(summary: pd.DataFrame, by: Sequence[str], orders: Mapping[str, Sequence]) -> pd.DataFrame:
    """The rows sorted by ``by``, each column of ``orders`` in its fixed order
    (a summary read back from CSV has plain strings; values not in the order
    sort last, in the order they come)."""
    out = summary.copy()
    for column, order in orders.items():
        values = out[column].astype(str)
        known = [str(v) for v in order]
        out[column] = pd.Categorical(values, known + [v for v in dict.fromkeys(values) if v not in known], ordered=True)
    return out.sort_values(list(by), kind="stable").reset_index(drop=True)


def add_stops(summary: pd.DataFrame, raw: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The summary with each point's ``stop_reason`` and ``repeats_done`` (see
    mpbench.precision), joined on the point's parameters the summary has."""
    from ..stats import stop_of

    on = [k for k in keys if k in summary.columns and k in raw.columns]
    if not on:
        stops = pd.DataFrame([stop_of(raw)])
        out = summary.drop(columns=list(stops.columns), errors="ignore").merge(stops, how="cross")
    else:
        stops = pd.DataFrame(
            [
                {**dict(zip(on, group if isinstance(group, tuple) else (group,))), **stop_of(cell)}
                for group, cell in raw.groupby(on, sort=False)
            ]
        )
        for k in on:
            stops[k] = stops[k].astype(summary[k].dtype, errors="ignore")
        out = summary.drop(columns=["stop_reason", "repeats_done"], errors="ignore").merge(stops, on=on, how="left")
    # Columns the summary had keep their place.
    return out[[*summary.columns, *[c for c in out.columns if c not in summary.columns]]]


#: The line under an experiment's table: repetitions, and the reasons of points that stopped short.
REPETITIONS = {
    "en": (
        "Repetitions per point: {reps}.",
        " Some points stopped before their intervals reached ±{target:.0%} ({short}); the report's Precision section says why.",
    ),
    "zh": (
        "每个测量点重复 {reps} 次。",
        "部分测量点在达到 ±{target:.0%} 精度之前停止（{short}）；原因见报告的 Precision 一节。",
    ),
}


def repetitions_note(summary: pd.DataFrame, language: str = "en", target: float = 0.05) -> str:
    """One line under an experiment's table: repetitions per point, and the points
    that stopped before their intervals reached the precision target."""
    if "repeats_done" not in summary or summary["repeats_done"].isna().all():
        return ""
    done = summary["repeats_done"].dropna().astype(int)
    reps = str(done.min()) if done.min() == done.max() else f"{done.min()}–{done.max()}"
    reasons = summary["stop_reason"].astype(str).str.split("/").explode()
    short = sorted(set(reasons) & {"max_repeats", "time"})
    text, stopped = pick(REPETITIONS, language)
    return text.format(reps=reps) + (stopped.format(target=target, short=", ".join(short)) if short else "")


def pick(texts: Mapping, language: str):
    """The entry of ``language`` in a {"zh": ..., "en": ...} mapping of texts, English for
    any other language; a figure's language is ``plots.figure_language(language)``."""
    return texts.get(language, texts["en"])


#: The words every experiment's findings share, a verdict (stats.interval_vs_one against
#: 1×, a claim's verdict, a paired test's) in one place, so that each maps the same way.
WORDS = {
    "en": {
        "above": "faster than serial",
        "below": "slower than serial",
        "includes": "not distinguishable from serial",
        True: "significant",
        False: "not significant",
        "holds": "holds",
        "does not hold": "does not hold",
        "inconclusive": "inconclusive",
        "verdict": "{ratio}× {of} (paired interval {low}–{high}×, p = {p}, {sig}{more})",
        "more": "; {pairs} pairs cannot give a smaller p, raise repeats",
        "few": " With {n} repetitions no difference can reach p < 0.05 (the smallest possible p is {p:.3g}); rerun with more repeats.",
    },
    "zh": {
        "above": "快于串行",
        "below": "慢于串行",
        "includes": "与串行无法区分",
        True: "显著",
        False: "不显著",
        "holds": "成立",
        "does not hold": "不成立",
        "inconclusive": "无法判定",
        "verdict": "{of}的 {ratio}×（配对区间 {low}–{high}×，p = {p}，{sig}{more}）",
        "more": "；{pairs} 对配对给不出更小的 p，请增加重复次数",
        "few": "只有 {n} 次重复时，任何差异都达不到 p < 0.05（最小可能的 p 为 {p:.3g}），请增加重复次数后重测。",
    },
}


def in_words(template: str, row, names: str = PAIRED, language: str = "en", fmt=fmt_ratio, /, **more) -> str:
    """``template`` filled from a row's paired columns (``names`` as in :func:`paired`): {ratio},
    {low}, {high} (by ``fmt``), {p}, {sig} (significant or not) and {where} (the interval against
    1×: faster, slower or not distinguishable), in ``language``'s words, and ``more``."""
    r = row._asdict() if hasattr(row, "_asdict") else row
    values = dict(zip(("ratio", "low", "high", "p", "sig"), (r[n] for n in names.split())))
    words = pick(WORDS, language)
    fields = {
        **{k: fmt(values[k]) for k in ("ratio", "low", "high")},
        "p": fmt_p(values.get("p")),
        "sig": words[flag(values.get("sig"))],
        "where": words[interval_vs_one(values["low"], values["high"])],
    }
    return template.format(**{**fields, **more})


def verdict(r, of: str, language: str = "en") -> str:
    """A compared row's paired ratio in words: "1.72× the time of fork (paired interval 1.46–2.35×,
    p = 0.250, not significant)" (``r``: ratio, ratio_ci_low, ratio_ci_high, p_value, significant, pairs);
    in Chinese ``of`` comes first: "fork 耗时的 1.72×（配对区间 …）"."""
    words = pick(WORDS, language)
    few = not flag(r.significant) and np.isfinite(r.pairs) and r.p_value <= 2 / 2**r.pairs + 1e-9
    more = words["more"].format(pairs=int(r.pairs)) if few else ""
    return in_words(words["verdict"], r, PAIRED, language, of=of, more=more)


def few_repeats(n: int, template: str) -> str:
    """``template`` ({n}, {p}: the smallest p that ``n`` pairs can give) when no difference can reach p < 0.05."""
    return template.format(n=n, p=2 / 2**n) if 2 / 2**n >= 0.05 else ""


def columns_table(columns: Sequence[tuple], rows, language: str = "en") -> str:
    """A markdown table of ``rows`` from column specs: (English header, Chinese header, the cell of a row)."""
    header = [zh if language == "zh" else en for en, zh, _ in columns]
    return markdown_table(header, [[cell(r) for _, _, cell in columns] for r in rows])


def bilingual(**texts: tuple[str, str] | str) -> dict[str, dict[str, str]]:
    """{"en": {key: English}, "zh": {key: Chinese}} from key=(English, Chinese), or key=text where both
    are the same: the short texts of a module (labels) with both languages side by side."""
    pairs = {k: (v, v) if isinstance(v, str) else v for k, v in texts.items()}
    return {language: {k: pair[i] for k, pair in pairs.items()} for i, language in enumerate(("en", "zh"))}


def for_figure(language: str, texts: Mapping) -> tuple:
    """``mpbench.plots`` (imported here: tables and findings need no plotting libraries), the language
    a figure is drawn in (``plots.figure_language``: English where no font has Chinese glyphs) and
    that language's entry of ``texts``."""
    from .. import plots

    language = plots.figure_language(language)
    return plots, language, texts[language]


#: Columns that several tables share: the worker count, a variant's median time and its speedup over serial.
COLUMN = {
    "processes": ("Processes", "进程数", lambda r: str(r.workers)),
    "median": ("Median time (s)", "耗时中位数（秒）", lambda r: fmt_seconds(r.median)),
    "speedup": ("Speedup vs serial (x)", "相对串行（倍）", lambda r: fmt_ratio(r.speedup)),
}


def unless_serial(en: str, zh: str, cell: Callable) -> tuple:
    """A column (as :data:`COLUMN`'s) of what only a Pool has: "–" in the serial row."""
    return en, zh, lambda r: "–" if r.variant == "serial" else cell(r)


#: A variant's median, its interval and its speedup over serial.
TIME_COLUMNS = [
    ("Time (s)", "耗时（秒）", lambda r: fmt_seconds(r.median)),
    ("Interval (s)", "区间（秒）", lambda r: fmt_span(r.ci_low, r.ci_high, fmt_seconds)),
    ("Speedup (serial/Pool)", "提升（串行/多进程）", lambda r: fmt_ratio(r.speedup)),
]


def ratio_columns(en: str, zh: str, key: str, interval: bool = True) -> list[tuple]:
    """A row's paired time against the reference (:func:`compare_to`): the ratio (headed ``en`` /
    ``zh``), its interval where ``interval``, and p; "—" in a row not compared (no text in ``key``)."""

    def cell(text):
        return lambda r: text(r) if isinstance(getattr(r, key, None), str) else "—"

    columns = [
        (en, zh, cell(lambda r: fmt_ratio(r.ratio))),
        ("Paired interval (x)", "配对区间（倍）", cell(lambda r: fmt_span(r.ratio_ci_low, r.ratio_ci_high))),
        ("p", "p 值", cell(lambda r: fmt_p(r.p_value))),
    ]
    return columns if interval else [columns[0], columns[2]]
