"""Statistics of repeated timings: medians, distribution-free intervals, CV, speedup (docs/method.md,
"How a cell is summarised")."""

from __future__ import annotations

import math
from math import comb

from .calibrate import sentinel_spread
from .lazy import numpy as np
from .lazy import pandas as pd
from .precision import median_ci_ranks, min_repeats, reps_for  # noqa: F401 (re-exported)


def describe(values, level: float = 0.95) -> dict:
    """Median, its interval and coverage, mean, standard deviation, CV and n."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return {**dict.fromkeys(("median", "ci_low", "ci_high", "ci_coverage", "mean", "std", "cv"), np.nan), "n": 0}
    lo, hi, cov = median_ci_ranks(n, level)
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if n > 1 else 0.0
    median = float(np.median(x))
    # Without a level interval (too few runs) there is no half-width to speak of.
    half = (float(x[hi]) - float(x[lo])) / 2 / median if median > 0 else np.nan
    if cov + 1e-12 < level:
        half = np.inf
    return {
        "median": median,
        "ci_low": float(x[lo]),
        "ci_high": float(x[hi]),
        "ci_coverage": cov,
        "mean": mean,
        "std": std,
        "cv": std / mean if mean > 0 else np.nan,
        "n": n,
        "ci_halfwidth_rel": half,
        "repeats_needed": repeats_needed(std / median if median > 0 else np.nan, level),
    }


def repeats_needed(cv: float, level: float = 0.95, target: float = 0.05) -> float:
    """Runs needed for the interval of the median to be within +-``target``
    (see precision.reps_for); NaN when the spread is unknown (a single run)."""
    if cv is None or not np.isfinite(cv):
        return np.nan
    return float(reps_for(cv, target, level, paired=False))


def paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of ``a`` and ``b``, matched by repetition (Series indexed by ``rep``) or by position; pairs
    with a missing side are dropped."""
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        both = pd.concat({"a": a, "b": b}, axis=1).dropna()
        return both["a"].to_numpy(float), both["b"].to_numpy(float)
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} values against {len(y)}: pair them by repetition (Series indexed by rep)")
    keep = ~(np.isnan(x) | np.isnan(y))
    return x[keep], y[keep]


def ratio_summary(a, b, level: float = 0.95) -> dict:
    """The speedup estimator, used everywhere (docs/method.md, "How a cell is summarised"): the median of the
    paired ratios a_i / b_i, its interval (:func:`describe`) and its sign test (:func:`paired_p_value`)."""
    x, y = paired(a, b)
    r = describe(x / y, level)
    return {
        "ratio": r["median"],
        "ratio_ci_low": r["ci_low"],
        "ratio_ci_high": r["ci_high"],
        "ratio_ci_coverage": r["ci_coverage"],
        "ratio_ci_halfwidth_rel": r.get("ci_halfwidth_rel", np.nan),
        "p_value": paired_p_value(x, y),
        "pairs": int(len(x)),
    }


def paired_p_value(a, b) -> float:
    """Two-sided p-value of the exact sign test that the median of the paired ratios a_i / b_i is 1: ties dropped,
    never 0 (n pairs: at least 2 / 2^n); paired as :func:`paired` says (docs/method.md)."""
    x, y = paired(a, b)
    d = np.log(x) - np.log(y)
    d = d[np.isfinite(d) & (d != 0)]
    n = len(d)
    if n == 0:
        return np.nan
    k = int(min((d > 0).sum(), (d < 0).sum()))
    tail = sum(comb(n, i) for i in range(k + 1)) / 2**n
    return float(min(1.0, 2 * tail))


