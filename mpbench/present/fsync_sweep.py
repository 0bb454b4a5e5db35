"""fsync_sweep: summary, table, figure and findings (docs/experiments/fsync_sweep.md)."""

from __future__ import annotations

import pandas as pd

from ..experiments.fsync_sweep import FACTOR
from . import levels
from .common import speedup_vs_one
from .levels import few_repeats, mode_label, mode_medians, pool_speedup, speedup_text, versus

TEXT = {
    "en": {
        "title": "fsync: buffered writes (as the seed: left in the page cache) against fsync before every close (on the disk)",
        "x": "how each written file is closed",
        "only": "{head}, {which} writes only: {medians}",
        "and": " and ",
        "slower": 'fsync made the {which} writes significantly slower, so the seed\'s buffered "write" measured '
        "copies into the page cache, not writes to the disk (the kernel wrote them out after the run).",
        "same": "fsync added no significant time here (at this number of repeats), so on this machine the "
        'seed\'s buffered "write" was not distinguishably cheaper than writing to the disk.',
        "text": "{head}: time with fsync / buffered: {versus}. {verdict}",
        "pool": " Under fsync the Pool {where}: {synced}, against {buffered} buffered.",
        "above": "still pays off",
        "below": "is slower than serial",
        "includes": "is not distinguishable from serial",
        "medians": " Medians: fsync {synced}; buffered {buffered}.",
    },
    "zh": {
        "title": "fsync：缓冲写入（同原文：留在页缓存中）与每次 close 前 fsync（写到磁盘）",
        "x": "每个写出文件的关闭方式",
        "only": "{head}，只测了 {which} 写入：{medians}",
        "and": "和",
        "slower": "fsync 让{which}写入显著变慢，可见原文缓冲方式的“写”测的是复制到页缓存，而不是写到磁盘（内核在运行结束后才把它们写出）。",
        "same": "fsync 在这里没有带来显著的额外耗时（在这个重复次数下），所以在本机上原文缓冲方式的“写”并不比写到磁盘明显更便宜。",
        "text": "{head}：fsync / 缓冲的耗时比：{versus}。{verdict}",
        "pool": "在 fsync 下，多进程{where}：{synced}，缓冲时为{buffered}。",
        "above": "仍然划算",
        "below": "慢于串行",
        "includes": "与串行无法区分",
        "medians": "中位数：fsync {synced}；缓冲 {buffered}。",
    },
}


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    return levels.summarize(raw, level, FACTOR)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    return levels.table(summary, FACTOR, language, {"zh": "写入方式", "en": "Writes"})


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    levels.plot(summary, FACTOR, out_paths, TEXT, language=language)


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, out = TEXT[language], []
    for op, rows in levels.ordered(summary, FACTOR).groupby("operation", sort=False):
        synced, buffered = rows[rows[FACTOR] == "fsync"], rows[rows[FACTOR] == "buffered"]
        head = levels.head(op, rows, language)
        if synced.empty or buffered.empty:
            which = "fsync" if buffered.empty else "buffered"
            out.append(
                t["only"].format(head=head, which=which, medians=mode_medians(rows, language))
                + pool_speedup(rows, language=language)
            )
            continue
        slower = synced[synced["significant_vs_ref"].astype(bool) & (synced["ratio_vs_ref"] > 1)]
        if len(slower):
            which = t["and"].join(mode_label(m, language) for m in slower["variant"])
            verdict = t["slower"].format(which=which)
        else:
            verdict = t["same"]
        text = t["text"].format(head=head, versus=versus(synced, language), verdict=verdict)
        pool_b, pool_s = (r[r["variant"] == "pool"] for r in (buffered, synced))
        if not pool_b.empty and not pool_s.empty:
            where = speedup_vs_one(pool_s.iloc[0])
            text += t["pool"].format(
                where=t[where],
                synced=speedup_text(pool_s.iloc[0], language),
                buffered=speedup_text(pool_b.iloc[0], language),
            )
        medians = t["medians"].format(synced=mode_medians(synced, language), buffered=mode_medians(buffered, language))
        out.append(text + medians + few_repeats(rows, language))
    return out
