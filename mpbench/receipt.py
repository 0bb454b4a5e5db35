"""What the run bought, per point, from its raw rows: the repetitions it got, why it stopped, and its spread
against the floor (docs/method.md, "Know the machine's floor" and "Say what the run bought")."""

from __future__ import annotations

import math

import pandas as pd

from . import precision
from .calibrate import capped, fewest, floor_kind, floor_of
from .stats import point_sentinel, spread_above_p, stop_of

#: A spread up to this many times the machine's floor counts as the machine's own.
NEAR_FLOOR = 1.5
#: Above NEAR_FLOOR, a spread counts as noisier than the machine only when the
#: F-test of the two spreads (stats.spread_above_p) gives a p-value below this.
NOISIER_P = 0.05


def row_kind(rows: pd.DataFrame, experiment: str) -> str:
    """The floor one variant's runs are compared with (mpbench.calibrate.floor_kind):
    the ``floor_kind`` its rows name, else that of their file operation (or the
    CPU loop's), with a Pool start added when the runs go through a Pool."""
    if "floor_kind" in rows and rows["floor_kind"].notna().any():
        return floor_kind(rows["floor_kind"].dropna().iloc[0])
    operation = next(iter(rows["operation"].dropna()), experiment) if "operation" in rows else experiment
    pool = any((rows[column].astype(str) == "pool").any() for column in ("mode", "variant") if column in rows)
    return floor_kind(operation, pool=pool)


def sample_seconds(raw: pd.DataFrame, variant: str, median: float) -> float:
    """How long one timed sample of ``variant`` took: its median run, times the
    loops timed back to back in one sample (timing.inner_loops)."""
    if "inner_loops" not in raw:
        return median
    inner = raw.loc[raw["variant"].astype(str) == variant, "inner_loops"].max()
    return median * (float(inner) if pd.notna(inner) and inner > 1 else 1.0)


def _in_variance(floors: list[tuple[float, float]]) -> tuple[float, float]:
    """The floor (CV, runs) of a ratio of runs that vary independently, from each run's: their spreads add in
    variance, and it rests on the fewest runs."""
    return math.hypot(*(cv for cv, _ in floors)), fewest(*(n for _, n in floors))


