"""The cost model of a Pool run, read from ``results/model.json``: its formula, predictions with intervals, and
advice (``python -m mpbench advise``).  Standard library only, so that ``advise`` answers in milliseconds; the
fit lives in :mod:`mpbench.modelfit`.  Every term, where it is measured and its unit: docs/model.md.

    T(W) = S_m(W) + J(W) + m0 + n*d + n*(a + r)/B + n*t / C_k(min(W, n))
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

DEFAULT_PATH = "results/model.json"
KINDS = ("cpu", "read", "readwrite")
#: The experiments (tables) each term is fitted from, and the held-out tables whose Pool cells it predicts: the two
#: sets are disjoint (tests/test_model.py).  A held-out source is a table here and a function in modelfit.HELD_OUT.
FIT_TABLES = {
    "start": ["workers_sweep"],
    "close": ["workers_sweep"],
    "start_method": ["start_method_sweep"],
    "map": ["pool_api"],
    "dispatch": ["pool_api"],
    "bytes": ["backends"],
    "capacity.cpu": ["threads_vs_processes"],
    "capacity.read": ["workers_sweep"],
    "capacity.readwrite": ["workers_sweep"],
}
HELD_OUT_TABLES = {
    "appendix read": "read",
    "appendix readwrite": "readwrite",
    "crossover": "crossover",
    "shared_memory": "shared_memory",
    "custom": "custom",
}
#: What each term of the formula is, with the parameters it rests on (docs/model.md says where each is measured).
TERMS = {
    "start": "the Pool's start S_m(W) = (S.a + S.b*W), times S.ratio.<m> for another start method",
    "close": "close and join J(W) = J.a + J.b*W",
    "map": "the fixed latency of one map call, m0",
    "dispatch": "per-task dispatch n*d at Pool.map's default chunksize",
    "bytes": "arguments and results through pickling and the pipe, n*(a + r)/B",
    "work": "the tasks' own work n*t / C_k(min(W, n)), C_k the effective parallel capacity of kind k",
}
#: Above this median relative error on similar held-out cells, advice says that the model was off there.
LARGE_ERROR = 0.25
#: Advice calls W saturated when no larger count in the list is predicted more than this much faster.
GAIN = 0.05
#: The pickled bytes' share of the Pool time above which advice suggests shared memory.
BYTES_SHARE = 0.1


class ModelError(Exception):
    """A model that cannot be read; str() is the one line to show."""


class Missing(Exception):
    """A prediction that needs a term the model does not have; str() names the term and why."""


def load(path: str | Path = DEFAULT_PATH) -> dict:
    """model.json, or :class:`ModelError` naming the file and how to make it."""
    path = Path(path)
    how = "make it with a finished run: snakemake --cores all"
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no model at {path}; {how}") from None
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read the model {path} ({type(err).__name__}: {err}); {how}") from None
    if not isinstance(model, dict) or "parameters" not in model or "terms" not in model:
        raise ModelError(f"{path} is not a model.json of mpbench (no parameters/terms); {how}")
    return model


def point(model: dict) -> dict[str, float]:
    """The fitted value of every parameter, by name."""
    return {name: p["value"] for name, p in model["parameters"].items() if p.get("value") is not None}


def sets(model: dict) -> list[dict[str, float]]:
    """The bootstrap parameter sets (NaN where a replicate could not fit a parameter)."""
    boot = model.get("bootstrap") or {}
    names = boot.get("names", [])
    return [{n: (math.nan if v is None else v) for n, v in zip(names, row)} for row in boot.get("sets", [])]


def capacity(p: dict[str, float], kind: str, workers: float) -> float:
    """C_k(W): linear in log W between the measured worker counts, held at the nearest one outside them."""
    known = sorted((int(name.rsplit(".", 1)[1]), v) for name, v in p.items() if name.startswith(f"C.{kind}."))
    known = [(w, c) for w, c in known if c is not None and math.isfinite(c) and c > 0]
    if not known:
        return math.nan
    if workers <= known[0][0]:
        return known[0][1]
    for (w0, c0), (w1, c1) in zip(known, known[1:]):
        if workers <= w1:
            f = (math.log(workers) - math.log(w0)) / (math.log(w1) - math.log(w0))
            return c0 + f * (c1 - c0)
    return known[-1][1]


def measured_workers(model: dict, kind: str) -> list[int]:
    return sorted(int(n.rsplit(".", 1)[1]) for n in model["parameters"] if n.startswith(f"C.{kind}."))


def missing(model: dict, kind: str, method: str, moves_bytes: bool) -> list[str]:
    """Why a prediction of this kind cannot be made (an empty list when it can): one text per missing term."""
    terms = model["terms"]
    needed = ["start", "close", "map", "dispatch", f"capacity.{kind}"] + (["bytes"] if moves_bytes else [])
    if method != model.get("start_method"):
        needed.append(f"start_method.{method}")
    out = []
    for term in needed:
        info = (
            terms.get(term)
            or terms.get(term.split(".")[0])
            or {"status": "missing", "reason": "not part of this model"}
        )
        if info.get("status") != "fitted":
            out.append(f"{term}: {info.get('reason') or 'missing'}")
    return out


def pool_terms(
    p: dict, *, n: int, t: float, a: float, r: float, workers: int, kind: str, method: str, base: str
) -> dict:
    """Each term's seconds for ``n`` tasks of ``t`` s serially, ``a`` + ``r`` bytes each, on ``workers``."""
    ratio = 1.0 if method == base else p.get(f"S.ratio.{method}", math.nan)
    moved = n * (a + r)
    return {
        "start": (p["S.a"] + p["S.b"] * workers) * ratio,
        "close": p["J.a"] + p["J.b"] * workers,
        "map": p["m0"],
        "dispatch": n * p["d"],
        "bytes": moved / p["B"] if moved > 0 else 0.0,
        "work": n * t / capacity(p, kind, min(workers, n)),
    }


