"""The blog post's published appendix B numbers (``data/post_appendix_b.csv``, as published on 2019-01-16),
side by side with this machine's: ratios are measured / seed, so 0.5 means this machine took half the time."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .tables import TITLES, markdown_table

DATA = Path(__file__).resolve().parent / "data" / "post_appendix_b.csv"
SEED_WORKERS = 4
SEED_SIZE_MB = 40
SEED_LINES = 20000
SEED_DATE = "2019-01-16"
TABLES = ("read", "readwrite")
#: The ratios ours / the post's: measured_<name> / the post's column.
RATIOS = {
    "serial": "seed_serial",
    "pool": "seed_pool",
    "speedup": "seed_speedup_computed",
    "overwrite": "seed_overwrite",
}


def load(path: Path = DATA) -> pd.DataFrame:
    """The post's two tables as one tidy frame (table, loops, serial_s, ...)."""
    return pd.read_csv(path)


def pick_workers(summary: pd.DataFrame) -> int:
    """The measured worker count to compare with the post: 4 when it was run, else the closest."""
    return min((int(w) for w in summary["workers"].unique()), key=lambda w: (abs(w - SEED_WORKERS), w))


def compare(seed: pd.DataFrame, summaries: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per table and loop count of the post: its numbers, ours (NaN where this run did not measure
    that loop count; loop counts only this run has are left out), and the ratios ours / the post's."""
    out = []
    for table in TABLES:
        summary = summaries.get(table)
        measured = summary is not None and not summary.empty
        workers = pick_workers(summary) if measured else np.nan
        ours = summary[summary["workers"] == workers].set_index("loops") if measured else pd.DataFrame()
        for r in seed[seed["table"] == table].itertuples(index=False):
            # The post's 提升 is rounded and missing at 1 loop: seed_speedup_computed recomputes it from its times.
            row = {
                "table": table,
                "loops": int(r.loops),
                "workers_seed": SEED_WORKERS,
                "workers_measured": workers,
                "seed_serial": r.serial_s,
                "seed_pool": r.pool_s,
                "seed_speedup": r.speedup,
                "seed_overwrite": r.overwrite_s,
                "seed_speedup_computed": r.serial_s / r.pool_s,
            }
            m = ours.loc[int(r.loops)] if int(r.loops) in ours.index else pd.Series(dtype=float)
            for ours_col in ("serial_median", "pool_median", "speedup", "speedup_ci_low", "speedup_ci_high"):
                row[f"measured_{ours_col.removesuffix('_median')}"] = float(m.get(ours_col, np.nan))
            row["measured_overwrite"] = float(m.get("overwrite_pool_median", np.nan))
            for name, seed_column in RATIOS.items():
                row[f"{name}_ratio"] = row[f"measured_{name}"] / row[seed_column]
            out.append(row)
    return pd.DataFrame(out)


def _f(value: float, digits: str = ".3g") -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, digits)


#: The side-by-side table's columns: the header in Chinese and in English, the comparison's column and its format.
COLUMNS = [
    ("表", "Table", "table", ""),
    ("循环次数", "Loops", "loops", ""),
    ("原文串行（秒）", "Seed serial (s)", "seed_serial", ".3g"),
    ("本机串行（秒）", "Ours serial (s)", "measured_serial", ".3g"),
    ("本机/原文", "Ours / seed", "serial_ratio", ".2f"),
    ("原文多进程（秒）", "Seed Pool (s)", "seed_pool", ".3g"),
    ("本机多进程（秒）", "Ours Pool (s)", "measured_pool", ".3g"),
    ("本机/原文", "Ours / seed", "pool_ratio", ".2f"),
    ("原文提升（倍）", "Seed speedup (×)", "seed_speedup_computed", ".2f"),
    ("本机提升（倍）", "Our speedup (×)", "measured_speedup", ".2f"),
    ("原文写覆盖（秒）", "Seed overwrite (s)", "seed_overwrite", ".3g"),
    ("本机写覆盖（秒）", "Our overwrite (s)", "measured_overwrite", ".3g"),
]


def table(comparison: pd.DataFrame, language: str = "zh") -> str:
    """The side-by-side table as markdown, with a note on what the ratios mean."""
    named = comparison.assign(table=comparison["table"].map(TITLES[language]))
    rows = [[_f(getattr(r, column), digits) for _, _, column, digits in COLUMNS] for r in named.itertuples(index=False)]
    workers = "/".join(str(w) for w in sorted({int(w) for w in comparison["workers_measured"].dropna()})) or "?"
    note = {
        "zh": f"原文：{SEED_DATE}，Pool(processes={SEED_WORKERS})，{SEED_SIZE_MB}M、{SEED_LINES} 行；本机：Pool(processes="
        f"{workers})，各格为中位数。本机/原文 < 1 表示本机更快。原文提升按其串行/多进程重新计算"
        "（原文只给到一位小数，且 1 次循环一行为空）。",
        "en": f"Seed: {SEED_DATE}, Pool(processes={SEED_WORKERS}), 40 MB, {SEED_LINES} lines; ours: Pool(processes="
        f"{workers}), medians. Ours / seed below 1 means this machine was faster. The "
        "seed's speedup is recomputed from its serial / Pool times (the post rounds it and leaves the 1-loop row empty).",
    }[language]
    return markdown_table([zh if language == "zh" else en for zh, en, _, _ in COLUMNS], rows) + "\n\n" + note + "\n"