def point_row(
    experiment: str, point_id: str, raw: pd.DataFrame, calibration: dict | None, target: float, level: float
) -> dict:
    """One point's receipt from its raw rows."""
    raw = raw[raw["rep"].notna()]
    if "experiment" in raw and (raw["experiment"].astype(str) != experiment).any():
        # A job that also ran another operation (the read & write job's overwrite):
        # its runs go by the names the stopping rule knew them by.
        variant, operation = raw["variant"].astype(str), raw["experiment"].astype(str)
        raw = raw.assign(mode=variant, variant=variant.where(operation == experiment, operation + "_" + variant))
    stop = stop_of(raw)
    timed = float((raw["ended_at"] - raw["started_at"]).sum())
    # What the stopping rule looked at: every variant's median and its paired ratio against its baseline
    # (a point may time more than one block of variants, each with its own baseline).
    names = raw["variant"].astype(str)
    times = {name: runs.sort_values("started_at")["seconds"].tolist() for name, runs in raw.groupby(names, sort=False)}
    if "baseline" in raw and raw["baseline"].notna().all():
        bases = dict(zip(names, raw["baseline"].astype(str)))
    else:
        bases = next(iter(times), None)  # the first variant, as in timing.repeat_variants
    widths = precision.widths(times, bases, level)
    worst = max(widths, key=lambda k: widths[k]) if widths else None
    worst_cv = floor = floor_n = worst_n = math.nan
    kind = None
    # The machine's noise while this point ran: the CV of its sentinel runs.
    sentinel, sentinel_n = point_sentinel(raw)
    if worst is not None:
        # The spread that held the point back, and the machine's floor for it: the floor of its kind at the
        # run's length (calibrate.floor_of); for a ratio baseline / variant, both runs' floors.
        runs = worst[::-1] if isinstance(worst, tuple) else (worst,)  # the variant first: its kind is the point's
        values = [pd.Series(times[name], dtype=float) for name in runs]
        kinds = [row_kind(raw[names == name], experiment) for name in runs]
        samples = [sample_seconds(raw, name, float(v.median())) for name, v in zip(runs, values)]
        floors = [floor_of(calibration, s, run_kind, sentinel, sentinel_n) for s, run_kind in zip(samples, kinds)]
        calibrated = [floor_of(calibration, s, run_kind) for s, run_kind in zip(samples, kinds)]
        kind = kinds[0]
        pairs = min(len(v) for v in values)
        values_cv = values[1].head(pairs) / values[0].head(pairs) if len(values) == 2 else values[0]
        worst_n = float(len(values_cv))
        if len(values_cv) > 1 and values_cv.mean() > 0:
            worst_cv = float(values_cv.std() / values_cv.mean())
        floor, floor_n = capped(_in_variance(floors), _in_variance(calibrated), (worst_cv, worst_n))
    return {
        "experiment": experiment,
        "point": point_id,
        **stop,
        "timed_seconds": timed,
        "rep_seconds": timed / stop["repeats_done"] if stop["repeats_done"] else math.nan,
        "started_at": float(raw["started_at"].min()),
        "ended_at": float(raw["ended_at"].max()),
        "time_cap_s": float(raw["time_cap_s"].dropna().max()) if "time_cap_s" in raw else math.nan,
        # time it went on with past its cap, left by points that finished early (mpbench.credit)
        **{key: float(raw[key].fillna(0).max()) if key in raw else 0.0 for key in ("borrowed_s", "repaid_s")},
        "worst": (f"{worst[0]} ÷ {worst[1]}" if isinstance(worst, tuple) else worst) if worst is not None else None,
        "worst_halfwidth_rel": widths.get(worst, math.nan),
        "precise": bool(widths) and all(w <= target for w in widths.values()),
        "worst_cv": worst_cv,
        "worst_n": worst_n,
        "floor_kind": kind,
        "floor_cv": floor,
        "floor_n": floor_n,
        "sentinel_cv": sentinel,
        "sentinel_seconds": float(raw["sentinel_seconds"].dropna().unique().sum())
        if "sentinel_seconds" in raw
        else 0.0,
        # was the machine quiet when the point began, and how much did the hypervisor steal during it
        **{
            key: (float(raw[key].dropna().iloc[0]) if key in raw and raw[key].notna().any() else math.nan)
            for key in ("others_runnable", "load_1m", "steal_share")
        },
    }


def noisier(cv: float, n, floor: float, floor_n) -> bool:
    """Is a spread of ``cv`` over ``n`` runs noisier than the machine's ``floor`` (over ``floor_n`` runs)?
    Over NEAR_FLOOR times it with the F-test's p < NOISIER_P (docs/method.md, "Know the machine's floor");
    without the run counts, the ratio alone."""
    if not (pd.notna(cv) and pd.notna(floor) and floor > 0 and cv > NEAR_FLOOR * floor):
        return False
    p = spread_above_p(cv, n, floor, floor_n)
    return bool(p < NOISIER_P) if p == p else True


#: From this many repetitions on, a cell's own interval shows the shape of its runs well enough
#: to scale it to the floor (:func:`reps_at_floor`).
SHAPE_N = 20


def reps_at_floor(floor: float, target: float, level: float, cv=None, n=None, half=None) -> int:
    """Repetitions a cell would need for ±target if its spread were the machine's ``floor``: precision.reps_for,
    or, from SHAPE_N runs on, the cell's interval ``half`` (over ``n`` runs with spread ``cv``) scaled to the
    floor and the target as 1/sqrt(n) (docs/method.md, "Know the machine's floor")."""
    if not all(pd.notna(x) and x > 0 for x in (cv, n, half)) or n < SHAPE_N:
        return precision.reps_for(floor, target, level, paired=False)
    return max(precision.min_repeats(level), math.ceil(n * (half * floor / cv / target) ** 2))


