"""threads_vs_processes: summary, table, figure and findings (docs/experiments/threads_vs_processes.md)."""

from __future__ import annotations

import math

import pandas as pd

from ..experiments.threads_vs_processes import KINDS, PARALLEL, VARIANTS
from ..tables import fmt_ratio, fmt_seconds
from .common import WORDS, columns_table, for_figure, ordered, speedup_vs_one, summarize_with


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    extra = {"tasks": ("tasks", "first"), "start_seconds_median": ("start_seconds", "median")}
    return _ordered(summarize_with(raw, ["kind", "workers"], level, **extra))


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    return ordered(summary, ["kind", "workers", "variant"], {"kind": KINDS, "variant": VARIANTS})


VARIANT_LABELS = {
    "serial": "serial",
    "thread": "threading.Thread",
    "thread_pool": "ThreadPoolExecutor",
    "process_pool": "multiprocessing.Pool",
}
ZH_NAMES = {"thread": "多线程", "thread_pool": "线程池", "process_pool": "进程池"}


def _cell(v: str, speedup: bool = True):
    """A table row's cell of variant ``v``: its median time (and its speedup over serial); n/a where it did not run."""

    def text(r: dict) -> str:
        if v not in r["by"].index:
            return "n/a"
        median = fmt_seconds(r["by"].loc[v, "median"])
        return f"{median} / {fmt_ratio(r['by'].loc[v, 'speedup'])}" if speedup else median

    return text


#: One row per kind of work and worker count (the variants of a row by name in its "by").
COLUMNS = [
    ("Work", "任务类型", lambda r: r["label"]),
    ("Workers", "线程/进程数", lambda r: str(r["workers"])),
    ("Serial (s)", "串行（秒）", _cell("serial", speedup=False)),
    *((f"{VARIANT_LABELS[v]} (s / ×)", f"{ZH_NAMES[v]} {VARIANT_LABELS[v]}（秒 / 倍）", _cell(v)) for v in PARALLEL),
]


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    summary = _ordered(summary)
    rows = [
        {"label": TEXT[language]["kinds"][kind], "workers": workers, "by": cell.set_index(cell["variant"].astype(str))}
        for (kind, workers), cell in summary.groupby(["kind", "workers"], observed=True, sort=True)
    ]
    n = int(summary["n"].min())
    tasks = ", ".join(str(int(t)) for t in sorted(summary["tasks"].unique()))
    return columns_table(COLUMNS, rows, language) + "\n\n" + TEXT[language]["note"].format(n=n, tasks=tasks) + "\n"


STYLE = {"thread": ("#1f77b4", "o"), "thread_pool": ("#17becf", "s"), "process_pool": ("#d62728", "^")}
LINEAR = {"color": "0.75", "linewidth": 1.0}  # speedup = workers
CORES = {"color": "black", "linestyle": ":", "linewidth": 1.4}  # the usable cores


