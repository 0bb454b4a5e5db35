"""The run's plan: what each point will cost, and how the time budget is split over the points
(the rule and its source, Kalibera and Jones 2013: docs/method.md; the cost models: each experiment's ``cost``)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

from .precision import checkpoints, min_repeats, policy_for

MIB = 1024 * 1024
#: Untimed seconds a timed job costs besides its repetitions: starting the
#: job, imports, warm-ups, result checks (measured on the reference machine).
JOB_OVERHEAD_S = 1.5


@dataclass(frozen=True)
class Units:
    """What basic operations cost on a machine, in seconds."""

    read: float = 0.045  # read the 40 MiB test file as text, once
    readwrite: float = 0.10  # read it and write it to a new file
    pool: float = 0.04  # start a fork Pool of one worker per core, map, close, join
    spawn: float = 0.15  # the same with spawn
    step: float = 4e-8  # one step of a pure-Python loop
    task: float = 5e-5  # one task through a Pool's queues (and back)
    cores: int = 2
    size_bytes: int = 40 * MIB  # the file the read costs are for

    def scaled(self, size_bytes: int) -> "Units":
        """The file costs for a test file of ``size_bytes``."""
        k = size_bytes / self.size_bytes
        return replace(self, read=self.read * k, readwrite=self.readwrite * k, size_bytes=size_bytes)


def units(calibration: dict | None, size_bytes: int) -> Units:
    """Units from a calibration (``results/calibration.json``), else the reference machine's."""
    base = Units()
    u = (calibration or {}).get("units")
    if u:
        base = Units(
            read=u["read_seconds"],
            readwrite=u["readwrite_seconds"],
            pool=u["pool_seconds"],
            spawn=max(u["pool_seconds"], base.spawn),
            step=u["step_seconds"],
            task=u.get("task_seconds", base.task),
            cores=int(u["cores"]),
            size_bytes=int(u["size_bytes"]),
        )
    return base.scaled(size_bytes)


def load_calibration(path: str | Path = "results/calibration.json") -> dict | None:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


# The cost of one repetition (every variant once): helpers of the experiments' cost models.
def file_run(op: str, loops: int, u: Units, workers: int | None = None, start: float | None = None) -> float:
    """One run of ``loops`` operations (``read``, else a write): serially (workers None) or through a Pool."""
    work = loops * (u.read if op == "read" else u.readwrite)
    if workers is None:
        return work
    start = u.pool if start is None else start
    return work / max(1, min(workers, u.cores)) + start * max(1.0, workers / u.cores) ** 0.5


def levels_cost(key: str, cold_factor: float = 1.0):
    """The cost model of an experiment that runs serial and Pool under each level of ``section[key]``."""

    def cost(point, section, u):
        op, loops, w = point["operation"], section["loops"], section["workers"]
        return len(section[key]) * (file_run(op, loops, u) + file_run(op, loops, u, w)) * cold_factor

    return cost


# Splitting the budget.
@dataclass(frozen=True)
class Point:
    """One timed job of the run: its experiment, its id, its estimated cost per repetition."""

    experiment: str  # where its raw file is filed: the experiment's name, or its table's (read, readwrite)
    point_id: str
    rep_seconds: float
    repeats: int | None  # a fixed number of repetitions, or None for auto


def split(costs: list[float], budget_s: float, first: int, most: int) -> list[float]:
    """Repetitions per point (real numbers): ``first`` each, the rest of ``budget_s`` in proportion to
    1 / sqrt(cost), at most ``most`` each (docs/method.md, "Spend the time where it buys precision")."""
    if not costs or sum(c * first for c in costs) >= budget_s:
        return [float(first)] * len(costs)
    if sum(c * most for c in costs) <= budget_s:
        return [float(most)] * len(costs)

    def reps(lam: float) -> list[float]:
        return [min(most, max(first, lam / math.sqrt(c))) if c > 0 else float(most) for c in costs]

    lo, hi = 0.0, 1.0
    while sum(c * r for c, r in zip(costs, reps(hi))) < budget_s:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if sum(c * r for c, r in zip(costs, reps(mid))) < budget_s:
            lo = mid
        else:
            hi = mid
    return reps(lo)


