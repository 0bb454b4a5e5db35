"""pool_api: summary, table, figure and findings (docs/experiments/pool_api.md)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..experiments.pool_api import FUNCTIONS, PER_ITEM, POOL_VARIANTS, VARIANTS
from ..stats import interval_vs_one
from ..tables import fmt_ratio, fmt_seconds, markdown_table
from .common import ordered, summarize_variants

KEYS = ["function", "length", "workers"]


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    return ordered(summary, ["function", "workers", "length", "variant"], {"function": FUNCTIONS, "variant": VARIANTS})


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    summary = summarize_variants(raw, KEYS, level, baseline="serial")
    extra = (
        raw.groupby([*KEYS, "variant"])
        .agg(
            chunksize=("chunksize", "first"),
            pool_start_median=("pool_start_seconds", "median"),
            close_join_median=("close_join_seconds", "median"),
            matches_serial=("matches_serial", "all"),
        )
        .reset_index()
    )
    out = summary.merge(extra, on=[*KEYS, "variant"], validate="one_to_one")
    out["per_item_seconds"] = out["median"] / out["length"]
    return _ordered(out)


LABELS = {
    "zh": {
        "serial": "串行 for 循环",
        "map": "Pool.map（原文）",
        "apply_async": "Pool.apply_async（原文）",
        "map_async": "Pool.map_async",
        "imap": "Pool.imap",
        "imap_chunked": "Pool.imap（指定 chunksize）",
        "imap_unordered": "Pool.imap_unordered",
        "imap_unordered_chunked": "Pool.imap_unordered（指定 chunksize）",
        "starmap": "Pool.starmap",
        "executor_map": "ProcessPoolExecutor.map",
    },
    "en": {
        "serial": "serial for loop",
        "map": "Pool.map (seed)",
        "apply_async": "Pool.apply_async (seed)",
        "map_async": "Pool.map_async",
        "imap": "Pool.imap",
        "imap_chunked": "Pool.imap (chunksize set)",
        "imap_unordered": "Pool.imap_unordered",
        "imap_unordered_chunked": "Pool.imap_unordered (chunksize set)",
        "starmap": "Pool.starmap",
        "executor_map": "ProcessPoolExecutor.map",
    },
}
FUNCTION_LABELS = {
    "zh": {"square": "id**2", "heavy": "heavy（纯 Python 循环）"},
    "en": {"square": "id**2", "heavy": "heavy (pure-Python loop)"},
}
HEADER = {
    "zh": [
        "函数",
        "长度（个）",
        "进程数",
        "方式",
        "每个任务的元素数",
        "耗时中位数（秒）",
        "相对串行（倍）",
        "创建进程池（秒）",
    ],
    "en": [
        "Function",
        "Length (items)",
        "Processes",
        "Variant",
        "Items per task",
        "Median time (s)",
        "Speedup vs serial (x)",
        "Pool start (s)",
    ],
}


def _int_or_dash(value) -> str:
    return "–" if pd.isna(value) else f"{int(value):,}"


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    summary = _ordered(summary)
    rows = [
        [
            FUNCTION_LABELS[language][r.function],
            f"{int(r.length):,}",
            str(r.workers),
            LABELS[language][r.variant],
            _int_or_dash(r.chunksize),
            fmt_seconds(r.median),
            fmt_ratio(r.speedup),
            "–" if r.variant == "serial" else fmt_seconds(r.pool_start_median),
        ]
        for r in summary.itertuples()
    ]
    return markdown_table(HEADER[language], rows) + "\n"


# Colour and marker per API family; dashed lines: one task per item (chunksize 1).
STYLE = {
    "map": ("#1f77b4", "o"),
    "apply_async": ("#d62728", "s"),
    "map_async": ("#17becf", "v"),
    "imap": ("#2ca02c", "^"),
    "imap_chunked": ("#2ca02c", "^"),
    "imap_unordered": ("#9467bd", "D"),
    "imap_unordered_chunked": ("#9467bd", "D"),
    "starmap": ("#8c564b", "P"),
    "executor_map": ("#ff7f0e", "X"),
}


def _plot_label(variant: str, chunksize) -> str:
    if variant.endswith("_chunked"):
        base = "Pool.imap" if variant == "imap_chunked" else "Pool.imap_unordered"
        return f"{base}, chunksize={_int_or_dash(chunksize)}"
    if variant in PER_ITEM:
        return f"{LABELS['en'][variant]}, 1 item/task"
    return LABELS["en"][variant]


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    import matplotlib.pyplot as plt
    from matplotlib import ticker
    from matplotlib.lines import Line2D

    from .. import plots  # here: tables and findings need no plotting libraries

    def look(v: str) -> dict:
        colour, marker = STYLE[v]
        dashed = v in PER_ITEM
        return dict(
            color=colour,
            marker=marker,
            markersize=6,
            linewidth=1.5,
            linestyle="--" if dashed else "-",
            markerfacecolor="white" if dashed else colour,
        )

    data = _ordered(summary)
    data = data[data["variant"] != "serial"]
    functions = [f for f in FUNCTIONS if f in set(data["function"].astype(str))]
    workers = sorted(int(w) for w in data["workers"].unique())
    lengths = sorted(int(n) for n in data["length"].unique())
    variants = [v for v in POOL_VARIANTS if v in set(data["variant"].astype(str))]
    span = math.log10(max(lengths) / min(lengths)) if len(lengths) > 1 else 1.0
    offset = {v: 10 ** ((i - (len(variants) - 1) / 2) * 0.008 * max(span, 1.0)) for i, v in enumerate(variants)}
    values = data[["speedup", "speedup_ci_low", "speedup_ci_high"]].to_numpy(float).ravel()
    values = values[np.isfinite(values) & (values > 0)]
    ideals = sorted({plots.ideal_speedup(w, cores) for w in workers})
    low = min([*values, 1.0]) / 1.6
    high = max([*values, *ideals]) * 1.6
    labels = {}

    with plots.style():
        fig, axes = plt.subplots(
            len(workers),
            len(functions),
            squeeze=False,
            sharex=True,
            sharey=True,
            figsize=(4.9 * len(functions) + 0.6, 3.6 * len(workers) + 1.9),
            layout="constrained",
        )
        for i, w in enumerate(workers):
            ideal = plots.ideal_speedup(w, cores)
            for j, f in enumerate(functions):
                ax = axes[i][j]
                ax.axhline(1.0, color="0.45", linestyle="--", linewidth=1.2, zorder=1)
                if ideal != 1:
                    ax.axhline(ideal, color="black", linestyle=":", linewidth=1.5, zorder=1)
                sub = data[(data["function"] == f) & (data["workers"] == w)]
                for v in variants:
                    rows = sub[sub["variant"] == v].sort_values("length")
                    if rows.empty:
                        continue
                    plots.interval_bars(
                        ax,
                        rows["length"].to_numpy(float) * offset[v],
                        rows["speedup"],
                        rows["speedup_ci_low"],
                        rows["speedup_ci_high"],
                        fmt="",
                        elinewidth=1,
                        zorder=3,
                        **look(v),
                    )
                    labels.setdefault(v, _plot_label(v, rows["chunksize"].iloc[0]))
                ax.set_xscale("log")
                ax.set_yscale("log")
                plots.fixed_ticks(ax.xaxis, lengths, [f"{n:,}" for n in lengths])
                if len(lengths) > 1:
                    ax.set_xlim(min(lengths) / 10 ** (0.12 * span), max(lengths) * 10 ** (0.12 * span))
                ax.set_ylim(low, high)
                ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}×"))
                ax.yaxis.set_minor_formatter(ticker.NullFormatter())
                ax.set_title(f"{FUNCTION_LABELS['en'][f]}, Pool(processes={w})")
                ax.set_xlabel("length (items mapped per run, log scale)" if i == len(workers) - 1 else "")
                ax.set_ylabel("speedup (serial time / variant time, ×, log)" if j == 0 else "")
        handles = [Line2D([], [], label=labels.get(v, LABELS["en"][v]), **look(v)) for v in variants]
        handles.append(Line2D([], [], color="0.45", linestyle="--", linewidth=1.2, label="no gain (1×)"))
        if any(i != 1 for i in ideals):
            handles.append(
                Line2D([], [], color="black", linestyle=":", linewidth=1.5, label=f"ideal: min(workers, {cores} cores)")
            )
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize="small")
        n = data["n"].astype(int)
        runs = f"{n.min()}" if n.min() == n.max() else f"{n.min()}–{n.max()}"
        fig.suptitle(
            "Pool API: speedup of each variant over the serial for loop (Pool creation included)\n"
            f"points: median of paired serial / variant ratios of {runs} runs; "
            "bars: interval from paired ratios; dashed, hollow: one task per item",
            fontsize="medium",
        )
        plots.save(fig, out_paths)


def _verdict(row) -> str:
    """'above' (beats the loop), 'below' or 'includes' (a tie), from the speedup interval."""
    return interval_vs_one(row["speedup_ci_low"], row["speedup_ci_high"])


def _speed(row) -> str:
    return f"{fmt_ratio(row['speedup'])}× ({fmt_ratio(row['speedup_ci_low'])}–{fmt_ratio(row['speedup_ci_high'])})"


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    out = []
    data = _ordered(summary)
    data = data.assign(function=data["function"].astype(str), variant=data["variant"].astype(str))
    for (function, workers), rows in data.groupby(["function", "workers"], sort=False):
        pools = rows[rows["variant"] != "serial"]
        if pools.empty:
            continue
        what = "`id**2`" if function == "square" else "the heavy worker"
        largest = int(pools["length"].max())
        top = pools[pools["length"] == largest].set_index("variant")
        best = top["median"].idxmin()
        b = top.loc[best]
        close = [v for v in top.index if v != best and top.loc[v, "ci_low"] <= b["ci_high"]]
        worst = top["median"].idxmax()
        text = (
            f"For {what} with {workers} workers at length {largest:,}, the fastest process API was `{best}` "
            f"({fmt_seconds(b['median'])} s, {_speed(b)} vs the loop)"
        )
        text += "; " + ", ".join(f"`{v}`" for v in close) + " not distinguishable from it" if close else ""
        text += (
            f"; the slowest was `{worst}` ({fmt_seconds(top.loc[worst, 'median'])} s, "
            f"{fmt_ratio(top.loc[worst, 'speedup'])}×)."
        )
        out.append(text)

        if {"imap", "imap_chunked"} <= set(top.index):
            one, chunked = top.loc["imap"], top.loc["imap_chunked"]
            size = _int_or_dash(chunked["chunksize"])
            if one["ci_low"] > chunked["ci_high"]:
                how = f"{one['median'] / chunked['median']:.1f}× the time of"
            elif one["ci_high"] < chunked["ci_low"]:
                how = f"less time ({one['median'] / chunked['median']:.2f}×) than"
            else:
                how = "a time not distinguishable from that of"
            out.append(
                f"For {what} at length {largest:,}, `imap` sending one item per task "
                f"({fmt_seconds(one['median'])} s) took {how} `imap` with chunksize {size} "
                f"({fmt_seconds(chunked['median'])} s)."
            )

        verdicts = {
            n: {v: _verdict(r) for v, r in g.set_index("variant").iterrows()}
            for n, g in pools.groupby("length", sort=True)
        }
        wins = [n for n, v in verdicts.items() if "above" in v.values()]
        ties = [n for n, v in verdicts.items() if "above" not in v.values() and "includes" in v.values()]
        lengths = ", ".join(f"{int(n):,}" for n in sorted(verdicts))
        if wins:
            n0 = int(min(wins))
            at = pools[pools["length"] == n0].set_index("variant")
            winners = [v for v in at.index if _verdict(at.loc[v]) == "above"]
            fastest = at.loc[winners, "median"].idxmin()
            text = (
                f"Processes beat the for loop for {what} at length {', '.join(f'{int(n):,}' for n in wins)} "
                f"(of {lengths}); from length {n0:,}, {len(winners)} of {len(at)} variants were faster "
                f"(best `{fastest}`, {_speed(at.loc[fastest])})."
            )
            if function == "square" and n0 > int(min(verdicts)):
                text += (
                    " Only the larger lengths paid off, as the seed's note says: "
                    "数学运算要达到较高数量级后才能体现多进程的优势."
                )
        elif ties:
            text = (
                f"No process variant was clearly faster than the for loop for {what} at any length "
                f"({lengths}); at length {', '.join(f'{int(n):,}' for n in ties)} the best one is "
                f"not distinguishable from the loop."
            )
        else:
            best_ratio = pools.loc[pools["speedup"].idxmax()]
            text = (
                f"Every process variant was slower than the plain for loop for {what} at every length "
                f"({lengths}); the best was `{best_ratio['variant']}` at {_speed(best_ratio)}, "
                f"length {int(best_ratio['length']):,}."
            )
            if function == "square":
                text += (
                    " Here `id**2` is too cheap for processes to pay off at these lengths "
                    "(the seed: 数学运算要达到较高数量级后才能体现多进程的优势)."
                )
        out.append(text)
    return out
