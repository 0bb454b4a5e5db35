"""threads_vs_processes (效率对比 threading & multiprocessing): the same tasks
run serially, with threads and with processes, for three kinds of work.

Each run does ``tasks`` tasks of one ``kind``:

- ``cpu``: pure-Python arithmetic (a loop summing ``cpu_steps`` squares),
  which holds the GIL the whole time;
- ``io``: reading the pipeline's test file whole, in text mode (the seed's
  operation): the read itself releases the GIL, the decoding does not;
- ``sleep``: ``time.sleep(sleep_seconds)``, waiting the way a network call
  waits, without using the CPU.

Each point (kind, workers) times four variants:

- ``serial``: a plain for loop over the tasks (the baseline);
- ``thread``: ``workers`` ``threading.Thread`` objects, created, started and
  joined inside the timed run (each waits until all have started); the tasks
  are split round-robin (thread t does tasks t, t + workers, t + 2 x workers,
  ...), a static split;
- ``thread_pool``: ``concurrent.futures.ThreadPoolExecutor(workers).map``;
- ``process_pool``: ``multiprocessing.Pool(workers).map(..., chunksize=1)``
  with the default start method; creating the Pool and closing/joining it
  are part of the timed run, as in the seed's ``poolDemo``.

Every task returns ``(index, value)``; a run whose indices are not exactly
``0 .. tasks-1``, whose cpu values do not add up to the closed-form sum of
squares, whose io reads are not the file's full length, or whose sleep values
are not their indices is an error, never a number.
"""

from __future__ import annotations

import math
import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Callable

from ..lazy import pandas as pd

from .. import timing
from ..tasks import cpu_task, io_task, sleep_task
from ..stats import interval_vs_one
from ..tables import fmt_seconds, fmt_ratio, markdown_table
from .common import run_variants, summarize_variants

KINDS = ("cpu", "io", "sleep")
VARIANTS = ("serial", "thread", "thread_pool", "process_pool")
PARALLEL = VARIANTS[1:]




# --------------------------------------------------------------------------
# the tasks run in workers live in mpbench.tasks (standard library only)


def _squares_below(n: int) -> int:
    """0^2 + 1^2 + ... + (n-1)^2."""
    return (n - 1) * n * (2 * n - 1) // 6


def expected_cpu_total(steps: int, tasks: int) -> int:
    """What the serial loop computes: the sum of every cpu task's value, in closed form."""
    return sum(_squares_below(i + steps) - _squares_below(i) for i in range(tasks))


def make_task(kind: str, section: dict, data_file: str | None) -> tuple[Callable[[int], tuple[int, int]], int | None]:
    """The task function of one kind (a picklable partial) and the value the check expects."""
    if kind == "cpu":
        steps = section["cpu_steps"]
        return partial(cpu_task, steps), expected_cpu_total(steps, section["tasks"])
    if kind == "io":
        if not data_file:
            raise ValueError("threads_vs_processes: the io kind needs data_file (the pipeline's test file)")
        with open(data_file, encoding="utf-8") as fh:  # the reference length, read once, untimed
            length = len(fh.read())
        return partial(io_task, str(data_file)), length
    if kind == "sleep":
        return partial(sleep_task, float(section["sleep_seconds"])), None
    raise ValueError(f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}")


def verify(kind: str, variant: str, result: list, tasks: int, expected: int | None) -> None:
    """Raise unless ``result`` (a list of (index, value)) is what the serial loop gives."""
    where = f"threads_vs_processes {kind} {variant}"
    indices = sorted(i for i, _ in result)
    if indices != list(range(tasks)):
        missing = sorted(set(range(tasks)) - set(indices))
        extra = len(indices) - len(set(indices))
        raise RuntimeError(f"{where}: task indices incomplete ({len(indices)} results for {tasks} tasks, "
                           f"missing {missing[:5]}, {extra} duplicated)")
    if kind == "cpu":
        total = sum(v for _, v in result)
        if total != expected:
            raise RuntimeError(f"{where}: sum of results {total} differs from the serial sum {expected}")
    elif kind == "io":
        short = [(i, v) for i, v in result if v != expected]
        if short:
            raise RuntimeError(f"{where}: {len(short)} reads did not return the full file "
                               f"({short[0][1]} of {expected} characters in task {short[0][0]})")
    elif kind == "sleep":
        wrong = [(i, v) for i, v in result if v != i]
        if wrong:
            raise RuntimeError(f"{where}: task {wrong[0][0]} returned {wrong[0][1]}")
    else:
        raise ValueError(f"unknown kind {kind!r}")


