"""crossover: summary, break-even, table, figure and findings (docs/experiments/crossover.md)."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pandas as pd

from ..experiments.crossover import VARIANTS
from ..stats import interval_vs_one
from ..tables import fmt_ratio, fmt_seconds, fmt_span
from .common import bilingual, columns_table, for_figure, in_words, ordered, summarize_with, tail_start

SPEEDUP = "speedup speedup_low speedup_high"  # of _wide's rows, as common.in_words names them
BREAK_EVEN_COLUMNS = ["break_even_size", "break_even_low", "break_even_high", "break_even_note", "faster_from_size"]
_ordered = partial(ordered, by=["workers", "size", "variant"], orders={"variant": VARIANTS})


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    # The Pool's phases: serial rows have none (their medians are NaN), nor do rows without them.
    raw = raw.assign(**{c: np.nan for c in ("pool_start_seconds", "map_seconds") if c not in raw})
    phases = {"pool_start_median": ("pool_start_seconds", "median"), "map_median": ("map_seconds", "median")}
    summary = summarize_with(raw, ["workers", "size"], level, **phases)
    facts = [
        {"workers": workers, **break_even(rows["size"], rows["speedup"], rows["speedup_ci_low"])}
        for workers, rows in summary[summary["variant"] == "pool"].groupby("workers", sort=True)
    ]
    facts = pd.DataFrame(facts, columns=["workers", *BREAK_EVEN_COLUMNS])
    return _ordered(summary.merge(facts, on="workers", how="left", validate="many_to_one"))


def break_even(sizes, speedups, ci_lows) -> dict:
    """The break-even of one worker count from its (size, median speedup, interval low) triples:
    where the median speedup last crosses 1× going up, interpolated on log(size) against log(speedup)."""
    order = np.argsort(np.asarray(sizes, dtype=float))
    s, r, low = (np.asarray(values, dtype=float)[order] for values in (sizes, speedups, ci_lows))
    strict = tail_start(low > 1)
    out = dict.fromkeys(BREAK_EVEN_COLUMNS, np.nan) | {"break_even_note": ""}
    out["faster_from_size"] = np.nan if strict is None else float(s[strict])
    if len(s) == 0 or not np.isfinite(r).all():
        out["break_even_note"] = "no speedups to compare"
        return out
    k = tail_start(r > 1)
    if k is None:
        out["break_even_note"] = "Pool not faster at the largest size"
    elif k == 0:
        out["break_even_note"] = "Pool faster already at the smallest size"
    else:
        a, b = math.log(r[k - 1]), math.log(r[k])
        t = -a / (b - a)
        out["break_even_size"] = float(math.exp(math.log(s[k - 1]) + t * (math.log(s[k]) - math.log(s[k - 1]))))
        out["break_even_low"], out["break_even_high"] = float(s[k - 1]), float(s[k])
        out["break_even_note"] = (
            "interpolated"
            if not (r[: k - 1] > 1).any()
            else "interpolated at the last upward crossing (crossed 1x more than once)"
        )
    return out


def _wide(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (workers, size): serial and Pool medians, the speedup and its interval."""
    data = _ordered(summary)
    serial = data[data["variant"] == "serial"].set_index(["workers", "size"])
    pool = data[data["variant"] == "pool"].set_index(["workers", "size"])
    speedup = pool[["speedup", "speedup_ci_low", "speedup_ci_high"]].set_axis(["median", "ci_low", "ci_high"], axis=1)
    ends = {"": "median", "_low": "ci_low", "_high": "ci_high"}  # serial, serial_low, serial_high, pool, ...
    cells = {"serial": serial, "pool": pool, "speedup": speedup}
    cells = {f"{name}{end}": cells[name][column] for name in cells for end, column in ends.items()}
    out = pd.DataFrame({**cells, "coverage": pool["speedup_ci_coverage"], "n": pool["n"]})
    return out.reset_index().sort_values(["workers", "size"]).reset_index(drop=True)


def _facts(summary: pd.DataFrame) -> dict[int, dict]:
    """The break-even columns of each worker count (they repeat on its rows)."""
    facts = _ordered(summary).groupby("workers")[BREAK_EVEN_COLUMNS].first()
    return facts.assign(break_even_note=facts["break_even_note"].fillna("")).to_dict("index")


