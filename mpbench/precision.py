"""When a point has been repeated enough: the stopping rule of the timed runs (docs/method.md, "Repeat
until precise").  Only the standard library: this runs in the process that times, between timed runs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from math import comb
from statistics import NormalDist, median

#: Each checkpoint is this many times the last one (rounded up).
GROWTH = 1.5
#: A point may end this much past its time cap: the cap is an estimate
#: (repetitions x the plan's cost of one), and a point whose repetitions cost
#: a little more than estimated should still reach the checkpoint it was given.
CAP_SLACK = 1.15

PRECISE = "precise"
MAX_REPEATS = "max_repeats"
TIME = "time"
FIXED = "fixed"
#: Every way a point can stop, in the order the report lists them.
STOP_REASONS = (PRECISE, MAX_REPEATS, TIME, FIXED)


def _coverage(n: int, j: int) -> float:
    """P(x_(j) <= median <= x_(n-j+1)) for n independent runs (1-based j)."""
    tail = sum(comb(n, k) for k in range(j)) / 2**n
    return 1.0 - 2.0 * tail


def median_ci_ranks(n: int, level: float = 0.95) -> tuple[int, int, float]:
    """0-based ranks (lo, hi) of the narrowest symmetric order-statistic interval of the median that
    reaches ``level``, and its coverage; with too few runs, [min, max] and the coverage it really has."""
    if n < 1:
        raise ValueError("no values")
    j = 1  # the coverage falls as j grows: the largest j that still reaches level
    while j < n // 2 and _coverage(n, j + 1) >= level:
        j += 1
    return j - 1, n - j, _coverage(n, j)


def min_repeats(level: float = 0.95) -> int:
    """The fewest runs whose order-statistic interval reaches ``level`` (6 for 95%)."""
    n = 1
    while median_ci_ranks(n, level)[2] < level:
        n += 1
    return n


def halfwidth_rel(values, level: float = 0.95) -> float:
    """Half the width of the median's interval, relative to the median (inf when unknown)."""
    x = sorted(v for v in values if v == v)
    if len(x) < 2:
        return math.inf
    lo, hi, cov = median_ci_ranks(len(x), level)
    mid = median(x)
    if cov < level or mid <= 0:
        return math.inf
    return (x[hi] - x[lo]) / 2 / mid


def checkpoints(first: int, last: int) -> list[int]:
    """The repetition counts at which the rule looks: ``first``, then x1.5 each, ending at ``last``."""
    out = [first]
    while out[-1] < last:
        out.append(min(last, max(out[-1] + 1, math.ceil(out[-1] * GROWTH))))
    return out


def widths(times: dict[str, list[float]], baseline: "str | Mapping[str, str] | None", level: float = 0.95) -> dict:
    """The relative half-width of every interval a point's table reports, from each variant's timings in
    repetition order: keyed by variant, and by ``(baseline, variant)`` for the paired ratios baseline /
    variant (``baseline``: one variant for all, or one per variant)."""
    out = {name: halfwidth_rel(values, level) for name, values in times.items()}
    bases = baseline if isinstance(baseline, Mapping) else {name: baseline for name in times}
    for name, values in times.items():
        base = bases.get(name)
        if base in times and base != name:
            out[(base, name)] = halfwidth_rel([b / v for b, v in zip(times[base], values) if v > 0], level)
    return out


