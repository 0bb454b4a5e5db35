"""pool_api: summary, table, figure and findings (docs/experiments/pool_api.md)."""

from __future__ import annotations

from functools import partial

import pandas as pd

from ..experiments.pool_api import FUNCTIONS, PER_ITEM, POOL_VARIANTS, VARIANTS
from ..tables import fmt_ratio, fmt_seconds
from .common import COLUMN, bilingual, columns_table, for_figure, ordered, speedup_vs_one, summarize_with, unless_serial

_ordered = partial(
    ordered, by=["function", "workers", "length", "variant"], orders={"function": FUNCTIONS, "variant": VARIANTS}
)


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    out = summarize_with(
        raw,
        ["function", "length", "workers"],
        level,
        chunksize=("chunksize", "first"),
        pool_start_median=("pool_start_seconds", "median"),
        close_join_median=("close_join_seconds", "median"),
        matches_serial=("matches_serial", "all"),
    )
    out["per_item_seconds"] = out["median"] / out["length"]
    return _ordered(out)


LABELS = bilingual(
    serial=("serial for loop", "串行 for 循环"),
    map=("Pool.map (seed)", "Pool.map（原文）"),
    apply_async=("Pool.apply_async (seed)", "Pool.apply_async（原文）"),
    map_async="Pool.map_async",
    imap="Pool.imap",
    imap_chunked=("Pool.imap (chunksize set)", "Pool.imap（指定 chunksize）"),
    imap_unordered="Pool.imap_unordered",
    imap_unordered_chunked=("Pool.imap_unordered (chunksize set)", "Pool.imap_unordered（指定 chunksize）"),
    starmap="Pool.starmap",
    executor_map="ProcessPoolExecutor.map",
)
FUNCTION_LABELS = bilingual(square="id**2", heavy=("heavy (pure-Python loop)", "heavy（纯 Python 循环）"))


def _int_or_dash(value) -> str:
    return "–" if pd.isna(value) else f"{int(value):,}"


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    columns = [
        ("Function", "函数", lambda r: FUNCTION_LABELS[language][r.function]),
        ("Length (items)", "长度（个）", lambda r: f"{int(r.length):,}"),
        COLUMN["processes"],
        ("Variant", "方式", lambda r: LABELS[language][r.variant]),
        ("Items per task", "每个任务的元素数", lambda r: _int_or_dash(r.chunksize)),
        COLUMN["median"],
        COLUMN["speedup"],
        unless_serial("Pool start (s)", "创建进程池（秒）", lambda r: fmt_seconds(r.pool_start_median)),
    ]
    return columns_table(columns, _ordered(summary).itertuples(), language) + "\n"


# Colour and marker per API family (a chunked variant in its family's); dashed lines: one task per item (chunksize 1).
STYLE = {
    "map": ("#1f77b4", "o"),
    "apply_async": ("#d62728", "s"),
    "map_async": ("#17becf", "v"),
    "imap": ("#2ca02c", "^"),
    "imap_unordered": ("#9467bd", "D"),
    "starmap": ("#8c564b", "P"),
    "executor_map": ("#ff7f0e", "X"),
}


