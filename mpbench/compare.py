"""Machines compared: the appendix speedups of the hosts under ``results/hosts/<host>/`` in one table and
figure (docs/machines.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

OPERATIONS = {"read": ("read", ""), "readwrite": ("readwrite", ""), "overwrite": ("readwrite", "overwrite_")}
#: The columns of a host's summary that the comparison keeps (with the operation's prefix there).
COLUMNS = ("serial_median", "pool_median", "speedup", "speedup_ci_low", "speedup_ci_high")
#: How the table and the figure name the operations.
NAMES = {"read": "read", "readwrite": "read & write", "overwrite": "read & overwrite"}


def host_dirs(root: str | Path) -> list[Path]:
    """Every complete host folder under ``root`` (results/hosts), sorted by name."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(
        d
        for d in root.iterdir()
        if all((d / rel).is_file() for rel in ("summary/read.csv", "summary/readwrite.csv", "environment.json"))
    )


def load(dirs: list[str | Path]) -> pd.DataFrame:
    """One row per host, operation, worker count and loop count: medians and speedup."""
    rows, seen = [], {}
    for d in map(Path, dirs):
        env = json.loads((d / "environment.json").read_text())
        host = env.get("host") or d.name
        if host in seen:
            raise ValueError(
                f"{seen[host]} and {d} both hold results of host {host!r}; rerun one of them with "
                "MPBENCH_HOST=<another name> to tell them apart"
            )
        seen[host] = d
        facts = {"host": host, **{key: env.get(key) for key in ("cpu_model", "usable_cores", "python")}}
        for op, (table, prefix) in OPERATIONS.items():
            summary = pd.read_csv(d / "summary" / f"{table}.csv")
            if f"{prefix}speedup" not in summary:
                continue
            for r in summary.to_dict("records"):
                where = {"operation": op, "workers": int(r["workers"]), "loops": int(r["loops"])}
                rows.append({**facts, **where, **{col: r[prefix + col] for col in COLUMNS}})
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise ValueError(
            "no host results to compare: results/hosts/<host>/ needs summary/read.csv, "
            "summary/readwrite.csv and environment.json"
        )
    return frame.sort_values(["operation", "workers", "loops", "host"]).reset_index(drop=True)


def table(frame: pd.DataFrame) -> str:
    """Per operation and worker count: one row per loop count, one speedup column per host."""
    from .tables import markdown_table

    hosts = sorted(frame["host"].unique())
    parts = ["Speedup serial / Pool (median, with its interval) per host; the hosts:", ""]
    for host in hosts:
        h = frame[frame["host"] == host].iloc[0]
        parts.append(f"- **{host}**: {h['cpu_model']}, {h['usable_cores']} usable cores, Python {h['python']}")
    parts.append("")
    for (op, workers), sub in frame.groupby(["operation", "workers"], sort=False):
        ends = zip(sub["speedup"], sub["speedup_ci_low"], sub["speedup_ci_high"])
        sub = sub.assign(cell=[f"{s:.2f} ({low:.2f}–{high:.2f})" for s, low, high in ends])
        grid = sub.pivot(index="loops", columns="host", values="cell").reindex(columns=hosts).fillna("—")
        rows = [[str(loops), *cells] for loops, cells in zip(grid.index, grid.to_numpy())]
        parts += [f"### {NAMES[op]}, Pool({workers})", "", markdown_table(["loops", *hosts], rows), ""]
    return "\n".join(parts)


def plot(frame: pd.DataFrame, out_paths) -> None:
    """Speedup against loops, one line per host, one panel per operation (and worker count)."""
    import seaborn as sns

    from . import plots

    panels = frame.groupby(["operation", "workers"], sort=False)
    hosts = sorted(frame["host"].unique())
    palette = dict(zip(hosts, sns.color_palette("colorblind", len(hosts))))
    size = (4.2 * panels.ngroups + 0.6, 4.4)
    with plots.figure(out_paths, 1, panels.ngroups, figsize=size, sharey=True, squeeze=False) as (fig, axes):
        for ax, ((op, workers), sub) in zip(axes[0], panels):
            for host, h in sub.sort_values("loops").groupby("host"):
                ends = h["speedup"], h["speedup_ci_low"], h["speedup_ci_high"]
                look = {"marker": "o", "color": palette[host], "label": host, "linewidth": 1.5}
                plots.interval_bars(ax, h["loops"], *ends, fmt="", **look)
            plots.reference_lines(ax, linewidth=1.0)
            ax.set_xscale("log", base=2)
            plots.fixed_ticks(ax.xaxis, sorted(sub["loops"].unique()))
            ax.set(title=f"{NAMES[op]}, Pool({workers})", xlabel="loops (file operations per run)")
        axes[0][0].set(ylabel="speedup (serial / Pool, ×)", ylim=(0, None))
        title = "Appendix B speedups per host (dashed: no gain, 1×; bars: interval of the paired ratios)"
        handles = axes[0][0].get_legend_handles_labels()[0]
        plots.finish(fig, title, handles, min(len(hosts), 4), title="host")
