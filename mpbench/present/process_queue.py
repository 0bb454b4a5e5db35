"""process_queue: summary, table, figure and findings (docs/experiments/process_queue.md)."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pandas as pd

from ..experiments.process_queue import VARIANTS
from ..stats import describe
from ..tables import fmt_seconds
from .common import COLUMN, bilingual, columns_table, for_figure, in_words, ordered, summarize_variants, unless_serial

PHASES = ("start", "work", "join")
_ordered = partial(ordered, by=["workers", "variant"], orders={"variant": VARIANTS})


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    """summarize_variants on the total, plus each phase and the paired time ratio to Pool."""
    summary = summarize_variants(raw, ["workers"], level, baseline="serial")
    extra = []
    for (workers, variant), runs in raw.groupby(["workers", "variant"], sort=True):
        methods = ",".join(sorted(runs["start_method"].astype(str).unique()))
        row = {"workers": workers, "variant": variant, "size": int(runs["size"].iloc[0]), "start_method": methods}
        for phase in PHASES:
            d = describe(runs[f"{phase}_seconds"].to_numpy(), level)
            row.update({f"{phase}_{k}": d[k] for k in ("median", "ci_low", "ci_high")})
        pool = raw[(raw["workers"] == workers) & (raw["variant"] == "pool")].set_index("rep")["seconds"]
        this = runs.set_index("rep")["seconds"]
        ratios = {} if pool.empty else describe((this / pool).dropna().to_numpy(), level)
        row["time_vs_pool"] = np.nan if pool.empty else float(this.median()) / float(pool.median())
        row.update({f"time_vs_pool_{k}": ratios.get(k, np.nan) for k in ("ci_low", "ci_high", "ci_coverage")})
        extra.append(row)
    out = summary.merge(pd.DataFrame(extra), on=["workers", "variant"], validate="one_to_one")
    return _ordered(out)


LABELS = {
    "zh": {"serial": "串行（一个循环）", "process_queue": "手动 Process + Queue", "pool": "Pool.map"},
    "en": {"serial": "serial (one loop)", "process_queue": "Process + Queue (by hand)", "pool": "Pool(workers).map"},
}
FIGURE = bilingual(
    start=("start-up (create + start)", "启动（创建 + start）"),
    work=("work (until all results are in)", "计算（直到取回全部结果）"),
    join=("join (join / close + join)", "join（join / close + join）"),
    workers=("worker processes", "工作进程数"),
    time_y=("time per run (s, log scale)", "每次运行耗时（秒，对数刻度）"),
    phase_title=("{label}: time per phase", "{label}：各阶段耗时"),
    speedup_y=("speedup (serial time / total time, ×)", "加速比（串行耗时 / 总耗时，×）"),
    speedup_title=("speedup over serial, on {cores} core{s}", "相对串行的加速比，{cores} 个核"),
    serial_line=("serial: the whole loop (median)", "串行：整个循环（中位数）"),
    title=(
        "Hand-made Process + Queue vs Pool: sum of i·i for i < {size:,} split into equal shares\nbars and points: medians of {n} runs; whiskers: distribution-free interval of the median (speedup: of the paired ratios); start method: {method}",
        "手动 Process + Queue 对比 Pool：i < {size:,} 的 i·i 之和，平均分成几份\n柱和点：{n} 次运行的中位数；须线：中位数的无分布假设区间（加速比为配对比值的区间）；启动方式：{method}",
    ),
)
TEXT = {
    "en": {
        "tie": "{name} {ratio}× (not distinguishable from serial)",
        "speed": "{name} {ratio}× ({low}–{high})",
        "method": " (start method {method})",
        "start": "With {workers} processes{method}, creating and starting them by hand with a Queue took {pq} (median; {pq_low}–{pq_high}) and creating Pool({workers}) took {pool} ({pool_low}–{pool_high}), {pq_share:.1%} and {pool_share:.1%} of their total times of {pq_total} s and {pool_total} s.",
        "same": "With {workers} processes, hand-made Processes + Queue and Pool.map are not distinguishable in total time here: Process + Queue / Pool = {ratio:.3f} (paired interval {lo:.3f}–{hi:.3f}).",
        "faster": "With {workers} processes, {faster} was faster in total time: Process + Queue / Pool = {ratio:.3f} (paired interval {lo:.3f}–{hi:.3f}), so {slower} took {more:.1%} longer.",
        "ideal": "; the ideal is min({workers}, {cores} core{s}) = {ideal}×",
        "and": " and ",
        "serial": "Against the serial loop of {seconds} s, {workers} processes gave {parts}{ideal}.",
    },
    "zh": {
        "tie": "{name} {ratio}×（与串行无法区分）",
        "speed": "{name} {ratio}×（{low}–{high}）",
        "method": "（启动方式 {method}）",
        "start": "{workers} 个进程{method}时，手动创建并启动进程、配合 Queue 用了 {pq}（中位数；{pq_low}–{pq_high}），创建 Pool({workers}) 用了 {pool}（{pool_low}–{pool_high}），分别占总耗时 {pq_total} 秒和 {pool_total} 秒的 {pq_share:.1%} 和 {pool_share:.1%}。",
        "same": "{workers} 个进程时，手动 Process + Queue 与 Pool.map 的总耗时在这里无法区分：Process + Queue / Pool = {ratio:.3f}（配对区间 {lo:.3f}–{hi:.3f}）。",
        "faster": "{workers} 个进程时，{faster} 的总耗时更短：Process + Queue / Pool = {ratio:.3f}（配对区间 {lo:.3f}–{hi:.3f}），{slower} 多用了 {more:.1%} 的时间。",
        "ideal": "；理想值为 min({workers}, {cores} 个核) = {ideal}×",
        "and": "，",
        "serial": "相对 {seconds} 秒的串行循环，{workers} 个进程的加速比为 {parts}{ideal}。",
    },
}


PHASE_COLOURS = {"start": "#d62728", "work": "#1f77b4", "join": "#ff7f0e"}
# A bar per phase in its colour (its interval drawn by plots.bar_intervals), one group per worker count.
PHASE_BARS = {"hue": "phase", "hue_order": list(PHASES), "palette": PHASE_COLOURS, "errorbar": None, "legend": False}
VARIANT_STYLE = {"process_queue": ("#2ca02c", "o"), "pool": ("#9467bd", "s")}
SERIAL_LINE = {"color": "0.15", "linestyle": "-.", "linewidth": 1.3}  # each point's serial time, across its bars


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    columns = [
        COLUMN["processes"],
        ("Variant", "方式", lambda r: LABELS[language][r.variant]),
        ("Median total (s)", "总耗时中位数（秒）", lambda r: fmt_seconds(r.median)),
        unless_serial("Start-up (s)", "启动（秒）", lambda r: fmt_seconds(r.start_median)),
        ("Work until all results (s)", "计算至取回全部结果（秒）", lambda r: fmt_seconds(r.work_median)),
        unless_serial("Join (s)", "join（秒）", lambda r: fmt_seconds(r.join_median)),
        COLUMN["speedup"],
    ]
    return columns_table(columns, _ordered(summary).itertuples(), language) + "\n"


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    import seaborn as sns
    from matplotlib.patches import Patch

    plots, language, t = for_figure(language, FIGURE)
    labels = LABELS[language]
    data = _ordered(summary)
    workers = sorted(int(w) for w in data["workers"].unique())
    serial = data[data["variant"] == "serial"].set_index("workers")["median"].astype(float)
    ends = ("median", "ci_low", "ci_high")  # of each phase, one row per (variant, workers, phase)
    phases = [data.assign(phase=p, **{k: data[f"{p}_{k}"].astype(float) for k in ends}) for p in PHASES]
    phases = pd.concat(phases, ignore_index=True)
    phases = phases.assign(variant=phases["variant"].astype(str), workers=phases["workers"].astype(int))
    phases = phases[phases["variant"] != "serial"]
    positive = phases.loc[phases["median"] > 0, ["median", "ci_low"]].to_numpy(float)
    low = max(float(np.nanmin(positive)) / 3 if positive.size else 1e-4, 1e-6)
    high = max(float(np.nanmax(phases["ci_high"])), float(serial.max())) * 2.5
    size = {"figsize": (13.5, 4.6), "gridspec_kw": {"width_ratios": [1, 1, 1.05]}}
    with plots.figure(out_paths, 1, 3, **size) as (fig, axes):
        for ax, variant in zip(axes[:2], VARIANT_STYLE):
            sub = phases[phases["variant"] == variant].copy()
            sub["x"] = sub["workers"].astype(str)
            sns.barplot(data=sub, x="x", y="median", order=[str(w) for w in workers], ax=ax, zorder=2, **PHASE_BARS)
            by_phase = [sub[sub["phase"] == p].set_index("workers").reindex(workers) for p in PHASES]
            plots.bar_intervals(ax, by_phase, zorder=3)
            for i, w in enumerate(workers):  # each point's own serial run, across its group of bars
                ax.hlines(serial.get(w, np.nan), i - 0.45, i + 0.45, zorder=4, **SERIAL_LINE)
            ax.set_yscale("log")
            ax.set_ylim(low, high)
            plots.plain_labels(ax.yaxis)
            ylabel = t["time_y"] if variant == "process_queue" else ""
            ax.set(xlabel=t["workers"], ylabel=ylabel, title=t["phase_title"].format(label=labels[variant]))

        right = axes[2]
        par = data[data["variant"] != "serial"].copy()
        par["variant"] = par["variant"].astype(str)
        plots.reference_lines(right)
        ideal = [plots.ideal_speedup(w, cores) for w in workers]
        right.plot(workers, ideal, zorder=1, **plots.IDEAL)
        for variant, (colour, marker) in VARIANT_STYLE.items():
            rows = par[par["variant"] == variant].sort_values("workers")
            x = rows["workers"].astype(float) * plots.dodge(rows["variant"], list(VARIANT_STYLE), 0.08)
            y = rows["speedup"].to_numpy(float)
            sns.lineplot(
                x=x.to_numpy(), y=y, color=colour, marker=marker, markersize=7, linewidth=1.6, ax=right, zorder=3
            )
            plots.interval_bars(
                right, x, rows["speedup"], rows["speedup_ci_low"], rows["speedup_ci_high"], ecolor=colour, zorder=2
            )
        plots.log_x(right, workers, pad=2**0.5, base=2)
        top = np.nanmax(np.concatenate([par["speedup_ci_high"].to_numpy(float), ideal, [1.0]]))
        plots.ratio_axis(right, 0, top * 1.15)
        title = t["speedup_title"].format(cores=cores, s="s" if int(cores) != 1 else "")
        right.set(xlabel=t["workers"], ylabel=t["speedup_y"], title=title)

        handles = [Patch(color=PHASE_COLOURS[p], label=t[p]) for p in PHASES]
        handles.append(plots.line(t["serial_line"], **SERIAL_LINE))
        handles += [plots.line(labels[v], color=colour, marker=marker) for v, (colour, marker) in VARIANT_STYLE.items()]
        shared = plots.TEXT[language]  # the appendix figures' words for the same lines
        handles += [plots.line(shared["no_gain"], **plots.NO_GAIN), plots.line(shared["ideal"], **plots.IDEAL)]
        size, n, method = int(data["size"].iloc[0]), int(data["n"].min()), data["start_method"].iloc[0]
        plots.finish(fig, t["title"].format(size=size, n=n, method=method), handles, ncol=4)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms"


def _speedup(name: str, r, language: str = "en") -> str:
    template = TEXT[language]["tie" if r["speedup_ci_low"] <= 1.0 <= r["speedup_ci_high"] else "speed"]
    return in_words(template, r, "speedup speedup_ci_low speedup_ci_high", language, name=name)


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, out = TEXT[language], []
    cores = env.get("usable_cores")
    for workers, rows in _ordered(summary).groupby("workers", sort=True, observed=True):
        by = rows.set_index("variant")
        pq, pool, serial = by.loc["process_queue"], by.loc["pool"], by.loc["serial"]
        method = pq.get("start_method", "")
        start = {}  # of each: its start-up (median, interval), that median's share of its total, the total
        for name, r in (("pq", pq), ("pool", pool)):
            start |= {name: _ms(r["start_median"]), f"{name}_low": _ms(r["start_ci_low"])}
            start |= {f"{name}_high": _ms(r["start_ci_high"]), f"{name}_share": r["start_median"] / r["median"]}
            start[f"{name}_total"] = fmt_seconds(r["median"])
        method = t["method"].format(method=method) if method else ""
        out.append(t["start"].format(workers=workers, method=method, **start))
        lo, hi, ratio = pq["time_vs_pool_ci_low"], pq["time_vs_pool_ci_high"], pq["time_vs_pool"]
        numbers = {"workers": workers, "ratio": ratio, "lo": lo, "hi": hi}
        if not (math.isnan(lo) or math.isnan(hi)) and lo <= 1.0 <= hi:
            out.append(t["same"].format(**numbers))
        else:
            names = ("Process + Queue", "Pool.map")
            faster, slower = names if ratio < 1 else names[::-1]
            more = (1 / ratio if ratio < 1 else ratio) - 1
            out.append(t["faster"].format(faster=faster, slower=slower, more=more, **numbers))
        ideal = ""
        if cores:
            s = "s" if int(cores) != 1 else ""
            ideal = t["ideal"].format(workers=workers, cores=cores, s=s, ideal=max(1, min(int(workers), int(cores))))
        parts = t["and"].join(_speedup(name, r, language) for name, r in (("Process + Queue", pq), ("Pool.map", pool)))
        out.append(t["serial"].format(seconds=fmt_seconds(serial["median"]), workers=workers, parts=parts, ideal=ideal))
    return out
