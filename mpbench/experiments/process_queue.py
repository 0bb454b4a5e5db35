"""process_queue (添加进程 Process / 存储进程输出 Queue): processes made by hand.

The seed starts processes by hand - ``multiprocessing.Process(target=job,
args=(q,))``, ``p.start()``, ``p.join()`` - and collects what they compute
through a ``multiprocessing.Queue`` (``q.put(res)`` in the child,
``q.get()`` in the parent).  Each point splits one CPU-bound pure-Python job,
the sum of ``i * i`` for ``i`` in ``range(size)``, into ``workers`` equal
shares:

- ``serial``: the whole sum in one loop in the parent (the reference);
- ``process_queue``: ``workers`` hand-made Process objects, each summing its
  share and putting ``(index, partial)`` on one Queue; the parent gets all
  ``workers`` results FIRST and only then joins (joining a process whose
  Queue data has not been read can deadlock);
- ``pool``: the same shares through ``Pool(workers).map``, then close/join.

The process variants are timed in three phases: ``start_seconds`` (create
the Queue and the Processes and start them / create the Pool: the parent's
side of start-up), ``work_seconds`` (until every partial result is in the
parent; this includes the children's own start-up latency) and
``join_seconds`` (join / close + join); ``seconds`` is their sum.  Every
result must equal the closed form (n-1) n (2n-1) / 6 exactly, which the
serial loop also meets, or the run is an error.
"""

from __future__ import annotations

import math
import multiprocessing
import queue as queue_module
import time
from typing import TYPE_CHECKING

from .. import timing

if TYPE_CHECKING:
    import pandas as pd

# pandas, numpy, matplotlib and the rest of mpbench are imported inside the
# functions that need them: under spawn and forkserver every child imports
# this module to find its target, and that import is part of the measured
# start-up, so it is kept to the standard library.

VARIANTS = ("serial", "process_queue", "pool")
PHASES = ("start", "work", "join")
# How long the parent waits on the Queue before it looks whether the children
# are still alive (a child that died never puts its result).
POLL_SECONDS = 0.5




def expected_sum(size: int) -> int:
    """sum(i * i for i in range(size)), in closed form."""
    return (size - 1) * size * (2 * size - 1) // 6


def shares(size: int, workers: int) -> list[tuple[int, int]]:
    """``range(size)`` cut into ``workers`` contiguous (lo, hi) shares, sizes differing by at most 1."""
    step, extra = divmod(size, workers)
    out, lo = [], 0
    for k in range(workers):
        hi = lo + step + (k < extra)
        out.append((lo, hi))
        lo = hi
    return out


def sum_squares(lo: int, hi: int) -> int:
    """The CPU-bound pure-Python job: a plain loop, as the seed's ``job``."""
    total = 0
    for i in range(lo, hi):
        total += i * i
    return total


def _share_sum(bounds: tuple[int, int]) -> int:
    """Pool.map's worker function: the sum of one share."""
    return sum_squares(*bounds)


def _child(q, index: int, lo: int, hi: int) -> None:
    """The hand-made Process's target: compute its share, put it on the Queue."""
    q.put((index, sum_squares(lo, hi)))


def _context(start_method: str):
    return multiprocessing.get_context(None if start_method == "default" else start_method)


def _collect(q, procs, count: int) -> dict[int, int]:
    """Get ``count`` (index, partial) results from the Queue before anyone is joined.

    A child that dies never puts its result, so a plain ``q.get()`` would
    wait for ever; the Queue is polled and the children checked between polls.
    """
    results: dict[int, int] = {}
    while len(results) < count:
        try:
            index, partial = q.get(timeout=POLL_SECONDS)
        except queue_module.Empty:
            failed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if failed:
                raise RuntimeError(f"process_queue: worker processes exited with {failed}") from None
            if all(p.exitcode == 0 for p in procs):
                # A child that exited cleanly has flushed its put; one last look.
                try:
                    index, partial = q.get(timeout=POLL_SECONDS)
                except queue_module.Empty:
                    raise RuntimeError(f"process_queue: all processes exited but only {len(results)} "
                                       f"of {count} results arrived") from None
            else:
                continue
        if index in results:
            raise RuntimeError(f"process_queue: share {index} reported twice")
        results[index] = partial
    return results


