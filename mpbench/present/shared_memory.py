"""shared_memory: summary, table, figure and findings (docs/experiments/shared_memory.md)."""

from __future__ import annotations

import pandas as pd

from ..experiments.shared_memory import PHASES, VARIANTS
from ..stats import interval_vs_one
from ..tables import fmt_ratio, fmt_seconds
from .common import COLUMN, columns_table, for_figure, ordered, summarize_variants, tail_start, with_agg

KEYS = ["size_kib", "workers"]
SHARED = ("value_array", "shared_memory")


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    keys = [*KEYS, "variant"]
    summary = summarize_variants(raw, KEYS, level, baseline="serial")
    vs = summarize_variants(raw, KEYS, level, baseline="pickle")
    vs = vs[[*keys, "speedup", "speedup_ci_low", "speedup_ci_high", "speedup_ci_coverage"]].rename(
        columns=lambda c: c.replace("speedup", "vs_pickle")
    )
    phases = {f"{p.removesuffix('_seconds')}_median": (p, "median") for p in PHASES}
    out = summary.merge(vs, on=keys, validate="one_to_one")
    out = with_agg(out, raw, keys, **phases, elements=("elements", "first"), nbytes=("nbytes", "first"))
    out.insert(1, "size_mib", out["size_kib"] / 1024)
    return _ordered(out)


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    return ordered(summary, ["workers", "size_kib", "variant"], {"variant": VARIANTS})


def fmt_size(kib: int) -> str:
    """10 -> "10 KiB", 1024 -> "1 MiB", 1536 -> "1.5 MiB", 1048576 -> "1 GiB"."""
    kib = int(kib)
    for unit, scale in (("GiB", 1024**2), ("MiB", 1024)):
        if kib >= scale:
            return f"{kib / scale:.4g} {unit}"
    return f"{kib} KiB"


COLUMNS = [
    ("Data size", "数据量", lambda r: fmt_size(r.size_kib)),
    COLUMN["processes"],
    ("Variant", "方式", lambda r: r.label),
    COLUMN["median"],
    ("Interval (s)", "区间（秒）", lambda r: f"{fmt_seconds(r.ci_low)}–{fmt_seconds(r.ci_high)}"),
    (
        "Copy into shared block (s)",
        "拷入共享内存（秒）",
        lambda r: fmt_seconds(r.copy_median) if r.variant in SHARED else "—",
    ),
    ("Map (s)", "map（秒）", lambda r: fmt_seconds(r.map_median)),
    ("Speedup over pickle (x)", "相对 pickle（倍）", lambda r: fmt_ratio(r.vs_pickle)),
]


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    rows = _ordered(summary).assign(label=lambda d: d["variant"].astype(str).map(TEXT[language]["labels"]))
    return columns_table(COLUMNS, rows.itertuples(), language) + "\n"


STYLE = {
    "serial": ("#7f7f7f", "o"),
    "pickle": ("#d62728", "s"),
    "value_array": ("#1f77b4", "^"),
    "shared_memory": ("#2ca02c", "D"),
}


def _plain(value: float, _pos=None) -> str:
    """A log-axis label without an exponent: 1e-05 -> "0.00001", 100 -> "100"."""
    return f"{value:.8f}".rstrip("0").rstrip(".") if value < 1 else f"{value:g}"


