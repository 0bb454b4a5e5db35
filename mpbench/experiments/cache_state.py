"""cache_state (缓存状态): the appendix's file operations with the test file in
the page cache (``warm``, the seed's setting) or evicted from it (``cold``).

Each point is one operation (read, readwrite, ...) done ``loops`` times; its
variants are ``serial`` and ``Pool(workers)``, each warm and cold, under the
top-level conditions (start method, chunksize, fsync).  ``cold`` evicts the
test file before every timed run (fsync + ``posix_fadvise(DONTNEED)``,
untimed) and ``warm`` reads it in if any page is missing; every row records
the residency just before the run (``resident_before``, from mincore), so
the report says whether eviction really happened instead of assuming it.
Only the first reads of a cold run find the cache cold: the pages they bring
in stay, so later reads in the same run are warm again.

Where a platform lacks ``os.posix_fadvise`` only ``warm`` is measured and the
findings say so.

The second half of this module is shared with ``fsync`` and
``scratch_location``: a point is one operation, its variants are the two
modes (serial, Pool) crossed with the levels of one condition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..lazy import numpy as np
from ..lazy import pandas as pd

from .. import cache
from ..fileio import OPERATIONS, Condition, run_conditions
from ..stats import compare_paired, interval_vs_one
from ..tables import fmt_p, fmt_seconds, fmt_ratio, markdown_table
from .common import finish_rows, summarize_variants

STATES = ("warm", "cold")
NO_EVICTION = "cold not measured: this platform lacks os.posix_fadvise"
RESIDENT_LIMIT = 0.05  # a cold run that found more of the file resident was not cold




def states(section: dict) -> list[str]:
    """The configured states this platform can measure (warm first); warm alone where eviction is missing."""
    usable = [s for s in STATES if s in section["states"] and (s != "cold" or cache.EVICTION_SUPPORTED)]
    return usable or ["warm"]


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None,
        data_file: str | None = None, base: dict | None = None) -> list[dict]:
    scratch = scratch_dir or "results/scratch"
    try:
        return run_levels("cache_state", point, section, "cache", states(section),
                          lambda state: {"cache": state, "scratch_dir": scratch},
                          repeats=repeats, warmup=warmup, data_file=data_file, base=base)
    finally:
        if data_file and Path(data_file).exists():
            cache.warm(data_file)  # leave the test file as the other experiments expect it


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    return summarize_levels(raw, level, "cache")


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    def resident(rows: dict) -> str:
        return " / ".join("n/a" if not np.isfinite(r["resident_before_max"]) else
                          f"{r['resident_before_min']:.0%}" if r["resident_before_min"] == r["resident_before_max"] else
                          f"{r['resident_before_min']:.0%}–{r['resident_before_max']:.0%}" for r in rows.values())
    return table_levels(summary, "cache", language, {"zh": "缓存状态", "en": "Cache"}, str,
                        extra=({"zh": "运行前驻留（串行 / 多进程）", "en": "Resident before (serial / Pool)"}, resident))


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    plot_levels(summary, "cache", out_paths, "Cache state: the test file warm in the page cache or evicted "
                "before every run (cold)", "page-cache state of the test file before each run")


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    data = ordered(summary, "cache")
    out = []
    if "cold" not in set(data["cache"]):
        out.append(f"{NO_EVICTION}; only the warm page cache (the seed's setting) was measured."
                   if not cache.EVICTION_SUPPORTED else
                   "cold not measured: the config's cache_state.states is warm only.")
    for op, rows in data.groupby("operation", sort=False):
        head = f"{op} ({context(rows)})"
        cold, warm = rows[rows["cache"] == "cold"], rows[rows["cache"] == "warm"]
        if cold.empty:
            out.append(f"{head}: warm {mode_medians(warm)}.")
            continue
        out.append(f"{head}: {eviction_verdict(cold['resident_before_max'].max(), warm['resident_before_min'].min())} "
                   f"Time cold / warm: {versus(cold)}; cold {mode_medians(cold)}, warm {mode_medians(warm)}."
                   + few_repeats(rows))
    return out


def eviction_verdict(cold_max: float, warm_min: float) -> str:
    """One sentence on the mincore residency before the cold runs (max) and the warm runs (min)."""
    if not np.isfinite(cold_max):
        return "Eviction could not be checked here (mincore unavailable)."
    warm_text = f", before every warm run {warm_min:.0%}" if np.isfinite(warm_min) else ""
    if cold_max <= RESIDENT_LIMIT:
        return (f"eviction verified: before every cold run {cold_max:.0%} of the file's pages were resident (mincore)"
                f"{warm_text}.")
    return (f"eviction did NOT happen: before a cold run up to {cold_max:.0%} of the file's pages were still resident "
            f"(mincore; a file on tmpfs cannot be evicted), so the cold times are not cold{warm_text}.")


# --------------------------------------------------------------------------
# shared with fsync and scratch_location: one operation, modes x levels

MODES = ("serial", "pool")
def run_levels(experiment: str, point: dict, section: dict, factor: str, levels: list,
               fields: Callable[[str], dict], *, repeats: int, warmup: int, data_file: str | None,
               base: dict | None) -> list[dict]:
    """Time ``point["operation"]`` under serial and Pool for every level; ``fields(level)``
    gives the Condition fields the level sets (everything else is ``base``).  Rows get
    ``factor`` (the level) and ``level_index`` (its position, 0 = the reference)."""
    if not data_file:
        raise ValueError(f"{experiment}: needs data_file (the pipeline's test file)")
    base = dict(base or {})  # what it leaves out, Condition's defaults (the seed's setting) fill in
    op, variants, names = point["operation"], {}, {}
    for index, lvl in enumerate(levels):
        for mode in MODES:
            name = f"{mode} {lvl}"
            variants[name] = Condition(**{**base, "mode": mode, "workers": section["workers"], **fields(lvl)})
            names[name] = (str(lvl), index)
    rows = run_conditions(op, section["loops"], variants, src=data_file, repeats=repeats, warmup=warmup,
                          label=f"{experiment} {op}")
    for row in rows:
        row[factor], row["level_index"] = names[row["variant"]]
    varied = set().union(*(fields(lvl) for lvl in levels)) - {"scratch_dir"}
    settings = {**{k: v for k, v in section.items() if k not in ("enabled", "operations")},
                **{k: v for k, v in base.items() if k not in varied}, "data_bytes": Path(data_file).stat().st_size}
    return finish_rows(experiment, point, rows, repeats=repeats, warmup=warmup, settings=settings)


def summarize_levels(raw: pd.DataFrame, level: float, factor: str) -> pd.DataFrame:
    """One row per (operation, level, mode): median, interval, Pool speedup over serial at
    that level, and the time ratio against the reference level (index 0) of the same mode,
    paired by repetition (compare_paired: ratio, interval, p, significant)."""
    data = raw.assign(variant=raw["mode"].astype(str), **{factor: raw[factor].astype(str)})
    summary = summarize_variants(data, ["operation", factor], level, baseline="serial")
    keys = ["operation", factor, "variant"]
    extra = data.groupby(keys).agg(level_index=("level_index", "first"), loops=("loops", "first"),
                                   workers=("workers", "first"), scratch_fs=("scratch_fs", "first"),
                                   resident_before_min=("resident_before", "min"),
                                   resident_before_max=("resident_before", "max")).reset_index()
    cmp = []
    for (op, mode), rows in data.groupby(["operation", "variant"]):
        ref = rows.loc[rows["level_index"].idxmin(), factor]
        ref_times = rows[rows[factor] == ref].set_index("rep")["seconds"]
        for lvl, cell in rows.groupby(factor):
            c = compare_paired(cell.set_index("rep")["seconds"], ref_times, level)
            cmp.append({"operation": op, factor: lvl, "variant": mode, "reference": ref, "ratio_vs_ref": c["ratio"],
                        "ratio_ci_low": c["ratio_ci_low"], "ratio_ci_high": c["ratio_ci_high"],
                        "p_vs_ref": c["p_value"] if lvl != ref else np.nan,
                        "significant_vs_ref": c["significant"] and lvl != ref})
    out = summary.merge(extra, on=keys, validate="one_to_one").merge(pd.DataFrame(cmp), on=keys, validate="one_to_one")
    return ordered(out, factor)


def ordered(summary: pd.DataFrame, factor: str) -> pd.DataFrame:
    """Operations in the pipeline's order, levels by index, serial before Pool (also after a CSV round trip)."""
    rank = {op: i for i, op in enumerate(OPERATIONS)}
    out = summary.assign(**{factor: summary[factor].astype(str), "variant": summary["variant"].astype(str),
                            "_op": summary["operation"].map(lambda o: rank.get(o, len(rank))),
                            "_mode": summary["variant"].map(lambda v: MODES.index(v) if v in MODES else 2)})
    return out.sort_values(["_op", "level_index", "_mode"]).drop(columns=["_op", "_mode"]).reset_index(drop=True)


