"""start_method_sweep: summary, table, figure and findings (docs/experiments/start_method_sweep.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..experiments.start_method_sweep import METHODS
from ..stats import describe
from ..tables import fmt_ratio, fmt_seconds, fmt_span
from .common import (
    TIME_COLUMNS,
    columns_table,
    compare_to,
    for_figure,
    ordered,
    ratio_columns,
    summarize_sweep,
    verdict,
)

COLOURS = {"none": "0.55", "fork": "#1f77b4", "spawn": "#d62728", "forkserver": "#2ca02c"}
ORDER = ["serial", *[f"{p}_{m}" for p in ("pool", "startup") for m in METHODS]]


def reference(methods) -> str:
    """The method the others are compared with: fork (the seed's, and where none is listed), else the first listed."""
    methods = [str(m) for m in methods]
    return "fork" if "fork" in methods or not methods else methods[0]


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    from ..receipt import row_kind
    from ..stats import point_sentinel_cv

    raw = raw.assign(variant=raw["variant"].astype(str))
    is_startup = raw["variant"].str.startswith("startup_")
    files, start = raw[~is_startup], raw[is_startup]
    methods = [m for m in METHODS if f"pool_{m}" in set(files["variant"]) or f"startup_{m}" in set(start["variant"])]
    ref = reference(methods)
    summary = summarize_sweep(
        files.assign(pool_start_seconds=files.get("pool_start_seconds", np.nan)),
        level,
        lambda series: f"pool_{ref}",
        "vs_method",
        **{c: (c, "first") for c in ("start_method", "loops", "workers")},
        pool_start_median=("pool_start_seconds", "median"),
    )
    rows = []
    series = {v: c.set_index(["operation", "rep"])["ready_seconds"] for v, c in start.groupby("variant")}
    compared = compare_to(series, f"startup_{ref}", level, "vs_method")
    for variant, c in start.groupby("variant"):
        row = {
            "operation": "startup",
            "variant": variant,
            "start_method": variant.removeprefix("startup_"),
            "workers": int(c["workers"].iloc[0]),
            **describe(c["seconds"].to_numpy(), level),
            # the floor its spread is set against (the calibration's Pool start under its method)
            "floor_kind": row_kind(c, "start_method_sweep"),
            "sentinel_cv": point_sentinel_cv(start),
        }
        for key in ("ready", "pool_start"):
            d = describe(c[f"{key}_seconds"].to_numpy(), level)
            row.update({f"{key}_{k}": d[k] for k in ("median", "ci_low", "ci_high", "ci_coverage", "cv")})
        row["methods_seen"] = ",".join(sorted(set(c["start_method_seen"].astype(str))))
        rows.append({**row, **compared.get(variant, {})})
    return ordered(
        pd.concat([summary, pd.DataFrame(rows)], ignore_index=True), ["operation", "variant"], {"variant": ORDER}
    )


def _ms(seconds: float) -> str:
    """Milliseconds: three significant digits, whole numbers from 100 ms on (1,234)."""
    if seconds is None or not np.isfinite(seconds):
        return "n/a"
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


STARTUP_COLUMNS = [
    ("Start method", "启动方式", lambda r: r.start_method),
    ("Pool() returned (ms)", "Pool() 返回（毫秒）", lambda r: _ms(r.pool_start_median)),
    ("All workers ready (ms)", "全部进程就绪（毫秒）", lambda r: _ms(r.ready_median)),
    ("Ready interval (ms)", "就绪区间（毫秒）", lambda r: fmt_span(r.ready_ci_low, r.ready_ci_high, _ms)),
    ("Create → close+join (ms)", "创建→close+join（毫秒）", lambda r: _ms(r.median)),
    *ratio_columns("Ready-time ratio (x)", "就绪时间比（倍）", "vs_method", interval=False),
]
FILES_COLUMNS = [
    ("Operation", "操作", lambda r: f"{r.operation} ×{int(r.loops)}"),
    ("Variant", "方式", lambda r: r.variant),
    *TIME_COLUMNS,
    *ratio_columns("Time ratio (x)", "时间比（倍）", "vs_method"),
]


def _compared(r) -> bool:
    """Whether a row was compared with the reference (not serial, not the reference itself)."""
    return isinstance(getattr(r, "vs_method", None), str)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    start = summary[summary["operation"] == "startup"]
    files = summary[summary["operation"] != "startup"]
    parts = [columns_table(STARTUP_COLUMNS, start.itertuples(), language)] if not start.empty else []
    parts.append(columns_table(FILES_COLUMNS, files.itertuples(), language))
    ref = reference(summary["start_method"][summary["start_method"] != "none"].unique())
    parts.append(TEXT[language]["note"].format(n=int(summary["n"].min()), ref=ref))
    return "\n\n".join(parts) + "\n"


TEXT = {
    "en": {
        "note": "Each cell is a median ({n} repetitions). Ratio = this method / {ref}, its interval from the paired ratios "
        'of the same repetition, p from a paired sign test; "all workers ready" is timed until every worker has '
        "run its initializer (Pool() returns before that).",
        "phases": ("Pool() returned", "all workers ready", "create → close + join"),
        "method": "start method",
        "startup_y": "Pool start-up (ms, log scale)",
        "startup_title": "start-up of Pool({workers}), nothing mapped",
        "serial": "serial loop",
        "pool": "Pool, {method}",
        "files_x": "file operation × loops",
        "files_y": "median wall time per run (s)",
        "files_title": "total time: serial vs Pool({workers}) per start method (create, map, close, join)",
        "title": "Start methods on {cores} core{s}: points and bars are medians of {runs} runs, whiskers the intervals of the median",
        "ready": "{method} {ready} ms (interval {low}–{high}; Pool() itself returned after {pool} ms)",
        "startup": "Pool({workers}) start-up, from Pool() until every worker had run its initializer (median of {n} runs): {parts}.",
        "of": "the time of {ref}",
        "vs_startup": "Start-up under {method} took {verdict}.",
        "total": "{method} {seconds} s (speedup over serial {ratio}×)",
        "files": "{op} ×{loops}, total time per method: {parts}",
        "files_serial": "; serial {seconds} s",
        "end": ".",
        "vs_files": "{op} ×{loops}: the Pool under {method} took {verdict}.",
        "forkserver": "Python 3.14 makes forkserver the default start method on Linux (this run: Python {python}, default {default}); code that relied on fork's default would see a Pool ready after {fs} ms instead of {ref} ms here, and workers that must import what they use instead of inheriting it.",
    },
    "zh": {
        "note": "每格为中位数（{n} 次重复）。时间比 = 该方式 / {ref}，区间来自同一次重复的配对比值，p 为配对符号翻转检验；"
        "“全部进程就绪”计时到每个工作进程都执行完 initializer（Pool() 返回时进程尚未就绪）。",
        "phases": ("Pool() 返回", "全部进程就绪", "创建 → close + join"),
        "method": "启动方式",
        "startup_y": "进程池启动（毫秒，对数刻度）",
        "startup_title": "启动 Pool({workers})，不映射任何任务",
        "serial": "串行循环",
        "pool": "Pool，{method}",
        "files_x": "文件操作 × 次数",
        "files_y": "每次运行耗时中位数（秒）",
        "files_title": "总耗时：各启动方式下串行对比 Pool({workers})（创建、map、close、join）",
        "title": "启动方式，{cores} 个核：点和柱为 {runs} 次运行的中位数，须线为中位数的区间",
        "ready": "{method} {ready} 毫秒（区间 {low}–{high}；Pool() 本身在 {pool} 毫秒后返回）",
        "startup": "Pool({workers}) 的启动，从调用 Pool() 到每个工作进程都执行完 initializer（{n} 次运行的中位数）：{parts}。",
        "of": "{ref} 耗时",
        "vs_startup": "{method} 下的启动耗时为{verdict}。",
        "total": "{method} {seconds} 秒（相对串行加速比 {ratio}×）",
        "files": "{op} ×{loops}，各启动方式的总耗时：{parts}",
        "files_serial": "；串行 {seconds} 秒",
        "end": "。",
        "vs_files": "{op} ×{loops}：{method} 下的 Pool 耗时为{verdict}。",
        "forkserver": "Python 3.14 起 forkserver 成为 Linux 上的默认启动方式（本次运行：Python {python}，默认 {default}）；依赖 fork 这一默认值的代码，在这里会看到 Pool 在 {fs} 毫秒而不是 {ref} 毫秒后才就绪，而且工作进程必须自己 import 所用的东西，而不是从父进程继承。",
    },
}


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    plots, language, t = for_figure(language, TEXT)
    start = summary[summary["operation"] == "startup"]
    files = summary[summary["operation"] != "startup"]
    size = {"figsize": (12.5, 5.2), "gridspec_kw": {"width_ratios": [1, 1.4]}}
    with plots.figure(out_paths, 1, 2, **size) as (fig, (left, right)):
        # each phase: its columns' prefix, legend label, marker and fill
        phases = list(zip(("pool_start_", "ready_", ""), t["phases"], "vos", ("none", "full", "none")))
        for i, r in enumerate(start.itertuples()):
            for j, (prefix, _label, marker, fill) in enumerate(phases):
                ends = [[getattr(r, f"{prefix}{k}") * 1000] for k in ("median", "ci_low", "ci_high")]
                look = {"fmt": marker, "markersize": 7, "color": COLOURS.get(r.start_method, "0.3"), "fillstyle": fill}
                plots.interval_bars(left, [i + (j - 1) * 0.22], *ends, **look)
        left.set_xticks(range(len(start)), list(start["start_method"]))
        left.set_xlim(-0.6, len(start) - 0.4)
        left.set_yscale("log")
        plots.seconds_ticks(left)
        workers = int(start["workers"].iloc[0]) if len(start) else int(files["workers"].dropna().iloc[0])
        left.set(xlabel=t["method"], ylabel=t["startup_y"], title=t["startup_title"].format(workers=workers))
        look = {"color": "0.3", "linestyle": "", "markersize": 7}
        handles = [plots.line(label, marker=m, fillstyle=fill, **look) for _, label, m, fill in phases]
        plots.legend_below(left, handles=handles, drop=0.13, ncol=3)

        ops = list(dict.fromkeys(files["operation"]))
        variants = [v for v in ORDER if v in set(files["variant"])]
        width = 0.8 / max(len(variants), 1)
        for k, v in enumerate(variants):
            rows = files[files["variant"] == v].set_index("operation").reindex(ops)
            x = np.arange(len(ops)) + (k - (len(variants) - 1) / 2) * width
            method = "none" if v == "serial" else v.removeprefix("pool_")
            label = t["serial"] if v == "serial" else t["pool"].format(method=method)
            right.bar(x, rows["median"], width * 0.92, color=COLOURS.get(method, "0.3"), label=label)
            ends = rows["median"], rows["ci_low"], rows["ci_high"]
            plots.interval_bars(right, x, *ends, ecolor="black", elinewidth=1.2)
        loops = files.groupby("operation")["loops"].first()
        right.set_xticks(range(len(ops)), [f"{op} ×{int(loops[op])}" for op in ops])
        right.grid(axis="x", visible=False)
        right.set(xlabel=t["files_x"], ylabel=t["files_y"], title=t["files_title"].format(workers=workers))
        plots.legend_below(right, drop=0.13, ncol=len(variants))
        runs = plots.extent(summary["n"]) if len(summary) else 0
        plots.finish(fig, t["title"].format(cores=cores, s="s" if cores != 1 else "", runs=runs))


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t = TEXT[language]
    start = summary[summary["operation"] == "startup"]
    files = summary[summary["operation"] != "startup"]
    ref = reference(m for m in summary["start_method"].dropna().unique() if m != "none")
    of, sep = t["of"].format(ref=ref), "；" if language == "zh" else "; "
    out = []
    if not start.empty:
        parts = [
            t["ready"].format(
                method=r.start_method,
                ready=_ms(r.ready_median),
                low=_ms(r.ready_ci_low),
                high=_ms(r.ready_ci_high),
                pool=_ms(r.pool_start_median),
            )
            for r in start.itertuples()
        ]
        out.append(
            t["startup"].format(workers=int(start["workers"].iloc[0]), n=int(start["n"].min()), parts=sep.join(parts))
        )
        out += [
            t["vs_startup"].format(method=r.start_method, verdict=verdict(r, of, language))
            for r in start.itertuples()
            if _compared(r)
        ]
    for op, rows in files.groupby("operation", sort=False):
        loops = int(rows["loops"].iloc[0])
        serial = rows[rows["variant"] == "serial"]
        parts = [
            t["total"].format(method=r.start_method, seconds=fmt_seconds(r.median), ratio=fmt_ratio(r.speedup))
            for r in rows.itertuples()
            if r.variant != "serial"
        ]
        text = t["files"].format(op=op, loops=loops, parts=sep.join(parts))
        if len(serial):
            text += t["files_serial"].format(seconds=fmt_seconds(serial["median"].iloc[0]))
        out.append(text + t["end"])
        out += [
            t["vs_files"].format(op=op, loops=loops, method=r.start_method, verdict=verdict(r, of, language))
            for r in rows.itertuples()
            if _compared(r)
        ]
    fs = start[start["start_method"] == "forkserver"]
    if len(fs) and ref != "forkserver":
        ref_ready = start.loc[start["start_method"] == ref, "ready_median"]
        out.append(
            t["forkserver"].format(
                python=env.get("python", "?"),
                default=env.get("start_method", "?"),
                fs=_ms(fs["ready_median"].iloc[0]),
                ref=_ms(ref_ready.iloc[0]) if len(ref_ready) else "n/a",
            )
        )
    return out
