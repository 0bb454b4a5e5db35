"""The appendix's markdown tables in the layout of the seed's appendix B, and the formats of every
table's numbers (docs/experiments/appendix.md, docs/outputs.md)."""

from __future__ import annotations

import math

from .lazy import pandas as pd

HEADERS = {
    "zh": {
        "read": ["循环读取次数（次）", "串行执行耗时（秒）", "多进程（秒）", "平均单次耗时（秒）", "提升（倍）"],
        "readwrite": [
            "循环读&写次数（次）",
            "串行执行耗时（秒）",
            "多进程（秒）",
            "平均单次耗时（秒）",
            "提升（倍）",
            "写覆盖耗时（秒）",
        ],
    },
    "en": {
        "read": ["Reads (loops)", "Serial (s)", "Pool (s)", "Time per read (s)", "Speedup (x)"],
        "readwrite": [
            "Reads & writes (loops)",
            "Serial (s)",
            "Pool (s)",
            "Time per read & write (s)",
            "Speedup (x)",
            "Overwrite, Pool (s)",
        ],
    },
}
TITLES = {"zh": {"read": "读", "readwrite": "读&写"}, "en": {"read": "read", "readwrite": "read & write"}}
MARK = "†"
#: A row whose point stopped repeating before its intervals reached the precision target.
SHORT = "‡"
TEXT = {
    "zh": {
        "heading": "{title}：进程数 {workers}（Pool(processes={workers})）",
        "unstable": "{mark} 变异系数（CV）高于 {threshold:.0%}：该格在 {n} 次重复中波动较大，请提高 budget_minutes 或 max_repeats，或在更安静的机器上重测。",
        "median": "每格为 {n} 次重复的中位数（多进程含创建进程池的时间）；区间见 results/summary/{table}.csv。",
        "short": "{mark} 该行在达到 ±{target:.0%} 精度之前停止重复（{reasons}）；原因见报告的 Precision 一节。",
        "conditions": "测量条件：启动方式 {start_method}，chunksize {chunksize}，页缓存 {cache}，写入 {fsync}，写入文件系统 {scratch_fs}。",
        "fsync": {True: "每个文件关闭前 fsync", False: "缓冲（不 fsync）"},
        "cache": {"warm": "热（文件在页缓存中）", "cold": "冷（每次计时前逐出）"},
    },
    "en": {
        "heading": "{title}: {workers} workers (Pool(processes={workers}))",
        "unstable": "{mark} coefficient of variation above {threshold:.0%} across {n} repetitions: an unstable cell; raise budget_minutes or max_repeats, or rerun on a quieter machine.",
        "median": "Each cell is the median of {n} repetitions (Pool times include creating the Pool); intervals are in results/summary/{table}.csv.",
        "short": "{mark} this row stopped repeating before its intervals reached ±{target:.0%} ({reasons}); the report's Precision section says why.",
        "conditions": "Conditions: start method {start_method}, chunksize {chunksize}, page cache {cache}, writes {fsync}, written files on {scratch_fs}.",
        "fsync": {True: "fsync'd before close", False: "buffered (no fsync)"},
        "cache": {"warm": "warm (file in the page cache)", "cold": "cold (evicted before every timed run)"},
    },
}


def fmt_seconds(value: float) -> str:
    """Seconds with four significant digits, no exponent for ordinary timings."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{value:.4g}"
    return text if value >= 1e-4 and "e" not in text else f"{value:.2e}"


def fmt_ratio(value: float) -> str:
    """A ratio (a speedup, a ratio of two times): two decimals, or two significant
    digits below 0.1 (id**2 through a Pool runs at 0.0013x, which is not 0.00)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.2f}" if abs(value) >= 0.1 or value == 0 else f"{value:.2g}"


def fmt_p(p: float) -> str:
    """A p-value: three decimals, two significant digits below 0.001 (0.00049)."""
    if p is None or not math.isfinite(p):
        return "n/a"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.2g}"


