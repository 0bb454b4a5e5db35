"""What every experiment shares: running variants of a point, summarising them."""

from __future__ import annotations

import sys
from typing import Any, Callable, Mapping

from ..lazy import numpy as np
from ..lazy import pandas as pd

from .. import timing
from ..environment import hostname, scheduler_facts
from ..precision import setting
from ..runner import config_hash
from ..stats import describe


def run_variants(
    experiment: str,
    point: dict,
    variants: Mapping[str, Callable[[], tuple[dict, Any]]],
    check: Callable[[str, Any], None],
    *,
    repeats: "int | Policy",
    warmup: int,
    settings: dict,
    after_run: Callable[[], None] | None = None,
    floor_kinds: Mapping[str, str] | None = None,
) -> list[dict]:
    """Time every variant of one point (see timing.repeat_variants) into tidy rows.

    Each row carries the point's parameters, the host, the Python version and
    a hash of ``settings`` (everything else that defines the measurement), so
    rows measured under another configuration are recognised later.
    ``floor_kinds``: the machine's floor each variant's runs are compared with
    (mpbench.calibrate.floor_kind; e.g. ``cpu_loop+pool`` for a variant that
    starts a Pool), recorded as ``floor_kind``.
    """
    label = f"{experiment} " + " ".join(f"{k}={v}" for k, v in point.items())
    rows = timing.repeat_variants(variants, repeats, warmup, check, after_run=after_run, label=label)
    for row in rows:
        kind = (floor_kinds or {}).get(row["variant"])
        if kind is not None:
            row.setdefault("floor_kind", kind)
    return finish_rows(experiment, point, rows, repeats=repeats, warmup=warmup, settings=settings)


def finish_rows(experiment: str, point: dict, rows: list[dict], *, repeats: "int | Policy", warmup: int, settings: dict) -> list[dict]:
    """Add what every raw row carries: the experiment, the point's parameters,
    host, Python version and the hash of ``settings`` (see run_variants)."""
    base = {
        "experiment": experiment,
        **point,
        "host": hostname(),
        **scheduler_facts(),
        "python": sys.version.split()[0],
        "precision": None,
        "max_repeats": None,
        **setting(repeats),
        "warmup": warmup,
        "config_hash": config_hash({"experiment": experiment, **point, **settings, **setting(repeats), "warmup": warmup}),
    }
    return [{**base, **row} for row in rows]


def summarize_variants(raw: pd.DataFrame, keys: list[str], level: float, baseline: str | None = "serial") -> pd.DataFrame:
    """One row per (keys..., variant): median, interval, CV, n, and speedup over ``baseline``.

    ``speedup``: the median of the paired ratios baseline / variant of the
    same repetition (the variants ran back to back), its interval and the sign
    test of it (``p_vs_baseline``) - stats.ratio_summary, as everywhere.
    """
    from ..receipt import row_kind
    from ..stats import check_consistent_by, point_sentinel_cv, ratio_summary

    check_consistent_by(raw, ["experiment", *keys])
    out = []
    for group, cell in raw.groupby(keys, sort=True):
        group = group if isinstance(group, tuple) else (group,)
        base = cell[cell["variant"] == baseline].set_index("rep")["seconds"] if baseline else None
        for variant, runs in cell.groupby("variant", sort=False):
            row = dict(zip(keys, group))
            row["variant"] = variant
            row.update(describe(runs["seconds"].to_numpy(), level))
            row["floor_kind"] = row_kind(runs, str(runs["experiment"].iloc[0]) if "experiment" in runs else "")
            # Loops timed back to back in one sample (timing.inner_loops): the sample's length is
            # what the machine's floor is read at.
            inner = runs["inner_loops"].max() if "inner_loops" in runs else None
            row["sample_seconds"] = row["median"] * (float(inner) if pd.notna(inner) and inner > 1 else 1.0)
            # The machine's noise while the point ran (timing.Sentinel).
            row["sentinel_cv"] = point_sentinel_cv(cell)
            if base is not None and not base.empty:
                # The speedup estimator (stats.ratio_summary): the median of the
                # paired ratios baseline / variant of the same repetition.
                r = ratio_summary(base, runs.set_index("rep")["seconds"], level)
                row["speedup"] = r["ratio"]
                row["speedup_ci_low"], row["speedup_ci_high"] = r["ratio_ci_low"], r["ratio_ci_high"]
                row["speedup_ci_coverage"] = r["ratio_ci_coverage"]
                row["speedup_ci_halfwidth_rel"] = r["ratio_ci_halfwidth_rel"]
                # Is this variant's time different from the baseline's at all?
                row["p_vs_baseline"] = r["p_value"] if variant != baseline else np.nan
            out.append(row)
    return pd.DataFrame(out)


def add_stops(summary: pd.DataFrame, raw: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The summary with each point's ``stop_reason`` and ``repeats_done`` (see
    mpbench.precision), joined on the point's parameters the summary has."""
    from ..stats import stop_of

    on = [k for k in keys if k in summary.columns and k in raw.columns]
    if not on:
        stops = pd.DataFrame([stop_of(raw)])
        return summary.drop(columns=list(stops.columns), errors="ignore").merge(stops, how="cross")
    stops = pd.DataFrame([{**dict(zip(on, group if isinstance(group, tuple) else (group,))), **stop_of(cell)}
                          for group, cell in raw.groupby(on, sort=False)])
    for k in on:
        stops[k] = stops[k].astype(summary[k].dtype, errors="ignore")
    return summary.drop(columns=["stop_reason", "repeats_done"], errors="ignore").merge(stops, on=on, how="left")


def repetitions_note(summary: pd.DataFrame, language: str = "en", target: float = 0.05) -> str:
    """One line under an experiment's table: repetitions per point, and the points
    that stopped before their intervals reached the precision target."""
    if "repeats_done" not in summary or summary["repeats_done"].isna().all():
        return ""
    done = summary["repeats_done"].dropna().astype(int)
    reps = str(done.min()) if done.min() == done.max() else f"{done.min()}–{done.max()}"
    reasons = summary["stop_reason"].astype(str).str.split("/").explode()
    short = sorted(set(reasons) & {"max_repeats", "time"})
    if language == "zh":
        text = f"每个测量点重复 {reps} 次。"
        if short:
            text += f"部分测量点在达到 ±{target:.0%} 精度之前停止（{', '.join(short)}）；原因见报告的 Precision 一节。"
        return text
    text = f"Repetitions per point: {reps}."
    if short:
        text += (f" Some points stopped before their intervals reached ±{target:.0%} ({', '.join(short)}); "
                 "the report's Precision section says why.")
    return text
