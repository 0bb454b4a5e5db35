"""scratch_location: summary, table, figure and findings (docs/experiments/scratch_location.md)."""

from __future__ import annotations

import pandas as pd

from ..experiments.scratch_location import FACTOR
from . import levels
from .levels import few_repeats, mode_medians, pool_speedup, versus


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    return levels.summarize(raw, level, FACTOR)


def wrap_path(path: str, width: int = 16) -> str:
    """A long path over several lines, broken after a "/" (tick labels of the figure)."""
    lines = [""]
    for part in path.replace("/", "/\0").split("\0"):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(lines)


def _labeller(summary: pd.DataFrame, wrap: bool = False):
    fs = dict(zip(summary[FACTOR].astype(str), summary["scratch_fs"].astype(str)))
    return lambda d: f"{wrap_path(d)}\n({fs.get(d, 'unknown')})" if wrap else f"{d} ({fs.get(d, 'unknown')})"


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    return levels.table(
        summary, FACTOR, language, {"zh": "写入目录（文件系统）", "en": "Written to (file system)"}, _labeller(summary)
    )


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    levels.plot(summary, FACTOR, out_paths, TEXT, _labeller(summary, wrap=True), language)


TEXT = {
    "en": {
        "title": "Scratch location: the written files in each directory (file system)",
        "x": "directory of the written files (file system)",
        "first": "{head}: files in {where}: {medians}",
        "other": " In {where}: {medians}; time relative to {ref}: ",
    },
    "zh": {
        "title": "写入位置：写出的文件放在各个目录（文件系统）中",
        "x": "写出文件所在的目录（文件系统）",
        "first": "{head}：文件写在 {where}：{medians}",
        "other": "写在 {where}：{medians}；相对 {ref} 的耗时比：",
    },
}


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, data = TEXT[language], levels.ordered(summary, FACTOR)
    label = _labeller(data)
    out = []
    for op, rows in data.groupby("operation", sort=False):
        (ref, first), *others = [(d, rows[rows[FACTOR] == d]) for d in dict.fromkeys(rows[FACTOR])]
        text = t["first"].format(
            head=levels.head(op, rows, language), where=label(ref), medians=mode_medians(first, language)
        ) + pool_speedup(first, ", ", language)
        for d, cell in others:
            text += t["other"].format(where=label(d), medians=mode_medians(cell, language), ref=ref)
            text += versus(cell, language) + pool_speedup(cell, language=language)
        out.append(text + few_repeats(rows, language))
    return out