TEXT = {
    "en": {
        "kinds": {"cpu": "CPU-bound (pure Python)", "io": "file read (IO)", "sleep": "sleep (waiting)"},
        "note": "Each cell is the median of {n} runs; × = median of the paired ratios serial / that variant "
        "(above 1 is faster). {tasks} tasks per run; threading.Thread splits them round-robin over `workers` "
        "threads; creating and closing the threads and pools is part of every time; intervals are in "
        "results/summary/threads_vs_processes.csv.",
        "x": "workers (threads or processes, log scale)",
        "y": "speedup over serial (×, log scale)",
        "cores": "{cores} cores",
        "serial": "serial (1×)",
        "linear": "linear (× = workers)",
        "usable": "usable cores ({cores})",
        "title": "Threads vs processes: speedup over serial, {tasks} tasks per run\npoints: serial median / variant median of {n} runs; bars: interval from paired ratios (coverage {cover})",
        "on": " on {cores} cores",
        "head": "{label} with {workers} workers{on}: threads reached {t}× serial ({tname}, {t_where}; {oname} {o}×), processes {p}× (multiprocessing.Pool, {p_where}).",
        "threads": "threads",
        "processes": "processes",
        "pay": "Here {win} pay off: {ratio:.1f}× as fast as {lose}.",
        "faster": "{win} were {ratio:.1f}× as fast as {lose}, but neither beat serial distinguishably.",
        "both": "Both pay off, and threads and processes are not distinguishable from each other",
        "neither": "Threads and processes are not distinguishable from each other here",
        "overlap": " (their intervals overlap).",
        "gil": " (As the GIL predicts, threads did not speed up pure-Python work.)",
        "no_gil": " (Threads sped up pure-Python work, which the GIL should prevent; rerun on a quiet machine to confirm.)",
        "best": " The best of all worker counts was {name} with {workers} workers: {ratio}× ({where}).",
        "sep": " ",
    },
    "zh": {
        "kinds": {"cpu": "CPU 密集（纯 Python 计算）", "io": "读文件（IO）", "sleep": "sleep（等待）"},
        "note": "每格为 {n} 次重复的中位数；倍数 = 同一次重复中 串行 / 该方式 之比的中位数（大于 1 即更快）。"
        "每次运行 {tasks} 个任务；threading.Thread 把任务轮流分给 workers 个线程；线程与进程（池）的创建和关闭都计入耗时；"
        "区间见 results/summary/threads_vs_processes.csv。",
        "x": "线程数或进程数（对数刻度）",
        "y": "相对串行的加速比（×，对数刻度）",
        "cores": "{cores} 个核",
        "serial": "串行（1×）",
        "linear": "线性（× = 线程/进程数）",
        "usable": "可用核数（{cores}）",
        "title": "多线程对比多进程：相对串行的加速比，每次运行 {tasks} 个任务\n点：{n} 次运行中串行中位数 / 该方式中位数；误差线：配对比值的区间（覆盖率 {cover}）",
        "on": "，{cores} 个核",
        "head": "{label}，{workers} 个线程/进程{on}：多线程达到串行的 {t}×（{tname}，{t_where}；{oname} 为 {o}×），多进程为 {p}×（multiprocessing.Pool，{p_where}）。",
        "threads": "多线程",
        "processes": "多进程",
        "pay": "这里{win}划算：速度是{lose}的 {ratio:.1f}×。",
        "faster": "{win}的速度是{lose}的 {ratio:.1f}×，但两者都没有明显快于串行。",
        "both": "两者都划算，而多线程与多进程之间无法区分",
        "neither": "这里多线程与多进程无法区分",
        "overlap": "（两者的区间重叠）。",
        "gil": "（正如 GIL 所预言，多线程没有加快纯 Python 计算。）",
        "no_gil": "（多线程加快了纯 Python 计算，而 GIL 本应阻止这一点；请在安静的机器上重测确认。）",
        "best": "所有线程/进程数中最好的是 {workers} 个的 {name}：{ratio}×（{where}）。",
        "sep": "",
    },
}


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    plots, language, t = for_figure(language, TEXT)
    data = _ordered(summary).astype({"variant": str})
    data = data[data["variant"] != "serial"]
    kinds = [k for k in KINDS if k in set(data["kind"].astype(str))]
    workers = sorted(int(w) for w in data["workers"].unique())
    # small multiplicative dodge so that the three variants' bars do not hide one another
    x = data["workers"] * plots.dodge(data["variant"], PARALLEL, 0.05)
    data = data.assign(x=x, label=data["variant"].map(VARIANT_LABELS))
    styles = {VARIANT_LABELS[v]: STYLE[v] for v in PARALLEL}
    low, high = plots.log_limits(data[["speedup", "speedup_ci_low", "speedup_ci_high"]], 1.0, pad=1.25)
    low, high = min(0.5, low), max(2.0, high, max(workers) * 1.1)  # at least 0.5–2×, and every worker count
    ticks = [2.0**e for e in range(math.floor(math.log2(low)), math.ceil(math.log2(high)) + 1)]
    coverage = data["speedup_ci_coverage"].dropna()
    tasks = ", ".join(str(int(t)) for t in sorted(data["tasks"].unique()))
    size = (max(5.0, 3.9 * len(kinds) + 0.6), 4.4)
    with plots.figure(out_paths, 1, len(kinds), squeeze=False, sharey=True, figsize=size) as (fig, axes):
        for ax, kind in zip(axes[0], kinds):
            ax.plot(workers, workers, zorder=1, **LINEAR)
            plots.reference_lines(ax)
            ax.axvline(cores, zorder=1, **CORES)
            sub = data[data["kind"].astype(str) == kind]
            plots.lines(ax, sub, styles, y="speedup", low="speedup_ci_low", high="speedup_ci_high", elinewidth=1.1)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log", base=2)
            plots.fixed_ticks(ax.xaxis, workers)
            ax.set_xlim(min(min(workers), cores) / 2**0.4, max(max(workers), cores) * 2**0.4)
            ax.set_ylim(low, high)
            plots.fixed_ticks(ax.yaxis, ticks, [f"{v:g}×" for v in ticks])
            ax.set(title=t["kinds"][kind], xlabel=t["x"], ylabel=t["y"] if ax is axes[0][0] else "")
            label = t["cores"].format(cores=cores)
            right = cores >= max(workers) and cores > min(workers)  # label on the side with room
            text, ha = (f"{label} ", "right") if right else (f" {label}", "left")
            ax.text(cores, high, text, ha=ha, va="top", fontsize="small", color="black")
        handles = [*plots.series_handles(styles), plots.line(t["serial"], **plots.NO_GAIN)]
        handles += [plots.line(t["linear"], **LINEAR), plots.line(t["usable"].format(cores=cores), **CORES)]
        cover = f"≥ {coverage.min():.0%}" if len(coverage) else "n/a"
        plots.finish(fig, t["title"].format(tasks=tasks, n=plots.extent(data["n"]), cover=cover), handles)


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    text, words, out = TEXT[language], WORDS[language], []
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
        label = text["kinds"][kind]
        head = text["head"].format(
            label=label[0].upper() + label[1:],
            workers=workers,
            on=text["on"].format(cores=cores) if cores else "",
            t=fmt_ratio(t["speedup"]),
            tname=VARIANT_LABELS[tname],
            t_where=words[speedup_vs_one(t)],
            oname=VARIANT_LABELS[other],
            o=fmt_ratio(o["speedup"]),
            p=fmt_ratio(p["speedup"]),
            p_where=words[speedup_vs_one(p)],
        )
        t_wins = t["speedup_ci_low"] > p["speedup_ci_high"]
        p_wins = p["speedup_ci_low"] > t["speedup_ci_high"]
        if p_wins or t_wins:
            win, lose, wname, lname = (p, t, "processes", "threads") if p_wins else (t, p, "threads", "processes")
            key = "pay" if win["speedup_ci_low"] > 1 else "faster"
            verdict = text[key].format(win=text[wname], lose=text[lname], ratio=win["speedup"] / lose["speedup"])
            verdict = verdict[0].upper() + verdict[1:]
        else:
            both = t["speedup_ci_low"] > 1 and p["speedup_ci_low"] > 1
            verdict = text["both" if both else "neither"] + text["overlap"]
        if kind == "cpu":
            verdict += text["gil" if t["speedup_ci_low"] <= 1 else "no_gil"]
        best = rows[rows["variant"].astype(str) != "serial"].sort_values("speedup").iloc[-1]
        if int(best["workers"]) != workers:
            verdict += text["best"].format(
                name=VARIANT_LABELS[str(best["variant"])],
                workers=int(best["workers"]),
                ratio=fmt_ratio(best["speedup"]),
                where=words[speedup_vs_one(best)],
            )
        out.append(head + text["sep"] + verdict)
    return out
