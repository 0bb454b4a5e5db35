"""pool_api (进程池 Pool): the seed's appendix A, and the rest of the Pool API.

The seed times ``worker(id) = id**2`` over ``range(length)`` with a for loop
(``Demo``) and with a Pool (``poolDemo``): ``p = Pool(processes=4);
res = p.map(worker, list(range(length))); p.close(); p.join()``, and the same
with ``multi_res = [p.apply_async(worker, (i,)) for i in range(length)]``
whose results are fetched with ``res.get()`` after ``close``/``join``.

Each point (function, length, workers) times these variants, every Pool
created inside the timed region and closed and joined in it:

- ``serial``: the seed's for loop, ``[fn(i) for i in range(length)]``;
- ``map`` and ``apply_async``: exactly as the seed writes them;
- ``map_async``: ``p.map_async(...)``, close, join, ``.get()``;
- ``imap`` / ``imap_unordered``: with the default chunksize 1, and
  ``imap_chunked`` / ``imap_unordered_chunked`` with the configured one;
- ``starmap``: ``p.starmap(fn, [(i,) for i in range(length)])``;
- ``executor_map``: ``concurrent.futures.ProcessPoolExecutor.map`` as
  usually written (its default chunksize is 1).

Two worker functions: ``square`` (the seed's ``id**2``, far cheaper than
sending an item to another process) and ``heavy`` (a pure-Python loop of
``heavy_iterations`` steps per item, real work per item).  Every variant's
result must equal the serial loop's (sorted for ``imap_unordered``), or the
run is an error; the comparison is kept in ``matches_serial``.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from ..lazy import numpy as np
from ..lazy import pandas as pd

from .. import timing
from ..tasks import heavy, square  # noqa: F401 (the workers run them from mpbench.tasks)
from ..stats import interval_vs_one
from ..tables import fmt_seconds, fmt_ratio, markdown_table
from .common import run_variants, summarize_variants

FUNCTIONS = ("square", "heavy")
VARIANTS = ("serial", "map", "apply_async", "map_async", "imap", "imap_chunked", "imap_unordered",
            "imap_unordered_chunked", "starmap", "executor_map")
POOL_VARIANTS = VARIANTS[1:]
UNORDERED = {"imap_unordered", "imap_unordered_chunked"}
# Variants that send one task per item (chunksize 1): the dashed lines of the figure.
PER_ITEM = {"apply_async", "imap", "imap_unordered", "executor_map"}
KEYS = ["function", "length", "workers"]


def worker_function(name: str, heavy_iterations: int):
    """The picklable callable of a function name (module-level, or a partial of one)."""
    if name == "square":
        return square
    if name == "heavy":
        return functools.partial(heavy, iterations=heavy_iterations)
    raise ValueError(f"unknown function {name!r}; allowed: {', '.join(FUNCTIONS)}")




def map_chunksize(length: int, workers: int) -> int:
    """The chunksize Pool.map / map_async / starmap choose themselves: ceil(length / (4 x workers))."""
    if length == 0:
        return 0
    chunks, extra = divmod(length, workers * 4)
    return chunks + (1 if extra else 0)


def variant_chunksize(variant: str, length: int, workers: int, chunksize: int) -> float:
    """Items per task that a variant sends (NaN for the serial loop)."""
    if variant == "serial":
        return math.nan
    if variant in ("map", "map_async", "starmap"):
        return map_chunksize(length, workers)
    if variant.endswith("_chunked"):
        return chunksize
    return 1


def compute(variant: str, fn, length: int, workers: int, chunksize: int, ctx=None,
            inner: int = 1) -> tuple[dict, list]:
    """Run one variant once; return its times (total and phases) and its results.

    ``pool_start_seconds``: creating the Pool (or executor); ``call_seconds``:
    from then until ``close`` (for the async variants only the submitting);
    ``close_join_seconds``: ``close`` + ``join`` (the executor's shutdown);
    ``collect_seconds``: the ``.get()`` calls after the join.  The serial
    loop runs ``inner`` times back to back (see timing.inner_loops).
    """
    if variant == "serial":
        return timing.time_serial(fn, length, inner)
    ctx = ctx or multiprocessing.get_context()
    started_at = time.time()
    t0 = time.perf_counter()
    if variant == "executor_map":
        ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        t1 = time.perf_counter()
        try:
            res = list(ex.map(fn, list(range(length))))
        except BaseException:
            ex.shutdown(wait=True, cancel_futures=True)
            raise
        t2 = time.perf_counter()
        ex.shutdown(wait=True)
        t3 = t4 = time.perf_counter()
    else:
        p = ctx.Pool(processes=workers)
        t1 = time.perf_counter()
        try:
            pending = None
            if variant == "map":
                res = p.map(fn, list(range(length)))
            elif variant == "apply_async":
                pending = [p.apply_async(fn, (i,)) for i in range(length)]
            elif variant == "map_async":
                pending = p.map_async(fn, list(range(length)))
            elif variant == "imap":
                res = list(p.imap(fn, list(range(length))))
            elif variant == "imap_chunked":
                res = list(p.imap(fn, list(range(length)), chunksize))
            elif variant == "imap_unordered":
                res = list(p.imap_unordered(fn, list(range(length))))
            elif variant == "imap_unordered_chunked":
                res = list(p.imap_unordered(fn, list(range(length)), chunksize))
            elif variant == "starmap":
                res = p.starmap(fn, [(i,) for i in range(length)])
            else:
                raise ValueError(f"unknown variant {variant!r}")
            t2 = time.perf_counter()
            p.close()
            p.join()
            t3 = time.perf_counter()
            if variant == "apply_async":
                res = [r.get() for r in pending]
            elif variant == "map_async":
                res = pending.get()
            t4 = time.perf_counter()
        except BaseException:
            p.terminate()
            p.join()
            raise
    return {
        "seconds": t4 - t0,
        "pool_start_seconds": t1 - t0,
        "call_seconds": t2 - t1,
        "close_join_seconds": t3 - t2,
        "collect_seconds": t4 - t3,
        "started_at": started_at,
        "ended_at": time.time(),
    }, res


def floor_kind_of(variant: str) -> str:
    """The machine's floor this variant's runs are compared with (mpbench.calibrate):
    the loop's, a Pool start plus the work, or a Pool start plus one task per item."""
    if variant == "serial":
        return "cpu_loop"
    return "dispatch+pool" if variant in PER_ITEM else "cpu_loop+pool"


def mismatch(variant: str, result, expected: list) -> str | None:
    """Why ``result`` is not the serial loop's result (None when it is)."""
    if not isinstance(result, list):
        return f"result is a {type(result).__name__}, not a list"
    if len(result) != len(expected):
        return f"{len(result)} results, expected {len(expected)}"
    got, want = (sorted(result), sorted(expected)) if variant in UNORDERED else (result, expected)
    if got != want:
        k = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
        where = "sorted position" if variant in UNORDERED else "index"
        return f"differs from the serial loop at {where} {k}: got {got[k]!r}, expected {want[k]!r}"
    return None


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    name, length, workers = point["function"], point["length"], point["workers"]
    chunksize, iterations = section["chunksize"], section["heavy_iterations"]
    fn = worker_function(name, iterations)
    expected = [fn(i) for i in range(length)]
    start_method = multiprocessing.get_start_method()
    inner = timing.inner_loops(fn, length)

    def variant(v):
        def go():
            times, result = compute(v, fn, length, workers, chunksize, inner=inner)
            extra = {"chunksize": variant_chunksize(v, length, workers, chunksize),
                     "matches_serial": mismatch(v, result, expected) is None, "start_method": start_method}
            return {**times, **extra}, result
        return go

    def check(v: str, result) -> None:
        why = mismatch(v, result, expected)
        if why is not None:
            raise RuntimeError(f"pool_api {v} function={name} length={length} workers={workers}: {why}")

    settings = {"chunksize": chunksize, "heavy_iterations": iterations}
    return run_variants("pool_api", point, {v: variant(v) for v in VARIANTS}, check,
                        repeats=repeats, warmup=warmup, settings=settings,
                        floor_kinds={v: floor_kind_of(v) for v in VARIANTS})


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    """Functions and variants in their fixed order (a summary read back from CSV has plain strings)."""
    out = summary.assign(function=pd.Categorical(summary["function"].astype(str), FUNCTIONS, ordered=True),
                         variant=pd.Categorical(summary["variant"].astype(str), VARIANTS, ordered=True))
    return out.sort_values(["function", "workers", "length", "variant"]).reset_index(drop=True)


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    summary = summarize_variants(raw, KEYS, level, baseline="serial")
    extra = raw.groupby([*KEYS, "variant"]).agg(
        chunksize=("chunksize", "first"),
        pool_start_median=("pool_start_seconds", "median"),
        close_join_median=("close_join_seconds", "median"),
        matches_serial=("matches_serial", "all"),
    ).reset_index()
    out = summary.merge(extra, on=[*KEYS, "variant"], validate="one_to_one")
    out["per_item_seconds"] = out["median"] / out["length"]
    return _ordered(out)


LABELS = {
    "zh": {"serial": "串行 for 循环", "map": "Pool.map（原文）", "apply_async": "Pool.apply_async（原文）",
           "map_async": "Pool.map_async", "imap": "Pool.imap", "imap_chunked": "Pool.imap（指定 chunksize）",
           "imap_unordered": "Pool.imap_unordered", "imap_unordered_chunked": "Pool.imap_unordered（指定 chunksize）",
           "starmap": "Pool.starmap", "executor_map": "ProcessPoolExecutor.map"},
    "en": {"serial": "serial for loop", "map": "Pool.map (seed)", "apply_async": "Pool.apply_async (seed)",
           "map_async": "Pool.map_async", "imap": "Pool.imap", "imap_chunked": "Pool.imap (chunksize set)",
           "imap_unordered": "Pool.imap_unordered",
           "imap_unordered_chunked": "Pool.imap_unordered (chunksize set)",
           "starmap": "Pool.starmap", "executor_map": "ProcessPoolExecutor.map"},
}
FUNCTION_LABELS = {
    "zh": {"square": "id**2", "heavy": "heavy（纯 Python 循环）"},
    "en": {"square": "id**2", "heavy": "heavy (pure-Python loop)"},
}
HEADER = {
    "zh": ["函数", "长度（个）", "进程数", "方式", "每个任务的元素数", "耗时中位数（秒）", "相对串行（倍）", "创建进程池（秒）"],
    "en": ["Function", "Length (items)", "Processes", "Variant", "Items per task", "Median time (s)",
           "Speedup vs serial (x)", "Pool start (s)"],
}


def _fmt_speedup(value: float) -> str:
    """Two decimals, or two significant digits below 0.1 (id**2 runs at 0.001x)."""
    if value is None or math.isnan(value) or value >= 0.095:
        return fmt_ratio(value)
    return f"{value:.2g}"


def _int_or_dash(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{int(value):,}"


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    summary = _ordered(summary)
    rows = [
        [FUNCTION_LABELS[language][r.function], f"{int(r.length):,}", str(r.workers), LABELS[language][r.variant],
         _int_or_dash(r.chunksize), fmt_seconds(r.median), _fmt_speedup(r.speedup),
         "–" if r.variant == "serial" else fmt_seconds(r.pool_start_median)]
        for r in summary.itertuples()
    ]
    return markdown_table(HEADER[language], rows) + "\n"


# Colour and marker per API family; dashed lines: one task per item (chunksize 1).
STYLE = {
    "map": ("#1f77b4", "o"), "apply_async": ("#d62728", "s"), "map_async": ("#17becf", "v"),
    "imap": ("#2ca02c", "^"), "imap_chunked": ("#2ca02c", "^"),
    "imap_unordered": ("#9467bd", "D"), "imap_unordered_chunked": ("#9467bd", "D"),
    "starmap": ("#8c564b", "P"), "executor_map": ("#ff7f0e", "X"),
}


def _plot_label(variant: str, chunksize) -> str:
    if variant.endswith("_chunked"):
        base = "Pool.imap" if variant == "imap_chunked" else "Pool.imap_unordered"
        return f"{base}, chunksize={_int_or_dash(chunksize)}"
    if variant in PER_ITEM:
        return f"{LABELS['en'][variant]}, 1 item/task"
    return LABELS["en"][variant]


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    from .. import plots  # here, not at the top: the timed jobs import this module
    import matplotlib.pyplot as plt
    from matplotlib import ticker
    from matplotlib.lines import Line2D

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
    ideals = sorted({max(1, min(w, int(cores))) for w in workers})
    low = min([*values, 1.0]) / 1.6
    high = max([*values, *ideals]) * 1.6
    labels = {}

    with plots.style():
        fig, axes = plt.subplots(len(workers), len(functions), squeeze=False, sharex=True, sharey=True,
                                 figsize=(4.9 * len(functions) + 0.6, 3.6 * len(workers) + 1.9),
                                 layout="constrained")
        for i, w in enumerate(workers):
            ideal = max(1, min(w, int(cores)))
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
                    colour, marker = STYLE[v]
                    dashed = v in PER_ITEM
                    x = rows["length"].to_numpy(float) * offset[v]
                    y = rows["speedup"].to_numpy(float)
                    below = np.clip(y - rows["speedup_ci_low"].to_numpy(float), 0, None)
                    above = np.clip(rows["speedup_ci_high"].to_numpy(float) - y, 0, None)
                    ax.errorbar(x, y, yerr=[below, above], color=colour, marker=marker, markersize=6,
                                linestyle="--" if dashed else "-", linewidth=1.5, capsize=3, elinewidth=1,
                                markerfacecolor="white" if dashed else colour, zorder=3)
                    labels.setdefault(v, _plot_label(v, rows["chunksize"].iloc[0]))
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.xaxis.set_major_locator(ticker.FixedLocator(lengths))
                ax.xaxis.set_major_formatter(ticker.FixedFormatter([f"{n:,}" for n in lengths]))
                ax.xaxis.set_minor_locator(ticker.NullLocator())
                if len(lengths) > 1:
                    ax.set_xlim(min(lengths) / 10 ** (0.12 * span), max(lengths) * 10 ** (0.12 * span))
                ax.set_ylim(low, high)
                ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}×"))
                ax.yaxis.set_minor_formatter(ticker.NullFormatter())
                title = FUNCTION_LABELS["en"][f]
                ax.set_title(f"{title}, Pool(processes={w})")
                ax.set_xlabel("length (items mapped per run, log scale)" if i == len(workers) - 1 else "")
                ax.set_ylabel("speedup (serial time / variant time, ×, log)" if j == 0 else "")
        handles = []
        for v in variants:
            colour, marker = STYLE[v]
            dashed = v in PER_ITEM
            handles.append(Line2D([], [], color=colour, marker=marker, markersize=6, linewidth=1.5,
                                  linestyle="--" if dashed else "-", markerfacecolor="white" if dashed else colour,
                                  label=labels.get(v, LABELS["en"][v])))
        handles.append(Line2D([], [], color="0.45", linestyle="--", linewidth=1.2, label="no gain (1×)"))
        if any(i != 1 for i in ideals):
            handles.append(Line2D([], [], color="black", linestyle=":", linewidth=1.5,
                                  label=f"ideal: min(workers, {cores} cores)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize="small")
        n = data["n"].astype(int)
        runs = f"{n.min()}" if n.min() == n.max() else f"{n.min()}–{n.max()}"
        fig.suptitle("Pool API: speedup of each variant over the serial for loop (Pool creation included)\n"
                     f"points: median of paired serial / variant ratios of {runs} runs; bars: interval from paired ratios; "
                     "dashed, hollow: one task per item", fontsize="medium")
        plots.save(fig, out_paths)


def _verdict(row) -> str:
    """'beats' / 'loses' / 'tie' of a variant against the loop, from the speedup interval."""
    where = interval_vs_one(row["speedup_ci_low"], row["speedup_ci_high"])
    return {"above": "beats", "below": "loses", "includes": "tie"}[where]


def _speed(row) -> str:
    return (f"{_fmt_speedup(row['speedup'])}× "
            f"({_fmt_speedup(row['speedup_ci_low'])}–{_fmt_speedup(row['speedup_ci_high'])})")


def _names(variants) -> str:
    return ", ".join(f"`{v}`" for v in variants)


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
        text = (f"For {what} with {workers} workers at length {largest:,}, the fastest process API was `{best}` "
                f"({fmt_seconds(b['median'])} s, {_speed(b)} vs the loop)")
        text += f"; {_names(close)} not distinguishable from it" if close else ""
        text += (f"; the slowest was `{worst}` ({fmt_seconds(top.loc[worst, 'median'])} s, "
                 f"{_fmt_speedup(top.loc[worst, 'speedup'])}×).")
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
            out.append(f"For {what} at length {largest:,}, `imap` sending one item per task "
                       f"({fmt_seconds(one['median'])} s) took {how} `imap` with chunksize {size} "
                       f"({fmt_seconds(chunked['median'])} s).")

        verdicts = {n: {v: _verdict(r) for v, r in g.set_index("variant").iterrows()}
                    for n, g in pools.groupby("length", sort=True)}
        wins = [n for n, v in verdicts.items() if "beats" in v.values()]
        ties = [n for n, v in verdicts.items() if "beats" not in v.values() and "tie" in v.values()]
        lengths = ", ".join(f"{int(n):,}" for n in sorted(verdicts))
        if wins:
            n0 = int(min(wins))
            at = pools[pools["length"] == n0].set_index("variant")
            winners = [v for v in at.index if _verdict(at.loc[v]) == "beats"]
            fastest = at.loc[winners, "median"].idxmin()
            text = (f"Processes beat the for loop for {what} at length {', '.join(f'{int(n):,}' for n in wins)} "
                    f"(of {lengths}); from length {n0:,}, {len(winners)} of {len(at)} variants were faster "
                    f"(best `{fastest}`, {_speed(at.loc[fastest])}).")
            if function == "square" and n0 > int(min(verdicts)):
                text += (" Only the larger lengths paid off, as the seed's note says: "
                         "数学运算要达到较高数量级后才能体现多进程的优势.")
        elif ties:
            text = (f"No process variant was clearly faster than the for loop for {what} at any length "
                    f"({lengths}); at length {', '.join(f'{int(n):,}' for n in ties)} the best one is "
                    f"not distinguishable from the loop.")
        else:
            best_ratio = pools.loc[pools["speedup"].idxmax()]
            text = (f"Every process variant was slower than the plain for loop for {what} at every length "
                    f"({lengths}); the best was `{best_ratio['variant']}` at {_speed(best_ratio)}, "
                    f"length {int(best_ratio['length']):,}.")
            if function == "square":
                text += (" Here `id**2` is too cheap for processes to pay off at these lengths "
                         "(the seed: 数学运算要达到较高数量级后才能体现多进程的优势).")
        out.append(text)
    return out