@dataclass(frozen=True)
class Policy:
    """How many repetitions a point gets: exactly ``repeats``, or (None) the rule of docs/method.md,
    "Repeat until precise", looking at :func:`checkpoints`."""

    repeats: int | None = None
    precision: float = 0.05
    max_repeats: int = 50
    time_cap_s: float | None = None
    level: float = 0.95
    #: time.monotonic() when the point began (its warm-ups count against the
    #: cap too); None: when its first timed repetition began.
    started: float | None = None
    #: The run's ledger (mpbench.credit.Credit): a point at its cap may go on
    #: with time that points which finished early left; None: it may not.
    credit: object | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.repeats is not None and self.repeats < 1:
            raise ValueError(f"repeats = {self.repeats}; allowed: a whole number >= 1 or None")
        if not 0 < self.precision < 1:
            raise ValueError(f"precision = {self.precision}; allowed: a number between 0 and 1")

    @property
    def first(self) -> int:
        """Repetitions run before the first look."""
        if self.repeats is not None:
            return self.repeats
        return min(self.max_repeats, max(min_repeats(self.level), 2))

    def looks(self) -> list[int]:
        if self.repeats is not None:
            return [self.repeats]
        return checkpoints(self.first, max(self.first, self.max_repeats))

    def decide(
        self,
        n: int,
        times: dict[str, list[float]],
        baseline: "str | Mapping[str, str] | None",
        elapsed_s: float,
        rep_s: float,
    ) -> str | None:
        """At a checkpoint of ``n`` repetitions, ``elapsed_s`` into the point, ``rep_s`` a repetition: the
        stop reason, or None to go on (for time: the next checkpoint would end past the cap and the
        ledger cannot pay for going on, :meth:`_go_on`)."""
        if self.repeats is not None:
            return FIXED if n >= self.repeats else None
        worst = max(widths(times, baseline, self.level).values(), default=0.0)
        if worst <= self.precision:
            return PRECISE
        looks = self.looks()
        if n >= looks[-1]:
            return MAX_REPEATS
        following = next(k for k in looks if k > n)
        if self.time_cap_s is None:
            return None
        cap = full = self.time_cap_s * CAP_SLACK + self.borrowed
        # The run's debt comes off the cap of a point its own cap will not make precise (docs/method.md).
        target = self._precise_at(n, worst)
        if self.credit is not None and (target is None or elapsed_s + (target - n) * rep_s > cap):
            cap -= self.credit.debt()
        if elapsed_s + (following - n) * rep_s > cap and not self._go_on(n, target, elapsed_s, rep_s, cap):
            if self.credit is not None:  # what of its cap it gave up to the debt: not paid for it
                self.credit.repaid = max(0.0, min(full - cap, full - elapsed_s))
            return TIME
        return None

    def foresee(self, n: int, elapsed_s: float, rep_s: float) -> None:
        """After ``n`` of the first repetitions, which every point gets: when they
        will end past the cap, owe the overrun now (mpbench.credit.Credit.owe)."""
        if self.credit is not None and self.time_cap_s is not None and n < self.first:
            self.credit.owe(elapsed_s + (self.first - n) * rep_s - self.time_cap_s)

    def leave_rest(self, elapsed_s: float) -> None:
        """The point is done after ``elapsed_s``: what it did not use of its cap (and of what it borrowed) goes
        to the points still short of the target, or its overrun is owed (net of what :meth:`foresee` owed)."""
        if self.credit is not None and self.time_cap_s is not None:
            self.credit.leave(self.time_cap_s + self.borrowed - elapsed_s + self.credit.owed)

    @property
    def borrowed(self) -> float:
        """Seconds this point has taken from the run's ledger."""
        return self.credit.borrowed if self.credit is not None else 0.0

    @property
    def repaid(self) -> float:
        """Seconds of its cap this point gave up to the run's debt when it stopped (:meth:`decide`)."""
        return self.credit.repaid if self.credit is not None else 0.0

    def _go_on(self, n: int, target: int | None, elapsed_s: float, rep_s: float, cap: float) -> bool:
        """At its cap: borrow what reaching the checkpoint its spread projects as precise costs, when that
        checkpoint is within ``max_repeats`` and the ledger holds the time (see mpbench.credit)."""
        if self.credit is None or target is None:
            return False
        return self.credit.borrow(elapsed_s + (target - n) * rep_s - cap)

    def _precise_at(self, n: int, worst: float) -> int | None:
        """The checkpoint at which the widest interval, ``worst`` after ``n`` repetitions,
        is projected within the target; None past ``max_repeats``."""
        if not math.isfinite(worst) or worst <= 0:
            return None
        # A median's (and a ratio's) interval narrows about as 1/sqrt(n).
        need = n * (worst / self.precision) ** 2
        return next((k for k in self.looks() if k > n and k >= need), None)


def setting(repeats: "Policy | int") -> dict:
    """How a point was repeated, for its rows and their configuration hash; without the time cap, which
    follows from the budget and the other points and does not change what a number means."""
    fixed = repeats.repeats if isinstance(repeats, Policy) else int(repeats)
    if fixed is None:
        return {"repeats": "auto", "precision": repeats.precision, "max_repeats": repeats.max_repeats}
    return {"repeats": fixed}


def policy_for(
    config: dict,
    section: dict | None = None,
    time_cap_s: float | None = None,
    started: float | None = None,
    credit: object | None = None,
) -> Policy:
    """The Policy a config asks for (an experiment's own ``repeats`` first)."""
    repeats = (section or {}).get("repeats", config["repeats"])
    fixed = None if repeats == "auto" else int(repeats)
    return Policy(
        repeats=fixed,
        precision=float(config["precision"]),
        max_repeats=int(config["max_repeats"]),
        time_cap_s=time_cap_s if fixed is None else None,
        level=float(config["ci_level"]),
        started=started,
        credit=credit if fixed is None else None,
    )


#: Up to this many runs, :func:`reps_for` reads the interval's expected width from its ranks.
EXACT_UP_TO = 200


@lru_cache(maxsize=None)
def expected_halfwidth(n: int, level: float = 0.95) -> float:
    """The expected half-width of the median's order-statistic interval over ``n`` normal runs, in units of
    their spread: the Blom positions of its ranks (:func:`median_ci_ranks`)."""
    lo, hi, _ = median_ci_ranks(n, level)
    at = NormalDist().inv_cdf
    return (at((hi + 0.625) / (n + 0.25)) - at((lo + 0.625) / (n + 0.25))) / 2


def reps_for(cv: float, precision: float, level: float = 0.95, paired: bool = True) -> int:
    """Repetitions a median (or, ``paired``, a ratio of two: sqrt(2) times the CV) with this CV needs to be
    within ``precision``, at least :func:`min_repeats`: the fewest whose interval's :func:`expected_halfwidth`
    is (docs/method.md, "Know the machine's floor"); beyond EXACT_UP_TO runs, pyperf's normal approximation
    (the median's standard error about 1.2533 sigma / sqrt(n)) widened as much as at EXACT_UP_TO."""
    if cv is None or not math.isfinite(cv):
        return min_repeats(level)
    z = NormalDist().inv_cdf((1 + level) / 2) * 1.2533
    spread = cv * (math.sqrt(2) if paired else 1.0)
    normal = max(min_repeats(level), math.ceil((z * spread / precision) ** 2))
    # the order-statistic interval is never narrower than the approximation (its coverage is at least the
    # level), so no count below ``normal`` can do
    for n in range(normal, EXACT_UP_TO + 1):
        if expected_halfwidth(n, level) * spread <= precision:
            return n
    wider = expected_halfwidth(EXACT_UP_TO, level) * math.sqrt(EXACT_UP_TO) / z
    return max(EXACT_UP_TO + 1, math.ceil(normal * wider**2))