# --------------------------------------------------------------------------
# the variants


def _thread_worker(fn, indices, out: list, errors: list, go: threading.Event) -> None:
    """Body of one threading.Thread: its share of the tasks; an exception is kept, not lost."""
    go.wait()  # all threads start working together, once every one of them is running
    try:
        for i in indices:
            out.append(fn(i))
    except BaseException as err:  # re-raised by the caller after join
        errors.append(err)


def execute(variant: str, fn, tasks: int, workers: int, ctx=None) -> tuple[dict, list]:
    """Run all tasks one way; return (times, [(index, value), ...]).

    ``start_seconds`` (included in ``seconds``) is the part spent before the
    first task may run: creating and starting the ``workers`` threads
    (``thread``, which hold back until all have started), creating the Pool's
    processes (``process_pool``), or just the executor object
    (``thread_pool``, whose threads start lazily during ``map``); 0 for serial.
    """
    started_at = time.time()
    t0 = time.perf_counter()
    t_start = t0
    if variant == "serial":
        results = [fn(i) for i in range(tasks)]
    elif variant == "thread":
        outs: list[list] = [[] for _ in range(workers)]
        errors: list[BaseException] = []
        go = threading.Event()
        threads = [threading.Thread(target=_thread_worker, args=(fn, range(t, tasks, workers), outs[t], errors, go),
                                    name=f"tvp-{t}", daemon=True) for t in range(workers)]
        try:
            for t in threads:
                t.start()
            t_start = time.perf_counter()
        finally:
            go.set()  # also when a start failed: release the threads already running
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        results = [r for out in outs for r in out]
    elif variant == "thread_pool":
        with ThreadPoolExecutor(max_workers=workers) as pool:
            t_start = time.perf_counter()
            results = list(pool.map(fn, range(tasks)))
    elif variant == "process_pool":
        times, results = timing.time_pool(fn, tasks, workers, ctx, chunksize=1)
        return {"seconds": times["seconds"], "start_seconds": times["pool_start_seconds"],
                "started_at": times["started_at"], "ended_at": times["ended_at"]}, results
    else:
        raise ValueError(f"unknown variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    t1 = time.perf_counter()
    return {"seconds": t1 - t0, "start_seconds": t_start - t0, "started_at": started_at, "ended_at": time.time()}, results


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None,
        data_file: str | None = None) -> list[dict]:
    kind, workers, tasks = point["kind"], point["workers"], section["tasks"]
    fn, expected = make_task(kind, section, data_file)
    start_method = multiprocessing.get_start_method()

    def variant(name):
        def go():
            times, result = execute(name, fn, tasks, workers)
            return {**times, "tasks": tasks, "start_method": start_method,
                    "result_total": sum(v for _, v in result)}, result
        return go

    def check(name: str, result: list) -> None:
        verify(kind, name, result, tasks, expected)

    settings = {k: section[k] for k in ("tasks", "cpu_steps", "sleep_seconds")}
    if kind == "io":
        settings["data_bytes"] = Path(data_file).stat().st_size
    work = "read" if kind == "io" else "cpu_loop"
    return run_variants("threads_vs_processes", point, {v: variant(v) for v in VARIANTS}, check,
                        repeats=repeats, warmup=warmup, settings=settings,
                        floor_kinds={**{v: work for v in VARIANTS}, "process_pool": work + "+pool"})


