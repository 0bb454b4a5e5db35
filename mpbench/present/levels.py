"""The levels of one condition (cache_state, fsync_sweep, scratch_location): per operation, serial
and Pool under each level, and each level's time against the reference level (the first)."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from ..experiments.common import MODES
from ..fileio import OPERATIONS
from ..tables import fmt_p, fmt_ratio, fmt_seconds, markdown_table
from .common import WORDS, for_figure, in_words, paired, pick, summarize_variants, with_agg
from .common import few_repeats as _few_repeats
from .common import ordered as _ordered

#: The columns of a level's paired time against the reference level (common.paired).
VS_REF = "ratio_vs_ref ratio_ci_low ratio_ci_high p_vs_ref significant_vs_ref"


def summarize(raw: pd.DataFrame, level: float, factor: str) -> pd.DataFrame:
    """One row per (operation, level, mode): median, interval, Pool speedup over serial at
    that level, and the time ratio against the reference level (index 0) of the same mode,
    paired by repetition (compare_paired: ratio, interval, p, significant)."""
    data = raw.assign(variant=raw["mode"].astype(str), **{factor: raw[factor].astype(str)})
    summary = summarize_variants(data, ["operation", factor], level, baseline="serial")
    keys = ["operation", factor, "variant"]
    first = {c: (c, "first") for c in ("level_index", "loops", "workers", "scratch_fs")}
    resident = {f"resident_before_{f}": ("resident_before", f) for f in ("min", "max")}
    cmp = []
    for (op, mode), rows in data.groupby(["operation", "variant"]):
        ref = rows.loc[rows["level_index"].idxmin(), factor]
        ref_times = rows[rows[factor] == ref].set_index("rep")["seconds"]
        for lvl, cell in rows.groupby(factor):
            c = paired(cell.set_index("rep")["seconds"], ref_times, level, VS_REF)
            if lvl == ref:
                c.update(p_vs_ref=np.nan, significant_vs_ref=False)
            cmp.append({"operation": op, factor: lvl, "variant": mode, "reference": ref, **c})
    out = with_agg(summary, data, keys, **first, **resident).merge(pd.DataFrame(cmp), on=keys, validate="one_to_one")
    return ordered(out, factor)


def ordered(summary: pd.DataFrame, factor: str) -> pd.DataFrame:
    """Operations in the pipeline's order, levels by index, serial before Pool (also after a CSV round trip)."""
    return _ordered(
        summary.assign(**{factor: summary[factor].astype(str)}),
        ["operation", "level_index", "variant"],
        {"operation": OPERATIONS, "variant": MODES},
    )


def _cells(rows: pd.DataFrame) -> dict:
    return {m: r for m in MODES for _, r in rows[rows["variant"] == m].iterrows()}


#: The words of the findings, tables and figures of the three conditions.
TEXT = {
    "en": {
        "modes": {"serial": "serial", "pool": "Pool"},
        "ratio": "{ratio}× ({low}–{high}×, p = {p}, {sig})",
        "speedup": "{ratio}× serial ({low}–{high}×, {where})",
        "pool": "{lead}Pool {speedup}.",
        "context": "{loops} loops, Pool({workers})",
        "median": "{mode} {seconds} s",
        "join": ", ",
        "y": "median wall time per run (s)",
        "legend": ("serial (a for loop)", "Pool({workers}) (create, map, close, join)"),
        "note": "bars: interval of the median (n = {n}, coverage ≥ {cover:.0%}); labels: time / {ref} in the same mode, * = significant (paired p)",
        "columns": ("Operation", "Serial (s)", "Pool (s)", "Pool speedup (×)"),
        "vs": "{mode}: time / {ref} (×, p)",
        "table_note": "Each cell is the median of {n} runs ({loops} operations, Pool({workers})); speedup = serial / "
        "Pool; time ratios are against {ref} in the same mode, paired by repetition, p from a paired "
        "sign test.",
    },
    "zh": {
        "modes": {"serial": "串行", "pool": "多进程"},
        "ratio": "{ratio}×（{low}–{high}×，p = {p}，{sig}）",
        "speedup": "加速比 {ratio}×（{low}–{high}×，{where}）",
        "pool": "{lead}多进程{speedup}。",
        "context": "{loops} 次操作，Pool({workers})",
        "median": "{mode} {seconds} 秒",
        "join": "，",
        "y": "每次运行耗时中位数（秒）",
        "legend": ("串行（for 循环）", "Pool({workers})（创建、map、close、join）"),
        "note": "误差线：中位数的区间（n = {n}，覆盖率 ≥ {cover:.0%}）；标注：同一模式下耗时 / {ref}，* 表示显著（配对 p）",
        "columns": ("操作", "串行（秒）", "多进程（秒）", "多进程提升（倍）"),
        "vs": "{mode}：耗时 / {ref}（倍，p）",
        "table_note": "每格为 {n} 次重复的中位数（{loops} 次操作，Pool({workers})）；提升 = 串行 / 多进程；"
        "耗时比以同一模式下的 {ref} 为基准，按同一次重复配对，p 为配对符号翻转检验。",
    },
}