def predict(model: dict, *, n: int, t: float, a: float = 0.0, r: float = 0.0, workers: int, kind: str, method=None):
    """(Pool seconds, 2.5% and 97.5% of the bootstrap sets' predictions, the terms at the fitted values); raises
    :class:`Missing` when a term it needs was not fitted."""
    method = method or model.get("start_method")
    why = missing(model, kind, method, n * (a + r) > 0)
    if why:
        raise Missing("; ".join(why))
    args = dict(n=n, t=t, a=a, r=r, workers=workers, kind=kind, method=method, base=model.get("start_method"))
    terms = pool_terms(point(model), **args)
    total = sum(terms.values())
    spread = [sum(pool_terms(s, **args).values()) for s in sets(model)]
    spread = sorted(x for x in spread if math.isfinite(x))
    low, high = (quantile(spread, 0.025), quantile(spread, 0.975)) if len(spread) >= 20 else (math.nan, math.nan)
    return total, low, high, terms


def quantile(sorted_values: list[float], q: float) -> float:
    """The q-quantile of sorted values, interpolated (as numpy's default)."""
    if not sorted_values:
        return math.nan
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (pos - lo) * (sorted_values[hi] - sorted_values[lo])


# Advice --------------------------------------------------------------------------------------------------------


def break_even(model: dict, *, n: int, a: float, r: float, workers: int, kind: str, method=None) -> float:
    """The serial task time t (s) above which the Pool is predicted faster than a loop: n*t = overheads + n*t/C,
    so t = overheads / (n (1 - 1/C)); infinite where C <= 1 (no gain at any size)."""
    method = method or model.get("start_method")
    p = point(model)
    terms = pool_terms(p, n=n, t=0.0, a=a, r=r, workers=workers, kind=kind, method=method, base=model["start_method"])
    c = capacity(p, kind, min(workers, n))
    return sum(terms.values()) / (n * (1 - 1 / c)) if c > 1 else math.inf


def similar_error(model: dict, kind: str, t: float) -> tuple[float, int, str]:
    """The median absolute relative error on held-out cells of this kind whose task time is within 10x of ``t``
    (all cells of the kind where none is), their count and their sources."""
    cells = [
        c
        for c in (model.get("held_out") or {}).get("cells", [])
        if c.get("kind") == kind and c.get("error") is not None
    ]
    near = [c for c in cells if t > 0 and c.get("t", 0) > 0 and abs(math.log10(c["t"] / t)) <= 1] or cells
    if not near:
        return math.nan, 0, ""
    sources = ", ".join(sorted({c["source"] for c in near}))
    return statistics.median(abs(c["error"]) for c in near), len(near), sources