FIGURE = bilingual(
    chunked=("{base}, chunksize={size}", "{base}，chunksize={size}"),
    per_item=("{label}, 1 item/task", "{label}，每个任务 1 个元素"),
    panel=("{function}, Pool(processes={workers})", "{function}，Pool(processes={workers})"),
    x=("length (items mapped per run, log scale)", "长度（每次运行映射的元素数，对数刻度）"),
    y=("speedup (serial time / variant time, ×, log)", "加速比（串行耗时 / 该方式耗时，×，对数）"),
    ideal=("ideal: min(workers, {cores} cores)", "理想值：min(进程数, {cores} 个核)"),
    title=(
        "Pool API: speedup of each variant over the serial for loop (Pool creation included)\npoints: median of paired serial / variant ratios of {runs} runs; bars: interval from paired ratios; dashed, hollow: one task per item",
        "进程池 API：各方式相对串行 for 循环的加速比（含创建进程池）\n点：{runs} 次运行中串行 / 该方式配对比值的中位数；误差线：配对比值的区间；虚线空心：每个元素一个任务",
    ),
)
TEXT = {
    "en": {
        "square": "`id**2`",
        "heavy": "the heavy worker",
        "fastest": "For {what} with {workers} workers at length {length:,}, the fastest process API was `{best}` ({seconds} s, {speed} vs the loop)",
        "close": "; {names} not distinguishable from it",
        "slowest": "; the slowest was `{worst}` ({seconds} s, {ratio}×).",
        "imap_more": "{x:.1f}× the time of",
        "imap_less": "less time ({x:.2f}×) than",
        "imap_same": "a time not distinguishable from that of",
        "imap": "For {what} at length {length:,}, `imap` sending one item per task ({one} s) took {how} `imap` with chunksize {size} ({chunked} s).",
        "wins": "Processes beat the for loop for {what} at length {wins} (of {lengths}); from length {n0:,}, {k} of {n} variants were faster (best `{best}`, {speed}).",
        "larger": " Only the larger lengths paid off, as the seed's note says: 数学运算要达到较高数量级后才能体现多进程的优势.",
        "ties": "No process variant was clearly faster than the for loop for {what} at any length ({lengths}); at length {ties} the best one is not distinguishable from the loop.",
        "loses": "Every process variant was slower than the plain for loop for {what} at every length ({lengths}); the best was `{best}` at {speed}, length {length:,}.",
        "cheap": " Here `id**2` is too cheap for processes to pay off at these lengths (the seed: 数学运算要达到较高数量级后才能体现多进程的优势).",
    },
    "zh": {
        "square": "`id**2`",
        "heavy": "heavy 任务",
        "fastest": "对 {what}，用 {workers} 个进程、长度 {length:,} 时，最快的多进程接口是 `{best}`（{seconds} 秒，相对 for 循环 {speed}）",
        "close": "；{names} 与它无法区分",
        "slowest": "；最慢的是 `{worst}`（{seconds} 秒，{ratio}×）。",
        "imap_more": "耗时是它的 {x:.1f}×",
        "imap_less": "耗时更少（{x:.2f}×）",
        "imap_same": "耗时无法区分",
        "imap": "对 {what}，长度 {length:,} 时，`imap` 每个任务只发送一个元素（{one} 秒），与 chunksize 为 {size} 的 `imap`（{chunked} 秒）相比，{how}。",
        "wins": "对 {what}，长度 {wins} 时（共测 {lengths}）多进程快于 for 循环；从长度 {n0:,} 起，{n} 种方式中有 {k} 种更快（最快的是 `{best}`，{speed}）。",
        "larger": "只有较大的长度才划算，正如原文所说：数学运算要达到较高数量级后才能体现多进程的优势。",
        "ties": "对 {what}，在任何长度（{lengths}）下都没有哪种多进程方式明显快于 for 循环；长度 {ties} 时最好的方式与 for 循环无法区分。",
        "loses": "对 {what}，在每个长度（{lengths}）下，所有多进程方式都慢于普通的 for 循环；最好的是 `{best}`，{speed}，长度 {length:,}。",
        "cheap": "这里 `id**2` 太便宜，在这些长度下多进程不划算（原文：数学运算要达到较高数量级后才能体现多进程的优势）。",
    },
}


def _plot_label(variant: str, chunksize, language: str = "en") -> str:
    t, labels = FIGURE[language], LABELS[language]
    if variant.endswith("_chunked"):  # imap's or imap_unordered's label, with the chunksize it got
        return t["chunked"].format(base=labels[variant.removesuffix("_chunked")], size=_int_or_dash(chunksize))
    if variant in PER_ITEM:
        return t["per_item"].format(label=labels[variant])
    return labels[variant]


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    plots, language, t = for_figure(language, FIGURE)

    def look(v: str) -> dict:
        colour, marker = STYLE[v.removesuffix("_chunked")]
        face, linestyle = ("white", "--") if v in PER_ITEM else (colour, "-")
        return dict(color=colour, marker=marker, markersize=6, linewidth=1.5, linestyle=linestyle, markerfacecolor=face)

    data = _ordered(summary)
    data = data[data["variant"] != "serial"]
    functions = [f for f in FUNCTIONS if f in set(data["function"].astype(str))]
    workers = sorted(int(w) for w in data["workers"].unique())
    lengths = sorted(int(n) for n in data["length"].unique())
    variants = [v for v in POOL_VARIANTS if v in set(data["variant"].astype(str))]
    span = plots.span(lengths, 10)
    offset = dict(zip(variants, plots.dodge(variants, variants, 0.008 * max(span, 1.0), base=10)))
    ideals = sorted({plots.ideal_speedup(w, cores) for w in workers})
    low, high = plots.log_limits(data[["speedup", "speedup_ci_low", "speedup_ci_high"]], 1.0, *ideals, pad=1.6)
    labels = {}
    size = (4.9 * len(functions) + 0.6, 3.6 * len(workers) + 1.9)
    grid = {"squeeze": False, "sharex": True, "sharey": True, "figsize": size}
    with plots.figure(out_paths, len(workers), len(functions), **grid) as (fig, axes):
        for i, w in enumerate(workers):
            for j, f in enumerate(functions):
                ax = axes[i][j]
                plots.reference_lines(ax, plots.ideal_speedup(w, cores))
                sub = data[(data["function"] == f) & (data["workers"] == w)]
                for v in variants:
                    rows = sub[sub["variant"] == v].sort_values("length")
                    if rows.empty:
                        continue
                    x = rows["length"].to_numpy(float) * offset[v]
                    ends = rows["speedup"], rows["speedup_ci_low"], rows["speedup_ci_high"]
                    plots.interval_bars(ax, x, *ends, fmt="", elinewidth=1, zorder=3, **look(v))
                    labels.setdefault(v, _plot_label(v, rows["chunksize"].iloc[0], language))
                plots.log_x(ax, lengths, [f"{n:,}" for n in lengths], pad=10 ** (0.12 * span))
                plots.ratio_axis(ax, low, high, log=True)
                ax.set_title(t["panel"].format(function=FUNCTION_LABELS[language][f], workers=w))
                ax.set(xlabel=t["x"] if i == len(workers) - 1 else "", ylabel=t["y"] if j == 0 else "")
        handles = [plots.line(labels.get(v, LABELS[language][v]), **look(v)) for v in variants]
        handles.append(plots.line(plots.TEXT[language]["no_gain"], **plots.NO_GAIN))
        if any(i != 1 for i in ideals):
            handles.append(plots.line(t["ideal"].format(cores=cores), **plots.IDEAL))
        plots.finish(fig, t["title"].format(runs=plots.extent(data["n"])), handles, fontsize="small")