def mode_label(m: str, language: str = "en") -> str:
    return TEXT[language]["modes"].get(m, m)


def few_repeats(rows: pd.DataFrame, language: str = "en") -> str:
    """A note when the repetitions are too few for any paired difference to reach p < 0.05."""
    return _few_repeats(int(rows["n"].min()), WORDS[language]["few"])


def speedup_text(r, language: str = "en") -> str:
    return in_words(TEXT[language]["speedup"], r, "speedup speedup_ci_low speedup_ci_high", language)


def pool_speedup(rows: pd.DataFrame, lead: str = "; ", language: str = "en") -> str:
    """'; Pool 2.00× serial (...).' where the rows have a Pool, else '.'."""
    pool = rows[rows["variant"] == "pool"]
    if pool.empty:
        return "。" if language == "zh" else "."
    if language == "zh":
        lead = {"; ": "；", ", ": "，"}.get(lead, lead)
    return TEXT[language]["pool"].format(lead=lead, speedup=speedup_text(pool.iloc[0], language))


def context(rows: pd.DataFrame, language: str = "en") -> str:
    return TEXT[language]["context"].format(loops=int(rows["loops"].iloc[0]), workers=int(rows["workers"].iloc[0]))


def head(op: str, rows: pd.DataFrame, language: str = "en") -> str:
    """The subject of a finding: "read (1 loops, Pool(2))"."""
    return f"{op}（{context(rows, language)}）" if language == "zh" else f"{op} ({context(rows, language)})"


def mode_medians(rows: pd.DataFrame, language: str = "en") -> str:
    t = TEXT[language]
    return t["join"].join(
        t["median"].format(mode=mode_label(m, language), seconds=fmt_seconds(r["median"]))
        for m, r in _cells(rows).items()
    )


def versus(rows: pd.DataFrame, language: str = "en") -> str:
    """The time ratios of one non-reference level, per mode: "serial 1.12× (1.05–1.20×, p = 0.031, significant)"."""
    sep = "；" if language == "zh" else "; "
    ratios = {m: in_words(TEXT[language]["ratio"], r, VS_REF, language) for m, r in _cells(rows).items()}
    return sep.join(f"{mode_label(m, language)} {text}" for m, text in ratios.items())


def _vs_cell(r) -> str:
    """A level's time / the reference level's: "1.12 (p = 0.031)", "—" for the reference itself."""
    if r is None:
        return "n/a"
    return f"{fmt_ratio(r['ratio_vs_ref'])} (p = {fmt_p(r['p_vs_ref'])})" if np.isfinite(r["p_vs_ref"]) else "—"