def _case(facts: dict) -> str:
    """Which reading of the break-even applies: interpolated, faster (already at the smallest size) or slower."""
    if np.isfinite(facts["break_even_size"]):
        return "interpolated"
    return "faster" if facts["break_even_note"].startswith("Pool faster") else "slower"


def _size(n: float) -> str:
    return f"{int(round(n)):,}"


def _approx(n: float) -> str:
    """A break-even size to two significant digits: 251188.6 -> 250,000."""
    return f"{float(f'{n:.2g}'):,.0f}"


def _reading(workers: int, facts: dict, sizes, text: dict) -> str:
    """The break-even of one worker count and the size from which its interval is above 1×, in ``text``'s words."""
    case = _case(facts)
    low, high = (
        (facts["break_even_low"], facts["break_even_high"]) if case == "interpolated" else (min(sizes), max(sizes))
    )
    line = text[case].format(w=workers, size=_approx(facts["break_even_size"]), low=_size(low), high=_size(high))
    strict = facts["faster_from_size"]
    return line + (text["strict"].format(size=_size(strict)) if np.isfinite(strict) else text["strict_none"])


TEXT = {
    "zh": {
        "interpolated": "进程数 {w}：盈亏平衡规模 ≈ {size}（中位数提升在 n = {low} 与 {high} 之间越过 1 倍，按对数插值）",
        "faster": "进程数 {w}：在最小规模 n = {low} 时多进程已更快，盈亏平衡点低于本次扫描范围",
        "slower": "进程数 {w}：直到最大规模 n = {high} 多进程都不比串行快，本次扫描范围内没有盈亏平衡点",
        "strict": "；提升区间下限高于 1 倍始于 n = {size}",
        "strict_none": "；提升区间在最大规模处未高于 1 倍",
        "end": "。",
        "note": "每格为 {n} 次重复的中位数；多进程含创建进程池、map、close、join 的时间。提升 = 串行 / 多进程，"
        "区间来自同一次重复的配对比值。盈亏平衡规模：中位数提升自该规模起在所有更大规模上都高于 1 倍，"
        "在相邻两个规模之间按 log(规模)–log(提升) 线性插值。",
    },
    "en": {
        "interpolated": "{w} processes: break-even size ≈ {size} (the median speedup crosses 1× between n = {low} "
        "and {high}, interpolated on the log scale)",
        "faster": "{w} processes: the Pool is faster already at the smallest size n = {low}; the break-even lies "
        "below this sweep",
        "slower": "{w} processes: the Pool is not faster than serial up to the largest size n = {high}; no "
        "break-even within this sweep",
        "strict": "; interval of the speedup above 1× from n = {size}",
        "strict_none": "; the speedup's interval is not above 1× at the largest size",
        "end": ".",
        "note": "Each cell is the median of {n} repetitions; Pool times include creating the Pool, map, close and "
        "join. Speedup = serial / Pool, its interval from the paired ratios of the same repetition. "
        "Break-even size: from it on the median speedup is above 1× at every larger size, interpolated "
        "between the two neighbouring sizes on log(size) against log(speedup).",
    },
}
FINDING = {
    "en": {
        "interpolated": "With Pool({w}), the median speedup over the serial loop crosses 1× at about n ≈ {size} terms (interpolated between n = {low} and {high}; an estimate from the medians, the interval statement follows)",
        "faster": "With Pool({w}), the Pool was faster than the serial loop (median) already at the smallest size n = {low}, so the break-even lies below this sweep",
        "slower": "With Pool({w}), the Pool was not faster than the serial loop (median) at the largest size n = {high}, so there is no break-even within this sweep",
        "strict": "; its speedup interval lies above 1× from n = {size} on.",
        "strict_none": "; at the largest size its speedup interval does not lie above 1×.",
        "ideal": ", against an ideal of min({w} workers, {cores} cores) = {ideal}×",
        "above": "the Pool is faster",
        "below": "the Pool is slower",
        "includes": "not distinguishable from serial",
        "largest": "At the largest size n = {size}, Pool({w}) took {pool} s against {serial} s serial: speedup {ratio}× (interval {low}–{high}×, {verdict}){ideal}.",
    },
    "zh": {
        "interpolated": "Pool({w}) 相对串行循环的中位数加速比约在 n ≈ {size} 项处越过 1×（在 n = {low} 与 {high} 之间插值；这是由中位数得出的估计，区间的结论见后）",
        "faster": "Pool({w}) 在最小规模 n = {low} 时（中位数）就已快于串行循环，所以盈亏平衡点低于本次扫描范围",
        "slower": "Pool({w}) 在最大规模 n = {high} 时（中位数）仍不比串行循环快，所以本次扫描范围内没有盈亏平衡点",
        "strict": "；从 n = {size} 起，其加速比区间整体高于 1×。",
        "strict_none": "；在最大规模处，其加速比区间并不整体高于 1×。",
        "ideal": "，理想值为 min({w} 个进程, {cores} 个核) = {ideal}×",
        "above": "多进程更快",
        "below": "多进程更慢",
        "includes": "与串行无法区分",
        "largest": "在最大规模 n = {size} 时，Pool({w}) 耗时 {pool} 秒，串行耗时 {serial} 秒：加速比 {ratio}×（区间 {low}–{high}×，{verdict}）{ideal}。",
    },
}
# The time panel's two series of each worker count (the speedup panel draws Pool's).
SERIES = {
    "serial": {"fmt": "--", "marker": "s", "markersize": 4, "alpha": 0.55, "capsize": 2, "linewidth": 1.2},
    "pool": {"fmt": "-", "marker": "o", "markersize": 5, "linewidth": 1.6},
}
FIGURE = bilingual(
    serial=("serial loop (run beside Pool({w}))", "串行循环（与 Pool({w}) 交替运行）"),
    pool=("Pool({w}) (create, map, close, join)", "Pool({w})（创建、map、close、join）"),
    time_y=("median wall time per run (s, log scale)", "每次运行耗时中位数（秒，对数刻度）"),
    time_title=("time against size", "耗时随规模变化"),
    interpolated=("break-even ≈ {size}", "盈亏平衡 ≈ {size}"),
    faster=("faster already at the smallest n", "在最小 n 时已更快"),
    slower=("not faster at the largest n", "在最大 n 时仍不更快"),
    ideal=("ideal min(w, {cores} cores) = {ideal}× (w = {ws})", "理想值 min(w, {cores} 个核) = {ideal}×（w = {ws}）"),
    break_even=("break-even (median crosses 1×)", "盈亏平衡（中位数越过 1×）"),
    speedup_y=(
        "speedup (median of paired serial / Pool ratios, ×, log scale)",
        "加速比（串行 / Pool 配对比值的中位数，×，对数刻度）",
    ),
    speedup_title=("speedup against size", "加速比随规模变化"),
    x=("size n (terms of sum i*i, log scale)", "规模 n（i*i 求和的项数，对数刻度）"),
    title=(
        "Crossover: from which size does a Pool pay off? sum of i*i, serial loop vs Pool(w).map over w chunks, on {cores} core{s}\npoints: medians of {n} runs; bars: intervals of the median / of the paired ratios (coverage ≥ {cover})",
        "计算量多大时多进程才划算？i*i 求和，串行循环对比把任务分成 w 块的 Pool(w).map，{cores} 个核\n点：{n} 次运行的中位数；误差线：中位数的区间 / 配对比值的区间（覆盖率 ≥ {cover}）",
    ),
)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    wide, facts, text = _wide(summary), _facts(summary), TEXT[language]
    columns = [
        ("Processes", "进程数", lambda r: str(int(r.workers))),
        ("Size n (terms i*i)", "规模 n（i*i 的项数）", lambda r: _size(r.size)),
        ("Serial (s)", "串行（秒）", lambda r: fmt_seconds(r.serial)),
        ("Pool (s)", "多进程（秒）", lambda r: fmt_seconds(r.pool)),
        ("Speedup (x)", "提升（倍）", lambda r: fmt_ratio(r.speedup)),
        ("Speedup interval (x)", "提升区间（倍）", lambda r: fmt_span(r.speedup_low, r.speedup_high)),
    ]
    lines = [
        f"- {_reading(w, facts[w], wide.loc[wide['workers'] == w, 'size'], text)}{text['end']}" for w in sorted(facts)
    ]
    note = text["note"].format(n=int(wide["n"].min()) if len(wide) else 0)
    return "\n\n".join([columns_table(columns, wide.itertuples(), language), "\n".join(lines), note]) + "\n"


