"""shared_memory (共享内存): the cost of giving worker processes data.

Each point is one data size (``size_kib``) and one Pool size (``workers``).
The data is a float64 array; the job is fixed: it is cut into ``workers``
contiguous slices and every worker computes the checksum (element count and
sum) of its slice with numpy; the parent adds the slices up.  The variants
differ only in how the workers get the data:

- ``serial``: the parent computes the checksum of every slice itself (the
  reference time; no process, no copy);
- ``pickle``: ``Pool.map`` with the slices themselves as task arguments, so
  every slice is pickled, sent through a pipe and unpickled;
- ``value_array``: ``multiprocessing.RawArray('d', n)`` (an ``Array`` without
  a lock) filled in the parent and handed to the workers by the Pool
  initializer (inherited, never pickled); tasks are (start, stop) indices;
- ``shared_memory``: ``multiprocessing.shared_memory.SharedMemory`` filled in
  the parent; each task attaches to it by name, wraps it in a numpy view,
  and closes it again; the parent closes and unlinks it in ``finally``.

Every timed run covers the whole path - copying the data into the shared
block, starting the Pool, the map, closing the Pool and freeing the block -
and the phases are kept as columns.  The integer-valued data make the sums
exact, and every variant's checksum must equal the serial numpy one, or the
run is an error.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing import shared_memory as shm_module
from typing import TYPE_CHECKING

import numpy as np

from .. import timing

# Worker processes import this module under spawn and forkserver; pandas,
# matplotlib and seaborn are imported where they are used, so that starting a
# Pool does not also pay for importing them in every child.
if TYPE_CHECKING:
    import pandas as pd

VARIANTS = ("serial", "pickle", "value_array", "shared_memory")
PROCESS_VARIANTS = VARIANTS[1:]
PHASES = ("copy_seconds", "pool_start_seconds", "map_seconds", "close_seconds")
SEED = 2019
ITEM = np.dtype(np.float64).itemsize


# --------------------------------------------------------------------------
# data




def make_data(kib: int) -> np.ndarray:
    """``kib`` KiB of float64 holding the integers 0..999 (so every sum is exact)."""
    n = kib * 1024 // ITEM
    return np.random.default_rng(SEED).integers(0, 1000, n).astype(np.float64)


def slices(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous (start, stop) ranges covering range(n), sizes differing by one at most."""
    edges = [n * i // parts for i in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:]))


def checksum(values: np.ndarray) -> tuple[int, float]:
    """The job: the element count and sum of one slice."""
    return int(values.shape[0]), float(np.sum(values))


def combine(parts) -> tuple[int, float]:
    parts = list(parts)
    return sum(c for c, _ in parts), float(sum(s for _, s in parts))


# --------------------------------------------------------------------------
# the worker side (module level: picklable under fork, spawn and forkserver)

_SHARED: np.ndarray | None = None


def _sum_pickled(chunk: np.ndarray) -> tuple[int, float]:
    return checksum(chunk)


def _init_raw(raw) -> None:
    """Pool initializer of value_array: keep a numpy view of the inherited RawArray."""
    global _SHARED
    _SHARED = np.frombuffer(raw, dtype=np.float64)


def _sum_raw(bounds: tuple[int, int]) -> tuple[int, float]:
    start, stop = bounds
    return checksum(_SHARED[start:stop])


def _sum_shm(task: tuple[str, int, int, int]) -> tuple[int, float]:
    """Attach to the block by name, sum the slice, drop the view, close."""
    name, n, start, stop = task
    block = shm_module.SharedMemory(name=name)
    view = None
    try:
        view = np.ndarray((n,), dtype=np.float64, buffer=block.buf)
        return checksum(view[start:stop])
    finally:
        del view  # no exported buffer may remain, or close() fails
        block.close()


# --------------------------------------------------------------------------
# the parent side


def _pool_map(ctx, workers: int, fn, tasks: list, initializer=None, initargs=()) -> tuple[dict, list]:
    """Start a Pool, map, close and join it (terminate on error); phase times."""
    times, results = timing.time_pool(fn, tasks, workers, ctx, chunksize=1, initializer=initializer,
                                      initargs=initargs)
    return {"pool_start_seconds": times["pool_start_seconds"], "map_seconds": times["map_seconds"],
            "close_seconds": times["pool_close_seconds"]}, results


def _check_shm_space(nbytes: int) -> None:
    """Refuse a block larger than /dev/shm can hold (writing it would kill us with SIGBUS)."""
    if os.path.isdir("/dev/shm"):
        st = os.statvfs("/dev/shm")
        free = st.f_bavail * st.f_frsize
        if nbytes > free:
            raise RuntimeError(f"shared_memory: {nbytes:,} bytes do not fit in /dev/shm ({free:,} bytes free); "
                               "lower shared_memory.sizes_mb or enlarge /dev/shm (e.g. docker --shm-size)")


def measure(variant: str, data: np.ndarray, workers: int, ctx=None, inner: int = 1) -> tuple[dict, tuple[int, float]]:
    """Run one variant once: phase times (seconds, copy/pool/map/close) and the checksum.

    The serial variant runs ``inner`` times back to back, its times the mean
    per run (a small array takes microseconds; see timing.inner_loops)."""
    ctx = ctx or multiprocessing.get_context()
    n = int(data.shape[0])
    bounds = slices(n, workers)
    started_at = time.time()
    t0 = time.perf_counter()
    phases = dict.fromkeys(PHASES, 0.0)
    if variant == "serial":
        for _ in range(inner):
            result = combine(checksum(data[a:b]) for a, b in bounds)
        phases["map_seconds"] = (time.perf_counter() - t0) / inner
    elif variant == "pickle":
        times, parts = _pool_map(ctx, workers, _sum_pickled, [data[a:b] for a, b in bounds])
        phases.update(times)
        result = combine(parts)
    elif variant == "value_array":
        raw = ctx.RawArray("d", n)
        np.frombuffer(raw, dtype=np.float64)[:] = data
        phases["copy_seconds"] = time.perf_counter() - t0
        try:
            times, parts = _pool_map(ctx, workers, _sum_raw, bounds, initializer=_init_raw, initargs=(raw,))
        finally:
            t1 = time.perf_counter()
            del raw  # the last reference: the heap frees (unmaps) the block
            freed = time.perf_counter() - t1
        phases.update(times)
        phases["close_seconds"] += freed
        result = combine(parts)
    elif variant == "shared_memory":
        _check_shm_space(data.nbytes)
        block = shm_module.SharedMemory(create=True, size=max(data.nbytes, 1))
        try:
            view = np.ndarray(data.shape, dtype=np.float64, buffer=block.buf)
            view[:] = data
            del view
            phases["copy_seconds"] = time.perf_counter() - t0
            times, parts = _pool_map(ctx, workers, _sum_shm, [(block.name, n, a, b) for a, b in bounds])
        finally:
            t1 = time.perf_counter()
            block.close()
            block.unlink()
            freed = time.perf_counter() - t1
        phases.update(times)
        phases["close_seconds"] += freed
        result = combine(parts)
    else:
        raise ValueError(f"unknown variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    seconds = (time.perf_counter() - t0) / (inner if variant == "serial" else 1)
    extra = {"inner_loops": inner} if variant == "serial" and inner > 1 else {}
    return {"seconds": seconds, **phases, **extra, "started_at": started_at, "ended_at": time.time()}, result


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    from .common import run_variants

    kib, workers = point["size_kib"], point["workers"]
    data = make_data(kib)
    expected = checksum(data)  # the serial numpy reference, computed once
    facts = {"elements": int(data.shape[0]), "nbytes": int(data.nbytes)}
    inner = timing.inner_loops(lambda _i: measure("serial", data, workers), 1)

    def variant(name):
        def go():
            times, result = measure(name, data, workers, inner=inner)
            return {**times, **facts, "count": result[0], "checksum": result[1]}, result
        return go

    def check(name: str, result: tuple[int, float]) -> None:
        count, total = result
        if count != expected[0] or not np.isclose(total, expected[1], rtol=1e-12, atol=0.0):
            raise RuntimeError(f"shared_memory {name} size_kib={kib} workers={workers}: checksum "
                               f"({count}, {total!r}), expected ({expected[0]}, {expected[1]!r})")

    return run_variants("shared_memory", point, {v: variant(v) for v in VARIANTS}, check,
                        repeats=repeats, warmup=warmup, settings={"seed": SEED, "dtype": "float64"},
                        floor_kinds={v: "cpu_loop+pool" for v in VARIANTS if v != "serial"})


# --------------------------------------------------------------------------
# summary, table, figure, findings

KEYS = ["size_kib", "workers"]


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    from .common import summarize_variants

    summary = summarize_variants(raw, KEYS, level, baseline="serial")
    vs = summarize_variants(raw, KEYS, level, baseline="pickle")
    vs = vs[[*KEYS, "variant", "speedup", "speedup_ci_low", "speedup_ci_high", "speedup_ci_coverage"]].rename(
        columns=lambda c: c.replace("speedup", "vs_pickle"))
    phases = raw.groupby([*KEYS, "variant"]).agg(
        **{f"{p.removesuffix('_seconds')}_median": (p, "median") for p in PHASES},
        elements=("elements", "first"),
        nbytes=("nbytes", "first"),
    ).reset_index()
    out = summary.merge(vs, on=[*KEYS, "variant"], validate="one_to_one")
    out = out.merge(phases, on=[*KEYS, "variant"], validate="one_to_one")
    out.insert(1, "size_mib", out["size_kib"] / 1024)
    return _ordered(out)


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    """Variants in their fixed order (a summary read back from CSV has plain strings)."""
    import pandas as pd

    out = summary.assign(variant=pd.Categorical(summary["variant"].astype(str), VARIANTS, ordered=True))
    return out.sort_values(["workers", "size_kib", "variant"]).reset_index(drop=True)


def fmt_size(kib: int) -> str:
    """10 -> "10 KiB", 1024 -> "1 MiB", 1536 -> "1.5 MiB", 1048576 -> "1 GiB"."""
    kib = int(kib)
    for unit, scale in (("GiB", 1024 ** 2), ("MiB", 1024)):
        if kib >= scale:
            return f"{kib / scale:.4g} {unit}"
    return f"{kib} KiB"


LABELS = {
    "zh": {"serial": "串行（父进程自己算）", "pickle": "pickle（切片作为任务参数）",
           "value_array": "RawArray（Array，无锁）", "shared_memory": "SharedMemory（按名字挂载）"},
    "en": {"serial": "serial (parent computes)", "pickle": "pickle (slices as task arguments)",
           "value_array": "RawArray (Array, no lock)", "shared_memory": "SharedMemory (attached by name)"},
}
HEADER = {
    "zh": ["数据量", "进程数", "方式", "耗时中位数（秒）", "区间（秒）", "拷入共享内存（秒）", "map（秒）",
           "相对 pickle（倍）"],
    "en": ["Data size", "Processes", "Variant", "Median time (s)", "Interval (s)", "Copy into shared block (s)",
           "Map (s)", "Speedup over pickle (x)"],
}


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    from ..tables import fmt_seconds, fmt_ratio, markdown_table

    summary = _ordered(summary)
    rows = [
        [fmt_size(r.size_kib), str(r.workers), LABELS[language][r.variant], fmt_seconds(r.median),
         f"{fmt_seconds(r.ci_low)}–{fmt_seconds(r.ci_high)}",
         fmt_seconds(r.copy_median) if r.variant in ("value_array", "shared_memory") else "—", fmt_seconds(r.map_median),
         fmt_ratio(r.vs_pickle)]
        for r in summary.itertuples()
    ]
    return markdown_table(HEADER[language], rows) + "\n"


STYLE = {"serial": ("#7f7f7f", "o"), "pickle": ("#d62728", "s"),
         "value_array": ("#1f77b4", "^"), "shared_memory": ("#2ca02c", "D")}


def _plain(value: float, _pos=None) -> str:
    """A log-axis label without an exponent: 1e-05 -> "0.00001", 100 -> "100"."""
    return f"{value:.8f}".rstrip("0").rstrip(".") if value < 1 else f"{value:g}"


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib import ticker
    from matplotlib.lines import Line2D

    from .. import plots

    data = _ordered(summary)
    # x: MiB, nudged by a few percent per variant so that interval bars at one size do not hide one another
    nudge = data["variant"].astype(str).map({v: 1.07 ** (i - 1.5) for i, v in enumerate(VARIANTS)})
    data = data.assign(mib=data["size_kib"].astype(float) / 1024 * nudge,
                       label=data["variant"].astype(str).map(LABELS["en"]))
    workers = sorted(int(w) for w in data["workers"].unique())
    palette = {LABELS["en"][v]: STYLE[v][0] for v in VARIANTS}
    markers = {LABELS["en"][v]: STYLE[v][1] for v in VARIANTS}
    sizes = sorted(data["size_kib"].astype(float).unique() / 1024)

    def errorbars(ax, rows, low, high, centre):
        for variant, sub in rows.groupby("variant", observed=True, sort=False):
            sub = sub.dropna(subset=[centre, low, high])
            ax.errorbar(sub["mib"], sub[centre], fmt="none", ecolor=STYLE[str(variant)][0], capsize=3, elinewidth=1.1,
                        yerr=[np.clip(sub[centre] - sub[low], 0, None), np.clip(sub[high] - sub[centre], 0, None)])

    def size_axis(ax):
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(ticker.LogLocator(base=10))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_plain))
        if len(sizes) > 1:
            ax.set_xlim(sizes[0] / 1.6, sizes[-1] * 1.6)
        ax.set_xlabel("data size (MiB, log scale)")

    with plots.style():
        fig, axes = plt.subplots(len(workers), 2, squeeze=False, figsize=(11, 3.9 * len(workers) + 1.0),
                                 layout="constrained")
        for i, w in enumerate(workers):
            rows = data[data["workers"] == w]
            left, right = axes[i]
            sns.lineplot(data=rows, x="mib", y="median", hue="label", style="label", palette=palette,
                         markers=markers, dashes=False, estimator=None, errorbar=None, sort=True, legend=False,
                         hue_order=[LABELS["en"][v] for v in VARIANTS], style_order=[LABELS["en"][v] for v in VARIANTS],
                         ax=left, markersize=6, linewidth=1.6)
            errorbars(left, rows, "ci_low", "ci_high", "median")
            size_axis(left)
            left.set_yscale("log")
            left.yaxis.set_major_formatter(ticker.FuncFormatter(_plain))
            left.yaxis.set_minor_formatter(ticker.NullFormatter())
            left.set_ylabel("time per run (s, log scale)")
            left.set_title(f"{w} worker processes: median time per run" if w != 1 else "1 worker process: median time")

            shared = rows[rows["variant"].isin(["value_array", "shared_memory"])]
            right.axhline(1.0, color="0.35", linestyle="--", linewidth=1.2, zorder=1)
            sns.lineplot(data=shared, x="mib", y="vs_pickle", hue="label", style="label", palette=palette,
                         markers=markers, dashes=False, estimator=None, errorbar=None, sort=True, legend=False,
                         ax=right, markersize=6, linewidth=1.6)
            errorbars(right, shared, "vs_pickle_ci_low", "vs_pickle_ci_high", "vs_pickle")
            size_axis(right)
            right.set_yscale("log")
            right.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            right.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}×"))
            right.yaxis.set_minor_locator(ticker.LogLocator(base=10, subs="auto"))
            right.yaxis.set_minor_formatter(ticker.NullFormatter())
            right.set_ylabel("speedup over pickle (pickle time / time, ×)")
            right.set_title("above 1×: faster than pickling the data")
        handles = [Line2D([], [], color=STYLE[v][0], marker=STYLE[v][1], markersize=6, linewidth=1.6,
                          label=LABELS["en"][v]) for v in VARIANTS]
        handles.append(Line2D([], [], color="0.35", linestyle="--", linewidth=1.2, label="as fast as pickle (1×)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        n = data["n"].dropna().astype(int)
        runs = f"{n.min()}" if n.min() == n.max() else f"{n.min()}–{n.max()}"
        fig.suptitle("Giving worker processes a float64 array: pickled task arguments vs shared memory, "
                     f"on {cores} core{'s' if cores != 1 else ''}\n"
                     f"points: median of {runs} runs (Pool start, copy-in, map, close); "
                     "bars: distribution-free interval of the median", fontsize="medium")
        plots.save(fig, out_paths)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _status(row) -> str:
    """faster / slower / tie for a variant against pickle, from the paired-ratio interval."""
    from ..stats import interval_vs_one

    where = interval_vs_one(row["vs_pickle_ci_low"], row["vs_pickle_ci_high"])
    return {"above": "faster", "below": "slower", "includes": "tie"}[where]


def _ratio_text(row) -> str:
    low, high = row["vs_pickle_ci_low"], row["vs_pickle_ci_high"]
    status = _status(row)
    interval = f"interval {low:.2f}–{high:.2f}×"
    if status == "faster":
        return f"{row['vs_pickle']:.2f}× faster than pickling ({interval})"
    if status == "slower":
        return f"{1 / row['vs_pickle']:.2f}× slower than pickling ({interval})"
    return f"not distinguishable from pickling ({row['vs_pickle']:.2f}×, {interval})"


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    from ..tables import fmt_seconds

    out = []
    data = _ordered(summary)
    for workers, rows in data.groupby("workers", sort=True):
        shm = rows[rows["variant"] == "shared_memory"].sort_values("size_kib")
        status = [_status(r) for _, r in shm.iterrows()]
        sizes = [fmt_size(k) for k in shm["size_kib"]]
        start = len(status)
        while start > 0 and status[start - 1] == "faster":
            start -= 1
        procs = f"{workers} worker process{'es' if workers != 1 else ''}"
        if start == 0:
            out.append(f"With {procs}, SharedMemory was faster than pickling the data at every size measured, "
                       f"from {sizes[0]} to {sizes[-1]} (paired-ratio interval above 1×).")
        elif start < len(status):
            below = []
            for word, key in (("not distinguishable", "tie"), ("pickling faster", "slower"),
                              ("SharedMemory faster", "faster")):
                hit = [s for s, st in zip(sizes[:start], status[:start]) if st == key]
                if hit:
                    below.append(f"{word} at {_join(hit)}")
            small = rows[(rows["size_kib"] == rows["size_kib"].min()) & rows["variant"].isin(PROCESS_VARIANTS)]
            out.append(f"With {procs}, SharedMemory beat pickling from {sizes[start]} on (at that size and every "
                       f"larger one, paired-ratio interval above 1×); below that: {'; '.join(below)} "
                       f"(starting the Pool alone took about {fmt_seconds(small['pool_start_median'].median())} s "
                       f"per run there).")
        else:
            out.append(f"With {procs}, SharedMemory did not beat pickling at the largest size ({sizes[-1]}): "
                       f"here it showed no advantage up to {sizes[-1]}.")
        by = rows[rows["size_kib"] == rows["size_kib"].max()].set_index("variant")
        top, pick = by.loc["shared_memory"], by.loc["pickle"]
        raw = by.loc["value_array"]
        out.append(
            f"At {fmt_size(top['size_kib'])} with {procs}, pickling took {fmt_seconds(pick['median'])} s and "
            f"SharedMemory {fmt_seconds(top['median'])} s ({fmt_seconds(top['copy_median'])} s of it copying the "
            f"data in), {_ratio_text(top)}; RawArray took {fmt_seconds(raw['median'])} s, {_ratio_text(raw)}."
        )
    return out
