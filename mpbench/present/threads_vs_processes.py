"""threads_vs_processes: summary, table, figure and findings (docs/experiments/threads_vs_processes.md)."""

from __future__ import annotations

import math

import pandas as pd

from ..experiments.threads_vs_processes import KINDS, PARALLEL, VARIANTS
from ..stats import interval_vs_one
from ..tables import fmt_ratio, fmt_seconds, markdown_table
from .common import ordered, summarize_variants


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    summary = summarize_variants(raw, ["kind", "workers"], level, baseline="serial")
    extra = (
        raw.groupby(["kind", "workers", "variant"])
        .agg(tasks=("tasks", "first"), start_seconds_median=("start_seconds", "median"))
        .reset_index()
    )
    out = summary.merge(extra, on=["kind", "workers", "variant"], validate="one_to_one")
    return _ordered(out)


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    return ordered(summary, ["kind", "workers", "variant"], {"kind": KINDS, "variant": VARIANTS})


KIND_LABELS = {
    "zh": {"cpu": "CPU 密集（纯 Python 计算）", "io": "读文件（IO）", "sleep": "sleep（等待）"},
    "en": {"cpu": "CPU-bound (pure Python)", "io": "file read (IO)", "sleep": "sleep (waiting)"},
}
VARIANT_LABELS = {
    "serial": "serial",
    "thread": "threading.Thread",
    "thread_pool": "ThreadPoolExecutor",
    "process_pool": "multiprocessing.Pool",
}
HEADER = {
    "zh": [
        "任务类型",
        "线程/进程数",
        "串行（秒）",
        "多线程 threading.Thread（秒 / 倍）",
        "线程池 ThreadPoolExecutor（秒 / 倍）",
        "进程池 multiprocessing.Pool（秒 / 倍）",
    ],
    "en": [
        "Work",
        "Workers",
        "Serial (s)",
        "threading.Thread (s / ×)",
        "ThreadPoolExecutor (s / ×)",
        "multiprocessing.Pool (s / ×)",
    ],
}
NOTE = {
    "zh": "每格为 {n} 次重复的中位数；倍数 = 同一次重复中 串行 / 该方式 之比的中位数（大于 1 即更快）。"
    "每次运行 {tasks} 个任务；threading.Thread 把任务轮流分给 workers 个线程；线程与进程（池）的创建和关闭都计入耗时；"
    "区间见 results/summary/threads_vs_processes.csv。",
    "en": "Each cell is the median of {n} runs; × = median of the paired ratios serial / that variant "
    "(above 1 is faster). {tasks} tasks per run; threading.Thread splits them round-robin over `workers` "
    "threads; creating and closing the threads and pools is part of every time; intervals are in "
    "results/summary/threads_vs_processes.csv.",
}


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    summary = _ordered(summary)
    rows = []
    for (kind, workers), cell in summary.groupby(["kind", "workers"], observed=True, sort=True):
        by = cell.set_index(cell["variant"].astype(str))
        row = [
            KIND_LABELS[language][kind],
            str(workers),
            fmt_seconds(by.loc["serial", "median"]) if "serial" in by.index else "n/a",
        ]
        for v in PARALLEL:
            row.append(
                f"{fmt_seconds(by.loc[v, 'median'])} / {fmt_ratio(by.loc[v, 'speedup'])}" if v in by.index else "n/a"
            )
        rows.append(row)
    n = int(summary["n"].min())
    tasks = ", ".join(str(int(t)) for t in sorted(summary["tasks"].unique()))
    return markdown_table(HEADER[language], rows) + "\n\n" + NOTE[language].format(n=n, tasks=tasks) + "\n"


