"""ceiling: summary, table, figure and findings (docs/experiments/ceiling.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import MIB
from ..experiments.ceiling import VARIANTS
from ..receipt import row_kind
from ..stats import check_consistent_by, describe, point_sentinel_cv
from ..tables import fmt_seconds, markdown_table
from .common import by_variant, few_repeats, flag, for_figure, in_words, paired

#: The point's settings each row repeats.
SETTINGS = "path direction mode workers pool_workers size_bytes start_method chunksize cache fsync scratch_fs".split()


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    check_consistent_by(raw, ["experiment", "loops"])
    out = []
    for loops, cell in raw.groupby("loops", sort=True):
        secs = by_variant(cell)
        for name in [v for v in VARIANTS if v in secs]:
            runs = cell[cell["variant"] == name]
            row = {"loops": int(loops), "variant": name, **runs.iloc[0][SETTINGS], **describe(runs["seconds"], level)}
            moved = loops * row["size_bytes"] / MIB
            row["mib_s"] = moved / row["median"]
            row["mib_s_ci_low"], row["mib_s_ci_high"] = moved / row["ci_high"], moved / row["ci_low"]
            row["resident_before_median"] = float(runs["resident_before"].median())
            # The floor the report sets this cell against: reads or writes (plus a Pool
            # start) at its run length, and the machine's noise while the point ran.
            row["floor_kind"] = row_kind(runs, "ceiling")
            row["sentinel_cv"] = point_sentinel_cv(cell)
            if row["mode"] == "pool":
                row["pool_start_median"] = float(runs["pool_start_seconds"].median())
                row["map_median"] = float(runs["map_seconds"].median())
            ceiling = f"raw_{row['direction']}_{row['mode']}"
            if row["path"] == "python" and ceiling in secs:
                # raw seconds / python seconds = python throughput / raw throughput
                names = "ratio_to_raw ratio_ci_low ratio_ci_high ratio_p ratio_significant"
                row.update(paired(secs[ceiling], secs[name], level, names))
                both = f"raw_read_{row['mode']}"
                if row["direction"] == "write" and both in secs:
                    names = "ratio_to_raw_read_write ratio_rw_ci_low ratio_rw_ci_high"
                    row.update(paired(secs[both] + secs[ceiling], secs[name], level, names))
            out.append(row)
    return pd.DataFrame(out)


def ceiling_seconds_per_op(summary: pd.DataFrame, size_bytes: int) -> dict:
    """Raw seconds per operation in one process, scaled to a file of ``size_bytes``:
    {"read": s, "write": s, "readwrite": read + write} (NaN where not measured)."""
    out = {}
    for direction in ("read", "write"):
        rows = summary[summary["variant"] == f"raw_{direction}_serial"]
        out[direction] = (size_bytes / (float(rows["mib_s"].iloc[-1]) * MIB)) if len(rows) else np.nan
    out["readwrite"] = out["read"] + out["write"]
    return out


def _facts(summary: pd.DataFrame) -> dict:
    """What the table's note and the figure's title say of the run (its first row's settings, and its runs)."""
    f = summary.iloc[0]
    return {
        "loops": int(f["loops"]),
        "mib": f["size_bytes"] / MIB,
        "cache": f["cache"],
        "fsync": str(bool(f["fsync"])).lower(),
        "sm": f["start_method"],
        "n": int(summary["n"].min()),
    }


def _pct(value) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{100 * value:.0f}%"


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    lab = TEXT[language]["table"]
    rows = [
        [
            lab[r.direction],
            lab[r.path].format(fn="readv" if r.direction == "read" else "write"),
            str(int(r.workers)),
            fmt_seconds(r.median),
            f"{r.mib_s:.0f} [{r.mib_s_ci_low:.0f}, {r.mib_s_ci_high:.0f}]",
            f"{_pct(r.ratio_to_raw)} [{_pct(r.ratio_ci_low)}, {_pct(r.ratio_ci_high)}]" if r.path == "python" else "—",
        ]
        for r in summary.itertuples(index=False)
    ]
    return markdown_table(lab["header"], rows) + "\n\n" + lab["note"].format(**_facts(summary)) + "\n"


TEXT = {
    "en": {
        "table": {
            "read": "read",
            "write": "write",
            "raw": "raw os.{fn} (preallocated buffer)",
            "python": "Python (workloads)",
            "header": ["Operation", "Path", "Processes", "Median (s)", "Throughput (MiB/s)", "Python / raw ceiling"],
            "note": "Each cell is the median of {n} runs of {loops} operations on a {mib:.1f} MiB file; throughput = "
            "loops × size / time; Python write = read, decode and write (readwrite_once), ratio against the raw "
            "write. Cache: {cache}; start method: {sm}.",
        },
        "one": "1 process",
        "pool": "Pool: {procs} process{es}\n(one per usable core)",
        "raw": "raw {mib:,.0f} MiB/s",
        "of_raw": "{pct} of raw",
        "read": "read (Python: open().read(), text mode)",
        "write": "write (Python: read + decode + write)",
        "y": "throughput (MiB/s{log})",
        "log": ", log scale",
        "legend": (
            "Python read (median, interval)",
            "Python read & write",
            "raw ceiling, median",
            "raw ceiling, interval",
            "raw read + raw write, one process",
        ),
        "title": "Hardware ceiling: {loops} operations per run on a {mib:.1f} MiB file, cache {cache}, fsync {fsync}, {sm}, {cores} usable cores\nmedians of {n} runs with intervals; labels: Python / raw throughput",
        "what": {"read": ("read-and-decode", "raw read"), "write": ("read-decode-write", "raw write")},
        "below": "significantly below",
        "above": "significantly above",
        "same": "not distinguishable from",
        "stats": "{ratio} of the {raw} ceiling ({mib:,.0f} MiB/s; paired interval {low}–{high}, p = {p}, {sig} it)",
        "serial": "moves {mib:,.0f} MiB/s in one process, {stats}",
        "cores": "one per usable core, ",
        "through": "through a Pool of {workers} processes ({cores}Pool start-up included) it moves {mib:,.0f} MiB/s, {stats}",
        "few": " With {n} repetitions no p can fall below {p:.3g}; raise repeats.",
        "path": "Python's {what} {parts}.{few}",
        "both": "Against a raw read followed by a raw write (the Python write path also reads), one process reaches {ratio} of that ceiling (paired interval {low}–{high}).",
        "warm": "memory-copy bandwidth from the page cache, not the disk",
        "cold": "the disk (the file was evicted before every run)",
        "fsync": {True: "fsync'd", False: "buffered"},
        "input": "The input was {cache} (page-cache residency before the runs: {resident}), so the raw read measures {src}; writes were {writes} on {fs}.",
    },
    "zh": {
        "table": {
            "read": "读",
            "write": "写",
            "raw": "原始 os.{fn}（预分配缓冲）",
            "python": "Python（workloads）",
            "header": ["操作", "方式", "进程数", "中位耗时（秒）", "吞吐（MiB/s）", "Python / 原始上限"],
            "note": "每格为 {n} 次重复的中位数；每次 {loops} 次操作，文件 {mib:.1f} MiB；吞吐 = 次数 × 大小 / 耗时；"
            "Python 写 = 读、解码再写（readwrite_once），比例对原始写。缓存：{cache}；启动方式：{sm}。",
        },
        "one": "1 个进程",
        "pool": "Pool：{procs} 个进程\n（每个可用核一个）",
        "raw": "原始 {mib:,.0f} MiB/s",
        "of_raw": "原始的 {pct}",
        "read": "读（Python：open().read()，文本模式）",
        "write": "写（Python：读 + 解码 + 写）",
        "y": "吞吐（MiB/s{log}）",
        "log": "，对数刻度",
        "legend": (
            "Python 读（中位数、区间）",
            "Python 读&写",
            "原始上限，中位数",
            "原始上限，区间",
            "原始读 + 原始写，1 个进程",
        ),
        "title": "硬件上限：每次运行 {loops} 次操作，文件 {mib:.1f} MiB，缓存 {cache}，fsync {fsync}，{sm}，{cores} 个可用核\n{n} 次运行的中位数及区间；标注：Python / 原始吞吐",
        "what": {"read": ("读取并解码", "原始读"), "write": ("读取、解码再写", "原始写")},
        "below": "显著低于",
        "above": "显著高于",
        "same": "无法区分于",
        "stats": "为{raw}上限（{mib:,.0f} MiB/s）的 {ratio}（配对区间 {low}–{high}，p = {p}，{sig}该上限）",
        "serial": "在单个进程中吞吐 {mib:,.0f} MiB/s，{stats}",
        "cores": "每个可用核一个，",
        "through": "通过 {workers} 个进程的 Pool（{cores}含进程池启动）吞吐 {mib:,.0f} MiB/s，{stats}",
        "few": "只有 {n} 次重复时 p 不可能低于 {p:.3g}，请增加重复次数。",
        "path": "Python 的{what}{parts}。{few}",
        "both": "相对先原始读、再原始写的上限（Python 的写路径也要读），单个进程达到该上限的 {ratio}（配对区间 {low}–{high}）。",
        "warm": "从页缓存拷贝内存的带宽，而不是磁盘",
        "cold": "磁盘（每次运行前文件都被逐出）",
        "fsync": {True: "每个文件 fsync", False: "缓冲写入"},
        "input": "输入为 {cache}（运行前页缓存驻留比例：{resident}），所以原始读测的是{src}；写入方式为{writes}，文件系统 {fs}。",
    },
}


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    from matplotlib.patches import Patch

    plots, language, t = for_figure(language, TEXT)
    by = summary.set_index("variant")
    values = pd.concat([summary["mib_s_ci_low"], summary["mib_s_ci_high"]]).astype(float)
    log = values.max() / max(values.min(), 1e-9) > 10
    procs = int(summary["pool_workers"].iloc[0])
    groups = [("serial", t["one"]), ("pool", t["pool"].format(procs=procs, es="es" * (procs != 1)))]
    colour = {"read": "#d62728", "write": "#9467bd"}
    raw_band = {"color": "0.6", "alpha": 0.25}
    both_line = {"colors": "0.35", "linestyles": ":", "linewidth": 1.6}
    with plots.figure(out_paths, 1, 2, figsize=(9.5, 4.8), sharey=True) as (fig, axes):
        for ax, direction in zip(axes, ("read", "write")):
            for x, (mode, _label) in enumerate(groups):
                raw, py = f"raw_{direction}_{mode}", f"python_{direction}_{mode}"
                if raw in by.index:
                    r = by.loc[raw]
                    band = r["mib_s_ci_low"], r["mib_s_ci_high"]
                    ax.fill_between([x - 0.4, x + 0.4], *band, linewidth=0, zorder=1, **raw_band)
                    ax.hlines(r["mib_s"], x - 0.4, x + 0.4, colors="black", linestyles="--", linewidth=1.6, zorder=3)
                    plots.label(ax, t["raw"].format(mib=r["mib_s"]), (x - 0.38, r["mib_s"]), ha="left", zorder=4)
                    both = f"raw_read_{mode}"
                    # (one process only: for a Pool the sum would count its start-up twice)
                    if direction == "write" and mode == "serial" and both in by.index:
                        comb = 1 / (1 / r["mib_s"] + 1 / by.loc[both, "mib_s"])
                        ax.hlines(comb, x - 0.4, x + 0.4, zorder=3, **both_line)
                if py in by.index:
                    p = by.loc[py]
                    ends = [p["mib_s"]], [p["mib_s_ci_low"]], [p["mib_s_ci_high"]]
                    look = {"color": colour[direction], "markersize": 9, "elinewidth": 1.6, "capsize": 5}
                    plots.interval_bars(ax, [x], *ends, fmt="o", zorder=5, **look)
                    if raw in by.index:
                        pct = t["of_raw"].format(pct=_pct(p["ratio_to_raw"]))
                        look = {"fontweight": "bold", "color": colour[direction], "zorder": 6, "bbox": plots.BOX}
                        plots.label(ax, pct, (x + 0.07, p["mib_s"]), (0, 0), ha="left", va="center", **look)
            ax.set_xticks(range(len(groups)), [g[1] for g in groups])
            ax.set(xlim=(-0.5, 1.5), title=t[direction])
            ax.grid(axis="x", visible=False)
        axes[0].set_ylabel(t["y"].format(log=t["log"] if log else ""))
        if log:
            axes[0].set_yscale("log")
            axes[0].set_ylim(values.min() / 1.5, values.max() * 1.5)
            plots.seconds_ticks(axes[0])
        else:
            axes[0].set_ylim(0, values.max() * 1.12)
        handles = [
            plots.line(t["legend"][0], color=colour["read"], marker="o", linestyle=""),
            plots.line(t["legend"][1], color=colour["write"], marker="o", linestyle=""),
            plots.line(t["legend"][2], color="black", linestyle="--"),
            Patch(label=t["legend"][3], **raw_band),
            plots.line(t["legend"][4], color="0.35", linestyle=":"),
        ]
        plots.finish(fig, t["title"].format(**_facts(summary), cores=cores), handles)


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, by, out = TEXT[language], summary.set_index("variant"), []
    for direction in ("read", "write"):
        parts = []
        for mode in ("serial", "pool"):
            py, raw = f"python_{direction}_{mode}", f"raw_{direction}_{mode}"
            if py not in by.index or raw not in by.index:
                continue
            p, r = by.loc[py], by.loc[raw]
            significant = flag(p["ratio_significant"])
            sig = t["below"] if significant and p["ratio_to_raw"] < 1 else t["above"] if significant else t["same"]
            names = "ratio_to_raw ratio_ci_low ratio_ci_high ratio_p"
            stats = in_words(t["stats"], p, names, language, _pct, raw=t["what"][direction][1], mib=r["mib_s"], sig=sig)
            if mode == "serial":
                parts.append(t["serial"].format(mib=p["mib_s"], stats=stats))
            else:
                cores = t["cores"] if env.get("usable_cores") == p["workers"] else ""
                parts.append(t["through"].format(workers=int(p["workers"]), cores=cores, mib=p["mib_s"], stats=stats))
        if parts:
            few = few_repeats(int(summary["n"].min()), t["few"])
            sep = "；" if language == "zh" else "; "
            out.append(t["path"].format(what=t["what"][direction][0], parts=sep.join(parts), few=few))
    w = by.loc["python_write_serial"] if "python_write_serial" in by.index else {}
    if np.isfinite(w.get("ratio_to_raw_read_write", np.nan)):
        names = "ratio_to_raw_read_write ratio_rw_ci_low ratio_rw_ci_high"
        out.append(in_words(t["both"], w, names, language, _pct))
    if len(summary):
        f = summary.iloc[0]
        out.append(
            t["input"].format(
                cache=f["cache"],
                resident=_pct(summary["resident_before_median"].min()),
                src=t["warm" if f["cache"] == "warm" else "cold"],
                writes=t["fsync"][bool(f["fsync"])],
                fs=f["scratch_fs"],
            )
        )
    return out