def _compact(n: float) -> str:
    """Tick label of a size: 1000 -> 1k, 3000000 -> 3M."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:g}{unit}"
    return f"{n:g}"


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    import seaborn as sns

    plots, language, t = for_figure(language, FIGURE)
    wide, facts = _wide(summary), _facts(summary)
    workers = sorted(int(w) for w in wide["workers"].unique())
    sizes = sorted(float(s) for s in wide["size"].unique())
    colours = dict(zip(workers, sns.color_palette("deep", len(workers))))
    ideals = {}
    for w in workers:
        ideals.setdefault(plots.ideal_speedup(w, cores), []).append(w)

    with plots.figure(out_paths, 1, 2, figsize=(12.5, 5.4)) as (fig, (left, right)):
        for w in workers:
            rows, c = wide[wide["workers"] == w], colours[w]
            for v, look in SERIES.items():
                ends = rows[v], rows[f"{v}_low"], rows[f"{v}_high"]
                plots.interval_bars(left, rows["size"], *ends, color=c, label=t[v].format(w=w), **look)
        left.set_yscale("log")
        plots.plain_labels(left.yaxis)
        left.set(ylabel=t["time_y"], title=t["time_title"])

        plots.reference_lines(right)
        handles = []
        for i, w in enumerate(workers):
            rows, c, size = wide[wide["workers"] == w], colours[w], facts[w]["break_even_size"]
            ends = rows["speedup"], rows["speedup_low"], rows["speedup_high"]
            plots.interval_bars(right, rows["size"], *ends, color=c, zorder=3, **SERIES["pool"])
            mark = t[_case(facts[w])].format(size=_compact(float(f"{size:.2g}")))
            handles.append(plots.line(f"Pool({w}): {mark}", color=c, marker="o", markersize=5, linewidth=1.6))
            if np.isfinite(size):  # labelled at the bottom (the curves rise to the right), staggered
                right.axvline(size, color=c, linestyle="--", linewidth=1.2, zorder=2)
                at = {"xycoords": ("data", "axes fraction"), "color": c, "bbox": plots.BOX}
                plots.label(right, f"n ≈ {_approx(size)}", (size, 0.0), (4, 6 + 15 * i), ha="left", **at)
        for ideal, ws in sorted(ideals.items()):
            if ideal != 1:
                right.axhline(ideal, zorder=1, **plots.IDEAL)
                label = t["ideal"].format(cores=cores, ideal=ideal, ws=", ".join(map(str, ws)))
                handles.append(plots.line(label, **plots.IDEAL))
        handles.append(plots.line(plots.TEXT[language]["no_gain"], **plots.NO_GAIN))
        if any(np.isfinite(facts[w]["break_even_size"]) for w in workers):
            tick = {"color": "0.3", "marker": "|", "markersize": 14, "markeredgewidth": 1.4, "linestyle": "none"}
            handles.append(plots.line(t["break_even"], **tick))
        low, high = plots.log_limits(wide[["speedup_low", "speedup", "speedup_high"]], 1.0, *ideals, pad=1.6)
        plots.ratio_axis(right, low, high, log=True)
        right.set(ylabel=t["speedup_y"], title=t["speedup_title"])
        for ax in (left, right):
            plots.log_x(ax, sizes, [_compact(s) for s in sizes])
            ax.set_xlabel(t["x"])
        lh, ll = left.get_legend_handles_labels()
        order = sorted(range(len(ll)), key=lambda i: not ll[i].startswith("Pool"))  # Pool lines first
        plots.legend_below(left, [lh[i] for i in order], [ll[i] for i in order])
        plots.legend_below(right, handles=handles)
        n = int(wide["n"].min()) if len(wide) else 0
        cover = wide["coverage"].dropna()
        cover = f"{cover.min():.0%}" if len(cover) else "n/a"
        plots.finish(fig, t["title"].format(cores=cores, s="s" if cores != 1 else "", n=n, cover=cover))


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    wide, facts, text = _wide(summary), _facts(summary), FINDING[language]
    cores = env.get("usable_cores")
    out = []
    for w in sorted(facts):
        rows = wide[wide["workers"] == w].sort_values("size")
        out.append(_reading(w, facts[w], rows["size"], text))
        last = rows.iloc[-1]
        ideal = text["ideal"].format(w=w, cores=cores, ideal=max(1, min(w, int(cores)))) if cores else ""
        times = {"pool": fmt_seconds(last["pool"]), "serial": fmt_seconds(last["serial"]), "size": _size(last["size"])}
        verdict = text[interval_vs_one(last["speedup_low"], last["speedup_high"])]
        out.append(in_words(text["largest"], last, SPEEDUP, language, w=w, verdict=verdict, ideal=ideal, **times))
    return out
