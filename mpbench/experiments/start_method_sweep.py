"""start_method_sweep (启动方式 fork / spawn / forkserver): what a Pool's start method costs.

Each point is one file operation (read, readwrite, overwrite) done ``loops``
times, timed in one job as

- ``serial``: the seed's plain for loop (no Pool, start_method "none");
- ``pool_<method>``: ``Pool(workers).map`` created, mapped, closed and joined
  under ``multiprocessing.get_context(method)``, every other condition held
  at the appendix tables' (the top-level config's);

with the order balanced over the repetitions (fileio.run_conditions), so the
methods of one repetition are paired.  The same job then times the Pool's
start-up under each method (``startup_<method>``, poolstart.time_startup):
``Pool()`` returns before its workers run, so "ready" is timed until every
worker has run its initializer, and ``seconds`` is create to close + join
with nothing mapped.  Every worker reports its start method; a worker
started by another method than asked is an error.  Under the pipeline the
bench script preloads this module into the forkserver; the server itself
starts once per job, in the warm-up repetition.  A spawn or forkserver child
also re-runs the driver's main script as ``__mp_main__``: in the pipeline
that is scripts/bench_experiment.py (Snakemake's preamble points
``__file__`` at it), which is guarded and imports only sys at the top, like
the seed's script; a driver with heavy top-level imports would add them to
every child's start-up.
"""

from __future__ import annotations

import multiprocessing
from functools import partial

from ..lazy import numpy as np
from ..lazy import pandas as pd

from .. import fileio, poolstart, timing
from ..config import ConfigError
from ..stats import compare_paired, describe
from ..tables import fmt_p, fmt_seconds, fmt_ratio, markdown_table
from . import spec
from .common import finish_rows, summarize_variants

NAME = __name__.rsplit(".", 1)[-1]  # the config section and the raw rows' experiment
METHODS = fileio.START_METHODS
STARTUP_TIMEOUT = 120.0  # seconds for all workers to be ready before the run is an error
COLOURS = {"none": "0.55", "fork": "#1f77b4", "spawn": "#d62728", "forkserver": "#2ca02c"}




def check_config(section: dict, cfg: dict, workdir=None) -> None:
    available = multiprocessing.get_all_start_methods()
    missing = [m for m in section["methods"] if m not in available]
    if missing:
        raise ConfigError(f"config: {NAME}.methods = {section['methods']!r} is not allowed; allowed here: "
                          f"a list of {', '.join(available)} (this platform lacks {', '.join(missing)})")


def reference(methods) -> str:
    """The method the others are compared with: fork (the seed's), else the first listed."""
    methods = [str(m) for m in methods]
    return "fork" if "fork" in methods else methods[0]


# --------------------------------------------------------------------------
# measuring


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str, data_file: str,
        base: dict) -> list[dict]:
    op, loops, workers, methods = point["operation"], section["loops"], section["workers"], section["methods"]
    held = {**base, "workers": workers, "scratch_dir": scratch_dir}
    variants = {"serial": fileio.Condition(**{**held, "mode": "serial"})}
    for m in methods:
        variants[f"pool_{m}"] = fileio.Condition(**{**held, "mode": "pool", "start_method": m})
    label = f"{NAME} {op} loops={loops}"
    rows = fileio.run_conditions(op, loops, variants, src=data_file, repeats=repeats, warmup=warmup, label=label)
    rows += startup_rows(methods, workers, repeats=repeats, warmup=warmup, label=label)
    for row in rows:
        if row["mode"] == "serial":
            row["start_method"] = "none"  # no Pool, no start method
    settings = {k: v for k, v in section.items() if k not in spec(NAME).sweep and k != "enabled"}
    return finish_rows(NAME, point, rows, repeats=repeats, warmup=warmup, settings={**settings, **base})


