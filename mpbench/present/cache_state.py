"""cache_state: summary, table, figure and findings (docs/experiments/cache_state.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import cache
from . import levels
from .levels import few_repeats, mode_medians, versus

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


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    levels.plot(summary, "cache", out_paths, TEXT, language=language)


TEXT = {
    "en": {
        "title": "Cache state: the test file warm in the page cache or evicted before every run (cold)",
        "x": "page-cache state of the test file before each run",
        "no_eviction": "cold not measured: this platform lacks os.posix_fadvise; only the warm page cache (the seed's setting) was measured.",
        "warm_only": "cold not measured: the config's cache_state.states is warm only.",
        "warm": "{head}: warm {medians}.",
        "both": "{head}: {eviction} Time cold / warm: {versus}; cold {cold}, warm {warm}.",
        "unchecked": "Eviction could not be checked here (mincore unavailable).",
        "warm_share": ", before every warm run {share:.0%}",
        "evicted": "eviction verified: before every cold run {share:.0%} of the file's pages were resident (mincore){warm}.",
        "resident": "eviction did NOT happen: before a cold run up to {share:.0%} of the file's pages were still resident (mincore; a file on tmpfs cannot be evicted), so the cold times are not cold{warm}.",
    },
    "zh": {
        "title": "缓存状态：测试文件留在页缓存中（warm），或每次运行前被逐出（cold）",
        "x": "每次运行前测试文件的页缓存状态",
        "no_eviction": "未测 cold：本平台没有 os.posix_fadvise；只测了热页缓存（原文的设置）。",
        "warm_only": "未测 cold：配置的 cache_state.states 只有 warm。",
        "warm": "{head}：warm {medians}。",
        "both": "{head}：{eviction}耗时 cold / warm：{versus}；cold {cold}，warm {warm}。",
        "unchecked": "此处无法检查是否逐出（没有 mincore）。",
        "warm_share": "，每次 warm 运行前为 {share:.0%}",
        "evicted": "已确认逐出：每次 cold 运行前，文件只有 {share:.0%} 的页驻留在内存中（mincore）{warm}。",
        "resident": "逐出没有发生：cold 运行前文件仍有多达 {share:.0%} 的页驻留在内存中（mincore；tmpfs 上的文件无法逐出），所以 cold 的耗时并不是冷缓存的耗时{warm}。",
    },
}


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, data = TEXT[language], levels.ordered(summary, "cache")
    out = []
    if "cold" not in set(data["cache"]):
        out.append(t["no_eviction"] if not cache.EVICTION_SUPPORTED else t["warm_only"])
    for op, rows in data.groupby("operation", sort=False):
        head = levels.head(op, rows, language)
        cold, warm = rows[rows["cache"] == "cold"], rows[rows["cache"] == "warm"]
        if cold.empty:
            out.append(t["warm"].format(head=head, medians=mode_medians(warm, language)))
            continue
        eviction = eviction_verdict(cold["resident_before_max"].max(), warm["resident_before_min"].min(), language)
        out.append(
            t["both"].format(
                head=head,
                eviction=eviction,
                versus=versus(cold, language),
                cold=mode_medians(cold, language),
                warm=mode_medians(warm, language),
            )
            + few_repeats(rows, language)
        )
    return out


def eviction_verdict(cold_max: float, warm_min: float, language: str = "en") -> str:
    """One sentence on the mincore residency before the cold runs (max) and the warm runs (min)."""
    t = TEXT[language]
    if not np.isfinite(cold_max):
        return t["unchecked"]
    warm = t["warm_share"].format(share=warm_min) if np.isfinite(warm_min) else ""
    return t["evicted" if cold_max <= RESIDENT_LIMIT else "resident"].format(share=cold_max, warm=warm)
