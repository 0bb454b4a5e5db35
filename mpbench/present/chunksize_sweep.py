"""chunksize_sweep: summary, table, figure and findings (docs/experiments/chunksize_sweep.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..experiments.chunksize_sweep import variant_name
from ..tables import fmt_ratio, fmt_seconds
from .common import TIME_COLUMNS, columns_table, flag, for_figure, ratio_columns, summarize_sweep, verdict


def _best(series: dict) -> str | None:
    """The Pool variant of the lowest median."""
    medians = {v: s.median() for v, s in series.items() if v != "serial"}
    return min(medians, key=medians.get) if medians else None


def _reference(series: dict) -> str | None:
    """Pool.map's default rule, else the fastest chunksize."""
    return variant_name("default") if variant_name("default") in series else _best(series)


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    raw = raw.assign(variant=raw["variant"].astype(str), chunksize=raw["chunksize"].astype(str))
    summary = summarize_sweep(
        raw,
        level,
        _reference,
        "vs_chunksize",
        lambda variant, series: {"is_best": variant == _best(series), "is_reference": variant == _reference(series)},
        **{c: (c, "first") for c in ("chunksize", "chunksize_effective", "tasks", "workers", "start_method")},
    )
    order = summary["chunksize_effective"].fillna(-1).astype(float) + (summary["chunksize"] == "default") * 0.5
    return summary.assign(_o=order).sort_values(["operation", "_o"]).drop(columns="_o").reset_index(drop=True)


def _compact(n: float) -> str:
    """Tick label of a chunksize: 2500 -> 2.5k."""
    return f"{n / 1000:g}k" if n >= 1000 else f"{n:g}"


def _label(r, language: str = "en") -> str:
    """ "default (=3)" or "10"."""
    return (
        TEXT[language]["default"].format(n=int(r.chunksize_effective)) if r.chunksize == "default" else str(r.chunksize)
    )


COLUMNS = [
    ("Operation", "操作", lambda r: f"{r.operation} ×{int(r.tasks):,}"),
    (
        "chunksize",
        "chunksize",
        lambda r: "serial" if r.variant == "serial" else _label(r) + (" ★" if flag(r.is_best) else ""),
    ),
    *TIME_COLUMNS,
    *ratio_columns("Ratio to default rule (x)", "相对默认规则（倍）", "vs_chunksize"),
]


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    note = TEXT[language]["note"].format(n=int(summary["n"].min()))
    return columns_table(COLUMNS, summary.itertuples(), language) + "\n\n" + note + "\n"