TEXT = {
    "en": {
        "labels": {
            "serial": "serial (parent computes)",
            "pickle": "pickle (slices as task arguments)",
            "value_array": "RawArray (Array, no lock)",
            "shared_memory": "SharedMemory (attached by name)",
        },
        "x": "data size (MiB, log scale)",
        "time_y": "time per run (s, log scale)",
        "time_title": "{w} worker processes: median time per run",
        "time_title_1": "1 worker process: median time",
        "vs_y": "speedup over pickle (pickle time / time, ×)",
        "vs_title": "above 1×: faster than pickling the data",
        "as_fast": "as fast as pickle (1×)",
        "title": "Giving worker processes a float64 array: pickled task arguments vs shared memory, on {cores} core{s}\npoints: median of {runs} runs (Pool start, copy-in, map, close); bars: distribution-free interval of the median",
        "interval": "interval {low}–{high}×",
        "faster": "{ratio}× faster than pickling ({interval})",
        "slower": "{ratio}× slower than pickling ({interval})",
        "tie": "not distinguishable from pickling ({ratio}×, {interval})",
        "procs": "{workers} worker process{es}",
        "every": "With {procs}, SharedMemory was faster than pickling the data at every size measured, from {first} to {last} (paired-ratio interval above 1×).",
        "below": {
            "tie": "not distinguishable at {at}",
            "slower": "pickling faster at {at}",
            "faster": "SharedMemory faster at {at}",
        },
        "from": "With {procs}, SharedMemory beat pickling from {size} on (at that size and every larger one, paired-ratio interval above 1×); below that: {below} (starting the Pool alone took about {start} s per run there).",
        "never": "With {procs}, SharedMemory did not beat pickling at the largest size ({last}): here it showed no advantage up to {last}.",
        "largest": "At {size} with {procs}, pickling took {pickle} s and SharedMemory {shm} s ({copy} s of it copying the data in), {shm_ratio}; RawArray took {raw} s, {raw_ratio}.",
    },
    "zh": {
        "labels": {
            "serial": "串行（父进程自己算）",
            "pickle": "pickle（切片作为任务参数）",
            "value_array": "RawArray（Array，无锁）",
            "shared_memory": "SharedMemory（按名字挂载）",
        },
        "x": "数据量（MiB，对数刻度）",
        "time_y": "每次运行耗时（秒，对数刻度）",
        "time_title": "{w} 个工作进程：每次运行耗时中位数",
        "time_title_1": "1 个工作进程：耗时中位数",
        "vs_y": "相对 pickle 的加速比（pickle 耗时 / 耗时，×）",
        "vs_title": "高于 1×：比 pickle 传数据更快",
        "as_fast": "与 pickle 一样快（1×）",
        "title": "把一个 float64 数组交给工作进程：pickle 任务参数对比共享内存，{cores} 个核\n点：{runs} 次运行的中位数（启动 Pool、拷入、map、close）；误差线：中位数的无分布假设区间",
        "interval": "区间 {low}–{high}×",
        "faster": "比 pickle 快 {ratio}×（{interval}）",
        "slower": "比 pickle 慢 {ratio}×（{interval}）",
        "tie": "与 pickle 无法区分（{ratio}×，{interval}）",
        "procs": "{workers} 个工作进程",
        "every": "{procs}时，在测量的每个数据量下（从 {first} 到 {last}），共享内存 SharedMemory 都比 pickle 传数据更快（配对比值区间高于 1×）。",
        "below": {"tie": "{at} 时无法区分", "slower": "{at} 时 pickle 更快", "faster": "{at} 时 SharedMemory 更快"},
        "from": "{procs}时，SharedMemory 从 {size} 起胜过 pickle（在该数据量及更大的每个数据量下，配对比值区间都高于 1×）；更小的数据量：{below}（在那里仅启动 Pool 每次运行就约需 {start} 秒）。",
        "never": "{procs}时，SharedMemory 在最大数据量（{last}）下也没有胜过 pickle：在这里直到 {last} 都没有显示出优势。",
        "largest": "{size}、{procs}时，pickle 耗时 {pickle} 秒，SharedMemory 耗时 {shm} 秒（其中拷入数据 {copy} 秒），{shm_ratio}；RawArray 耗时 {raw} 秒，{raw_ratio}。",
    },
}


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    from matplotlib import ticker

    plots, language, t = for_figure(language, TEXT)
    labels = t["labels"]
    data = _ordered(summary)
    variant = data["variant"].astype(str)
    # x: MiB, nudged by a few percent per variant so that interval bars at one size do not hide one another
    mib = data["size_kib"].astype(float) / 1024
    data = data.assign(x=mib * plots.dodge(variant, VARIANTS, 1, base=1.07), label=variant.map(labels))
    workers = sorted(int(w) for w in data["workers"].unique())
    styles = {labels[v]: STYLE[v] for v in VARIANTS}
    sizes = sorted(mib.unique())
    size = (11, 3.9 * len(workers) + 1.0)
    with plots.figure(out_paths, len(workers), 2, squeeze=False, figsize=size) as (fig, axes):
        for (left, right), w in zip(axes, workers):
            rows = data[data["workers"] == w]
            plots.reference_lines(right)
            plots.lines(left, rows, styles, elinewidth=1.1)
            shared = rows[rows["variant"].isin(SHARED)]
            plots.lines(right, shared, styles, "vs_pickle", "vs_pickle_ci_low", "vs_pickle_ci_high", elinewidth=1.1)
            for ax in (left, right):
                ax.set(xscale="log", yscale="log", xlabel=t["x"])
                ax.xaxis.set_major_formatter(ticker.FuncFormatter(_plain))
                if len(sizes) > 1:
                    ax.set_xlim(sizes[0] / 1.6, sizes[-1] * 1.6)
            left.yaxis.set_major_formatter(ticker.FuncFormatter(_plain))
            left.yaxis.set_minor_formatter(ticker.NullFormatter())
            plots.seconds_ticks(right, "×")
            left.set(ylabel=t["time_y"], title=t["time_title"].format(w=w) if w != 1 else t["time_title_1"])
            right.set(ylabel=t["vs_y"], title=t["vs_title"])
        handles = [*plots.series_handles(styles), plots.line(t["as_fast"], **plots.NO_GAIN)]
        title = t["title"].format(cores=cores, s="s" if cores != 1 else "", runs=plots.extent(data["n"]))
        plots.finish(fig, title, handles)