def startup_rows(methods, workers: int, *, repeats: int, warmup: int, label: str = "") -> list[dict]:
    """Pool start-up per method (poolstart.time_startup), order balanced over the repetitions."""

    def startup(method: str):
        times, seen = poolstart.time_startup(multiprocessing.get_context(method), workers, STARTUP_TIMEOUT)
        return {**times, "start_method_seen": ",".join(sorted({str(s) for _, s in seen})),
                "worker_pids": len({pid for pid, _ in seen})}, seen

    def check(variant: str, seen) -> None:
        method = variant.removeprefix("startup_")
        methods_seen = sorted({str(s) for _, s in seen})
        pids = {pid for pid, _ in seen}
        if methods_seen != [method] or len(pids) != workers:
            raise RuntimeError(f"{label} {variant}: {len(pids)} workers reported start methods {methods_seen}, "
                               f"expected {workers} workers started by {method}")

    calls = {f"startup_{m}": partial(startup, m) for m in methods}
    rows = timing.repeat_variants(calls, repeats, warmup, check, label=f"{label} start-up")
    # Held to the floor of a Pool start (and the CPU loop's for what a slower method adds).
    return [{"mode": "startup", "workers": workers, "start_method": row["variant"].removeprefix("startup_"),
             "floor_kind": "pool_" + row["variant"].removeprefix("startup_"), **row} for row in rows]


# --------------------------------------------------------------------------
# summary


def _compare(cells: dict[str, pd.Series], ref: str, level: float) -> dict[str, dict]:
    """Each variant's times against the reference variant's (paired by index)."""
    out = {}
    for variant, series in cells.items():
        if variant in (ref, "serial") or ref not in cells:
            continue
        c = compare_paired(series, cells[ref], level)
        out[variant] = {"vs_method": ref.split("_", 1)[1], "ratio": c["ratio"], "ratio_ci_low": c["ratio_ci_low"],
                        "ratio_ci_high": c["ratio_ci_high"], "p_value": c["p_value"], "significant": c["significant"],
                        "pairs": c["pairs"]}
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
            extra.append({"operation": op, "variant": variant, "start_method": str(c["start_method"].iloc[0]),
                          "loops": int(c["loops"].iloc[0]), "workers": int(c["workers"].iloc[0]),
                          "pool_start_median": c.get("pool_start_seconds", pd.Series(dtype=float)).median(),
                          **compared.get(variant, {})})
    summary = summary.merge(pd.DataFrame(extra), on=["operation", "variant"], how="left", validate="one_to_one")
    rows = []
    if not start.empty:
        series = {v: c.set_index(["operation", "rep"])["ready_seconds"] for v, c in start.groupby("variant")}
        compared = _compare(series, f"startup_{ref}", level)
        for variant, c in start.groupby("variant"):
            row = {"operation": "startup", "variant": variant, "start_method": variant.removeprefix("startup_"),
                   "workers": int(c["workers"].iloc[0]), **describe(c["seconds"].to_numpy(), level),
                   # the floor its spread is set against (the calibration's Pool start under its method)
                   "floor_kind": row_kind(c, "start_method_sweep"), "sentinel_cv": point_sentinel_cv(start)}
            for key in ("ready", "pool_start"):
                d = describe(c[f"{key}_seconds"].to_numpy(), level)
                row.update({f"{key}_{k}": d[k] for k in ("median", "ci_low", "ci_high", "ci_coverage", "cv")})
            row["methods_seen"] = ",".join(sorted(set(c["start_method_seen"].astype(str))))
            rows.append({**row, **compared.get(variant, {})})
    out = pd.concat([summary, pd.DataFrame(rows)], ignore_index=True)
    order = {v: i for i, v in enumerate(["serial"] + [f"{p}_{m}" for p in ("pool", "startup") for m in METHODS])}
    out["_order"] = out["variant"].map(order)
    return out.sort_values(["operation", "_order"]).drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------
# table


def _ms(seconds: float) -> str:
    """Milliseconds: three significant digits, whole numbers from 100 ms on (1,234)."""
    if seconds is None or not np.isfinite(seconds):
        return "n/a"
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