def run_process_queue(parts: list[tuple[int, int]], ctx) -> tuple[dict, int]:
    """Hand-made Processes + Queue: start, get every result, then join."""
    procs = []
    q = None
    started_at = time.time()
    try:
        t0 = time.perf_counter()
        q = ctx.Queue()
        procs = [ctx.Process(target=_child, args=(q, k, lo, hi)) for k, (lo, hi) in enumerate(parts)]
        for p in procs:
            p.start()
        t1 = time.perf_counter()
        results = _collect(q, procs, len(parts))  # get BEFORE join
        t2 = time.perf_counter()
        for p in procs:
            p.join()
        t3 = time.perf_counter()
    except BaseException:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            if p.pid is not None:
                p.join()
        raise
    finally:
        if q is not None:
            q.close()
            q.join_thread()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"process_queue: worker processes exited with {failed}")
    if sorted(results) != list(range(len(parts))):
        raise RuntimeError(f"process_queue: results for shares {sorted(results)}, expected {len(parts)}")
    times = {"seconds": t3 - t0, "start_seconds": t1 - t0, "work_seconds": t2 - t1, "join_seconds": t3 - t2,
             "started_at": started_at, "ended_at": time.time()}
    return times, sum(results.values())


def run_pool(parts: list[tuple[int, int]], ctx) -> tuple[dict, int]:
    """The same shares through Pool(workers).map, then close and join."""
    times, partials = timing.time_pool(_share_sum, parts, len(parts), ctx, chunksize=1)
    if len(partials) != len(parts):
        raise RuntimeError(f"pool: {len(partials)} results for {len(parts)} shares")
    times = {"seconds": times["seconds"], "start_seconds": times["pool_start_seconds"],
             "work_seconds": times["map_seconds"], "join_seconds": times["pool_close_seconds"],
             "started_at": times["started_at"], "ended_at": times["ended_at"]}
    return times, sum(partials)


def run_serial(size: int) -> tuple[dict, int]:
    """The whole job in one loop in the parent."""
    started_at = time.time()
    t0 = time.perf_counter()
    total = sum_squares(0, size)
    t1 = time.perf_counter()
    times = {"seconds": t1 - t0, "start_seconds": 0.0, "work_seconds": t1 - t0, "join_seconds": 0.0,
             "started_at": started_at, "ended_at": time.time()}
    return times, total