def differences(comparison: pd.DataFrame, env: dict) -> list[str]:
    """Plain sentences: where this machine differs from the post's and what that predicts."""
    cores = int(env.get("usable_cores") or 1)
    w = min((int(x) for x in comparison["workers_measured"].dropna()), default=SEED_WORKERS)
    ideal = min(w, cores)
    out = [
        f"The post's machine is not described beyond Pool(processes={SEED_WORKERS}); its read speedup reached "
        f"{comparison.loc[comparison['table'] == 'read', 'seed_speedup_computed'].max():.2f}×, so it had at least "
        f"{SEED_WORKERS} cores. This machine has {cores} usable core{'s' if cores != 1 else ''} "
        f"({env.get('cpu_model', 'unknown CPU')}), so with Pool({w}) no more than {ideal}× is possible here: "
        + ("expect lower speedups than the post's." if ideal < SEED_WORKERS else "the post's speedups are reachable."),
        f"Python here is {env.get('python', '?')} (the post, from January 2019, predates Python 3.8); the test file "
        f"lives on {env.get('filesystems', {}).get('data', 'unknown')}.",
    ]
    for table in TABLES:
        sub = comparison[(comparison["table"] == table)].dropna(subset=["serial_ratio"])
        if sub.empty:
            out.append(f"{TITLES['en'][table]}: not measured at any of the post's loop counts.")
            continue
        serial = float(sub["serial_ratio"].median())
        pool = float(sub["pool_ratio"].median())  # NaN where no loop count has a Pool ratio
        out.append(
            f"{TITLES['en'][table]}: over the {len(sub)} loop counts both measured, this machine's serial runs took "
            f"{serial:.2f}× the post's time (median of the ratios) and its Pool runs {pool:.2f}×"
            + (
                " — one operation is cheaper here, so the fixed Pool start-up weighs more and speedups at small loop "
                "counts should be lower."
                if serial < 1
                else "."
            )
        )
    return out


FIGURE = {
    "en": {
        "titles": {"read": "read", "readwrite": "read & write (overwrite: Pool)"},
        "time": "time per run (s)",
        "legend": (
            "serial",
            "Pool",
            "overwrite (Pool)",
            "the post (2019, Pool(4))",
            "this machine: speedup, with interval",
            "this machine (solid, filled)",
            "ideal here: min(workers, {cores} cores)",
        ),
        "title": "The post's appendix B against this machine: time (top) and speedup (bottom)",
    },
    "zh": {
        "titles": {"read": "读", "readwrite": "读&写（写覆盖：Pool）"},
        "time": "每次运行耗时（秒）",
        "legend": (
            "串行",
            "Pool",
            "写覆盖（Pool）",
            "原文（2019，Pool(4)）",
            "本机：加速比及其区间",
            "本机（实线、实心）",
            "本机理想值：min(进程数, {cores} 个核)",
        ),
        "title": "原文附录 B 对比本机：耗时（上）与加速比（下）",
    },
}


def plot(comparison: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    """Top: time against loops, the post's (open markers, dashed) and ours
    (filled, solid), serial and Pool; bottom: the two speedups, ours with
    its interval, and the ideal min(workers, cores) for this machine."""
    from . import plots

    language = plots.figure_language(language)
    t = {**plots.TEXT[language], **FIGURE[language]}  # loops and speedup: labelled as the appendix's figures
    colors = {"serial": "#4c72b0", "pool": "#dd8452", "overwrite": "#55a868"}
    post_style = {"linestyle": "--", "marker": "o", "markerfacecolor": "white"}  # the post's series: dashed, open
    our_style = {"linestyle": "-", "marker": "o", "linewidth": 1.6}  # this machine's: solid, filled
    with plots.figure(out_paths, 2, 2, figsize=(10, 7.4), sharex=True) as (fig, axes):
        for j, table_name in enumerate(TABLES):
            sub = comparison[comparison["table"] == table_name].sort_values("loops")
            ax = axes[0][j]
            for name in [*colors][: 3 if table_name == "readwrite" else 2]:
                ax.plot(sub["loops"], sub[f"seed_{name}"], color=colors[name], linewidth=1.3, **post_style)
                ours = sub.dropna(subset=[f"measured_{name}"])
                ax.plot(ours["loops"], ours[f"measured_{name}"], color=colors[name], **our_style)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set(title=t["titles"][table_name], ylabel=t["time"] if j == 0 else "")
            plots.seconds_ticks(ax)
            ax = axes[1][j]
            ax.plot(sub["loops"], sub["seed_speedup_computed"], color="0.3", linewidth=1.3, **post_style)
            ours = sub.dropna(subset=["measured_speedup"])
            ends = (ours[f"measured_speedup{end}"] for end in ("", "_ci_low", "_ci_high"))
            plots.interval_bars(ax, ours["loops"], *ends, fmt="", color="#c44e52", marker="o", linewidth=1.6)
            workers = sub["workers_measured"].dropna()
            plots.reference_lines(ax, min(int(workers.iloc[0]), cores) if len(workers) else None, linewidth=1.0)
            ax.set(ylim=(0, None), xlabel=t["loops"], ylabel=t["speedup"] if j == 0 else "")
            plots.fixed_ticks(ax.xaxis, sorted(sub["loops"].unique()))
        handles = [plots.line(label, color=color, marker="o") for color, label in zip(colors.values(), t["legend"])]
        handles += [
            plots.line(t["legend"][3], color="0.3", **post_style),
            plots.line(t["legend"][4], color="#c44e52", marker="o"),
            plots.line(t["legend"][5], color="0.3", linestyle="-"),
            plots.line(t["legend"][6].format(cores=cores), **plots.IDEAL),
        ]
        plots.finish(fig, t["title"], handles, ncol=4)