def _x(value: float) -> str:
    """A ratio: two decimals, or two significant digits below 0.1."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return fmt_ratio(value) if value >= 0.1 else f"{value:.2g}"


def _p(p: float) -> str:
    return fmt_p(p)


def _interval(low, high, fmt) -> str:
    return f"{fmt(low)} – {fmt(high)}"


HEADER = {
    "zh": {"startup": ["启动方式", "Pool() 返回（毫秒）", "全部进程就绪（毫秒）", "就绪区间（毫秒）", "创建→close+join（毫秒）",
                       "就绪时间比（倍）", "p 值"],
           "files": ["操作", "方式", "耗时（秒）", "区间（秒）", "提升（串行/多进程）", "时间比（倍）", "配对区间（倍）", "p 值"]},
    "en": {"startup": ["Start method", "Pool() returned (ms)", "All workers ready (ms)", "Ready interval (ms)",
                       "Create → close+join (ms)", "Ready-time ratio (x)", "p"],
           "files": ["Operation", "Variant", "Time (s)", "Interval (s)", "Speedup (serial/Pool)", "Time ratio (x)",
                     "Paired interval (x)", "p"]},
}
NOTE = {
    "zh": "每格为中位数（{n} 次重复）。时间比 = 该方式 / {ref}，区间来自同一次重复的配对比值，p 为配对符号翻转检验；"
          "“全部进程就绪”计时到每个工作进程都执行完 initializer（Pool() 返回时进程尚未就绪）。",
    "en": "Each cell is a median ({n} repetitions). Ratio = this method / {ref}, its interval from the paired ratios of "
          "the same repetition, p from a paired sign test; \"all workers ready\" is timed until every worker has "
          "run its initializer (Pool() returns before that).",
}


def _vs(r, column: str, fmt) -> str:
    """A comparison cell; a dash on the rows not compared (serial, the reference)."""
    return fmt(getattr(r, column)) if isinstance(getattr(r, "vs_method", None), str) else "—"


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    start = summary[summary["operation"] == "startup"]
    files = summary[summary["operation"] != "startup"]
    parts = []
    if not start.empty:
        parts.append(markdown_table(HEADER[language]["startup"], [
            [r.start_method, _ms(r.pool_start_median), _ms(r.ready_median), _interval(r.ready_ci_low, r.ready_ci_high, _ms),
             _ms(r.median), _vs(r, "ratio", _x), _vs(r, "p_value", _p)]
            for r in start.itertuples()]))
    parts.append(markdown_table(HEADER[language]["files"], [
        [f"{r.operation} ×{int(r.loops)}", r.variant, fmt_seconds(r.median), _interval(r.ci_low, r.ci_high, fmt_seconds),
         _x(r.speedup), _vs(r, "ratio", _x),
         _vs(r, "ratio_ci_low", _x) + ("" if not isinstance(getattr(r, "vs_method", None), str) else f" – {_x(r.ratio_ci_high)}"),
         _vs(r, "p_value", _p)] for r in files.itertuples()]))
    ref = reference(summary["start_method"][summary["start_method"] != "none"].unique())
    parts.append(NOTE[language].format(n=int(summary["n"].min()), ref=ref))
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# figure


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    from .. import plots  # here, not at the top: the timed jobs import this module
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    start = summary[summary["operation"] == "startup"]
    files = summary[summary["operation"] != "startup"]
    with plots.style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(12.5, 5.2), layout="constrained",
                                          gridspec_kw={"width_ratios": [1, 1.4]})
        phases = [("pool_start", "Pool() returned", "v"), ("ready", "all workers ready", "o"),
                  ("", "create → close + join", "s")]
        for i, r in enumerate(start.itertuples()):
            for j, (key, _label, marker) in enumerate(phases):
                prefix = f"{key}_" if key else ""
                med, lo, hi = (getattr(r, f"{prefix}{k}") * 1000 for k in ("median", "ci_low", "ci_high"))
                left.errorbar(i + (j - 1) * 0.22, med, yerr=[[max(med - lo, 0)], [max(hi - med, 0)]], fmt=marker,
                              color=COLOURS.get(r.start_method, "0.3"), markersize=7, capsize=3,
                              fillstyle="full" if key == "ready" else "none")
        left.set_xticks(range(len(start)), list(start["start_method"]))
        left.set_xlim(-0.6, len(start) - 0.4)
        left.set_yscale("log")
        plots.seconds_ticks(left)
        left.set_xlabel("start method")
        left.set_ylabel("Pool start-up (ms, log scale)")
        workers = int(start["workers"].iloc[0]) if len(start) else int(files["workers"].dropna().iloc[0])
        left.set_title(f"start-up of Pool({workers}), nothing mapped")
        left.legend(handles=[Line2D([], [], color="0.3", marker=m, linestyle="", markersize=7,
                                    fillstyle="full" if k == "ready" else "none", label=lab) for k, lab, m in phases],
                    loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, frameon=False, fontsize="small")

        ops = list(dict.fromkeys(files["operation"]))
        variants = [v for v in ["serial", *[f"pool_{m}" for m in METHODS]] if v in set(files["variant"])]
        width = 0.8 / max(len(variants), 1)
        for k, v in enumerate(variants):
            rows = files[files["variant"] == v].set_index("operation").reindex(ops)
            x = np.arange(len(ops)) + (k - (len(variants) - 1) / 2) * width
            method = "none" if v == "serial" else v.removeprefix("pool_")
            right.bar(x, rows["median"], width * 0.92, color=COLOURS.get(method, "0.3"),
                      label="serial loop" if v == "serial" else f"Pool, {method}",
                      yerr=[np.clip(rows["median"] - rows["ci_low"], 0, None), np.clip(rows["ci_high"] - rows["median"], 0, None)],
                      capsize=3, error_kw={"elinewidth": 1.2})
        loops = files.groupby("operation")["loops"].first()
        right.set_xticks(range(len(ops)), [f"{op} ×{int(loops[op])}" for op in ops])
        right.grid(axis="x", visible=False)
        right.set_xlabel("file operation × loops")
        right.set_ylabel("median wall time per run (s)")
        right.set_title(f"total time: serial vs Pool({workers}) per start method (create, map, close, join)")
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=len(variants), frameon=False, fontsize="small")
        lo, hi = (int(summary["n"].min()), int(summary["n"].max())) if len(summary) else (0, 0)
        fig.suptitle(f"Start methods on {cores} core{'s' if cores != 1 else ''}: points and bars are medians of "
                     f"{lo if lo == hi else f'{lo}–{hi}'} runs, whiskers the intervals of the median",
                     fontsize="medium")
        plots.save(fig, out_paths)


# --------------------------------------------------------------------------
# findings


def verdict(r, of: str) -> str:
    """"1.72× the time of fork (paired interval 1.46–2.35×, p = 0.250, not significant)" from a compared row."""
    text = (f"{_x(r.ratio)}× {of} (paired interval {_x(r.ratio_ci_low)}–{_x(r.ratio_ci_high)}×, p = {_p(r.p_value)}, "
            + ("significant" if r.significant in (True, "True") else "not significant"))
    if r.significant not in (True, "True") and np.isfinite(r.pairs) and r.p_value <= 2 / 2 ** r.pairs + 1e-9:
        text += f"; {int(r.pairs)} pairs cannot give a smaller p, raise repeats"
    return text + ")"


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    start = summary[summary["operation"] == "startup"]
    files = summary[summary["operation"] != "startup"]
    methods = [str(m) for m in summary["start_method"].dropna().unique() if m != "none"]
    ref = reference(methods) if methods else "fork"
    out = []
    if not start.empty:
        w = int(start["workers"].iloc[0])
        parts = [f"{r.start_method} {_ms(r.ready_median)} ms (interval {_ms(r.ready_ci_low)}–{_ms(r.ready_ci_high)}; "
                 f"Pool() itself returned after {_ms(r.pool_start_median)} ms)" for r in start.itertuples()]
        out.append(f"Pool({w}) start-up, from Pool() until every worker had run its initializer (median of "
                   f"{int(start['n'].min())} runs): " + "; ".join(parts) + ".")
        for r in start.itertuples():
            if isinstance(getattr(r, "vs_method", None), str):
                out.append(f"Start-up under {r.start_method} took {verdict(r, f'the time of {ref}')}.")
    for op, rows in files.groupby("operation", sort=False):
        loops = int(rows["loops"].iloc[0])
        serial = rows[rows["variant"] == "serial"]
        parts = [f"{r.start_method} {fmt_seconds(r.median)} s (speedup over serial {_x(r.speedup)}×)"
                 for r in rows.itertuples() if r.variant != "serial"]
        text = f"{op} ×{loops}, total time per method: " + "; ".join(parts)
        if len(serial):
            text += f"; serial {fmt_seconds(serial['median'].iloc[0])} s"
        out.append(text + ".")
        for r in rows.itertuples():
            if isinstance(getattr(r, "vs_method", None), str):
                out.append(f"{op} ×{loops}: the Pool under {r.start_method} took {verdict(r, f'the time of {ref}')}.")
    fs = start[start["start_method"] == "forkserver"]
    if len(fs) and ref != "forkserver":
        out.append(f"Python 3.14 makes forkserver the default start method on Linux (this run: Python "
                   f"{env.get('python', '?')}, default {env.get('start_method', '?')}); code that relied on fork's "
                   f"default would see a Pool ready after {_ms(fs['ready_median'].iloc[0])} ms instead of "
                   f"{_ms(start.loc[start['start_method'] == ref, 'ready_median'].iloc[0]) if ref in set(start['start_method']) else 'n/a'} ms "
                   f"here, and workers that must import what they use instead of inheriting it.")
    return out
