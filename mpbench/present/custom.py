"""custom: summary, table, figure and findings (docs/experiments/custom.md): does a Pool pay off for your
function, from how many workers, and how the other backends compare with the Pool of their size."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..experiments.backends import BACKENDS
from ..experiments.custom import NO_SIZE
from ..precision import min_repeats
from ..stats import interval_vs_one
from ..tables import fmt_ratio, fmt_seconds, fmt_span
from .backends import RUN_COLUMNS, SKIPPED
from .common import (
    TIME_COLUMNS,
    bilingual,
    by_variant,
    columns_table,
    flag,
    for_figure,
    ordered,
    paired,
    pick,
    ratio_columns,
    summarize_with,
    verdict,
)

#: A Pool's paired time against the fastest Pool of its size, under these column names (common.paired).
TO_BEST = "best_ratio best_low best_high best_p best_significant best_pairs"
#: Whether a Pool pays off at a size (docs/experiments/custom.md, "The verdict").
PAYS, DOES_NOT, INCONCLUSIVE = "pays off", "does not pay off", "inconclusive"


def _sizes(values) -> list[str]:
    """The sizes in their order: numbers from small to large, then anything else (the input maker's default)."""
    values = list(dict.fromkeys(str(v) for v in values))
    numbers = sorted((v for v in values if v.lstrip("-").isdigit()), key=int)
    return numbers + [v for v in values if v not in numbers]


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    raw = raw.assign(variant=raw["variant"].astype(str), size=raw["size"].astype(str))
    raw = raw.assign(
        **{
            c: np.nan
            for c in ("start_seconds", "work_seconds", "stop_seconds", "arg_bytes", "result_bytes")
            if c not in raw
        }
    )
    if "work_kind" not in raw:
        raw = raw.assign(work_kind="cpu")
    if "skipped" not in raw:
        raw = raw.assign(skipped="")
    summary = summarize_with(
        raw,
        ["size"],
        level,
        "serial",
        backend=("backend", "first"),
        workers=("workers", "first"),
        tasks=("tasks", "first"),
        **RUN_COLUMNS,
        cores=("usable_cores", "max"),
        workload=("workload", "first"),
        # for the cost model's prediction of the Pool cells (modelfit.custom_cells)
        arg_bytes=("arg_bytes", "first"),
        result_bytes=("result_bytes", "first"),
        work_kind=("work_kind", "first"),
        skipped=SKIPPED,
    )
    extra = []
    for size, rows in summary.groupby("size"):
        cell = raw[raw["size"] == size]
        series = by_variant(cell)
        pools = rows[rows["backend"] == "pool"].sort_values(["speedup", "workers"], ascending=[False, True])
        best = pools["variant"].iloc[0]
        where = [interval_vs_one(r.speedup_ci_low, r.speedup_ci_high) for r in pools.itertuples()]
        # Too few repetitions for a 95% interval of each run: no verdict (as the backends' recommendation).
        enough = min(len(s) for s in series.values()) >= min_repeats(level)
        pays = PAYS if where[0] == "above" else DOES_NOT if set(where) == {"below"} else INCONCLUSIVE
        pays = pays if enough else INCONCLUSIVE
        for r in rows.itertuples():
            row = {"size": size, "variant": r.variant, "is_best": r.variant == best, "pays_off": pays, "enough": enough}
            if r.backend == "pool" and r.variant != best:
                row.update(paired(series[r.variant], series[best], level, TO_BEST))
            elif r.backend not in ("pool", "serial") and f"pool{r.workers}" in series:
                row.update(vs_pool=f"Pool({r.workers})", **paired(series[r.variant], series[f"pool{r.workers}"], level))
            extra.append(row)
    summary = summary.merge(pd.DataFrame(extra), on=["size", "variant"], how="left", validate="one_to_one")
    # The fewest workers whose time cannot be told from the fastest Pool's (its paired interval includes 1x).
    low = summary["best_low"] if "best_low" in summary else pd.Series(np.nan, index=summary.index)
    summary["as_fast"] = summary["is_best"].map(flag) | (low <= 1)
    fewest = summary[(summary["backend"] == "pool") & summary["as_fast"]].groupby("size")["workers"].min()
    summary["fewest_workers"] = summary["size"].map(fewest)
    pools = summary.loc[summary["backend"] == "pool"].sort_values("workers")["variant"]
    order = {"size": _sizes(summary["size"]), "variant": ["serial", *dict.fromkeys(pools), *BACKENDS]}
    return ordered(summary, ["size", "variant"], order)


TEXT = {
    "en": {
        "default": "default inputs",
        "size": "size {size}",
        "pool": "Pool({w})",
        "note": "{workload}: each cell is the median of {n} repetitions; every Pool and backend run starts its "
        "processes, runs every task and shuts them down (Time is all three; Start-up, Work and Shutdown are their "
        "own medians). Speedup = the serial loop's time / this one's, from the paired ratios. ★ the fastest Pool "
        "of the size; ≈ a Pool whose time cannot be told from the fastest's (the paired interval of its time to "
        "the fastest's includes 1×). The other backends run with {w} workers and are compared with the Pool of "
        "that size (Ratio to Pool).",
        "skipped": " Not run: {why}.",
        PAYS: "{what}: a Pool pays off. The fastest, Pool({w}), took {pool} s against {serial} s serially: "
        "speedup {ratio}× (interval {low}–{high}×, above 1×)",
        "fewest": "; Pool({f}) could not be told apart from it (paired interval of its time to Pool({w})'s includes "
        "1×), so {f} workers are enough.",
        "alone": "; every Pool with fewer workers was slower (paired intervals above 1×).",
        "smallest": "; it is the smallest worker count tried.",
        DOES_NOT: "{what}: a Pool does not pay off. Even the fastest, Pool({w}), took {pool} s against {serial} s "
        "serially: speedup {ratio}× (interval {low}–{high}×); every Pool's interval lies below 1×.",
        INCONCLUSIVE: "{what}: whether a Pool pays off is inconclusive. The fastest, Pool({w}), took {pool} s "
        "against {serial} s serially: speedup {ratio}× (interval {low}–{high}×), which does not lie above 1×, "
        "nor does every Pool's lie below it; more repetitions may tell.",
        "few": "{what}: whether a Pool pays off is inconclusive: {n} repetitions give no 95% interval. The fastest, "
        "Pool({w}), took {pool} s against {serial} s serially (median speedup {ratio}×).",
        "backend": "{what}: {backend} with {w} workers took {verdict}.",
        "of": "the time of Pool({w})",
        "not_run": "{why} (not run).",
    },
    "zh": {
        "default": "默认输入",
        "size": "规模 {size}",
        "pool": "Pool({w})",
        "note": "{workload}：每格为 {n} 次重复的中位数；每次 Pool 或其他后端的运行都启动进程、执行全部任务、再关闭进程"
        "（耗时为三者之和；启动、工作、关闭各为其中位数）。提升 = 串行循环耗时 / 该运行耗时，来自配对比值。"
        "★ 为该规模最快的 Pool；≈ 为与最快者无法区分的 Pool（其耗时相对最快者的配对区间包含 1×）。"
        "其他后端以 {w} 个进程运行，并与同样进程数的 Pool 比较（相对 Pool）。",
        "skipped": "未运行：{why}。",
        PAYS: "{what}：多进程划算。最快的 Pool({w}) 耗时 {pool} 秒，串行耗时 {serial} 秒："
        "加速比 {ratio}×（区间 {low}–{high}×，高于 1×）",
        "fewest": "；Pool({f}) 与之无法区分（其耗时相对 Pool({w}) 的配对区间包含 1×），所以 {f} 个进程就够了。",
        "alone": "；进程更少的 Pool 都更慢（配对区间高于 1×）。",
        "smallest": "；它已是所试的最少进程数。",
        DOES_NOT: "{what}：多进程不划算。即使最快的 Pool({w}) 也耗时 {pool} 秒，串行耗时 {serial} 秒："
        "加速比 {ratio}×（区间 {low}–{high}×）；每个 Pool 的区间都低于 1×。",
        INCONCLUSIVE: "{what}：多进程是否划算无法判定。最快的 Pool({w}) 耗时 {pool} 秒，串行耗时 {serial} 秒："
        "加速比 {ratio}×（区间 {low}–{high}×），既不整体高于 1×，也不是每个 Pool 的区间都低于它；更多重复也许能分辨。",
        "few": "{what}：多进程是否划算无法判定：{n} 次重复给不出 95% 区间。最快的 Pool({w}) 耗时 {pool} 秒，"
        "串行耗时 {serial} 秒（加速比中位数 {ratio}×）。",
        "backend": "{what}：{backend} 以 {w} 个进程运行，耗时为 {verdict}。",
        "of": "Pool({w}) 耗时",
        "not_run": "{why}（未运行）。",
    },
}
FIGURE = bilingual(
    pool=("Pool(w): create, map, close, join (bars: interval)", "Pool(w)：创建、map、close、join（误差线：区间）"),
    no_gain=("serial loop (1×)", "串行循环（1×）"),
    ideal=("ideal: min(w, {cores} cores)", "理想值：min(w, {cores} 个核)"),
    x=("worker processes w", "进程数 w"),
    y=("speedup over the serial loop (×, log scale)", "相对串行循环的加速比（×，对数刻度）"),
    title=(
        "{workload} on {cores} core{s}: speedup over the serial loop against workers\n"
        "points: medians of the paired ratios of {n} runs; ★ fastest Pool; other backends at the Pool size they ran with",
        "{workload}，{cores} 个核：相对串行循环的加速比随进程数变化\n点：{n} 次运行的配对比值的中位数；★ 最快的 Pool；其他后端画在其进程数处",
    ),
)
#: Each backend's colour and marker in the figure (the Pool's line is blue).
MARKS = dict(zip(BACKENDS[1:], zip(("#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"), "sD^vPX")))


def _what(size: str, tasks, t: dict) -> str:
    """A size in words, with its task count: "size 200 (6 tasks)"."""
    text = t["default"] if size == NO_SIZE else t["size"].format(size=size)
    return f"{text} ×{int(tasks):,}"


def _mark(r) -> str:
    if flag(r.is_best):
        return " ★"
    return " ≈" if r.backend == "pool" and flag(r.as_fast) else ""


def _variant(r, language: str = "en") -> str:
    return (TEXT[language]["pool"].format(w=int(r.workers)) if r.backend == "pool" else str(r.variant)) + _mark(r)


def _or_dash(value) -> str:
    return "—" if pd.isna(value) else fmt_seconds(value)


def _columns(language: str) -> list[tuple]:
    t = TEXT[language]
    return [
        ("Inputs", "输入", lambda r: _what(str(r.size), r.tasks, t)),
        ("Run", "运行方式", lambda r: _variant(r, language)),
        ("Workers", "进程数", lambda r: "–" if r.backend == "serial" else str(int(r.workers))),
        ("Start method", "启动方式", lambda r: str(r.start_method)),
        *TIME_COLUMNS[:2],
        ("Speedup vs serial (x)", "相对串行（倍）", lambda r: fmt_ratio(r.speedup)),
        ("Speedup interval (x)", "提升区间（倍）", lambda r: fmt_span(r.speedup_ci_low, r.speedup_ci_high)),
        ("Start-up (s)", "启动（秒）", lambda r: _or_dash(r.start_seconds)),
        ("Work (s)", "工作（秒）", lambda r: _or_dash(r.work_seconds)),
        ("Shutdown (s)", "关闭（秒）", lambda r: _or_dash(r.stop_seconds)),
        *ratio_columns("Ratio to Pool (x)", "相对 Pool（倍）", "vs_pool"),
    ]


def skipped(summary: pd.DataFrame) -> list[str]:
    """Every backend a point could not run, with the reason."""
    text = "; ".join(str(s) for s in summary["skipped"].dropna() if str(s))
    return sorted({part.strip() for part in text.split("; ") if part.strip()})


def _others(summary: pd.DataFrame) -> int | None:
    """The worker count the other backends ran with."""
    others = summary.loc[~summary["backend"].isin(["pool", "serial"]), "workers"]
    return int(others.iloc[0]) if len(others) else None


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    t = TEXT[language]
    workloads = ", ".join(dict.fromkeys(summary["workload"].astype(str)))
    note = t["note"].format(workload=workloads, n=int(summary["n"].min()), w=_others(summary) or "–")
    note += "".join(t["skipped"].format(why=why) for why in skipped(summary))
    return columns_table(_columns(language), summary.itertuples(), language) + "\n\n" + note + "\n"


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    plots, language, t = for_figure(language, FIGURE)
    sizes = list(dict.fromkeys(summary["size"].astype(str)))
    workers = sorted({int(w) for w in summary.loc[summary["backend"] == "pool", "workers"]})
    size = (max(plots.MIN_WIDTH, 4.4 * len(sizes) + 0.6), 4.8)
    with plots.figure(out_paths, 1, len(sizes), figsize=size, squeeze=False, sharey=True) as (fig, axes):
        for ax, s in zip(axes[0], sizes):
            rows = summary[summary["size"].astype(str) == s]
            pools = rows[rows["backend"] == "pool"].sort_values("workers")
            ends = pools["speedup"], pools["speedup_ci_low"], pools["speedup_ci_high"]
            ax.plot(pools["workers"], pools["speedup"], "-o", color="#1f77b4", markersize=5, zorder=3)
            plots.interval_bars(ax, pools["workers"], *ends, color="#1f77b4", zorder=3)
            for r in pools[pools["is_best"].map(flag)].itertuples():
                plots.label(ax, "★", (r.workers, r.speedup_ci_high), color="#d62728")
            others = rows[~rows["backend"].isin(["pool", "serial"])]
            for i, r in enumerate(others.itertuples()):
                colour, marker = MARKS.get(str(r.backend), ("0.3", "o"))
                x = r.workers * 2 ** (0.1 * (i + 1))  # beside the Pool of its size
                plots.interval_bars(
                    ax, [x], [r.speedup], [r.speedup_ci_low], [r.speedup_ci_high], fmt=marker, color=colour, zorder=4
                )
            ax.axhline(1.0, zorder=1, **plots.NO_GAIN)
            ax.plot(workers, [plots.ideal_speedup(w, cores) for w in workers], zorder=1, **plots.IDEAL)
            plots.log_x(ax, workers, base=2)
            what = _what(s, rows["tasks"].iloc[0], pick(TEXT, language))
            ax.set(title=what, xlabel=t["x"], ylabel=t["y"])
        values = summary.loc[summary["backend"] != "serial", ["speedup_ci_low", "speedup_ci_high"]].to_numpy(float)
        low, high = plots.log_limits(values, 1.0, plots.ideal_speedup(max(workers), cores), pad=1.4)
        plots.ratio_axis(axes[0][0], low, high, log=True)
        ticks = [v for v in (0.05, 0.1, 0.2, 0.5, 1, 2, 4, 8, 16, 32, 64, 128) if low <= v <= high]
        plots.fixed_ticks(axes[0][0].yaxis, ticks, [f"{v:g}×" for v in ticks])
        backends = list(dict.fromkeys(summary.loc[~summary["backend"].isin(["pool", "serial"]), "backend"]))
        handles = [
            plots.line(t["pool"], color="#1f77b4", marker="o"),
            *(plots.line(b, color=MARKS[b][0], marker=MARKS[b][1], linestyle="") for b in backends if b in MARKS),
            plots.line(t["no_gain"], **plots.NO_GAIN),
            plots.line(t["ideal"].format(cores=cores), **plots.IDEAL),
        ]
        workload = ", ".join(dict.fromkeys(summary["workload"].astype(str)))
        n = int(summary["n"].min()) if len(summary) else 0
        title = t["title"].format(workload=workload, cores=cores, s="s" if cores != 1 else "", n=n)
        plots.finish(fig, title, handles, ncol=2, fontsize="small")


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, out = TEXT[language], []
    for s, rows in summary.groupby("size", sort=False, observed=True):
        serial = rows[rows["backend"] == "serial"].iloc[0]
        best = rows[rows["is_best"].map(flag)].iloc[0]
        what = _what(str(s), serial["tasks"], t)
        numbers = {
            "what": what,
            "w": int(best["workers"]),
            "pool": fmt_seconds(best["median"]),
            "serial": fmt_seconds(serial["median"]),
            "ratio": fmt_ratio(best["speedup"]),
            "low": fmt_ratio(best["speedup_ci_low"]),
            "high": fmt_ratio(best["speedup_ci_high"]),
        }
        pays = str(best["pays_off"])
        text = t[pays if flag(best["enough"]) else "few"].format(n=int(best["n"]), **numbers)
        if pays == PAYS:
            fewest, smaller = int(best["fewest_workers"]), rows[(rows["backend"] == "pool")]
            if fewest < best["workers"]:
                text += t["fewest"].format(f=fewest, w=int(best["workers"]))
            elif (smaller["workers"] < best["workers"]).any():
                text += t["alone"]
            else:
                text += t["smallest"]
        out.append(text)
        for r in rows[~rows["backend"].isin(["pool", "serial"])].itertuples():
            if isinstance(getattr(r, "vs_pool", None), str):
                line = verdict(r, t["of"].format(w=int(r.workers)), language)
                out.append(t["backend"].format(what=what, backend=r.backend, w=int(r.workers), verdict=line))
    out += [t["not_run"].format(why=why) for why in skipped(summary)]
    return out
