"""start_method_sweep: summary, table, figure and findings (docs/experiments/start_method_sweep.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..experiments.start_method_sweep import METHODS
from ..stats import compare_paired, describe
from ..tables import fmt_p, fmt_ratio, fmt_seconds, markdown_table
from .common import ordered, summarize_variants, verdict

COLOURS = {"none": "0.55", "fork": "#1f77b4", "spawn": "#d62728", "forkserver": "#2ca02c"}
ORDER = ["serial", *[f"{p}_{m}" for p in ("pool", "startup") for m in METHODS]]


def reference(methods) -> str:
    """The method the others are compared with: fork (the seed's), else the first listed."""
    methods = [str(m) for m in methods]
    return "fork" if "fork" in methods else methods[0]


def _compare(cells: dict[str, pd.Series], ref: str, level: float) -> dict[str, dict]:
    """Each variant's times against the reference variant's (paired by index)."""
    out = {}
    for variant, series in cells.items():
        if variant in (ref, "serial") or ref not in cells:
            continue
        c = compare_paired(series, cells[ref], level)
        out[variant] = {
            "vs_method": ref.split("_", 1)[1],
            **{k: c[k] for k in ("ratio", "ratio_ci_low", "ratio_ci_high", "p_value", "significant", "pairs")},
        }
    return out


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    from ..receipt import row_kind
    from ..stats import point_sentinel_cv

    raw = raw.assign(variant=raw["variant"].astype(str))
    is_startup = raw["variant"].str.startswith("startup_")
    files, start = raw[~is_startup], raw[is_startup]
    methods = [m for m in METHODS if f"pool_{m}" in set(files["variant"]) or f"startup_{m}" in set(start["variant"])]
    ref = reference(methods) if methods else "fork"
    summary = summarize_variants(files, ["operation"], level, baseline="serial")
    extra = []
    for op, cell in files.groupby("operation", sort=True):
        series = {v: c.set_index("rep")["seconds"] for v, c in cell.groupby("variant")}
        compared = _compare(series, f"pool_{ref}", level)
        for variant, c in cell.groupby("variant"):
            extra.append(
                {
                    "operation": op,
                    "variant": variant,
                    "start_method": str(c["start_method"].iloc[0]),
                    "loops": int(c["loops"].iloc[0]),
                    "workers": int(c["workers"].iloc[0]),
                    "pool_start_median": c.get("pool_start_seconds", pd.Series(dtype=float)).median(),
                    **compared.get(variant, {}),
                }
            )
    summary = summary.merge(pd.DataFrame(extra), on=["operation", "variant"], how="left", validate="one_to_one")
    rows = []
    if not start.empty:
        series = {v: c.set_index(["operation", "rep"])["ready_seconds"] for v, c in start.groupby("variant")}
        compared = _compare(series, f"startup_{ref}", level)
        for variant, c in start.groupby("variant"):
            row = {
                "operation": "startup",
                "variant": variant,
                "start_method": variant.removeprefix("startup_"),
                "workers": int(c["workers"].iloc[0]),
                **describe(c["seconds"].to_numpy(), level),
                # the floor its spread is set against (the calibration's Pool start under its method)
                "floor_kind": row_kind(c, "start_method_sweep"),
                "sentinel_cv": point_sentinel_cv(start),
            }
            for key in ("ready", "pool_start"):
                d = describe(c[f"{key}_seconds"].to_numpy(), level)
                row.update({f"{key}_{k}": d[k] for k in ("median", "ci_low", "ci_high", "ci_coverage", "cv")})
            row["methods_seen"] = ",".join(sorted(set(c["start_method_seen"].astype(str))))
            rows.append({**row, **compared.get(variant, {})})
    return ordered(
        pd.concat([summary, pd.DataFrame(rows)], ignore_index=True), ["operation", "variant"], {"variant": ORDER}
    )


def _ms(seconds: float) -> str:
    """Milliseconds: three significant digits, whole numbers from 100 ms on (1,234)."""
    if seconds is None or not np.isfinite(seconds):
        return "n/a"
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


HEADER = {
    "zh": {
        "startup": [
            "启动方式",
            "Pool() 返回（毫秒）",
            "全部进程就绪（毫秒）",
            "就绪区间（毫秒）",
            "创建→close+join（毫秒）",
            "就绪时间比（倍）",
            "p 值",
        ],
        "files": [
            "操作",
            "方式",
            "耗时（秒）",
            "区间（秒）",
            "提升（串行/多进程）",
            "时间比（倍）",
            "配对区间（倍）",
            "p 值",
        ],
    },
    "en": {
        "startup": [
            "Start method",
            "Pool() returned (ms)",
            "All workers ready (ms)",
            "Ready interval (ms)",
            "Create → close+join (ms)",
            "Ready-time ratio (x)",
            "p",
        ],
        "files": [
            "Operation",
            "Variant",
            "Time (s)",
            "Interval (s)",
            "Speedup (serial/Pool)",
            "Time ratio (x)",
            "Paired interval (x)",
            "p",
        ],
    },
}
NOTE = {
    "zh": "每格为中位数（{n} 次重复）。时间比 = 该方式 / {ref}，区间来自同一次重复的配对比值，p 为配对符号翻转检验；"
    "“全部进程就绪”计时到每个工作进程都执行完 initializer（Pool() 返回时进程尚未就绪）。",
    "en": "Each cell is a median ({n} repetitions). Ratio = this method / {ref}, its interval from the paired ratios "
    'of the same repetition, p from a paired sign test; "all workers ready" is timed until every worker has '
    "run its initializer (Pool() returns before that).",
}


def _compared(r) -> bool:
    """Whether a row was compared with the reference (not serial, not the reference itself)."""
    return isinstance(getattr(r, "vs_method", None), str)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    start = summary[summary["operation"] == "startup"]
    files = summary[summary["operation"] != "startup"]
    parts = []
    if not start.empty:
        parts.append(
            markdown_table(
                HEADER[language]["startup"],
                [
                    [
                        r.start_method,
                        _ms(r.pool_start_median),
                        _ms(r.ready_median),
                        f"{_ms(r.ready_ci_low)} – {_ms(r.ready_ci_high)}",
                        _ms(r.median),
                        *([fmt_ratio(r.ratio), fmt_p(r.p_value)] if _compared(r) else ["—"] * 2),
                    ]
                    for r in start.itertuples()
                ],
            )
        )
    parts.append(
        markdown_table(
            HEADER[language]["files"],
            [
                [
                    f"{r.operation} ×{int(r.loops)}",
                    r.variant,
                    fmt_seconds(r.median),
                    f"{fmt_seconds(r.ci_low)} – {fmt_seconds(r.ci_high)}",
                    fmt_ratio(r.speedup),
                    *(
                        [
                            fmt_ratio(r.ratio),
                            f"{fmt_ratio(r.ratio_ci_low)} – {fmt_ratio(r.ratio_ci_high)}",
                            fmt_p(r.p_value),
                        ]
                        if _compared(r)
                        else ["—"] * 3
                    ),
                ]
                for r in files.itertuples()
            ],
        )
    )
    ref = reference(summary["start_method"][summary["start_method"] != "none"].unique())
    parts.append(NOTE[language].format(n=int(summary["n"].min()), ref=ref))
    return "\n\n".join(parts) + "\n"


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .. import plots  # here: tables and findings need no plotting libraries

    start = summary[summary["operation"] == "startup"]
    files = summary[summary["operation"] != "startup"]
    with plots.style():
        fig, (left, right) = plt.subplots(
            1, 2, figsize=(12.5, 5.2), layout="constrained", gridspec_kw={"width_ratios": [1, 1.4]}
        )
        phases = [
            ("pool_start_", "Pool() returned", "v"),
            ("ready_", "all workers ready", "o"),
            ("", "create → close + join", "s"),
        ]
        fill = {prefix: "full" if prefix == "ready_" else "none" for prefix, _, _ in phases}
        for i, r in enumerate(start.itertuples()):
            for j, (prefix, _label, marker) in enumerate(phases):
                med, lo, hi = (getattr(r, f"{prefix}{k}") * 1000 for k in ("median", "ci_low", "ci_high"))
                plots.interval_bars(
                    left,
                    [i + (j - 1) * 0.22],
                    [med],
                    [lo],
                    [hi],
                    fmt=marker,
                    markersize=7,
                    color=COLOURS.get(r.start_method, "0.3"),
                    fillstyle=fill[prefix],
                )
        left.set_xticks(range(len(start)), list(start["start_method"]))
        left.set_xlim(-0.6, len(start) - 0.4)
        left.set_yscale("log")
        plots.seconds_ticks(left)
        left.set_xlabel("start method")
        left.set_ylabel("Pool start-up (ms, log scale)")
        workers = int(start["workers"].iloc[0]) if len(start) else int(files["workers"].dropna().iloc[0])
        left.set_title(f"start-up of Pool({workers}), nothing mapped")
        left.legend(
            handles=[
                Line2D([], [], color="0.3", marker=m, linestyle="", markersize=7, fillstyle=fill[p], label=lab)
                for p, lab, m in phases
            ],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.13),
            ncol=3,
            frameon=False,
            fontsize="small",
        )

        ops = list(dict.fromkeys(files["operation"]))
        variants = [v for v in ORDER if v in set(files["variant"])]
        width = 0.8 / max(len(variants), 1)
        for k, v in enumerate(variants):
            rows = files[files["variant"] == v].set_index("operation").reindex(ops)
            x = np.arange(len(ops)) + (k - (len(variants) - 1) / 2) * width
            method = "none" if v == "serial" else v.removeprefix("pool_")
            right.bar(
                x,
                rows["median"],
                width * 0.92,
                color=COLOURS.get(method, "0.3"),
                label="serial loop" if v == "serial" else f"Pool, {method}",
            )
            plots.interval_bars(
                right, x, rows["median"], rows["ci_low"], rows["ci_high"], ecolor="black", elinewidth=1.2
            )
        loops = files.groupby("operation")["loops"].first()
        right.set_xticks(range(len(ops)), [f"{op} ×{int(loops[op])}" for op in ops])
        right.grid(axis="x", visible=False)
        right.set_xlabel("file operation × loops")
        right.set_ylabel("median wall time per run (s)")
        right.set_title(f"total time: serial vs Pool({workers}) per start method (create, map, close, join)")
        right.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=len(variants), frameon=False, fontsize="small"
        )
        lo, hi = (int(summary["n"].min()), int(summary["n"].max())) if len(summary) else (0, 0)
        fig.suptitle(
            f"Start methods on {cores} core{'s' if cores != 1 else ''}: points and bars are medians of "
            f"{lo if lo == hi else f'{lo}–{hi}'} runs, whiskers the intervals of the median",
            fontsize="medium",
        )
        plots.save(fig, out_paths)


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    start = summary[summary["operation"] == "startup"]
    files = summary[summary["operation"] != "startup"]
    methods = [str(m) for m in summary["start_method"].dropna().unique() if m != "none"]
    ref = reference(methods) if methods else "fork"
    out = []
    if not start.empty:
        parts = [
            f"{r.start_method} {_ms(r.ready_median)} ms (interval {_ms(r.ready_ci_low)}–{_ms(r.ready_ci_high)}; "
            f"Pool() itself returned after {_ms(r.pool_start_median)} ms)"
            for r in start.itertuples()
        ]
        out.append(
            f"Pool({int(start['workers'].iloc[0])}) start-up, from Pool() until every worker had run its "
            f"initializer (median of {int(start['n'].min())} runs): " + "; ".join(parts) + "."
        )
        out += [
            f"Start-up under {r.start_method} took {verdict(r, f'the time of {ref}')}."
            for r in start.itertuples()
            if _compared(r)
        ]
    for op, rows in files.groupby("operation", sort=False):
        loops = int(rows["loops"].iloc[0])
        serial = rows[rows["variant"] == "serial"]
        parts = [
            f"{r.start_method} {fmt_seconds(r.median)} s (speedup over serial {fmt_ratio(r.speedup)}×)"
            for r in rows.itertuples()
            if r.variant != "serial"
        ]
        text = f"{op} ×{loops}, total time per method: " + "; ".join(parts)
        if len(serial):
            text += f"; serial {fmt_seconds(serial['median'].iloc[0])} s"
        out.append(text + ".")
        out += [
            f"{op} ×{loops}: the Pool under {r.start_method} took {verdict(r, f'the time of {ref}')}."
            for r in rows.itertuples()
            if _compared(r)
        ]
    fs = start[start["start_method"] == "forkserver"]
    if len(fs) and ref != "forkserver":
        ref_ready = start.loc[start["start_method"] == ref, "ready_median"]
        out.append(
            f"Python 3.14 makes forkserver the default start method on Linux (this run: Python "
            f"{env.get('python', '?')}, default {env.get('start_method', '?')}); code that relied on fork's "
            f"default would see a Pool ready after {_ms(fs['ready_median'].iloc[0])} ms instead of "
            f"{_ms(ref_ready.iloc[0]) if len(ref_ready) else 'n/a'} ms "
            f"here, and workers that must import what they use instead of inheriting it."
        )
    return out
