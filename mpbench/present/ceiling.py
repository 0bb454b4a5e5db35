"""ceiling: summary, table, figure and findings (docs/experiments/ceiling.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import MIB
from ..experiments.ceiling import VARIANTS
from ..stats import check_consistent_by, compare_paired, describe
from ..tables import fmt_p, fmt_seconds, markdown_table


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    check_consistent_by(raw, ["experiment", "loops"])
    out = []
    for loops, cell in raw.groupby("loops", sort=True):
        secs = {v: g.set_index("rep")["seconds"] for v, g in cell.groupby("variant")}
        for name in [v for v in VARIANTS if v in secs]:
            runs = cell[cell["variant"] == name]
            first = runs.iloc[0]
            row = {
                "loops": int(loops),
                "variant": name,
                **{
                    k: first[k]
                    for k in (
                        "path",
                        "direction",
                        "mode",
                        "workers",
                        "pool_workers",
                        "size_bytes",
                        "start_method",
                        "chunksize",
                        "cache",
                        "fsync",
                        "scratch_fs",
                    )
                },
                **describe(runs["seconds"].to_numpy(), level),
            }
            moved = loops * row["size_bytes"] / MIB
            row["mib_s"] = moved / row["median"]
            row["mib_s_ci_low"], row["mib_s_ci_high"] = moved / row["ci_high"], moved / row["ci_low"]
            row["resident_before_median"] = float(runs["resident_before"].median())
            if row["mode"] == "pool":
                row["pool_start_median"] = float(runs["pool_start_seconds"].median())
                row["map_median"] = float(runs["map_seconds"].median())
            ceiling = f"raw_{row['direction']}_{row['mode']}"
            if row["path"] == "python" and ceiling in secs:
                # raw seconds / python seconds = python throughput / raw throughput
                c = compare_paired(secs[ceiling], secs[name], level)
                row.update(
                    ratio_to_raw=c["ratio"],
                    ratio_ci_low=c["ratio_ci_low"],
                    ratio_ci_high=c["ratio_ci_high"],
                    ratio_p=c["p_value"],
                    ratio_significant=c["significant"],
                )
                both = f"raw_read_{row['mode']}"
                if row["direction"] == "write" and both in secs:
                    c = compare_paired(secs[both] + secs[ceiling], secs[name], level)
                    row.update(
                        ratio_to_raw_read_write=c["ratio"],
                        ratio_rw_ci_low=c["ratio_ci_low"],
                        ratio_rw_ci_high=c["ratio_ci_high"],
                    )
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


LABELS = {
    "zh": {
        "read": "读",
        "write": "写",
        "raw": "原始 os.{fn}（预分配缓冲）",
        "python": "Python（workloads）",
        "header": ["操作", "方式", "进程数", "中位耗时（秒）", "吞吐（MiB/s）", "Python / 原始上限"],
        "note": "每格为 {n} 次重复的中位数；每次 {loops} 次操作，文件 {mib:.1f} MiB；吞吐 = 次数 × 大小 / 耗时；"
        "Python 写 = 读、解码再写（readwrite_once），比例对原始写。缓存：{cache}；启动方式：{sm}。",
    },
    "en": {
        "read": "read",
        "write": "write",
        "raw": "raw os.{fn} (preallocated buffer)",
        "python": "Python (workloads)",
        "header": ["Operation", "Path", "Processes", "Median (s)", "Throughput (MiB/s)", "Python / raw ceiling"],
        "note": "Each cell is the median of {n} runs of {loops} operations on a {mib:.1f} MiB file; throughput = "
        "loops × size / time; Python write = read, decode and write (readwrite_once), ratio against the raw "
        "write. Cache: {cache}; start method: {sm}.",
    },
}


def _pct(value) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{100 * value:.0f}%"


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    lab, rows = LABELS[language], []
    for r in summary.itertuples(index=False):
        r = r._asdict()
        ratio = (
            f"{_pct(r['ratio_to_raw'])} [{_pct(r['ratio_ci_low'])}, {_pct(r['ratio_ci_high'])}]"
            if r["path"] == "python"
            else "—"
        )
        path = lab[r["path"]].format(fn="readv" if r["direction"] == "read" else "write")
        rows.append(
            [
                lab[r["direction"]],
                path,
                str(int(r["workers"])),
                fmt_seconds(r["median"]),
                f"{r['mib_s']:.0f} [{r['mib_s_ci_low']:.0f}, {r['mib_s_ci_high']:.0f}]",
                ratio,
            ]
        )
    first = summary.iloc[0]
    note = lab["note"].format(
        n=int(summary["n"].min()),
        loops=int(first["loops"]),
        mib=first["size_bytes"] / MIB,
        cache=first["cache"],
        sm=first["start_method"],
    )
    return markdown_table(lab["header"], rows) + "\n\n" + note + "\n"


BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .. import plots  # here: tables and findings need no plotting libraries

    by = summary.set_index("variant")
    values = pd.concat([summary["mib_s_ci_low"], summary["mib_s_ci_high"]]).astype(float)
    log = values.max() / max(values.min(), 1e-9) > 10
    procs = int(summary["pool_workers"].iloc[0])
    groups = [("serial", "1 process"), ("pool", f"Pool: {procs} process{'es' * (procs != 1)}\n(one per usable core)")]
    colour = {"read": "#d62728", "write": "#9467bd"}
    with plots.style():
        fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.8), sharey=True, layout="constrained")
        for ax, direction in zip(axes, ("read", "write")):
            for x, (mode, _label) in enumerate(groups):
                raw, py = f"raw_{direction}_{mode}", f"python_{direction}_{mode}"
                if raw in by.index:
                    r = by.loc[raw]
                    ax.fill_between(
                        [x - 0.4, x + 0.4],
                        r["mib_s_ci_low"],
                        r["mib_s_ci_high"],
                        color="0.6",
                        alpha=0.25,
                        linewidth=0,
                        zorder=1,
                    )
                    ax.hlines(r["mib_s"], x - 0.4, x + 0.4, colors="black", linestyles="--", linewidth=1.6, zorder=3)
                    ax.annotate(
                        f"raw {r['mib_s']:,.0f} MiB/s",
                        (x - 0.38, r["mib_s"]),
                        xytext=(0, 3),
                        textcoords="offset points",
                        ha="left",
                        va="bottom",
                        fontsize="small",
                        zorder=4,
                    )
                    both = f"raw_read_{mode}"
                    # (one process only: for a Pool the sum would count its start-up twice)
                    if direction == "write" and mode == "serial" and both in by.index:
                        comb = 1 / (1 / r["mib_s"] + 1 / by.loc[both, "mib_s"])
                        ax.hlines(comb, x - 0.4, x + 0.4, colors="0.35", linestyles=":", linewidth=1.6, zorder=3)
                if py in by.index:
                    p = by.loc[py]
                    plots.interval_bars(
                        ax,
                        [x],
                        [p["mib_s"]],
                        [p["mib_s_ci_low"]],
                        [p["mib_s_ci_high"]],
                        fmt="o",
                        color=colour[direction],
                        markersize=9,
                        elinewidth=1.6,
                        capsize=5,
                        zorder=5,
                    )
                    if raw in by.index:
                        ax.text(
                            x + 0.07,
                            p["mib_s"],
                            f"{_pct(p['ratio_to_raw'])} of raw",
                            ha="left",
                            va="center",
                            fontsize="small",
                            fontweight="bold",
                            color=colour[direction],
                            zorder=6,
                            bbox=BOX,
                        )
            ax.set_xticks(range(len(groups)), [g[1] for g in groups])
            ax.set_xlim(-0.5, 1.5)
            ax.set_title(
                "read (Python: open().read(), text mode)"
                if direction == "read"
                else "write (Python: read + decode + write)"
            )
            ax.grid(axis="x", visible=False)
        axes[0].set_ylabel("throughput (MiB/s" + (", log scale)" if log else ")"))
        if log:
            axes[0].set_yscale("log")
            axes[0].set_ylim(values.min() / 1.5, values.max() * 1.5)
            plots.seconds_ticks(axes[0])
        else:
            axes[0].set_ylim(0, values.max() * 1.12)
        handles = [
            Line2D([], [], color=colour["read"], marker="o", linestyle="", label="Python read (median, interval)"),
            Line2D([], [], color=colour["write"], marker="o", linestyle="", label="Python read & write"),
            Line2D([], [], color="black", linestyle="--", label="raw ceiling, median"),
            Patch(color="0.6", alpha=0.25, label="raw ceiling, interval"),
            Line2D([], [], color="0.35", linestyle=":", label="raw read + raw write, one process"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        f = summary.iloc[0]
        fig.suptitle(
            f"Hardware ceiling: {int(f['loops'])} operations per run on a {f['size_bytes'] / MIB:.1f} MiB "
            f"file, cache {f['cache']}, fsync {str(bool(f['fsync'])).lower()}, {f['start_method']}, "
            f"{cores} usable cores\n"
            f"medians of {int(summary['n'].min())} runs with intervals; labels: Python / raw throughput",
            fontsize="medium",
        )
        plots.save(fig, out_paths)


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    by = summary.set_index("variant")
    out = []
    what = {"read": ("read-and-decode", "raw read"), "write": ("read-decode-write", "raw write")}
    for direction in ("read", "write"):
        parts = []
        for mode in ("serial", "pool"):
            py, raw = f"python_{direction}_{mode}", f"raw_{direction}_{mode}"
            if py not in by.index or raw not in by.index:
                continue
            p, r = by.loc[py], by.loc[raw]
            significant = str(p["ratio_significant"]) == "True"  # a bool, or its text read back from CSV
            sig = (
                "significantly below"
                if significant and p["ratio_to_raw"] < 1
                else ("significantly above" if significant else "not distinguishable from")
            )
            stats = (
                f"{_pct(p['ratio_to_raw'])} of the {what[direction][1]} ceiling ({r['mib_s']:,.0f} MiB/s; "
                f"paired interval {_pct(p['ratio_ci_low'])}–{_pct(p['ratio_ci_high'])}, "
                f"p = {fmt_p(p['ratio_p'])}, {sig} it)"
            )
            if mode == "serial":
                parts.append(f"moves {p['mib_s']:,.0f} MiB/s in one process, {stats}")
            else:
                cores = "one per usable core, " if env.get("usable_cores") == p["workers"] else ""
                parts.append(
                    f"through a Pool of {int(p['workers'])} processes ({cores}Pool start-up included) it "
                    f"moves {p['mib_s']:,.0f} MiB/s, {stats}"
                )
        if parts:
            n = int(summary["n"].min())
            few = f" With {n} repetitions no p can fall below {2 / 2**n:.3g}; raise repeats." if n < 6 else ""
            out.append(f"Python's {what[direction][0]} " + "; ".join(parts) + "." + few)
    w = by.loc["python_write_serial"] if "python_write_serial" in by.index else {}
    if np.isfinite(w.get("ratio_to_raw_read_write", np.nan)):
        out.append(
            f"Against a raw read followed by a raw write (the Python write path also reads), one process "
            f"reaches {_pct(w['ratio_to_raw_read_write'])} of that ceiling (paired interval "
            f"{_pct(w['ratio_rw_ci_low'])}–{_pct(w['ratio_rw_ci_high'])})."
        )
    if len(summary):
        f = summary.iloc[0]
        resident = summary["resident_before_median"].min()
        src = (
            "memory-copy bandwidth from the page cache, not the disk"
            if f["cache"] == "warm"
            else "the disk (the file was evicted before every run)"
        )
        out.append(
            f"The input was {f['cache']} (page-cache residency before the runs: {_pct(resident)}), so the raw "
            f"read measures {src}; writes were {'fsync' + chr(39) + 'd' if f['fsync'] else 'buffered'} on "
            f"{f['scratch_fs']}."
        )
    return out