def compute(variant: str, size: int, workers: int, start_method: str = "default") -> tuple[dict, int]:
    """Run one variant once: (phase times, the total it computed)."""
    if variant == "serial":
        return run_serial(size)
    ctx = _context(start_method)
    parts = shares(size, workers)
    if variant == "process_queue":
        return run_process_queue(parts, ctx)
    if variant == "pool":
        return run_pool(parts, ctx)
    raise ValueError(f"unknown variant {variant!r}")


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    workers, size = point["workers"], section["size"]
    start_method = section.get("start_method", "default")
    method = _context(start_method).get_start_method()
    expected = expected_sum(size)

    def variant(name):
        def go():
            times, total = compute(name, size, workers, start_method)
            return {**times, "size": size, "shares": workers, "start_method": method}, total
        return go

    def check(name: str, total: int) -> None:
        if total != expected:
            raise RuntimeError(f"process_queue variant {name}, workers={workers}: sum {total}, expected {expected}")

    from .common import run_variants

    return run_variants("process_queue", point, {v: variant(v) for v in VARIANTS}, check,
                        repeats=repeats, warmup=warmup, settings={"size": size, "start_method": start_method},
                        floor_kinds={v: "cpu_loop+pool" for v in VARIANTS if v != "serial"})


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    """summarize_variants on the total, plus each phase and the paired time ratio to Pool."""
    import numpy as np
    import pandas as pd

    from ..stats import describe
    from .common import summarize_variants

    summary = summarize_variants(raw, ["workers"], level, baseline="serial")
    extra = []
    for (workers, variant), runs in raw.groupby(["workers", "variant"], sort=True):
        row = {"workers": workers, "variant": variant, "size": int(runs["size"].iloc[0]),
               "start_method": ",".join(sorted(runs["start_method"].astype(str).unique()))}
        for phase in PHASES:
            d = describe(runs[f"{phase}_seconds"].to_numpy(), level)
            row[f"{phase}_median"], row[f"{phase}_ci_low"], row[f"{phase}_ci_high"] = d["median"], d["ci_low"], d["ci_high"]
        cell = raw[raw["workers"] == workers]
        pool = cell[cell["variant"] == "pool"].set_index("rep")["seconds"]
        this = runs.set_index("rep")["seconds"]
        if pool.empty:
            row.update(time_vs_pool=np.nan, time_vs_pool_ci_low=np.nan, time_vs_pool_ci_high=np.nan,
                       time_vs_pool_ci_coverage=np.nan)
        else:
            r = describe((this / pool).dropna().to_numpy(), level)
            row["time_vs_pool"] = float(this.median()) / float(pool.median())
            row["time_vs_pool_ci_low"], row["time_vs_pool_ci_high"] = r["ci_low"], r["ci_high"]
            row["time_vs_pool_ci_coverage"] = r["ci_coverage"]
        extra.append(row)
    out = summary.merge(pd.DataFrame(extra), on=["workers", "variant"], validate="one_to_one")
    return _ordered(out)


LABELS = {
    "zh": {"serial": "串行（一个循环）", "process_queue": "手动 Process + Queue", "pool": "Pool.map"},
    "en": {"serial": "serial (one loop)", "process_queue": "Process + Queue (by hand)", "pool": "Pool(workers).map"},
}
PHASE_LABELS = {"start": "start-up (create + start)", "work": "work (until all results are in)",
                "join": "join (join / close + join)"}
