"""backends: summary, table, figure, findings and the recommendation per workload (docs/experiments/backends.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..experiments.backends import BACKENDS, OWN_START
from ..precision import min_repeats
from ..tables import fmt_ratio, fmt_seconds, fmt_span
from .common import by_variant, columns_table, flag, for_figure, ordered, paired, ratio_columns, summarize_with

#: The paired ratio of each backend to the fastest one, under these column names (common.paired).
TO_BEST = "best_ratio best_low best_high best_p best_significant best_pairs"
#: A backend's place in its workload's recommendation (docs/experiments/backends.md, the rule).
FASTEST, TIED, SLOWER, INCONCLUSIVE = "fastest", "not distinguishable", "slower", "inconclusive"


#: What every backend run records, aggregated per variant (also the custom experiment's): how it started, its
#: version and the median of each phase; and the backends the point could not run.
RUN_COLUMNS = {
    "start_method": ("start_method", "first"),
    "version": ("backend_version", "first"),
    "start_seconds": ("start_seconds", "median"),
    "work_seconds": ("work_seconds", "median"),
    "stop_seconds": ("stop_seconds", "median"),
}
SKIPPED = ("skipped", lambda s: "; ".join(sorted({str(v) for v in s.dropna() if str(v)})))


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    raw = raw.assign(variant=raw["variant"].astype(str))
    if "skipped" not in raw:
        raw = raw.assign(skipped="")
    summary = summarize_with(
        raw,
        ["workload"],
        level,
        "serial",
        tasks=("tasks", "first"),
        workers=("workers", "first"),
        **RUN_COLUMNS,
        peak_mib=("children_peak_mib", "median"),
        skipped=SKIPPED,
    )
    extra = []
    for workload, cell in raw.groupby("workload"):
        series = by_variant(cell)
        medians = {v: s.median() for v, s in series.items() if v != "serial"}
        best = min(medians, key=medians.get) if medians else None
        enough = min(len(s) for s in series.values()) >= min_repeats(level)
        for v, s in series.items():
            row = {"workload": workload, "variant": v, "is_best": v == best}
            if v not in ("serial", "pool") and "pool" in series:
                row.update(vs_pool="pool", **paired(s, series["pool"], level))
            if v != "serial" and best is not None:
                row.update(paired(s, series[best], level, TO_BEST))
                tied = row["best_low"] <= 1.0
                row["pick"] = INCONCLUSIVE if not enough else FASTEST if v == best else TIED if tied else SLOWER
            extra.append(row)
    summary = summary.merge(pd.DataFrame(extra), on=["workload", "variant"], how="left", validate="one_to_one")
    serial = summary[summary["variant"] == "serial"].set_index("workload")["median"]
    ideal = serial.reindex(summary["workload"]).to_numpy() / np.minimum(summary["workers"], summary["tasks"])
    summary["work_speedup"] = serial.reindex(summary["workload"]).to_numpy() / summary["work_seconds"]
    summary["overhead_per_task"] = (summary["work_seconds"] - ideal) / summary["tasks"]
    return ordered(summary, ["workload", "variant"], {"variant": ["serial", *BACKENDS]})


def _or_dash(value, fmt=fmt_seconds) -> str:
    return "—" if pd.isna(value) else fmt(value)


def _mark(r) -> str:
    return {FASTEST: " ★", TIED: " ≈"}.get(getattr(r, "pick", None), "")


COLUMNS = [
    ("Workload", "工作负载", lambda r: f"{r.workload} ×{int(r.tasks):,}"),
    ("Backend", "后端", lambda r: str(r.variant) + _mark(r)),
    ("Start method", "启动方式", lambda r: str(r.start_method)),
    ("Time (s)", "耗时（秒）", lambda r: fmt_seconds(r.median)),
    ("Interval (s)", "区间（秒）", lambda r: fmt_span(r.ci_low, r.ci_high, fmt_seconds)),
    ("Speedup vs serial (x)", "相对串行（倍）", lambda r: fmt_ratio(r.speedup)),
    ("Speedup interval (x)", "提升区间（倍）", lambda r: fmt_span(r.speedup_ci_low, r.speedup_ci_high)),
    ("Start-up (s)", "启动（秒）", lambda r: _or_dash(r.start_seconds)),
    ("Work (s)", "工作（秒）", lambda r: _or_dash(r.work_seconds)),
    ("Shutdown (s)", "关闭（秒）", lambda r: _or_dash(r.stop_seconds)),
    (
        "Overhead per task (ms)",
        "每任务开销（毫秒）",
        lambda r: _or_dash(r.overhead_per_task, lambda s: f"{s * 1000:.3g}"),
    ),
    ("Peak memory (MiB)", "峰值内存（MiB）", lambda r: _or_dash(r.peak_mib, "{:.0f}".format)),
    *ratio_columns("Ratio to Pool (x)", "相对 Pool（倍）", "vs_pool"),
]


def skipped(summary: pd.DataFrame) -> list[str]:
    """Every backend a point could not run, with the reason: "ray: ModuleNotFoundError: ..."."""
    text = "; ".join(str(s) for s in summary["skipped"].dropna() if str(s))
    return sorted({part.strip() for part in text.split("; ") if part.strip()})


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    t = TEXT[language]
    own = ", ".join(OWN_START)
    note = t["note"].format(n=int(summary["n"].min()), own=own)
    note += "".join(t["skipped"].format(why=why) for why in skipped(summary))
    return columns_table(COLUMNS, summary.itertuples(), language) + "\n\n" + note + "\n"


TEXT = {
    "en": {
        "note": "Each cell is the median of {n} repetitions; every run starts the backend, runs the workload and "
        "shuts the backend down, and Time is all three (Start-up, Work and Shutdown are their own medians). "
        "Speedup = the serial loop's time / the backend's, from the paired ratios; Ratio to Pool = this backend / "
        "multiprocessing.Pool, paired interval and sign-test p. Overhead per task = (Work − serial / "
        "min(workers, tasks)) / tasks. Peak memory: the sum of the peak resident memory of every process the backend "
        "started. ★ the fastest backend of the workload, ≈ not distinguishable from it (the paired interval of its "
        "time to the fastest's includes 1×). start_method does not reach {own}: they start their processes their "
        "own way (the Start method column says how).",
        "skipped": " Not run: {why}.",
        "panel": "{workload} ({tasks:,} tasks, {workers} workers)",
        "y": "speedup over the serial loop (×, log scale)",
        "legend": (
            "whole run: start-up, work, shutdown (bars: interval)",
            "work only (start-up and shutdown left out)",
            "serial loop (1×)",
            "ideal: min(workers, cores)",
        ),
        "title": "Backends on {cores} core{s}: speedup over the serial loop, medians of {n} runs; ★ fastest",
        "best": "{workload}: the fastest backend was {best}, {seconds} s (speedup {speedup}× over the serial loop, "
        "interval {low}–{high}×)",
        "tied": "; {others} could not be told apart from it (paired intervals of their time to its include 1×)",
        "alone": "; every other backend was slower (paired intervals above 1×)",
        "inconclusive": "{workload}: no recommendation (inconclusive): {n} repetitions give no 95% interval; the "
        "lowest median was {best}'s, {seconds} s",
        "start": "{workload}: start-up took from {low} s ({fast}) to {high} s ({slow}); without start-up and shutdown "
        "{slowest} would have taken {work} s.",
        "not_run": "{why} (not run).",
        "end": ".",
    },
    "zh": {
        "note": "每格为 {n} 次重复的中位数；每次运行都启动后端、执行负载、再关闭后端，耗时为三者之和（启动、工作、关闭各为其中位数）。"
        "提升 = 串行循环耗时 / 该后端耗时，来自配对比值；相对 Pool = 该后端 / multiprocessing.Pool，配对区间与符号检验 p。"
        "每任务开销 = (工作 − 串行 / min(进程数, 任务数)) / 任务数。峰值内存：后端启动的所有进程的峰值常驻内存之和。"
        "★ 为该负载最快的后端，≈ 为与之无法区分（其耗时相对最快者的配对区间包含 1×）。start_method 对 {own} 不起作用：它们自行启动进程（启动方式一列写明如何启动）。",
        "skipped": "未运行：{why}。",
        "panel": "{workload}（{tasks:,} 个任务，{workers} 个进程）",
        "y": "相对串行循环的加速比（×，对数刻度）",
        "legend": (
            "整次运行：启动、工作、关闭（误差线：区间）",
            "仅工作（不含启动与关闭）",
            "串行循环（1×）",
            "理想：min(进程数, 核数)",
        ),
        "title": "各后端，{cores} 个核：相对串行循环的加速比，{n} 次运行的中位数；★ 最快",
        "best": "{workload}：最快的后端是 {best}，耗时 {seconds} 秒（相对串行循环提升 {speedup}×，区间 {low}–{high}×）",
        "tied": "；{others} 与之无法区分（其耗时相对它的配对区间包含 1×）",
        "alone": "；其余后端都更慢（配对区间高于 1×）",
        "inconclusive": "{workload}：无法给出推荐（无法判定）：{n} 次重复给不出 95% 区间；中位数最低的是 {best}，{seconds} 秒",
        "start": "{workload}：启动耗时从 {low} 秒（{fast}）到 {high} 秒（{slow}）；不计启动与关闭，{slowest} 只需 {work} 秒。",
        "not_run": "{why}（未运行）。",
        "end": "。",
    },
}


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    from ..plots import ideal_speedup

    plots, language, t = for_figure(language, TEXT)
    loads = list(dict.fromkeys(summary["workload"].astype(str)))
    size = (max(plots.MIN_WIDTH, 4.2 * len(loads) + 0.6), 4.8)
    with plots.figure(out_paths, 1, len(loads), figsize=size, squeeze=False, sharey=True) as (fig, axes):
        for ax, load in zip(axes[0], loads):
            rows = summary[(summary["workload"].astype(str) == load) & (summary["variant"].astype(str) != "serial")]
            x = np.arange(len(rows))
            plots.interval_bars(
                ax,
                x,
                rows["speedup"],
                rows["speedup_ci_low"],
                rows["speedup_ci_high"],
                fmt="o",
                color="#1f77b4",
                markersize=6,
                zorder=3,
            )
            ax.plot(x, rows["work_speedup"], "o", mfc="none", color="#ff7f0e", markersize=8, zorder=2)
            for xi, r in zip(x, rows.itertuples()):
                if r.pick == FASTEST:
                    plots.label(ax, "★", (xi, r.speedup_ci_high), color="#d62728")
            workers = int(rows["workers"].iloc[0]) if len(rows) else 1
            plots.reference_lines(ax, ideal_speedup(workers, cores))
            ax.set_yscale("log")
            plots.fixed_ticks(ax.xaxis, x, [str(v) for v in rows["variant"]])
            ax.tick_params(axis="x", labelrotation=45)
            tasks = int(rows["tasks"].iloc[0]) if len(rows) else 0
            ax.set(title=t["panel"].format(workload=load, tasks=tasks, workers=workers), ylabel=t["y"])
        values = summary[["speedup_ci_low", "speedup_ci_high", "work_speedup"]].to_numpy(float)
        axes[0][0].set_ylim(
            *plots.log_limits(values, 1.0, ideal_speedup(int(summary["workers"].max()), cores), pad=1.5)
        )
        plots.plain_labels(axes[0][0].yaxis, "×")
        handles = [
            plots.line(t["legend"][0], color="#1f77b4", marker="o"),
            plots.line(t["legend"][1], color="#ff7f0e", marker="o", mfc="none", linestyle=""),
            plots.line(t["legend"][2], **plots.NO_GAIN),
            plots.line(t["legend"][3], **plots.IDEAL),
        ]
        n = int(summary["n"].min()) if len(summary) else 0
        plots.finish(
            fig, t["title"].format(cores=cores, s="s" if cores != 1 else "", n=n), handles, ncol=2, fontsize="small"
        )


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, out = TEXT[language], []
    for load, rows in summary.groupby("workload", sort=False, observed=True):
        backends = rows[rows["variant"].astype(str) != "serial"]
        if backends.empty:
            continue
        best = backends[backends["is_best"].map(flag)].iloc[0]
        fields = {"workload": load, "best": best["variant"], "seconds": fmt_seconds(best["median"])}
        if best["pick"] == INCONCLUSIVE:
            out.append(t["inconclusive"].format(n=int(best["n"]), **fields) + t["end"])
        else:
            text = t["best"].format(
                speedup=fmt_ratio(best["speedup"]),
                low=fmt_ratio(best["speedup_ci_low"]),
                high=fmt_ratio(best["speedup_ci_high"]),
                **fields,
            )
            tied = [str(v) for v in backends.loc[backends["pick"] == TIED, "variant"]]
            out.append(text + (t["tied"].format(others=", ".join(tied)) if tied else t["alone"]) + t["end"])
        start = backends.dropna(subset=["start_seconds"])
        if len(start):
            fast, slow = start.loc[start["start_seconds"].idxmin()], start.loc[start["start_seconds"].idxmax()]
            slowest = backends.loc[backends["median"].idxmax()]
            out.append(
                t["start"].format(
                    workload=load,
                    low=fmt_seconds(fast["start_seconds"]),
                    fast=fast["variant"],
                    high=fmt_seconds(slow["start_seconds"]),
                    slow=slow["variant"],
                    slowest=slowest["variant"],
                    work=fmt_seconds(slowest["work_seconds"]),
                )
            )
    out += [t["not_run"].format(why=why) for why in skipped(summary)]
    return out