def table(
    summary: pd.DataFrame,
    factor: str,
    language: str,
    factor_header: dict,
    label: Callable[[str], str] = str,
    extra: tuple | None = None,
) -> str:
    """One row per (operation, level); ``extra``: (header per language, cell from the row's {mode: row})."""
    text = TEXT[language]
    data = ordered(summary, factor)
    refs = data.loc[data["level_index"] == data["level_index"].min(), factor]
    ref = label(refs.iloc[0]) if refs.nunique() == 1 else "reference"
    first, *columns = text["columns"]
    header = [first, factor_header[language], *columns]
    header += [text["vs"].format(mode=mode_label(m, language), ref=ref) for m in MODES]
    header += [extra[0][language]] if extra else []
    rows = []
    for (op, lvl), cell in data.groupby(["operation", factor], sort=False):
        c = _cells(cell)
        medians = [fmt_seconds(c[m]["median"]) if m in c else "n/a" for m in MODES]
        speedup = fmt_ratio(c["pool"]["speedup"]) if "pool" in c else "n/a"
        row = [op, label(lvl), *medians, speedup, *(_vs_cell(c.get(m)) for m in MODES)]
        rows.append(row + ([extra[1](c)] if extra else []))
    note = text["table_note"].format(
        n=int(data["n"].min()), loops=int(data["loops"].iloc[0]), workers=int(data["workers"].iloc[0]), ref=ref
    )
    return markdown_table(header, rows) + "\n\n" + note + "\n"


STYLE = {"serial": ("#1f77b4", "o"), "pool": ("#d62728", "s")}  # mode -> (colour, marker)
MARKS = {"fmt": "-", "capsize": 4, "linewidth": 1.0, "markersize": 7, "zorder": 3}  # a mode's medians and intervals


def plot(
    summary: pd.DataFrame, factor: str, out_paths, text: dict, label: Callable[[str], str] = str, language: str = "en"
) -> None:
    """Per operation: median time per level, serial and Pool side by side, interval bars,
    and each non-reference level's time ratio against the reference written beside it (``text``: the
    experiment's words by language, with its "title" and "x", the label of its levels)."""
    import textwrap

    plots, language, t = for_figure(language, TEXT)
    own = pick(text, language)
    data = ordered(summary, factor)
    ops = list(dict.fromkeys(data["operation"]))
    width = max(4.6, 1.7 * data.groupby("operation")[factor].nunique().max() + 1.4)
    size = (max(5.2, width * len(ops) + 0.4), 4.8)
    with plots.figure(out_paths, 1, len(ops), squeeze=False, figsize=size) as (fig, axes):
        for ax, op in zip(axes[0], ops):
            sub = data[data["operation"] == op]
            levels = list(dict.fromkeys(sub[factor]))
            for k, mode in enumerate(MODES):
                rows, (colour, marker) = sub[sub["variant"] == mode], STYLE[mode]
                x = np.array([levels.index(v) for v in rows[factor]]) + (k - 0.5) * 0.24
                plots.interval_bars(
                    ax, x, rows["median"], rows["ci_low"], rows["ci_high"], marker=marker, color=colour, **MARKS
                )
                for xi, r in zip(x, rows.itertuples()):
                    if np.isfinite(r.p_vs_ref):
                        mark = f"{fmt_ratio(r.ratio_vs_ref)}×{'*' if bool(r.significant_vs_ref) else ''}"
                        plots.label(ax, mark, (xi, r.ci_high), (0, 4), color=colour)
            ax.set_xticks(range(len(levels)), [label(v) for v in levels])
            ax.set(xlim=(-0.6, len(levels) - 0.4), ylim=(0, float(sub["ci_high"].max()) * 1.18))
            ax.set(title=f"{op} ({context(sub, language)})", xlabel=own["x"], ylabel=t["y"])
        workers = int(data["workers"].iloc[0])
        handles = [
            plots.line(n.format(workers=workers), color=c, marker=m) for (c, m), n in zip(STYLE.values(), t["legend"])
        ]
        ref = data.loc[data["level_index"].idxmin(), factor]
        note = t["note"].format(n=int(data["n"].min()), cover=data["ci_coverage"].dropna().min(), ref=ref)
        # A figure of one panel is narrow: wrap what would run past its edges (a Chinese character is wider).
        chars = int(size[0] * (6 if language == "zh" else 11))
        note, title = ("\n".join(textwrap.wrap(s, chars)) for s in (note, own["title"]))
        plots.finish(fig, title, handles, 2, "large", fontsize="small", title=note, title_fontsize="small")