PHASE_COLOURS = {"start": "#d62728", "work": "#1f77b4", "join": "#ff7f0e"}
VARIANT_STYLE = {"process_queue": ("#2ca02c", "o"), "pool": ("#9467bd", "s")}
HEADER = {
    "zh": ["进程数", "方式", "总耗时中位数（秒）", "启动（秒）", "计算至取回全部结果（秒）", "join（秒）", "相对串行（倍）"],
    "en": ["Processes", "Variant", "Median total (s)", "Start-up (s)", "Work until all results (s)", "Join (s)",
           "Speedup vs serial (x)"],
}


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    """Variants in their fixed order (a summary read back from CSV has plain strings)."""
    import pandas as pd

    out = summary.assign(variant=pd.Categorical(summary["variant"].astype(str), VARIANTS, ordered=True))
    return out.sort_values(["workers", "variant"]).reset_index(drop=True)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    from ..tables import fmt_seconds, fmt_ratio, markdown_table

    rows = []
    for r in _ordered(summary).itertuples():
        serial = r.variant == "serial"
        rows.append([str(r.workers), LABELS[language][r.variant], fmt_seconds(r.median),
                     "–" if serial else fmt_seconds(r.start_median), fmt_seconds(r.work_median),
                     "–" if serial else fmt_seconds(r.join_median), fmt_ratio(r.speedup)])
    return markdown_table(HEADER[language], rows) + "\n"


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    import seaborn as sns
    from matplotlib import ticker
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .. import plots

    data = _ordered(summary)
    workers = sorted(int(w) for w in data["workers"].unique())
    serial = data[data["variant"] == "serial"].set_index("workers")["median"].astype(float)
    serial_median = float(serial.max())
    phases = pd.concat([
        pd.DataFrame({"variant": data["variant"].astype(str), "workers": data["workers"].astype(int),
                      "phase": phase, "median": data[f"{phase}_median"].astype(float),
                      "ci_low": data[f"{phase}_ci_low"].astype(float),
                      "ci_high": data[f"{phase}_ci_high"].astype(float)})
        for phase in PHASES], ignore_index=True)
    phases = phases[phases["variant"] != "serial"]
    positive = phases.loc[phases["median"] > 0, ["median", "ci_low"]].to_numpy(float)
    low = max(float(np.nanmin(positive)) / 3 if positive.size else 1e-4, 1e-6)
    high = max(float(np.nanmax(phases["ci_high"])), serial_median) * 2.5

    with plots.style():
        fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.6), layout="constrained",
                                 gridspec_kw={"width_ratios": [1, 1, 1.05]})
        for ax, variant in zip(axes[:2], ("process_queue", "pool")):
            sub = phases[phases["variant"] == variant].copy()
            sub["x"] = sub["workers"].astype(str)
            sns.barplot(data=sub, x="x", y="median", hue="phase", hue_order=list(PHASES),
                        order=[str(w) for w in workers], palette=PHASE_COLOURS, errorbar=None,
                        legend=False, ax=ax, zorder=2)
            for bars, phase in zip(ax.containers, PHASES):
                rows = sub[sub["phase"] == phase].set_index("workers").reindex(workers)
                x = [b.get_x() + b.get_width() / 2 for b in bars]
                below = np.clip(rows["median"] - rows["ci_low"], 0, None)
                above = np.clip(rows["ci_high"] - rows["median"], 0, None)
                ax.errorbar(x, rows["median"], yerr=[below, above], fmt="none", ecolor="0.2", capsize=3, zorder=3)
            for i, w in enumerate(workers):  # each point's own serial run, across its group of bars
                ax.hlines(serial.get(w, np.nan), i - 0.45, i + 0.45, color="0.15", linestyle="-.",
                          linewidth=1.3, zorder=4)
            ax.set_yscale("log")
            ax.set_ylim(low, high)
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}"))
            ax.set_xlabel("worker processes")
            ax.set_ylabel("time per run (s, log scale)" if variant == "process_queue" else "")
            ax.set_title(f"{LABELS['en'][variant]}: time per phase")

        right = axes[2]
        par = data[data["variant"] != "serial"].copy()
        par["variant"] = par["variant"].astype(str)
        dodge = {"process_queue": 2 ** -0.04, "pool": 2 ** 0.04}
        right.axhline(1.0, color="0.45", linestyle="--", linewidth=1.2, zorder=1)
        ideal = [max(1, min(w, int(cores))) for w in workers]
        right.plot(workers, ideal, color="black", linestyle=":", linewidth=1.5, zorder=1)
        for variant in ("process_queue", "pool"):
            rows = par[par["variant"] == variant].sort_values("workers")
            colour, marker = VARIANT_STYLE[variant]
            x = rows["workers"].astype(float) * dodge[variant]
            sns.lineplot(x=x.to_numpy(), y=rows["speedup"].to_numpy(float), color=colour, marker=marker,
                         markersize=7, linewidth=1.6, ax=right, zorder=3)
            below = np.clip(rows["speedup"] - rows["speedup_ci_low"], 0, None)
            above = np.clip(rows["speedup_ci_high"] - rows["speedup"], 0, None)
            right.errorbar(x, rows["speedup"], yerr=[below, above], fmt="none", ecolor=colour, capsize=3, zorder=2)
        right.set_xscale("log", base=2)
        right.xaxis.set_major_locator(ticker.FixedLocator(workers))
        right.xaxis.set_major_formatter(ticker.FixedFormatter([str(w) for w in workers]))
        right.xaxis.set_minor_locator(ticker.NullLocator())
        right.set_xlim(min(workers) / 2 ** 0.5, max(workers) * 2 ** 0.5)
        top = np.nanmax(np.concatenate([par["speedup_ci_high"].to_numpy(float), ideal, [1.0]]))
        right.set_ylim(0, top * 1.15)
        right.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}×"))
        right.set_xlabel("worker processes")
        right.set_ylabel("speedup (serial time / total time, ×)")
        right.set_title(f"speedup over serial, on {cores} core{'s' if int(cores) != 1 else ''}")

        handles = [Patch(color=PHASE_COLOURS[p], label=PHASE_LABELS[p]) for p in PHASES]
        handles.append(Line2D([], [], color="0.15", linestyle="-.", label="serial: the whole loop (median)"))
        handles += [Line2D([], [], color=VARIANT_STYLE[v][0], marker=VARIANT_STYLE[v][1], label=LABELS["en"][v])
                    for v in ("process_queue", "pool")]
        handles.append(Line2D([], [], color="0.45", linestyle="--", label="no gain (1×)"))
        handles.append(Line2D([], [], color="black", linestyle=":", label="ideal: min(workers, cores)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False)
        size = int(data["size"].iloc[0])
        fig.suptitle(f"Hand-made Process + Queue vs Pool: sum of i·i for i < {size:,} "
                     f"split into equal shares\nbars and points: medians of {int(data['n'].min())} runs; whiskers: "
                     f"distribution-free interval of the median (speedup: of the paired ratios); "
                     f"start method: {data['start_method'].iloc[0]}", fontsize="medium")
        plots.save(fig, out_paths)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms"


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    from ..tables import fmt_seconds, fmt_ratio

    out = []
    cores = env.get("usable_cores")
    for workers, rows in _ordered(summary).groupby("workers", sort=True, observed=True):
        by = rows.set_index("variant")
        pq, pool, serial = by.loc["process_queue"], by.loc["pool"], by.loc["serial"]
        method = pq.get("start_method", "")
        out.append(
            f"With {workers} processes{f' (start method {method})' if method else ''}, creating and starting them "
            f"by hand with a Queue took {_ms(pq['start_median'])} (median; {_ms(pq['start_ci_low'])}–"
            f"{_ms(pq['start_ci_high'])}) and creating Pool({workers}) took {_ms(pool['start_median'])} "
            f"({_ms(pool['start_ci_low'])}–{_ms(pool['start_ci_high'])}), "
            f"{pq['start_median'] / pq['median']:.1%} and {pool['start_median'] / pool['median']:.1%} "
            f"of their total times of {fmt_seconds(pq['median'])} s and {fmt_seconds(pool['median'])} s."
        )
        lo, hi = pq["time_vs_pool_ci_low"], pq["time_vs_pool_ci_high"]
        ratio = pq["time_vs_pool"]
        if not (math.isnan(lo) or math.isnan(hi)) and lo <= 1.0 <= hi:
            out.append(f"With {workers} processes, hand-made Processes + Queue and Pool.map are not distinguishable "
                       f"in total time here: Process + Queue / Pool = {ratio:.3f} (paired interval {lo:.3f}–{hi:.3f}).")
        else:
            faster, slower, factor = (("Process + Queue", "Pool.map", 1 / ratio) if ratio < 1
                                      else ("Pool.map", "Process + Queue", ratio))
            out.append(f"With {workers} processes, {faster} was faster in total time: Process + Queue / Pool = "
                       f"{ratio:.3f} (paired interval {lo:.3f}–{hi:.3f}), so {slower} took {factor - 1:.1%} longer.")
        ideal = (f"; the ideal is min({workers}, {cores} core{'s' if int(cores) != 1 else ''}) = "
                 f"{max(1, min(int(workers), int(cores)))}×") if cores else ""
        parts = []
        for name, r in (("Process + Queue", pq), ("Pool.map", pool)):
            if r["speedup_ci_low"] <= 1.0 <= r["speedup_ci_high"]:
                parts.append(f"{name} {fmt_ratio(r['speedup'])}× (not distinguishable from serial)")
            else:
                parts.append(f"{name} {fmt_ratio(r['speedup'])}× ({fmt_ratio(r['speedup_ci_low'])}–"
                             f"{fmt_ratio(r['speedup_ci_high'])})")
        out.append(f"Against the serial loop of {fmt_seconds(serial['median'])} s, {workers} processes gave "
                   f"{' and '.join(parts)}{ideal}.")
    return out