def nearest_shared_memory(model: dict, nbytes: float) -> dict | None:
    """The shared_memory experiment's measurement nearest to ``nbytes`` in size (pickling against SharedMemory)."""
    rows = (model.get("advice_data") or {}).get("shared_memory") or []
    rows = [r for r in rows if r.get("nbytes")]
    return min(rows, key=lambda r: abs(math.log(r["nbytes"] / nbytes))) if rows and nbytes > 0 else None


def advise(
    model: dict,
    *,
    task_s: float,
    tasks: int,
    arg_bytes: float = 0.0,
    result_bytes: float = 0.0,
    kind: str = "cpu",
    method: str | None = None,
    workers: list[int] | None = None,
) -> dict:
    """Predicted Pool time and speedup per worker count, the break-even task time, the saturating worker count,
    the shared-memory advice and the model's error on similar cells; ``rows`` is empty and ``missing`` says why
    where the model lacks a term."""
    method = method or model.get("start_method")
    cores = int(model.get("cores") or 1)
    workers = sorted(set(workers or [1, 2, 4, 8, cores]))
    serial = tasks * task_s
    out = {"serial": serial, "method": method, "workers": workers, "rows": [], "kind": kind}
    why = missing(model, kind, method, tasks * (arg_bytes + result_bytes) > 0)
    if why:
        out["missing"] = why
        return out
    largest = max(measured_workers(model, kind) or [0])
    for w in workers:
        total, low, high, terms = predict(
            model, n=tasks, t=task_s, a=arg_bytes, r=result_bytes, workers=w, kind=kind, method=method
        )
        out["rows"].append(
            {
                "workers": w,
                "seconds": total,
                "low": low,
                "high": high,
                "speedup": serial / total,
                "speedup_low": serial / high if high > 0 else math.nan,
                "speedup_high": serial / low if low > 0 else math.nan,
                "terms": terms,
                "beyond": w > largest,
            }
        )
    best = max(out["rows"], key=lambda r: r["speedup"])
    out["best"] = best["workers"]
    out["enough"] = next(
        r["workers"] for r in out["rows"] if all(s["speedup"] <= r["speedup"] * (1 + GAIN) for s in out["rows"])
    )
    out["break_even"] = break_even(
        model, n=tasks, a=arg_bytes, r=result_bytes, workers=best["workers"], kind=kind, method=method
    )
    share = best["terms"]["bytes"] / best["seconds"]
    out["bytes_share"] = share
    out["shared_memory"] = share >= BYTES_SHARE
    out["shared_memory_measured"] = nearest_shared_memory(model, tasks * arg_bytes)
    out["similar_error"] = similar_error(model, kind, task_s)
    out["largest_measured"] = largest
    return out


def _ms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "never"
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _mib(nbytes: float) -> str:
    return f"{nbytes / 2**20:.3g} MiB"