TEXT = {
    "en": {
        "note": "Each cell is the median of {n} repetitions. Default rule: with chunksize=None Pool.map uses ceil(tasks / "
        "(4 × workers)), its value in brackets. Ratio = this chunksize / the default rule, its interval from the "
        "paired ratios of the same repetition, p from a paired sign test; ★ marks the fastest chunksize.",
        "default": "default (={n})",
        "rule": "default rule (= {n:,})",
        "square": "id**2 over {tasks:,} numbers",
        "loops": "{op} × {tasks} loops",
        "ops": "{op} ×{tasks}",
        "panel": "{what}, Pool({workers})",
        "x": "chunksize Pool.map used (tasks per trip, log scale)",
        "y": "median wall time per run (s, log scale)",
        "legend": (
            "Pool: create, map, close, join",
            "chunksize=None (Pool.map's default rule)",
            "serial loop (band: its interval)",
        ),
        "title": "Time against Pool.map's chunksize on {cores} core{s}: medians of {n} runs, bars the intervals of the median",
        "of_default": "the default rule's time",
        "fastest": "{what} with Pool({workers}): the fastest chunksize was {best} at {seconds} s (interval {low}–{high})",
        "serial": "; the serial loop took {seconds} s, so the best Pool's speedup is {ratio}×",
        "slower": " (every chunksize was slower than serial)",
        "end": ".",
        "itself": "{what}: Pool.map's default rule (chunksize {n} = ceil({tasks} / (4 × {workers}))) was itself the fastest.",
        "inside": "inside",
        "outside": "outside",
        "other": "{what}: the default rule (chunksize {n}) took {seconds} s, {where} the fastest chunksize's interval; the fastest took {verdict}.",
        "same": "; the default rule also resolves to 1 here",
        "one": "{what}: chunksize 1 (one trip per task{same}) took {verdict}.",
    },
    "zh": {
        "note": "每格为 {n} 次重复的中位数。默认规则：chunksize=None 时 Pool.map 取 ceil(任务数 / (4 × 进程数))，括号内为实际值。"
        "比值 = 该 chunksize / 默认规则，区间来自同一次重复的配对比值，p 为配对符号翻转检验；★ 为最快的 chunksize。",
        "default": "默认（={n}）",
        "rule": "默认规则（= {n:,}）",
        "square": "对 {tasks:,} 个数求 id**2",
        "loops": "{op} × {tasks} 次",
        "ops": "{op} ×{tasks}",
        "panel": "{what}，Pool({workers})",
        "x": "Pool.map 实际使用的 chunksize（每次传送的任务数，对数刻度）",
        "y": "每次运行耗时中位数（秒，对数刻度）",
        "legend": ("Pool：创建、map、close、join", "chunksize=None（Pool.map 的默认规则）", "串行循环（色带：其区间）"),
        "title": "耗时随 Pool.map 的 chunksize 变化，{cores} 个核：{n} 次运行的中位数，误差线为中位数的区间",
        "of_default": "默认规则耗时",
        "fastest": "{what}，Pool({workers})：最快的 chunksize 是 {best}，耗时 {seconds} 秒（区间 {low}–{high}）",
        "serial": "；串行循环耗时 {seconds} 秒，所以最好的 Pool 加速比为 {ratio}×",
        "slower": "（每个 chunksize 都慢于串行）",
        "end": "。",
        "itself": "{what}：Pool.map 的默认规则（chunksize {n} = ceil({tasks} / (4 × {workers}))）本身就是最快的。",
        "inside": "在",
        "outside": "不在",
        "other": "{what}：默认规则（chunksize {n}）耗时 {seconds} 秒，{where}最快 chunksize 的区间内；最快的 chunksize 耗时为{verdict}。",
        "same": "；这里默认规则也取 1",
        "one": "{what}：chunksize 1（每个任务单独传送{same}）耗时为{verdict}。",
    },
}


def _what(op: str, tasks: int, language: str, key: str = "ops") -> str:
    t = TEXT[language]
    return t["square"].format(tasks=tasks) if op == "square" else t[key].format(op=op, tasks=tasks)