# --------------------------------------------------------------------------
# summary, table, figure, findings


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    summary = summarize_variants(raw, ["kind", "workers"], level, baseline="serial")
    extra = raw.groupby(["kind", "workers", "variant"]).agg(
        tasks=("tasks", "first"),
        start_seconds_median=("start_seconds", "median"),
    ).reset_index()
    out = summary.merge(extra, on=["kind", "workers", "variant"], validate="one_to_one")
    return _ordered(out)


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    """Kinds and variants in their fixed order (a summary read back from CSV has plain strings)."""
    kinds = [k for k in KINDS if k in set(summary["kind"].astype(str))]
    out = summary.assign(kind=pd.Categorical(summary["kind"].astype(str), kinds, ordered=True),
                         variant=pd.Categorical(summary["variant"].astype(str), VARIANTS, ordered=True),
                         workers=summary["workers"].astype(int))
    return out.sort_values(["kind", "workers", "variant"]).reset_index(drop=True)


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
    "zh": ["任务类型", "线程/进程数", "串行（秒）", "多线程 threading.Thread（秒 / 倍）",
           "线程池 ThreadPoolExecutor（秒 / 倍）", "进程池 multiprocessing.Pool（秒 / 倍）"],
    "en": ["Work", "Workers", "Serial (s)", "threading.Thread (s / ×)", "ThreadPoolExecutor (s / ×)",
           "multiprocessing.Pool (s / ×)"],
}
NOTE = {
    "zh": "每格为 {n} 次重复的中位数；倍数 = 同一次重复中 串行 / 该方式 之比的中位数（大于 1 即更快）。每次运行 {tasks} 个任务；"
          "threading.Thread 把任务轮流分给 workers 个线程；线程与进程（池）的创建和关闭都计入耗时；区间见 "
          "results/summary/threads_vs_processes.csv。",
    "en": "Each cell is the median of {n} runs; × = median of the paired ratios serial / that variant (above 1 is faster). "
          "{tasks} tasks per run; threading.Thread splits them round-robin over `workers` threads; creating and "
          "closing the threads and pools is part of every time; intervals are in results/summary/threads_vs_processes.csv.",
}


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    summary = _ordered(summary)
    rows = []
    for (kind, workers), cell in summary.groupby(["kind", "workers"], observed=True, sort=True):
        by = cell.set_index(cell["variant"].astype(str))
        row = [KIND_LABELS[language][kind], str(workers),
               fmt_seconds(by.loc["serial", "median"]) if "serial" in by.index else "n/a"]
        for v in PARALLEL:
            row.append(f"{fmt_seconds(by.loc[v, 'median'])} / {fmt_ratio(by.loc[v, 'speedup'])}"
                       if v in by.index else "n/a")
        rows.append(row)
    n = int(summary["n"].min())
    tasks = ", ".join(str(int(t)) for t in sorted(summary["tasks"].unique()))
    return markdown_table(HEADER[language], rows) + "\n\n" + NOTE[language].format(n=n, tasks=tasks) + "\n"


STYLE = {  # colour, marker
    "thread": ("#1f77b4", "o"),
    "thread_pool": ("#17becf", "s"),
    "process_pool": ("#d62728", "^"),
}


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    from .. import plots  # here, not at the top: the timed jobs import this module
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib import ticker
    from matplotlib.lines import Line2D

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
    ticks = [2.0 ** e for e in range(math.floor(math.log2(low)), math.ceil(math.log2(high)) + 1)]
    coverage = data["speedup_ci_coverage"].dropna()
    runs = data["n"].dropna().astype(int)
    tasks = ", ".join(str(int(t)) for t in sorted(data["tasks"].unique()))

    with plots.style():
        fig, axes = plt.subplots(1, len(kinds), squeeze=False, sharey=True,
                                 figsize=(max(5.0, 3.9 * len(kinds) + 0.6), 4.4), layout="constrained")
        for ax, kind in zip(axes[0], kinds):
            sub = data[data["kind"].astype(str) == kind]
            ax.plot(workers, workers, color="0.75", linestyle="-", linewidth=1.0, zorder=1)
            ax.axhline(1.0, color="0.35", linestyle="--", linewidth=1.2, zorder=1)
            ax.axvline(cores, color="black", linestyle=":", linewidth=1.4, zorder=1)
            sns.lineplot(data=sub, x="x", y="speedup", hue="label", style="label",
                         hue_order=list(palette), style_order=list(palette), palette=palette, markers=markers,
                         dashes=False, estimator=None, errorbar=None, sort=True, markersize=6, linewidth=1.6,
                         legend=False, ax=ax, zorder=3)
            for label, rows in sub.groupby("label", sort=False):
                rows = rows.dropna(subset=["speedup", "speedup_ci_low", "speedup_ci_high"])
                below = (rows["speedup"] - rows["speedup_ci_low"]).clip(lower=0)
                above = (rows["speedup_ci_high"] - rows["speedup"]).clip(lower=0)
                ax.errorbar(rows["x"], rows["speedup"], yerr=[below, above], fmt="none",
                            ecolor=palette[label], elinewidth=1.1, capsize=3, zorder=2)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log", base=2)
            ax.xaxis.set_major_locator(ticker.FixedLocator(workers))
            ax.xaxis.set_major_formatter(ticker.FixedFormatter([str(w) for w in workers]))
            ax.xaxis.set_minor_locator(ticker.NullLocator())
            ax.set_xlim(min(min(workers), cores) / 2 ** 0.4, max(max(workers), cores) * 2 ** 0.4)
            ax.set_ylim(low, high)
            ax.yaxis.set_major_locator(ticker.FixedLocator(ticks))
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}×"))
            ax.yaxis.set_minor_locator(ticker.NullLocator())
            ax.set_title(KIND_LABELS["en"][kind])
            ax.set_xlabel("workers (threads or processes, log scale)")
            ax.set_ylabel("speedup over serial (×, log scale)" if ax is axes[0][0] else "")
            right = cores >= max(workers) and cores > min(workers)  # label on the side with room
            ax.text(cores, high, f"{cores} cores " if right else f" {cores} cores", ha="right" if right else "left",
                    va="top", fontsize="small", color="black")
        handles = [Line2D([], [], color=STYLE[v][0], marker=STYLE[v][1], markersize=6, linewidth=1.6,
                          label=VARIANT_LABELS[v]) for v in PARALLEL]
        handles += [Line2D([], [], color="0.35", linestyle="--", linewidth=1.2, label="serial (1×)"),
                    Line2D([], [], color="0.75", linewidth=1.0, label="linear (× = workers)"),
                    Line2D([], [], color="black", linestyle=":", linewidth=1.4, label=f"usable cores ({cores})")]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        cover = f"≥ {coverage.min():.0%}" if len(coverage) else "n/a"
        n = f"{runs.min()}" if len(runs) and runs.min() == runs.max() else (
            f"{runs.min()}–{runs.max()}" if len(runs) else "?")
        fig.suptitle(f"Threads vs processes: speedup over serial, {tasks} tasks per run\n"
                     f"points: serial median / variant median of {n} runs; "
                     f"bars: interval from paired ratios (coverage {cover})", fontsize="medium")
        plots.save(fig, out_paths)