def _cells(rows: pd.DataFrame) -> dict:
    return {m: r for m in MODES for _, r in rows[rows["variant"] == m].iterrows()}


def ratio_text(r) -> str:
    """'1.12× (1.05–1.20×, p = 0.031, significant)'."""
    sig = "significant" if bool(r["significant_vs_ref"]) else "not significant"
    interval = f"{r['ratio_ci_low']:.2f}–{r['ratio_ci_high']:.2f}×"
    return f"{r['ratio_vs_ref']:.2f}× ({interval}, p = {fmt_p(r['p_vs_ref'])}, {sig})"


def few_repeats(rows: pd.DataFrame) -> str:
    """A note when the repetitions are too few for any paired difference to reach p < 0.05."""
    n = int(rows["n"].min())
    smallest = 2 / 2**n
    return (f" With {n} repetitions no difference can reach p < 0.05 (the smallest possible p is {smallest:.3g}); "
            "rerun with more repeats." if smallest >= 0.05 else "")


def speedup_text(r) -> str:
    where = {"above": "faster than serial", "below": "slower than serial",
             "includes": "not distinguishable from serial"}[interval_vs_one(r["speedup_ci_low"], r["speedup_ci_high"])]
    return f"{r['speedup']:.2f}× serial ({r['speedup_ci_low']:.2f}–{r['speedup_ci_high']:.2f}×, {where})"


