"""fsync_sweep: summary, table, figure and findings (docs/experiments/fsync_sweep.md)."""

from __future__ import annotations

import pandas as pd

from ..experiments.fsync_sweep import FACTOR
from ..stats import interval_vs_one
from . import levels
from .levels import context, few_repeats, mode_label, mode_medians, pool_speedup, speedup_text, versus

POOL_VERDICT = {
    "above": "still pays off",
    "below": "is slower than serial",
    "includes": "is not distinguishable from serial",
}


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    return levels.summarize(raw, level, FACTOR)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    return levels.table(summary, FACTOR, language, {"zh": "写入方式", "en": "Writes"})


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    levels.plot(
        summary,
        FACTOR,
        out_paths,
        "fsync: buffered writes (as the seed: left in the page cache) against fsync before every close (on the disk)",
        "how each written file is closed",
    )


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    out = []
    for op, rows in levels.ordered(summary, FACTOR).groupby("operation", sort=False):
        synced, buffered = rows[rows[FACTOR] == "fsync"], rows[rows[FACTOR] == "buffered"]
        head = f"{op} ({context(rows)})"
        if synced.empty or buffered.empty:
            out.append(
                f"{head}, {'fsync' if buffered.empty else 'buffered'} writes only: {mode_medians(rows)}"
                + pool_speedup(rows)
            )
            continue
        slower = synced[synced["significant_vs_ref"].astype(bool) & (synced["ratio_vs_ref"] > 1)]
        if len(slower):
            which = " and ".join(mode_label(m) for m in slower["variant"])
            verdict = (
                f'fsync made the {which} writes significantly slower, so the seed\'s buffered "write" measured '
                "copies into the page cache, not writes to the disk (the kernel wrote them out after the run)."
            )
        else:
            verdict = (
                "fsync added no significant time here (at this number of repeats), so on this machine the "
                'seed\'s buffered "write" was not distinguishably cheaper than writing to the disk.'
            )
        text = f"{head}: time with fsync / buffered: {versus(synced)}. {verdict}"
        pool_b, pool_s = (r[r["variant"] == "pool"] for r in (buffered, synced))
        if not pool_b.empty and not pool_s.empty:
            where = interval_vs_one(pool_s.iloc[0]["speedup_ci_low"], pool_s.iloc[0]["speedup_ci_high"])
            text += (
                f" Under fsync the Pool {POOL_VERDICT[where]}: "
                f"{speedup_text(pool_s.iloc[0])}, against {speedup_text(pool_b.iloc[0])} buffered."
            )
        out.append(
            text + f" Medians: fsync {mode_medians(synced)}; buffered {mode_medians(buffered)}." + few_repeats(rows)
        )
    return out
