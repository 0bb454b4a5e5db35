"""appendix: the summaries, tables and figures of the post's appendix B (docs/experiments/appendix.md)."""

from __future__ import annotations

import pandas as pd

from ..stats import summarize as summarize_table
from ..tables import render as render_table

TABLES = ("read", "readwrite")


def table_of(frame: pd.DataFrame) -> str:
    """Which table raw rows or a summary belong to: read & write has the overwrite beside it."""
    if "experiment" in frame:
        return "readwrite" if (frame["experiment"].astype(str) == "readwrite").any() else "read"
    return "readwrite" if "overwrite_pool_median" in frame else "read"


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    """One row per (loops, workers) (see stats.summarize)."""
    return summarize_table(raw, table_of(raw), level)


def render(summary: pd.DataFrame, language: str = "zh", cv_threshold: float = 0.10, precision: float = 0.05) -> str:
    """The whole table file, its notes included (see tables.render)."""
    return render_table(summary, table_of(summary), language, cv_threshold, precision)


table = render  # table(summary, language): the table file at the default threshold and target


def plot(summaries: dict[str, pd.DataFrame], cores: int, out_paths, figure: str = "time", language: str = "en") -> None:
    """``time`` (with the raw ceiling of one process when the ceiling experiment ran) or ``speedup``."""
    from ..plots import plot_speedup, plot_time

    tables = {name: summaries[name] for name in TABLES if name in summaries}
    if figure == "time":
        ceiling = summaries.get("ceiling")  # its summary, then its seconds per operation
        if ceiling is not None:
            from .ceiling import ceiling_seconds_per_op

            ceiling = ceiling_seconds_per_op(ceiling, int(ceiling["size_bytes"].iloc[0]))
        plot_time(tables, out_paths, ceiling, language)
    elif figure == "speedup":
        plot_speedup(tables, cores, out_paths, language)
    else:
        raise ValueError(f"appendix: unknown figure {figure!r}; allowed: time, speedup")
