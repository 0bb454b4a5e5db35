"""cache_state: summary, table, figure and findings (docs/experiments/cache_state.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import cache
from . import levels
from .levels import context, few_repeats, mode_medians, versus

NO_EVICTION = "cold not measured: this platform lacks os.posix_fadvise"
RESIDENT_LIMIT = 0.05  # a cold run that found more of the file resident was not cold


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    return levels.summarize(raw, level, "cache")


def _resident(cells: dict) -> str:
    return " / ".join(
        "n/a"
        if not np.isfinite(r["resident_before_max"])
        else f"{r['resident_before_min']:.0%}"
        if r["resident_before_min"] == r["resident_before_max"]
        else f"{r['resident_before_min']:.0%}–{r['resident_before_max']:.0%}"
        for r in cells.values()
    )


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    return levels.table(
        summary,
        "cache",
        language,
        {"zh": "缓存状态", "en": "Cache"},
        extra=({"zh": "运行前驻留（串行 / 多进程）", "en": "Resident before (serial / Pool)"}, _resident),
    )


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    levels.plot(
        summary,
        "cache",
        out_paths,
        "Cache state: the test file warm in the page cache or evicted before every run (cold)",
        "page-cache state of the test file before each run",
    )


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    data = levels.ordered(summary, "cache")
    out = []
    if "cold" not in set(data["cache"]):
        out.append(
            f"{NO_EVICTION}; only the warm page cache (the seed's setting) was measured."
            if not cache.EVICTION_SUPPORTED
            else "cold not measured: the config's cache_state.states is warm only."
        )
    for op, rows in data.groupby("operation", sort=False):
        head = f"{op} ({context(rows)})"
        cold, warm = rows[rows["cache"] == "cold"], rows[rows["cache"] == "warm"]
        if cold.empty:
            out.append(f"{head}: warm {mode_medians(warm)}.")
            continue
        out.append(
            f"{head}: {eviction_verdict(cold['resident_before_max'].max(), warm['resident_before_min'].min())} "
            f"Time cold / warm: {versus(cold)}; cold {mode_medians(cold)}, warm {mode_medians(warm)}."
            + few_repeats(rows)
        )
    return out


def eviction_verdict(cold_max: float, warm_min: float) -> str:
    """One sentence on the mincore residency before the cold runs (max) and the warm runs (min)."""
    if not np.isfinite(cold_max):
        return "Eviction could not be checked here (mincore unavailable)."
    warm_text = f", before every warm run {warm_min:.0%}" if np.isfinite(warm_min) else ""
    if cold_max <= RESIDENT_LIMIT:
        return (
            f"eviction verified: before every cold run {cold_max:.0%} of the file's pages were resident (mincore)"
            f"{warm_text}."
        )
    return (
        f"eviction did NOT happen: before a cold run up to {cold_max:.0%} of the file's pages were still resident "
        f"(mincore; a file on tmpfs cannot be evicted), so the cold times are not cold{warm_text}."
    )