def machine_spread(cv: float, floor: float) -> float:
    """The spread of a cell that the machine accounts for: its own spread where that is
    within NEAR_FLOOR times the floor (the floor is itself an estimate from a few runs),
    the floor where the cell is noisier or quieter."""
    return max(floor, cv) if cv <= NEAR_FLOOR * floor else floor


def miss_kind(cv: float, floor: float, allowed, target: float, level: float, n=None, floor_n=None, half=None) -> str:
    """Why a spread of ``cv`` (over ``n`` runs) missed ±target with ``allowed`` repetitions, against the
    machine's ``floor`` (over ``floor_n`` runs): ``floor`` (held back by the machine: :func:`reps_at_floor`
    at :func:`machine_spread`), ``noisy`` (:func:`noisier`), ``budget``, or ``unknown`` without a floor or a
    spread.  The one rule behind the receipt's and the report's words (docs/method.md, "Know the machine's
    floor")."""
    if not (pd.notna(cv) and pd.notna(floor) and floor > 0 and math.isfinite(cv)):
        return "unknown"
    if pd.notna(allowed) and reps_at_floor(machine_spread(cv, floor), target, level, cv, n, half) > allowed:
        return "floor"
    return "noisy" if noisier(cv, n, floor, floor_n) else "budget"


def floor_verdict(row: dict | pd.Series, target: float, level: float) -> str:
    """Why a point that missed the target missed it, in words (the rule of :func:`miss_kind`,
    with the repetitions its budget share paid for)."""
    if row["precise"]:
        return "precise"
    cv, floor = row["worst_cv"], row["floor_cv"]
    n, floor_n = row.get("worst_n", math.nan), row.get("floor_n", math.nan)
    if str(row["stop_reason"]) == precision.FIXED:
        need = precision.reps_for(cv, target, level, paired=False) if math.isfinite(cv) else None
        return f"repeats fixed at {row['repeats_done']}" + (
            f"; at its spread (CV {cv:.1%}) about {need} would reach ±{target:.0%}" if need else ""
        )
    cap, rep = row["time_cap_s"], row["rep_seconds"]
    # what its share paid for: less what it gave up to the run's debt, never fewer than it ran
    repaid = row.get("repaid_s", 0.0)
    repaid = float(repaid) if pd.notna(repaid) else 0.0
    done = float(row["repeats_done"])
    allowed = max(done, (cap - repaid) / rep) if rep and math.isfinite(cap) else done
    if str(row["stop_reason"]) == precision.MAX_REPEATS:  # the cap paid for more than max_repeats lets a point run
        allowed = min(allowed, done)
    paid = f"the budget paid for {allowed:.0f}" + (
        f" ({repaid:.0f} s of its share went to points that overran)" if repaid >= 0.5 else ""
    )
    kind = miss_kind(cv, floor, allowed, target, level, n, floor_n, row.get("worst_halfwidth_rel"))
    if kind == "unknown":
        return "no floor measured"
    if kind == "noisy":
        return f"noisier than the machine: CV {cv:.1%}, {cv / floor:.1f}× the floor"
    if kind == "budget":
        need = precision.reps_for(cv, target, level, paired=False)
        return f"the budget: at its spread (CV {cv:.1%}) about {need} repetitions; {paid}"
    spread = machine_spread(cv, floor)
    at_floor = reps_at_floor(spread, target, level, cv, n, row.get("worst_halfwidth_rel"))
    near = f"; the point's {cv:.1%} is within {NEAR_FLOOR}× of it" if spread > floor else ""
    noisy = noisier(cv, n, floor, floor_n)
    also = f"; the point is also noisier than the machine (CV {cv:.1%}, {cv / floor:.1f}× the floor)" if noisy else ""
    return (
        f"the machine's floor: even at its floor (CV {floor:.1%}{near}) ±{target:.0%} needs about {at_floor} "
        f"repetitions; {paid}{also}"
    )


def points_table(rows: list[dict], target: float, level: float) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if not df.empty:
        df["why"] = [floor_verdict(r, target, level) for _, r in df.iterrows()]
    return df


#: A point whose blocks of variants stopped for different reasons ("precise/time").
MIXED = "mixed"