STYLE = {"thread": ("#1f77b4", "o"), "thread_pool": ("#17becf", "s"), "process_pool": ("#d62728", "^")}


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .. import plots  # here: tables and findings need no plotting libraries

    data = _ordered(summary)
    data = data[data["variant"].astype(str) != "serial"].copy()
    data["variant"] = data["variant"].astype(str)
    kinds = [k for k in KINDS if k in set(data["kind"].astype(str))]
    workers = sorted(int(w) for w in data["workers"].unique())
    # small multiplicative dodge so that the three variants' bars do not hide one another
    offset = {v: 2.0 ** ((i - 1) * 0.05) for i, v in enumerate(PARALLEL)}
    data["x"] = data["workers"] * data["variant"].map(offset)
    data["label"] = data["variant"].map(VARIANT_LABELS)
    palette = {VARIANT_LABELS[v]: STYLE[v][0] for v in PARALLEL}
    markers = {VARIANT_LABELS[v]: STYLE[v][1] for v in PARALLEL}
    values = pd.concat([data["speedup"], data["speedup_ci_low"], data["speedup_ci_high"]]).astype(float)
    values = values[values > 0]
    low = min(0.5, float(values.min()) / 1.25) if len(values) else 0.5
    high = max(2.0, float(values.max()) * 1.25, max(workers) * 1.1) if len(values) else 2.0
    ticks = [2.0**e for e in range(math.floor(math.log2(low)), math.ceil(math.log2(high)) + 1)]
    coverage = data["speedup_ci_coverage"].dropna()
    runs = data["n"].dropna().astype(int)
    tasks = ", ".join(str(int(t)) for t in sorted(data["tasks"].unique()))

    with plots.style():
        fig, axes = plt.subplots(
            1,
            len(kinds),
            squeeze=False,
            sharey=True,
            figsize=(max(5.0, 3.9 * len(kinds) + 0.6), 4.4),
            layout="constrained",
        )
        for ax, kind in zip(axes[0], kinds):
            sub = data[data["kind"].astype(str) == kind]
            ax.plot(workers, workers, color="0.75", linestyle="-", linewidth=1.0, zorder=1)
            ax.axhline(1.0, color="0.35", linestyle="--", linewidth=1.2, zorder=1)
            ax.axvline(cores, color="black", linestyle=":", linewidth=1.4, zorder=1)
            plots.lines(
                ax, sub, palette, markers, y="speedup", low="speedup_ci_low", high="speedup_ci_high", elinewidth=1.1
            )
            ax.set_xscale("log", base=2)
            ax.set_yscale("log", base=2)
            plots.fixed_ticks(ax.xaxis, workers)
            ax.set_xlim(min(min(workers), cores) / 2**0.4, max(max(workers), cores) * 2**0.4)
            ax.set_ylim(low, high)
            plots.fixed_ticks(ax.yaxis, ticks, [f"{v:g}×" for v in ticks])
            ax.set_title(KIND_LABELS["en"][kind])
            ax.set_xlabel("workers (threads or processes, log scale)")
            ax.set_ylabel("speedup over serial (×, log scale)" if ax is axes[0][0] else "")
            right = cores >= max(workers) and cores > min(workers)  # label on the side with room
            ax.text(
                cores,
                high,
                f"{cores} cores " if right else f" {cores} cores",
                ha="right" if right else "left",
                va="top",
                fontsize="small",
                color="black",
            )
        handles = [
            Line2D([], [], color=STYLE[v][0], marker=STYLE[v][1], markersize=6, linewidth=1.6, label=VARIANT_LABELS[v])
            for v in PARALLEL
        ]
        handles += [
            Line2D([], [], color="0.35", linestyle="--", linewidth=1.2, label="serial (1×)"),
            Line2D([], [], color="0.75", linewidth=1.0, label="linear (× = workers)"),
            Line2D([], [], color="black", linestyle=":", linewidth=1.4, label=f"usable cores ({cores})"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        cover = f"≥ {coverage.min():.0%}" if len(coverage) else "n/a"
        n = (
            f"{runs.min()}"
            if len(runs) and runs.min() == runs.max()
            else (f"{runs.min()}–{runs.max()}" if len(runs) else "?")
        )
        fig.suptitle(
            f"Threads vs processes: speedup over serial, {tasks} tasks per run\n"
            f"points: serial median / variant median of {n} runs; "
            f"bars: interval from paired ratios (coverage {cover})",
            fontsize="medium",
        )
        plots.save(fig, out_paths)


def _against_serial(row) -> str:
    where = interval_vs_one(row["speedup_ci_low"], row["speedup_ci_high"])
    return {
        "above": "faster than serial",
        "below": "slower than serial",
        "includes": "not distinguishable from serial",
    }[where]


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    out = []
    cores = env.get("usable_cores")
    summary = _ordered(summary)
    for kind, rows in summary.groupby("kind", observed=True, sort=True):
        workers = int(rows["workers"].max())
        sub = rows[rows["workers"] == workers]
        by = sub.assign(variant=sub["variant"].astype(str)).set_index("variant")
        if not set(PARALLEL) <= set(by.index):
            continue
        # the better of the two thread variants stands for threads
        tname = max(("thread", "thread_pool"), key=lambda v: by.loc[v, "speedup"])
        other = "thread_pool" if tname == "thread" else "thread"
        t, o, p = by.loc[tname], by.loc[other], by.loc["process_pool"]
        on = f" on {cores} cores" if cores else ""
        label = KIND_LABELS["en"][kind]
        head = (
            f"{label[0].upper() + label[1:]} with {workers} workers{on}: threads reached "
            f"{fmt_ratio(t['speedup'])}× serial ({VARIANT_LABELS[tname]}, {_against_serial(t)}; "
            f"{VARIANT_LABELS[other]} {fmt_ratio(o['speedup'])}×), processes {fmt_ratio(p['speedup'])}× "
            f"(multiprocessing.Pool, {_against_serial(p)})."
        )
        t_wins = t["speedup_ci_low"] > p["speedup_ci_high"]
        p_wins = p["speedup_ci_low"] > t["speedup_ci_high"]
        if p_wins or t_wins:
            win, lose, wname, lname = (p, t, "processes", "threads") if p_wins else (t, p, "threads", "processes")
            ratio = win["speedup"] / lose["speedup"]
            verdict = (
                f"Here {wname} pay off: {ratio:.1f}× as fast as {lname}."
                if win["speedup_ci_low"] > 1
                else f"{wname.capitalize()} were {ratio:.1f}× as fast as {lname}, "
                "but neither beat serial distinguishably."
            )
        else:
            both = t["speedup_ci_low"] > 1 and p["speedup_ci_low"] > 1
            verdict = (
                "Both pay off, and threads and processes are not distinguishable from each other"
                if both
                else "Threads and processes are not distinguishable from each other here"
            )
            verdict += " (their intervals overlap)."
        if kind == "cpu":
            verdict += (
                " (As the GIL predicts, threads did not speed up pure-Python work.)"
                if t["speedup_ci_low"] <= 1
                else " (Threads sped up pure-Python work, which the GIL should prevent; rerun on a quiet "
                "machine to confirm.)"
            )
        best = rows[rows["variant"].astype(str) != "serial"].sort_values("speedup").iloc[-1]
        if int(best["workers"]) != workers:
            verdict += (
                f" The best of all worker counts was {VARIANT_LABELS[str(best['variant'])]} with "
                f"{int(best['workers'])} workers: {fmt_ratio(best['speedup'])}× ({_against_serial(best)})."
            )
        out.append(f"{head} {verdict}")
    return out
