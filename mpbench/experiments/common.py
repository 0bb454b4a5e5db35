"""What every experiment's measurement shares: timing the variants of a point into raw rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

from .. import timing
from ..runner import finish_rows

if TYPE_CHECKING:
    from ..precision import Policy

__all__ = ["finish_rows", "run_variants"]


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
    """Time every variant of one point (see timing.repeat_variants) into tidy
    rows that carry what every raw row carries (runner.finish_rows).

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


def expected_sum(n: int) -> int:
    """sum(i * i for i in range(n)), in closed form: what the experiments' pure-Python loops must add up to."""
    return (n - 1) * n * (2 * n - 1) // 6