def stop_counts(points: pd.DataFrame) -> dict[str, int]:
    """Points per stop reason, in the order of precision.STOP_REASONS; a point whose
    blocks stopped for different reasons counts as ``mixed``."""
    reasons = points["stop_reason"].astype(str) if not points.empty else pd.Series(dtype=str)
    counts = reasons.where(reasons.isin(precision.STOP_REASONS), MIXED).value_counts()
    return {reason: int(counts[reason]) for reason in (*precision.STOP_REASONS, MIXED) if reason in counts}


#: A point that began with another task runnable, or lost more than this share of
#: the CPU to the hypervisor, ran on a busy machine.
BUSY_STEAL = 0.05


def quiet_lines(points: pd.DataFrame) -> list[str]:
    """Was the machine quiet?  Other runnable tasks at each point's start, and the
    CPU time the hypervisor stole during it; a warning when it was busy (as pyperf warns)."""
    if points.empty or "others_runnable" not in points or points["others_runnable"].isna().all():
        return []
    others = points["others_runnable"].dropna()
    share = points["steal_share"] if "steal_share" in points else pd.Series(math.nan, index=points.index)
    steal = share.dropna()
    busy = int((others >= 1).sum())
    # a point counts once, whether another task was runnable, the hypervisor stole, or both
    busy_or_stolen = int(((points["others_runnable"] >= 1) | (share > BUSY_STEAL)).sum())
    stole = f"; the hypervisor stole a median {steal.median():.1%} of the CPU time during a point, at most {steal.max():.1%}"
    text = (
        f"**Quiet machine?** {busy} of {len(others)} points began with another task runnable"
        + (f" (up to {int(others.max())})" if busy else "")
        + (stole if len(steal) else "")
        + "."
    )
    if busy > 0.1 * len(others) or (steal > BUSY_STEAL).any():
        text += (
            f" **Warning: the machine was busy** during {busy_or_stolen} points — other work competed "
            "with the timed runs; their spread is partly that, and a quieter machine would give tighter "
            "intervals (see `results/summary/points.csv`: others_runnable, steal_share)."
        )
    return [text]


def opening_line(points: pd.DataFrame, cells: list[tuple], calibration: dict | None, now: float, target: float) -> str:
    """The report's first line: wall time, its share in timed runs, cells on target, why the rest stopped."""
    start = float((calibration or {}).get("started_at") or points["started_at"].min())
    last = float(points["ended_at"].max())
    rebuilt = now - last > 600
    end = last if rebuilt else now
    wall = max(end - start, 1e-9)
    this_run = points["started_at"] >= start - 1
    timed = float(points.loc[this_run, "timed_seconds"].sum())
    # The sentinel runs after each repetition are timed too: the floor each point is judged by.
    sentinel = float(points.loc[this_run, "sentinel_seconds"].sum()) if "sentinel_seconds" in points else 0.0
    # So are the calibration's runs: the floor every cell is set against.
    floor = sum(float(f.get("total") or 0.0) for f in (calibration or {}).get("floor", []))
    on = sum(1 for c in cells if pd.notna(c[1]) and c[1] <= target)
    counts = stop_counts(points)
    words = {
        precision.PRECISE: "precise",
        precision.MAX_REPEATS: "at max_repeats",
        precision.TIME: "at their time cap",
        precision.FIXED: "after a fixed number of repetitions",
        MIXED: "with blocks that stopped for different reasons",
    }
    stops = ", ".join(f"{k} {words[r]}" for r, k in counts.items())
    when = " (measurements; this report was rebuilt later)" if rebuilt else ""
    parts = [
        f"{s / wall:.1%} of it the {who}'s" for s, who in ((sentinel, "sentinel"), (floor, "calibration")) if s > 0
    ]
    share = f"{(timed + sentinel + floor) / wall:.0%} of it in timed runs" + (f" ({', '.join(parts)})" if parts else "")
    return (
        f"**This run: {wall / 60:.1f} min wall time{when}, {share}; "
        f"{on} of {len(cells)} cells reached ±{target:.0%}; {len(points)} points stopped: {stops}.**"
    )