def _speed(row, language: str = "en") -> str:
    low, high = fmt_ratio(row["speedup_ci_low"]), fmt_ratio(row["speedup_ci_high"])
    return f"{fmt_ratio(row['speedup'])}×" + (f"（{low}–{high}）" if language == "zh" else f" ({low}–{high})")


def _lengths(lengths) -> str:
    return ", ".join(f"{int(n):,}" for n in lengths)


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, out = TEXT[language], []
    data = _ordered(summary)
    data = data.assign(function=data["function"].astype(str), variant=data["variant"].astype(str))
    for (function, workers), rows in data.groupby(["function", "workers"], sort=False):
        pools = rows[rows["variant"] != "serial"]
        if pools.empty:
            continue
        what = t["square" if function == "square" else "heavy"]
        largest = int(pools["length"].max())
        top = pools[pools["length"] == largest].set_index("variant")
        best, worst = top["median"].idxmin(), top["median"].idxmax()
        b, slowest = top.loc[best], top.loc[worst]
        close = [v for v in top.index if v != best and top.loc[v, "ci_low"] <= b["ci_high"]]
        point = {"what": what, "workers": workers, "length": largest}
        text = t["fastest"].format(**point, best=best, seconds=fmt_seconds(b["median"]), speed=_speed(b, language))
        text += t["close"].format(names=", ".join(f"`{v}`" for v in close)) if close else ""
        slow = {"worst": worst, "seconds": fmt_seconds(slowest["median"]), "ratio": fmt_ratio(slowest["speedup"])}
        out.append(text + t["slowest"].format(**slow))

        if {"imap", "imap_chunked"} <= set(top.index):
            one, chunked = top.loc["imap"], top.loc["imap_chunked"]
            how = (
                "more"
                if one["ci_low"] > chunked["ci_high"]
                else "less"
                if one["ci_high"] < chunked["ci_low"]
                else "same"
            )
            how = t[f"imap_{how}"].format(x=one["median"] / chunked["median"])
            times = {"one": fmt_seconds(one["median"]), "chunked": fmt_seconds(chunked["median"])}
            out.append(t["imap"].format(**point, **times, how=how, size=_int_or_dash(chunked["chunksize"])))

        verdicts = {
            n: {v: speedup_vs_one(r) for v, r in g.set_index("variant").iterrows()}
            for n, g in pools.groupby("length", sort=True)
        }
        wins = [n for n, v in verdicts.items() if "above" in v.values()]
        ties = [n for n, v in verdicts.items() if "above" not in v.values() and "includes" in v.values()]
        lengths = _lengths(sorted(verdicts))
        if wins:
            n0 = int(min(wins))
            at = pools[pools["length"] == n0].set_index("variant")
            winners = [v for v in at.index if speedup_vs_one(at.loc[v]) == "above"]
            fastest = at.loc[winners, "median"].idxmin()
            speed = _speed(at.loc[fastest], language)
            counts = {"n0": n0, "k": len(winners), "n": len(at)}
            text = t["wins"].format(
                what=what, wins=_lengths(wins), lengths=lengths, best=fastest, speed=speed, **counts
            )
            if function == "square" and n0 > int(min(verdicts)):
                text += t["larger"]
        elif ties:
            text = t["ties"].format(what=what, lengths=lengths, ties=_lengths(ties))
        else:
            r = pools.loc[pools["speedup"].idxmax()]
            text = t["loses"].format(
                what=what, lengths=lengths, best=r["variant"], speed=_speed(r, language), length=int(r["length"])
            )
            if function == "square":
                text += t["cheap"]
        out.append(text)
    return out