def compare_paired(a: pd.Series, b: pd.Series, level: float = 0.95) -> dict:
    """``a`` against ``b``, both indexed by repetition: :func:`ratio_summary`
    and whether its p-value is below 1 - level."""
    out = ratio_summary(a, b, level)
    p = out["p_value"]
    out["significant"] = bool(p < 1 - level) if np.isfinite(p) else False
    return out


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        for aa in (
            m * (b - m) * x / ((qam + 2 * m) * (a + 2 * m)),
            -(a + m) * (qab + m) * x / ((a + 2 * m) * (qap + 2 * m)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-14:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b): P(Beta(a, b) <= x)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def f_survival(f: float, d1: float, d2: float) -> float:
    """P(F > f) for Snedecor's F with (d1, d2) degrees of freedom."""
    if not f > 0:
        return 1.0
    return beta_cdf(d2 / (d2 + d1 * f), d2 / 2, d1 / 2)


def spread_above_p(cv: float, n, floor: float, floor_n) -> float:
    """One-sided p-value that a spread of ``cv`` over ``n`` runs comes from runs no noisier than a floor of
    ``floor`` over ``floor_n`` runs: the F-test of two variances on (cv / floor)^2 with (n - 1, floor_n - 1)
    degrees of freedom (docs/method.md); NaN without two runs on each side."""
    if not (cv == cv and floor > 0 and n is not None and floor_n is not None and n >= 2 and floor_n >= 2):
        return float("nan")
    return f_survival((cv / floor) ** 2, n - 1, floor_n - 1)


def interval_vs_one(low: float, high: float) -> str:
    """Where the interval of a ratio lies against 1: "above", "below" or "includes" (also with a missing,
    NaN, bound): a ratio differs from 1 only when its whole interval says so."""
    if low > 1:
        return "above"
    if high < 1:
        return "below"
    return "includes"


def check_consistent_by(raw: pd.DataFrame, keys: list[str]) -> None:
    """Refuse rows of one point measured under different settings (stale mixing)."""
    hashes = raw.groupby(keys)["config_hash"].nunique()
    mixed = hashes[hashes > 1]
    if not mixed.empty:
        point = dict(zip(keys, mixed.index[0] if isinstance(mixed.index[0], tuple) else (mixed.index[0],)))
        where = " ".join(f"{k}={v}" for k, v in point.items() if k != "experiment")
        raise ValueError(
            f"raw rows of {point.get('experiment', '')} {where} were measured under "
            f"{mixed.iloc[0]} different configurations; remove the stale files under "
            f"results/raw/{point.get('experiment', '')}/"
        )


def summarize_experiment(raw: pd.DataFrame, experiment: str, level: float = 0.95, prefix: str = "") -> pd.DataFrame:
    """One row per (loops, workers): serial and Pool medians, intervals, and the speedup (the seed's 提升,
    by :func:`ratio_summary` of serial / pool)."""
    sub = raw[raw["experiment"] == experiment]
    if sub.empty:
        raise ValueError(f"no raw rows for experiment {experiment!r}")
    out = []
    for (loops, workers), cell in sub.groupby(["loops", "workers"], sort=True):
        row = {"loops": int(loops), "workers": int(workers)}
        by_variant = {v: cell[cell["variant"] == v].set_index("rep")["seconds"] for v in ("serial", "pool")}
        for variant, series in by_variant.items():
            row.update({f"{prefix}{variant}_{key}": value for key, value in describe(series.to_numpy(), level).items()})
        pool = cell[cell["variant"] == "pool"]
        row[f"{prefix}pool_start_median"] = float(pool["pool_start_seconds"].median())
        row[f"{prefix}pool_map_median"] = float(pool["map_seconds"].median())
        row[f"{prefix}per_op_seconds"] = row[f"{prefix}pool_median"] / loops
        row[f"{prefix}serial_per_op_seconds"] = row[f"{prefix}serial_median"] / loops
        ratio = ratio_summary(by_variant["serial"], by_variant["pool"], level)
        for key in ("", "_ci_low", "_ci_high", "_ci_coverage", "_ci_halfwidth_rel"):
            row[f"{prefix}speedup{key}"] = ratio[f"ratio{key}"]
        row[f"{prefix}speedup_p"] = ratio["p_value"]
        row.update(stop_of(cell, prefix))
        row[f"{prefix}sentinel_cv"] = point_sentinel_cv(cell)
        row[f"{prefix}host"] = ",".join(sorted(cell["host"].astype(str).unique()))
        if not prefix:
            # The conditions the cell was measured under (one value each, as
            # check_consistent_by guarantees one configuration per point).
            for column in ("start_method", "chunksize", "cache", "fsync", "scratch_fs"):
                if column in cell:
                    row[column] = ",".join(sorted(cell[column].dropna().astype(str).unique()))
            if "resident_before" in cell:
                row["resident_before_min"] = float(cell["resident_before"].min())
                row["resident_before_max"] = float(cell["resident_before"].max())
        out.append(row)
    return pd.DataFrame(out)


def point_sentinel_cv(rows: pd.DataFrame) -> float:
    """The CV of the sentinel runs of a point's rows (one per repetition; NaN without them), pooled over the
    blocks of variants it timed, each with a sentinel of its own length (see :func:`point_sentinel`)."""
    return point_sentinel(rows)[0]


def point_sentinel(rows: pd.DataFrame) -> tuple[float, float]:
    """:func:`point_sentinel_cv` (the spread within each block, pooled as the root mean square weighted by its
    degrees of freedom), and the runs it rests on (the pooled degrees of freedom + 1)."""
    if "sentinel_seconds" not in rows or rows["sentinel_seconds"].isna().all():
        return float("nan"), float("nan")
    blocks = rows.groupby(rows["baseline"].astype(str), sort=False) if "baseline" in rows else [(None, rows)]
    weighted, dof = 0.0, 0
    for _, block in blocks:
        ticks = block["sentinel_seconds"].dropna().unique()
        cv = sentinel_spread(ticks)
        if cv == cv:
            weighted += (len(ticks) - 1) * cv**2
            dof += len(ticks) - 1
    return ((weighted / dof) ** 0.5, float(dof + 1)) if dof else (float("nan"), float("nan"))


def stop_of(cell: pd.DataFrame, prefix: str = "") -> dict:
    """Why a point's repetitions stopped (see mpbench.precision) and how many it got."""
    reasons = cell["stop_reason"].dropna().astype(str).unique() if "stop_reason" in cell else []
    done = cell["repeats_done"].max() if "repeats_done" in cell else cell["rep"].nunique()
    return {f"{prefix}stop_reason": "/".join(sorted(reasons)) or "fixed", f"{prefix}repeats_done": int(done)}


def summarize(raw: pd.DataFrame, table: str, level: float = 0.95) -> pd.DataFrame:
    """The summary behind one appendix table: ``read`` or ``readwrite`` (with overwrite)."""
    check_consistent_by(raw, ["experiment", "loops", "workers"])
    summary = summarize_experiment(raw, table, level)
    if table == "readwrite":
        over = summarize_experiment(raw, "overwrite", level, prefix="overwrite_").drop(columns=["overwrite_host"])
        summary = summary.merge(over, on=["loops", "workers"], how="left", validate="one_to_one")
        paired_overwrite = overwrite_ratios(raw, level)
        if not paired_overwrite.empty:
            summary = summary.merge(paired_overwrite, on=["loops", "workers"], how="left", validate="one_to_one")
    return summary.sort_values(["workers", "loops"]).reset_index(drop=True)


def overwrite_ratios(raw: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Overwrite against read & write, serial and Pool, paired by repetition where they ran in the same job
    (runner.PAIRED, the same configuration hash): :func:`ratio_summary` as ``overwrite_<mode>_ratio*``."""
    out = []
    cells = raw[raw["experiment"].isin(["readwrite", "overwrite"])]
    for (loops, workers), cell in cells.groupby(["loops", "workers"], sort=True):
        hashes = {e: set(g["config_hash"].astype(str)) for e, g in cell.groupby("experiment")}
        if len(hashes) < 2 or hashes["readwrite"] != hashes["overwrite"]:
            continue  # measured in separate jobs: nothing to pair
        row = {"loops": int(loops), "workers": int(workers)}
        for mode in ("serial", "pool"):
            runs = cell[cell["variant"] == mode]
            of = {e: runs[runs["experiment"] == e].set_index("rep")["seconds"] for e in ("overwrite", "readwrite")}
            r = ratio_summary(of["overwrite"], of["readwrite"], level)
            for key in ("", "_ci_low", "_ci_high", "_ci_coverage"):
                row[f"overwrite_{mode}_ratio{key}"] = r[f"ratio{key}"]
            row[f"overwrite_{mode}_ratio_p"] = r["p_value"]
        out.append(row)
    return pd.DataFrame(out)