@dataclass(frozen=True)
class Plan:
    points: list[Point]
    caps: dict[tuple[str, str], float]  # (experiment, point id) -> seconds the point may take
    reps: dict[tuple[str, str], float]  # the repetitions its cap pays for
    budget_s: float
    first: int

    def cap(self, experiment: str, point_id: str) -> float | None:
        return self.caps.get((experiment, point_id))

    def lines(self, measured: set[tuple[str, str]] = frozenset()) -> list[str]:
        """The plan in words: estimated minutes per experiment and in total, and a
        warning when even the fewest repetitions exceed the budget."""
        todo = [p for p in self.points if (p.experiment, p.point_id) not in measured]
        if not todo:
            return []
        per: dict[str, float] = {}
        for p in todo:
            per[p.experiment] = per.get(p.experiment, 0.0) + self.caps[(p.experiment, p.point_id)] / 60
        total = sum(per.values())
        text = ", ".join(f"{name} {minutes:.1f}" for name, minutes in per.items())
        done = f" ({len(self.points) - len(todo)} already measured)" if len(todo) < len(self.points) else ""
        out = [
            f"plan: {len(todo)} points to measure{done}, at most about {total:.0f} min of timed jobs "
            f"(budget_minutes {self.budget_s / 60:g}); minutes per experiment: {text}"
        ]
        least = sum((p.repeats or self.first) * p.rep_seconds + JOB_OVERHEAD_S for p in todo) / 60
        if least > self.budget_s / 60 * 1.001:
            out.append(
                f"warning: even {self.first} repetitions per point take about {least:.0f} min, over "
                f"budget_minutes = {self.budget_s / 60:g}; every point gets its {self.first} and the run "
                f"takes longer - raise budget_minutes or measure fewer points"
            )
        return out


def make(points: list[Point], budget_minutes: float, level: float = 0.95, max_repeats: int = 50) -> Plan:
    """Split ``budget_minutes`` over ``points`` (see :func:`split`)."""
    first = min(max_repeats, min_repeats(level))
    budget_s = budget_minutes * 60
    fixed = [p for p in points if p.repeats is not None]
    auto = [p for p in points if p.repeats is None]
    spent = sum(p.repeats * p.rep_seconds + JOB_OVERHEAD_S for p in fixed) + JOB_OVERHEAD_S * len(auto)
    reps = split([p.rep_seconds for p in auto], max(0.0, budget_s - spent), first, max_repeats)
    looks = checkpoints(first, max(first, max_repeats))
    # A point only stops at a checkpoint: an auto one's cap pays for the nearest one.
    count = {p: p.repeats for p in fixed} | {p: min(looks, key=lambda k: (abs(k - r), k)) for p, r in zip(auto, reps)}
    caps = {(p.experiment, p.point_id): n * p.rep_seconds + JOB_OVERHEAD_S for p, n in count.items()}
    counts = {(p.experiment, p.point_id): float(n) for p, n in count.items()}
    return Plan(points=points, caps=caps, reps=counts, budget_s=budget_s, first=first)


def points_of(config: dict, u: Units) -> list[Point]:
    """Every timed point the config asks for, with its estimated cost per repetition."""
    from . import experiments

    out = []
    for name in experiments.ALL:
        section = experiments.section(name, config)
        if not section.get("enabled", True):
            continue
        spec, cost = experiments.spec(name), experiments.get(name).cost
        for point in spec.points(section):
            # (the table it is filed under, its id there): results/raw/<table>/<id>.csv
            table, pid = spec.job(point)
            out.append(Point(table, pid, cost(point, section, u), policy_for(config, section).repeats))
    return out


def build(config: dict, calibration: dict | None = None) -> Plan:
    """The plan of a validated config, in the units of ``calibration`` (or the reference machine's)."""
    u = units(calibration, int(config["data"]["size_mb"] * MIB))
    return make(points_of(config, u), config["budget_minutes"], config["ci_level"], config["max_repeats"])