def fmt_span(low: float, high: float, fmt=fmt_ratio) -> str:
    """An interval in a table's cell: "1.20 – 1.45"."""
    return f"{fmt(low)} – {fmt(high)}"


def extent(values) -> str:
    """The range of ``values`` as text: "3" where every value is 3, else "2–5"."""
    v = pd.Series(values).dropna().astype(int)
    return f"{v.min()}" if v.min() == v.max() else f"{v.min()}–{v.max()}"


def _cell(text: str, cv: float, threshold: float) -> tuple[str, bool]:
    unstable = cv is not None and not math.isnan(cv) and cv > threshold
    return (f"{text} {MARK}" if unstable else text), unstable


STOPPED_SHORT = ("max_repeats", "time")


def short_reasons(r: dict, table: str) -> list[str]:
    """The stop reasons of a row's points that stopped before they were precise."""
    prefixes = ["", "overwrite_"] if table == "readwrite" else [""]
    reasons = {reason for p in prefixes for reason in str(r.get(f"{p}stop_reason", "")).split("/")}
    return sorted(reasons.intersection(STOPPED_SHORT))


def table_rows(summary: pd.DataFrame, table: str, threshold: float) -> tuple[list[list[str]], bool]:
    """The body rows of one table (one worker count) and whether any cell is marked."""
    timed = ["serial", "pool", "overwrite_pool"] if table == "readwrite" else ["serial", "pool"]
    rows, marked = [], False
    for r in summary.sort_values("loops").to_dict("records"):
        cells = [_cell(fmt_seconds(r[f"{v}_median"]), r[f"{v}_cv"], threshold) for v in timed]
        marked |= any(unstable for _, unstable in cells)
        serial, pool, *overwrite = (text for text, _ in cells)
        loops = f"{r['loops']} {SHORT}" if short_reasons(r, table) else str(r["loops"])
        rows.append([loops, serial, pool, fmt_seconds(r["per_op_seconds"]), fmt_ratio(r["speedup"]), *overwrite])
    return rows, marked


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def conditions_note(summary: pd.DataFrame, language: str = "zh") -> str:
    """One line naming the conditions a table was measured under (from its summary)."""
    text = TEXT[language]

    def one(column: str, word=str) -> str:
        if column not in summary:
            return "?"
        return "/".join(word(v) for v in sorted(summary[column].dropna().astype(str).unique()))

    return text["conditions"].format(
        start_method=one("start_method"),
        chunksize=one("chunksize"),
        cache=one("cache", lambda v: text["cache"].get(v, v)),
        fsync=one("fsync", lambda v: text["fsync"][v.lower() == "true"]),
        scratch_fs=one("scratch_fs"),
    )


def render(
    summary: pd.DataFrame, table: str, language: str = "zh", threshold: float = 0.10, target: float = 0.05
) -> str:
    """The whole markdown file for one appendix table: one section per worker count."""
    if table not in HEADERS[language]:
        raise ValueError(f"unknown table {table!r}")
    text = TEXT[language]
    parts = []
    for workers, sub in summary.groupby("workers", sort=True):
        rows, marked = table_rows(sub, table, threshold)
        n = extent(sub.filter(regex=r"(serial|pool)_n$").stack())  # repetitions: "6" or "6–14"
        parts.append(f"### {text['heading'].format(title=TITLES[language][table], workers=workers)}\n")
        parts.append(markdown_table(HEADERS[language][table], rows) + "\n")
        notes = [text["median"].format(n=n, table=table)]
        if "start_method" in sub:
            notes.append(conditions_note(sub, language))
        if marked:
            notes.append(text["unstable"].format(mark=MARK, threshold=threshold, n=n))
        reasons = sorted({x for r in sub.to_dict("records") for x in short_reasons(r, table)})
        if reasons:
            notes.append(text["short"].format(mark=SHORT, target=target, reasons=", ".join(reasons)))
        parts.append("\n\n".join(notes) + "\n")
    return "\n".join(parts)