def context(rows: pd.DataFrame) -> str:
    return f"{int(rows['loops'].iloc[0])} loops, Pool({int(rows['workers'].iloc[0])})"


def mode_medians(rows: pd.DataFrame) -> str:
    cells = _cells(rows)
    return ", ".join(f"{'Pool' if m == 'pool' else m} {fmt_seconds(r['median'])} s" for m, r in cells.items())


def versus(rows: pd.DataFrame) -> str:
    """The time ratios of one non-reference level, per mode."""
    return "; ".join(f"{'Pool' if m == 'pool' else m} {ratio_text(r)}" for m, r in _cells(rows).items())


TABLE_TEXT = {
    "zh": {"op": "操作", "serial": "串行（秒）", "pool": "多进程（秒）", "speedup": "多进程提升（倍）",
           "vs": "{mode}：耗时 / {ref}（倍，p）",
           "note": "每格为 {n} 次重复的中位数（{loops} 次操作，Pool({workers})）；提升 = 串行 / 多进程；"
                   "耗时比以同一模式下的 {ref} 为基准，按同一次重复配对，p 为配对符号翻转检验。"},
    "en": {"op": "Operation", "serial": "Serial (s)", "pool": "Pool (s)", "speedup": "Pool speedup (×)",
           "vs": "{mode}: time / {ref} (×, p)",
           "note": "Each cell is the median of {n} runs ({loops} operations, Pool({workers})); speedup = serial / "
                   "Pool; time ratios are against {ref} in the same mode, paired by repetition, p from a paired "
                   "sign test."},
}