def _join(items: list[str], language: str = "en") -> str:
    sep, last = ("、", "和") if language == "zh" else (", ", " and ")
    return items[0] if len(items) == 1 else sep.join(items[:-1]) + last + items[-1]


def _status(row) -> str:
    """faster / slower / tie for a variant against pickle, from the paired-ratio interval."""
    where = interval_vs_one(row["vs_pickle_ci_low"], row["vs_pickle_ci_high"])
    return {"above": "faster", "below": "slower", "includes": "tie"}[where]


def _ratio_text(row, language: str = "en") -> str:
    t, status = TEXT[language], _status(row)
    interval = t["interval"].format(low=fmt_ratio(row["vs_pickle_ci_low"]), high=fmt_ratio(row["vs_pickle_ci_high"]))
    ratio = row["vs_pickle"] if status != "slower" else 1 / row["vs_pickle"]
    return t[status].format(ratio=fmt_ratio(ratio), interval=interval)


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, out = TEXT[language], []
    for workers, rows in _ordered(summary).groupby("workers", sort=True):
        shm = rows[rows["variant"] == "shared_memory"].sort_values("size_kib")
        status = [_status(r) for _, r in shm.iterrows()]
        sizes = [fmt_size(k) for k in shm["size_kib"]]
        start = tail_start([s == "faster" for s in status])  # None: not faster at the largest size
        procs = t["procs"].format(workers=workers, es="es" if workers != 1 else "")
        if start == 0:
            out.append(t["every"].format(procs=procs, first=sizes[0], last=sizes[-1]))
        elif start is not None:
            below = []
            for key in ("tie", "slower", "faster"):
                hit = [s for s, st in zip(sizes[:start], status[:start]) if st == key]
                if hit:
                    below.append(t["below"][key].format(at=_join(hit, language)))
            small = rows[(rows["size_kib"] == rows["size_kib"].min()) & (rows["variant"] != "serial")]
            out.append(
                t["from"].format(
                    procs=procs,
                    size=sizes[start],
                    below=("；" if language == "zh" else "; ").join(below),
                    start=fmt_seconds(small["pool_start_median"].median()),
                )
            )
        else:
            out.append(t["never"].format(procs=procs, last=sizes[-1]))
        by = rows[rows["size_kib"] == rows["size_kib"].max()].set_index("variant")
        top, pick, raw = by.loc["shared_memory"], by.loc["pickle"], by.loc["value_array"]
        out.append(
            t["largest"].format(
                size=fmt_size(top["size_kib"]),
                procs=procs,
                pickle=fmt_seconds(pick["median"]),
                shm=fmt_seconds(top["median"]),
                copy=fmt_seconds(top["copy_median"]),
                shm_ratio=_ratio_text(top, language),
                raw=fmt_seconds(raw["median"]),
                raw_ratio=_ratio_text(raw, language),
            )
        )
    return out