def plot(summary: pd.DataFrame, cores: int, out_paths, language: str = "en") -> None:
    from matplotlib import ticker

    plots, language, t = for_figure(language, TEXT)
    ops = list(dict.fromkeys(summary["operation"]))
    chosen = {"fmt": "-o", "color": "#1f77b4", "markersize": 5, "zorder": 3}  # a chunksize set by hand
    rule = {"fmt": "*", "color": "#d62728", "markersize": 15, "zorder": 4}  # the default rule's chunksize
    size = (5.6 * len(ops) + 0.6, 5.0)
    with plots.figure(out_paths, 1, len(ops), figsize=size, squeeze=False) as (fig, axes):
        for ax, op in zip(axes[0], ops):
            rows = summary[summary["operation"] == op]
            pool = rows[rows["variant"] != "serial"].sort_values("chunksize_effective")
            serial = rows[rows["variant"] == "serial"]
            for s in serial.head(1).itertuples():
                ax.axhspan(s.ci_low, s.ci_high, color="0.6", alpha=0.2, zorder=1)
                ax.axhline(s.median, color="0.4", linestyle="--", linewidth=1.3, zorder=2)
            for default, style in ((False, chosen), (True, rule)):
                part = pool[(pool["chunksize"] == "default") == default]
                ends = part["median"], part["ci_low"], part["ci_high"]
                plots.interval_bars(ax, part["chunksize_effective"], *ends, linewidth=1.5, **style)
            for r in pool[pool["chunksize"] == "default"].itertuples():
                text = t["rule"].format(n=int(r.chunksize_effective))
                at = (r.chunksize_effective, r.median)
                plots.label(ax, text, at, (0, -14), va="top", color="#d62728", bbox=plots.BOX, zorder=5)
            ax.set_yscale("log")
            ticks = sorted(set(pool["chunksize_effective"].astype(float)))
            plots.log_x(ax, ticks, [_compact(v) for v in ticks], pad=1.6)
            values = pd.concat([pool, serial])[["ci_low", "ci_high"]].to_numpy(float).ravel()
            values = values[np.isfinite(values) & (values > 0)]
            if len(values):
                ax.set_ylim(values.min() / 1.3, values.max() * 1.3)
            plots.seconds_ticks(ax)
            if len(values) and values.max() / values.min() < 10:  # under a decade: more labelled ticks
                ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
            if len(ticks) > 1 and min(np.diff(np.log10(ticks))) < 0.07 * np.log10(max(ticks) / min(ticks)):
                ax.tick_params(axis="x", labelrotation=45)  # close ticks: slanted labels do not collide
            what = _what(op, int(rows["tasks"].iloc[0]), language, "loops")
            workers = int(pool["workers"].iloc[0]) if len(pool) else "?"
            ax.set(title=t["panel"].format(what=what, workers=workers), xlabel=t["x"], ylabel=t["y"])
        handles = [
            plots.line(t["legend"][0], color="#1f77b4", marker="o"),
            plots.line(t["legend"][1], color="#d62728", marker="*", linestyle="", markersize=12),
            plots.line(t["legend"][2], color="0.4", linestyle="--"),
        ]
        n = int(summary["n"].min()) if len(summary) else 0
        plots.finish(fig, t["title"].format(cores=cores, s="s" if cores != 1 else "", n=n), handles, fontsize="small")


def findings(summary: pd.DataFrame, env: dict, language: str = "en") -> list[str]:
    t, out = TEXT[language], []
    for op, rows in summary.groupby("operation", sort=False):
        pool = rows[rows["variant"] != "serial"]
        if pool.empty:
            continue
        best = pool.loc[pool["median"].idxmin()]
        tasks, workers = int(rows["tasks"].iloc[0]), int(pool["workers"].iloc[0])
        what = _what(op, tasks, language)
        text = t["fastest"].format(
            what=what,
            workers=workers,
            best=_label(best, language),
            seconds=fmt_seconds(best["median"]),
            low=fmt_seconds(best["ci_low"]),
            high=fmt_seconds(best["ci_high"]),
        )
        serial = rows[rows["variant"] == "serial"]
        if len(serial):
            text += t["serial"].format(seconds=fmt_seconds(serial.iloc[0]["median"]), ratio=fmt_ratio(best["speedup"]))
            text += t["slower"] if best["speedup"] < 1 else ""
        out.append(text + t["end"])
        default = pool[pool["chunksize"] == "default"]
        if len(default):
            d = default.iloc[0]
            n = int(d["chunksize_effective"])
            if best["variant"] == d["variant"]:
                out.append(t["itself"].format(what=what, n=n, tasks=tasks, workers=workers))
            else:
                inside = best["ci_low"] <= d["median"] <= best["ci_high"]
                out.append(
                    t["other"].format(
                        what=what,
                        n=n,
                        seconds=fmt_seconds(d["median"]),
                        where=t["inside" if inside else "outside"],
                        verdict=verdict(best, t["of_default"], language),
                    )
                )
            one = pool[pool["chunksize"] == "1"]
            if len(one) and isinstance(one.iloc[0].get("vs_chunksize"), str):
                same = t["same"] if n == 1 else ""
                out.append(
                    t["one"].format(what=what, same=same, verdict=verdict(one.iloc[0], t["of_default"], language))
                )
    return out