def _against_serial(row) -> str:
    where = interval_vs_one(row["speedup_ci_low"], row["speedup_ci_high"])
    return {"above": "faster than serial", "below": "slower than serial",
            "includes": "not distinguishable from serial"}[where]


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
        head = (f"{label[0].upper() + label[1:]} with {workers} workers{on}: threads reached "
                f"{t['speedup']:.2f}× serial ({VARIANT_LABELS[tname]}, {_against_serial(t)}; "
                f"{VARIANT_LABELS[other]} {o['speedup']:.2f}×), processes {p['speedup']:.2f}× "
                f"(multiprocessing.Pool, {_against_serial(p)}).")
        t_wins = t["speedup_ci_low"] > p["speedup_ci_high"]
        p_wins = p["speedup_ci_low"] > t["speedup_ci_high"]
        if p_wins or t_wins:
            win, lose, wname = (p, t, "processes") if p_wins else (t, p, "threads")
            ratio = win["speedup"] / lose["speedup"]
            if win["speedup_ci_low"] > 1:
                verdict = f"Here {wname} pay off: {ratio:.1f}× as fast as {'threads' if p_wins else 'processes'}."
            else:
                verdict = (f"{wname.capitalize()} were {ratio:.1f}× as fast as {'threads' if p_wins else 'processes'}, "
                           f"but neither beat serial distinguishably.")
        elif t["speedup_ci_low"] > 1 and p["speedup_ci_low"] > 1:
            verdict = "Both pay off, and threads and processes are not distinguishable from each other (their intervals overlap)."
        else:
            verdict = "Threads and processes are not distinguishable from each other here (their intervals overlap)."
        if kind == "cpu":
            gil = ("as the GIL predicts, threads did not speed up pure-Python work"
                   if t["speedup_ci_low"] <= 1 else
                   "threads sped up pure-Python work, which the GIL should prevent; rerun on a quiet machine to confirm")
            verdict += f" ({gil[0].upper() + gil[1:]}.)"
        best = rows[rows["variant"].astype(str) != "serial"].sort_values("speedup").iloc[-1]
        if int(best["workers"]) != workers:
            verdict += (f" The best of all worker counts was {VARIANT_LABELS[str(best['variant'])]} with "
                        f"{int(best['workers'])} workers: {best['speedup']:.2f}× ({_against_serial(best)}).")
        out.append(f"{head} {verdict}")
    return out
