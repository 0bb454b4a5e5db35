"""What every experiment's measurement shares: timing the variants of a point into raw rows."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .. import timing
from ..fileio import Condition, run_conditions
from ..runner import finish_rows

if TYPE_CHECKING:
    from ..precision import Policy

__all__ = ["conditions", "finish_rows", "run_variants", "settings_of"]


def run_variants(
    experiment: str,
    point: dict,
    variants: Mapping[str, Callable[[], tuple[dict, Any]]] | Callable[[str], tuple[dict, Any]],
    check: Callable[[str, Any], None],
    repeats: "int | Policy",
    warmup: int,
    *,
    settings: dict,
    names: Sequence[str] = (),
    floor_kinds: Mapping[str, str] | None = None,
) -> list[dict]:
    """Time every variant of one point (timing.repeat_variants) into rows that carry what every raw row
    carries (runner.finish_rows).  ``variants``: a function of each variant in ``names`` (the row fields and
    the result), or a mapping of each variant to its own; ``floor_kinds`` (recorded as ``floor_kind``): as
    docs/adding-an-experiment.md says (mpbench.calibrate.floor_kind)."""
    if callable(variants):
        variants = {name: functools.partial(variants, name) for name in names}
    if floor_kinds is None:
        floor_kinds = {name: "cpu_loop+pool" for name in variants if name != "serial"}
    label = f"{experiment} " + " ".join(f"{k}={v}" for k, v in point.items())
    rows = timing.repeat_variants(variants, repeats, warmup, check, label=label)
    for row in rows:
        kind = floor_kinds.get(row["variant"])
        if kind is not None:
            row.setdefault("floor_kind", kind)
    return finish_rows(experiment, point, rows, repeats=repeats, warmup=warmup, settings=settings)


MODES = ("serial", "pool")


def levels_run(experiment: str, factor: str, levels_of: Callable[[dict], Mapping[str, dict]]):
    """The ``run`` of an experiment that times ``point["operation"]`` serially and through
    ``Pool(section["workers"])`` under every level of one condition: ``levels_of(section)`` maps each level to
    the fileio.Condition fields it sets (everything else is ``base`` and ``scratch_dir``, then Condition's
    defaults).  Rows get ``factor`` (the level) and ``level_index`` (its position; 0 is the reference)."""

    def run(point: dict, section: dict, *, repeats, warmup, scratch_dir=None, data_file=None, base=None) -> list[dict]:
        if not data_file:
            raise ValueError(f"{experiment}: needs data_file (the pipeline's test file)")
        base, op, levels = dict(base or {}), point["operation"], levels_of(section)
        held = {**base, "workers": section["workers"], "scratch_dir": scratch_dir or "results/scratch"}
        variants, names = {}, {}
        for index, (level, fields) in enumerate(levels.items()):
            for mode in MODES:
                variants[f"{mode} {level}"] = Condition(**{**held, "mode": mode, **fields})
                names[f"{mode} {level}"] = (str(level), index)
        rows = run_conditions(
            op, section["loops"], variants, src=data_file, repeats=repeats, warmup=warmup, label=f"{experiment} {op}"
        )
        for row in rows:
            row[factor], row["level_index"] = names[row["variant"]]
        varied = set().union(*levels.values()) - {"scratch_dir"}
        held = {k: v for k, v in base.items() if k not in varied}
        settings = settings_of(section, held, "operations", data_bytes=Path(data_file).stat().st_size)
        return finish_rows(experiment, point, rows, repeats=repeats, warmup=warmup, settings=settings)

    return run


def conditions(held: dict, pools: Mapping[str, dict]) -> dict[str, Condition]:
    """The variants of a file experiment's point: "serial", and a Pool per entry of ``pools`` (its name: the
    Condition fields it sets); every other field as ``held``."""
    pool = {name: Condition(**{**held, "mode": "pool", **fields}) for name, fields in pools.items()}
    return {"serial": Condition(**{**held, "mode": "serial"}), **pool}


def settings_of(section: dict, base: dict, *axes: str, **more) -> dict:
    """What defines a file experiment's measurement (runner.finish_rows' ``settings``): its config section
    but the switch and ``axes`` (the keys its points sweep), the conditions it holds (``base``) and ``more``."""
    return {**{k: v for k, v in section.items() if k not in ("enabled", *axes)}, **base, **more}


def expected_sum(n: int) -> int:
    """sum(i * i for i in range(n)), in closed form: what the experiments' pure-Python loops must add up to."""
    return (n - 1) * n * (2 * n - 1) // 6