def table_levels(summary: pd.DataFrame, factor: str, language: str, factor_header: dict,
                 label: Callable[[str], str], extra: tuple | None = None) -> str:
    text = TABLE_TEXT[language]
    data = ordered(summary, factor)
    refs = data.loc[data["level_index"] == data["level_index"].min(), factor]
    ref = label(refs.iloc[0]) if refs.nunique() == 1 else "reference"
    modes = {"serial": "串行" if language == "zh" else "serial", "pool": "多进程" if language == "zh" else "Pool"}
    header = [text["op"], factor_header[language], text["serial"], text["pool"], text["speedup"],
              *(text["vs"].format(mode=modes[m], ref=ref) for m in MODES)]
    header += [extra[0][language]] if extra else []
    rows = []
    for (op, lvl), cell in data.groupby(["operation", factor], sort=False):
        c = _cells(cell)
        vs = [("—" if not np.isfinite(c[m]["p_vs_ref"]) else f"{c[m]['ratio_vs_ref']:.2f} (p = {fmt_p(c[m]['p_vs_ref'])})")
              if m in c else "n/a" for m in MODES]
        rows.append([op, label(lvl), *(fmt_seconds(c[m]["median"]) if m in c else "n/a" for m in MODES),
                     fmt_ratio(c["pool"]["speedup"]) if "pool" in c else "n/a", *vs]
                    + ([extra[1](c)] if extra else []))
    note = text["note"].format(n=int(data["n"].min()), loops=int(data["loops"].iloc[0]),
                               workers=int(data["workers"].iloc[0]), ref=ref)
    return markdown_table(header, rows) + "\n\n" + note + "\n"


COLOURS = {"serial": "#1f77b4", "pool": "#d62728"}
MARKERS = {"serial": "o", "pool": "s"}


def plot_levels(summary: pd.DataFrame, factor: str, out_paths, title: str, xlabel: str,
                label: Callable[[str], str] = str) -> None:
    """Per operation: median time per level, serial and Pool side by side, interval bars,
    and each non-reference level's time ratio against the reference written beside it."""
    from .. import plots  # here, not at the top: the timed jobs import this module
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    data = ordered(summary, factor)
    ops = list(dict.fromkeys(data["operation"]))
    with plots.style():
        width = max(4.6, 1.7 * data.groupby("operation")[factor].nunique().max() + 1.4)
        fig, axes = plt.subplots(1, len(ops), squeeze=False, figsize=(max(5.2, width * len(ops) + 0.4), 4.8),
                                 layout="constrained")
        for ax, op in zip(axes[0], ops):
            sub = data[data["operation"] == op]
            levels = list(dict.fromkeys(sub[factor]))
            for k, mode in enumerate(MODES):
                rows = sub[sub["variant"] == mode]
                x = np.array([levels.index(v) for v in rows[factor]]) + (k - 0.5) * 0.24
                ax.errorbar(x, rows["median"], yerr=[np.clip(rows["median"] - rows["ci_low"], 0, None),
                                                     np.clip(rows["ci_high"] - rows["median"], 0, None)],
                            fmt="-", marker=MARKERS[mode], color=COLOURS[mode], capsize=4, linewidth=1.0,
                            markersize=7, zorder=3)
                for xi, (_, r) in zip(x, rows.iterrows()):
                    if np.isfinite(r["p_vs_ref"]):
                        ax.annotate(f"{r['ratio_vs_ref']:.2f}×{'*' if bool(r['significant_vs_ref']) else ''}",
                                    (xi, r["ci_high"]), xytext=(0, 4), textcoords="offset points", ha="center",
                                    va="bottom", fontsize="small", color=COLOURS[mode])
            ax.set_xticks(range(len(levels)), [label(v) for v in levels])
            ax.set_xlim(-0.6, len(levels) - 0.4)
            ax.set_ylim(0, float(sub["ci_high"].max()) * 1.18)
            ax.set_title(f"{op} ({context(sub)})")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("median wall time per run (s)")
        workers = int(data["workers"].iloc[0])
        handles = [Line2D([], [], color=COLOURS[m], marker=MARKERS[m], label=n) for m, n in
                   (("serial", "serial (a for loop)"), ("pool", f"Pool({workers}) (create, map, close, join)"))]
        cov = data["ci_coverage"].dropna()
        ref = data.loc[data["level_index"].idxmin(), factor]
        note = (f"bars: interval of the median (n = {int(data['n'].min())}, coverage ≥ {cov.min():.0%}); "
                f"labels: time / {ref} in the same mode, * = significant (paired p)")
        fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False, title=note,
                   title_fontsize="small", fontsize="small")
        fig.suptitle(title)
        plots.save(fig, out_paths)
