"""Statistics of repeated timings: medians, distribution-free intervals, CV, speedup.

Timings are skewed (a run can be slowed, never sped up, by a busy machine),
so a cell is summarised by its median.  The interval for the median uses
order statistics: for n sorted runs, [x_(j), x_(n-j+1)] covers the true
median with probability 1 - 2 P(Binomial(n, 1/2) <= j-1), whatever the
distribution.  With few runs no pair reaches the asked level (95% needs at
least 6 runs); we then give [min, max] and record the coverage it really has
in ``ci_coverage``, instead of calling it 95%.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd


def median_ci_ranks(n: int, level: float = 0.95) -> tuple[int, int, float]:
    """0-based ranks (lo, hi) of the order-statistic interval and its coverage."""
    if n < 1:
        raise ValueError("no values")
    if n == 1:
        return 0, 0, 0.0
    best = (0, n - 1, _coverage(n, 1))
    for j in range(1, n // 2 + 1):
        cov = _coverage(n, j)
        if cov >= level:
            best = (j - 1, n - j, cov)
        else:
            break
    return best


def _coverage(n: int, j: int) -> float:
    """P(x_(j) <= median <= x_(n-j+1)) for n independent runs (1-based j)."""
    tail = sum(comb(n, k) for k in range(j)) / 2**n
    return 1.0 - 2.0 * tail


def describe(values, level: float = 0.95) -> dict:
    """Median, its interval and coverage, mean, standard deviation, CV and n."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return {"median": np.nan, "ci_low": np.nan, "ci_high": np.nan, "ci_coverage": np.nan,
                "mean": np.nan, "std": np.nan, "cv": np.nan, "n": 0}
    lo, hi, cov = median_ci_ranks(n, level)
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if n > 1 else 0.0
    return {
        "median": float(np.median(x)),
        "ci_low": float(x[lo]),
        "ci_high": float(x[hi]),
        "ci_coverage": cov,
        "mean": mean,
        "std": std,
        "cv": std / mean if mean > 0 else np.nan,
        "n": n,
    }


def interval_vs_one(low: float, high: float) -> str:
    """Where the interval of a ratio lies against 1: "above", "below" or "includes".

    A ratio (speedup, time ratio) counts as different from 1 only when its
    whole interval says so; a missing bound (NaN) counts as including 1.
    """
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


def check_consistent(raw: pd.DataFrame) -> None:
    """check_consistent_by for the file experiments' points."""
    check_consistent_by(raw, ["experiment", "loops", "workers"])


def summarize_experiment(raw: pd.DataFrame, experiment: str, level: float = 0.95, prefix: str = "") -> pd.DataFrame:
    """One row per (loops, workers): serial and Pool medians, intervals, speedup.

    ``speedup`` is median(serial) / median(pool), the seed's 提升 column;
    its interval comes from the paired ratios serial/pool of the same
    repetition (the two ran back to back).
    """
    sub = raw[raw["experiment"] == experiment]
    if sub.empty:
        raise ValueError(f"no raw rows for experiment {experiment!r}")
    out = []
    for (loops, workers), cell in sub.groupby(["loops", "workers"], sort=True):
        row = {"loops": int(loops), "workers": int(workers)}
        by_variant = {v: cell[cell["variant"] == v].set_index("rep")["seconds"] for v in ("serial", "pool")}
        for variant, series in by_variant.items():
            for key, value in describe(series.to_numpy(), level).items():
                row[f"{prefix}{variant}_{key}"] = value
        pool = cell[cell["variant"] == "pool"]
        row[f"{prefix}pool_start_median"] = float(pool["pool_start_seconds"].median())
        row[f"{prefix}pool_map_median"] = float(pool["map_seconds"].median())
        row[f"{prefix}per_op_seconds"] = row[f"{prefix}pool_median"] / loops
        row[f"{prefix}serial_per_op_seconds"] = row[f"{prefix}serial_median"] / loops
        row[f"{prefix}speedup"] = row[f"{prefix}serial_median"] / row[f"{prefix}pool_median"]
        paired = (by_variant["serial"] / by_variant["pool"]).dropna()
        ratio = describe(paired.to_numpy(), level)
        row[f"{prefix}speedup_ci_low"] = ratio["ci_low"]
        row[f"{prefix}speedup_ci_high"] = ratio["ci_high"]
        row[f"{prefix}speedup_ci_coverage"] = ratio["ci_coverage"]
        row[f"{prefix}host"] = ",".join(sorted(cell["host"].astype(str).unique()))
        out.append(row)
    return pd.DataFrame(out)


def summarize(raw: pd.DataFrame, table: str, level: float = 0.95) -> pd.DataFrame:
    """The summary behind one appendix table: ``read`` or ``readwrite`` (with overwrite)."""
    check_consistent(raw)
    summary = summarize_experiment(raw, table, level)
    if table == "readwrite":
        over = summarize_experiment(raw, "overwrite", level, prefix="overwrite_")
        over = over.drop(columns=["overwrite_host"])
        summary = summary.merge(over, on=["loops", "workers"], how="left", validate="one_to_one")
    return summary.sort_values(["workers", "loops"]).reset_index(drop=True)