def advice_lines(model: dict, advice: dict, source: str = DEFAULT_PATH) -> list[str]:
    """The advice as lines of text (the ``advise`` command's output)."""
    host = f"host {model.get('host', '?')}, {model.get('cores', '?')} cores, start method {advice['method']}"
    head = f"model {source} ({host}); serial loop: {_ms(advice['serial'])}"
    if advice.get("missing"):
        return [head, *(f"cannot predict: {why}" for why in advice["missing"])]
    lines = [head, "workers  predicted Pool time (95% interval)        speedup (95% interval)"]
    for r in advice["rows"]:
        note = "  (beyond the largest measured worker count: capacity held there)" if r["beyond"] else ""
        lines.append(
            f"{r['workers']:>7}  {_ms(r['seconds']):>9} ({_ms(r['low'])} – {_ms(r['high'])})".ljust(44)
            + f"{r['speedup']:.2f}x ({r['speedup_low']:.2f} – {r['speedup_high']:.2f}){note}"
        )
    best = advice["best"]
    lines.append(
        f"break-even: tasks of at least {_ms(advice['break_even'])} each pay off at {best} workers"
        if math.isfinite(advice["break_even"])
        else f"break-even: none; at {best} workers the capacity for {advice['kind']} work is not above 1"
    )
    lines.append(
        f"workers: {advice['enough']} is enough; no larger count in the list is predicted more than "
        f"{GAIN:.0%} faster (best: {best}, {next(r['speedup'] for r in advice['rows'] if r['workers'] == best):.2f}x)"
    )
    share = advice["bytes_share"]
    sm = advice.get("shared_memory_measured")
    measured = f"; measured here at {_mib(sm['nbytes'])}: SharedMemory {sm['ratio']:.2f}x pickling's time" if sm else ""
    if advice["shared_memory"]:
        lines.append(
            f"shared memory: yes; pickling the arguments and results is {share:.0%} of the predicted Pool time "
            f"(at or above {BYTES_SHARE:.0%}): put the data in multiprocessing.shared_memory once and pass its name{measured}"
        )
    else:
        lines.append(f"shared memory: not needed; pickling is {share:.0%} of the predicted Pool time{measured}")
    err, count, sources = advice["similar_error"]
    if count and err > LARGE_ERROR:
        lines.append(
            f"caution: on {count} similar held-out cells ({sources}) the model's median error was {err:.0%} "
            f"(above {LARGE_ERROR:.0%}); read these numbers as rough"
        )
    elif count:
        lines.append(f"on {count} similar held-out cells ({sources}) the model's median error was {err:.0%}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """``python -m mpbench advise``: predictions for a workload described by a few numbers."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m mpbench advise",
        description="Predict a Pool's speedup for a workload from this machine's cost model (results/model.json).",
    )
    parser.add_argument("--task-ms", type=float, required=True, help="serial time of one task, milliseconds")
    parser.add_argument("--tasks", type=int, required=True, help="number of tasks")
    parser.add_argument("--arg-mb", type=float, default=0.0, help="pickled argument of one task, MiB (default 0)")
    parser.add_argument("--result-mb", type=float, default=0.0, help="pickled result of one task, MiB (default 0)")
    parser.add_argument("--kind", choices=KINDS, default="cpu", help="what the task does (default cpu)")
    parser.add_argument("--start-method", default=None, help="fork, spawn or forkserver (default: the run's)")
    parser.add_argument("--workers", type=int, nargs="+", default=None, help="worker counts (default 1 2 4 8 cores)")
    parser.add_argument("--model", default=DEFAULT_PATH, help=f"the model (default {DEFAULT_PATH})")
    args = parser.parse_args(argv)
    bad = [
        f"--{name} = {value} is not allowed; allowed: {allowed}"
        for name, value, ok, allowed in (
            ("task-ms", args.task_ms, args.task_ms > 0, "a number > 0"),
            ("tasks", args.tasks, args.tasks >= 1, "a whole number >= 1"),
            ("arg-mb", args.arg_mb, args.arg_mb >= 0, "a number >= 0"),
            ("result-mb", args.result_mb, args.result_mb >= 0, "a number >= 0"),
            ("workers", args.workers, not args.workers or min(args.workers) >= 1, "whole numbers >= 1"),
        )
        if not ok
    ]
    if bad:
        print(f"mpbench advise: {bad[0]}", file=sys.stderr)
        return 2
    try:
        model = load(args.model)
    except ModelError as err:
        print(f"mpbench advise: {err}", file=sys.stderr)
        return 1
    methods = model.get("start_methods") or [model.get("start_method")]
    if args.start_method is not None and args.start_method not in methods:
        print(
            f"mpbench advise: --start-method = {args.start_method} is not allowed; allowed: {', '.join(methods)}",
            file=sys.stderr,
        )
        return 2
    advice = advise(
        model,
        task_s=args.task_ms / 1e3,
        tasks=args.tasks,
        arg_bytes=args.arg_mb * 2**20,
        result_bytes=args.result_mb * 2**20,
        kind=args.kind,
        method=args.start_method,
        workers=args.workers,
    )
    print("\n".join(advice_lines(model, advice, args.model)))
    return 1 if advice.get("missing") else 0
