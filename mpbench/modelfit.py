"""Fitting the cost model (:mod:`mpbench.model`) to a run's raw rows, with bootstrap intervals over the repetitions of
the fit cells, and its predictions of the held-out Pool cells.  Nothing here is timed.  docs/model.md says where each
term is measured and how the predictions are checked."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from . import model as M

#: Bootstrap replicates of the fit (each point's repetitions drawn with replacement), and their seed.
BOOTSTRAP = 200
SEED = 2019
MIB = 2**20
#: The raw columns the fits read.
COLUMNS = {"_point", "rep", "variant", "workers", "tasks", "loops", "length", "operation", "function", "kind"}
COLUMNS |= {"workload", "start_method", "seconds", "pool_start_seconds", "pool_close_seconds", "map_seconds"}
COLUMNS |= {"start_seconds", "call_seconds", "work_seconds", "ready_seconds"}


class Unfit(Exception):
    """A term that cannot be fitted from this run; str() says why."""


PARAMETERS = {
    "S.a": ("s", "start", "Pool start at no workers: the intercept of S(W)"),
    "S.b": ("s/worker", "start", "Pool start per worker: the slope of S(W)"),
    "J.a": ("s", "close", "close and join at no workers: the intercept of J(W)"),
    "J.b": ("s/worker", "close", "close and join per worker: the slope of J(W)"),
    "m0": ("s", "map", "the fixed latency of one map call (first chunk out, last result back)"),
    "d": ("s/task", "dispatch", "per-task dispatch overhead at Pool.map's default chunksize"),
    "B": ("bytes/s", "bytes", "bytes per second through pickling, the pipe and unpickling"),
}


def unit_of(name: str) -> tuple[str, str, str]:
    """(unit, term, meaning) of a parameter, including the per-method and per-worker-count ones."""
    if name in PARAMETERS:
        return PARAMETERS[name]
    if name.startswith("S.ratio."):
        method = name.rsplit(".", 1)[1]
        return "x", f"start_method.{method}", f"start-up under {method} relative to the run's method (workers ready)"
    _, kind, w = name.split(".")
    return "x", f"capacity.{kind}", f"effective parallel capacity of {kind} work at W = {w} (speedup of the work)"


# Reading and resampling the raw rows ---------------------------------------------------------------------------


def load_raw(paths) -> dict[str, pd.DataFrame]:
    """Raw CSVs by table (their folder's name), each row with its point (the file's name) in ``_point``."""
    frames: dict[str, list] = {}
    for path in map(str, paths):
        table, point = path.rsplit("/", 2)[-2], path.rsplit("/", 1)[-1].removesuffix(".csv")
        frames.setdefault(table, []).append(pd.read_csv(path).assign(_point=point))
    return {table: pd.concat(parts, ignore_index=True) for table, parts in frames.items()}


def _rep_positions(df: pd.DataFrame) -> list[list[np.ndarray]]:
    """Per point, the row positions of each repetition (the rows of one repetition stay together)."""
    by_point: dict = {}
    for (point, _), pos in df.groupby(["_point", "rep"], sort=False).indices.items():
        by_point.setdefault(point, []).append(pos)
    return list(by_point.values())


class Sample:
    """The raw rows as measured (``rng`` None) or one bootstrap replicate: every point's repetitions drawn with
    replacement, as many as it has; ``_draw`` numbers the repetitions drawn (the rows of one stay paired)."""

    def __init__(self, raw: dict, config: dict, rng: np.random.Generator | None = None, positions=None):
        self.raw, self.config, self.rng, self.positions, self.cache = raw, config, rng, positions or {}, {}

    def __call__(self, table: str) -> pd.DataFrame:
        df = self.raw.get(table)
        if df is None:
            raise Unfit(f"{table} was not measured in this run (disabled)")
        if table not in self.cache:
            if self.rng is None:
                self.cache[table] = df.assign(_draw=df["rep"])
            else:
                if table not in self.positions:
                    self.positions[table] = _rep_positions(df)
                reps = self.positions[table]
                picks = [r[i] for r in reps for i in self.rng.integers(0, len(r), len(r))]
                draws = np.repeat(np.arange(len(picks)), [len(p) for p in picks])
                self.cache[table] = df.iloc[np.concatenate(picks)].assign(_draw=draws)
        return self.cache[table]


# The terms ------------------------------------------------------------------------------------------------------


def _line(x, y) -> tuple[float, float]:
    """Intercept and slope of y = a + b x, least squares of the relative residuals (small W count as much as
    large)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    x, y = x[y > 0], y[y > 0]
    if len(x) < 2:
        raise Unfit("fewer than two worker counts with a time above zero")
    w = 1 / y
    (a, b), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(x), x]) * w[:, None], y * w, rcond=None)
    return float(a), float(b)


def fit_start(f: Sample, p: dict) -> dict:
    """S(W) and J(W) of the run's start method from the worker sweep's Pool start and close/join phases."""
    df = f("workers_sweep")
    pool = df[df["variant"] != "serial"].dropna(subset=["pool_start_seconds", "pool_close_seconds"])
    med = pool.groupby("workers")[["pool_start_seconds", "pool_close_seconds"]].median()
    if len(med) < 2:
        raise Unfit("workers_sweep measured fewer than two worker counts")
    w = med.index.to_numpy(float)
    (sa, sb), (ja, jb) = _line(w, med["pool_start_seconds"]), _line(w, med["pool_close_seconds"])
    return {"S.a": sa, "S.b": sb, "J.a": ja, "J.b": jb}


def fit_start_method(f: Sample, p: dict, base: str) -> dict:
    """Each other start method's start-up relative to the run's: the medians of the time until every worker is
    ready (start_method_sweep's startup rows)."""
    df = f("start_method_sweep")
    up = df[df["variant"].astype(str).str.startswith("startup_")] if "ready_seconds" in df else df.iloc[:0]
    med = up.dropna(subset=["ready_seconds"]).groupby("start_method")["ready_seconds"].median()
    if base not in med.index or len(med) < 2:
        raise Unfit(f"start_method_sweep did not time the workers' start-up under {base} and another method")
    return {f"S.ratio.{m}": float(med[m] / med[base]) for m in med.index if m != base}


def fit_dispatch(f: Sample, p: dict) -> dict:
    """m0 and d: the map call of pool_api's tiny tasks (square) against their number, less their serial time."""
    df = f("pool_api")
    sq = df[df["function"] == "square"]
    serial = sq[sq["variant"] == "serial"].groupby("length")["seconds"].median()
    call = sq[sq["variant"] == "map"].groupby("length")["call_seconds"].median()
    if len(call) < 2:
        raise Unfit("pool_api measured the square map at fewer than two lengths (the slope needs two)")
    y = call - serial.reindex(call.index).fillna(0.0)
    d, m0 = np.polyfit(call.index.to_numpy(float), y.to_numpy(float), 1)
    return {"m0": max(float(m0), 0.0), "d": max(float(d), 0.0)}


def _paired(rows: pd.DataFrame, variant: str, column: str) -> pd.Series:
    """One variant's ``column`` by repetition drawn (``_draw``)."""
    return _by_draw(rows[rows["variant"] == variant], column)


def _by_draw(rows: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series(rows[column].to_numpy(float), index=rows["_draw"].to_numpy())


def _ratio(serial: pd.Series, work: pd.Series) -> float:
    """The median over repetitions of serial / work, each repetition's own pair (the machine's drift cancels)."""
    r = (serial / work.where(work > 0)).dropna()
    return float(r.median()) if len(r) else math.nan


def _capacities(points: dict[int, float]) -> dict:
    """C.<kind>.<W> for the finite, positive estimates (a work part not above the overheads gives none)."""
    return {w: c for w, c in points.items() if np.isfinite(c) and c > 0}


def fit_file_capacity(kind: str) -> Callable:
    def fit(f: Sample, p: dict) -> dict:
        """C_k(W) of a file operation: the worker sweep's serial loop over its Pool's map phase, less the map
        latency and the dispatch, paired by repetition, at min(W, loops)."""
        df = f("workers_sweep")
        op = df[df["operation"] == kind]
        serial = _paired(op, "serial", "seconds")
        out = {}
        for w, g in op[op["variant"] != "serial"].groupby("workers"):
            n = int(g["loops"].iloc[0])
            work = _by_draw(g, "map_seconds") - p["m0"] - n * p["d"]
            out.setdefault(min(int(w), n), _ratio(serial, work))
        out = _capacities(out)
        if not out:
            raise Unfit(f"workers_sweep did not measure {kind}, or its Pool runs were not longer than their overheads")
        return {f"C.{kind}.{w}": c for w, c in out.items()}

    return fit


def fit_cpu_capacity(f: Sample, p: dict) -> dict:
    """C_cpu(W): threads_vs_processes' CPU tasks serially over their Pool run less its start, close, map latency
    and dispatch, paired by repetition."""
    df = f("threads_vs_processes")
    out = {}
    for w, g in df[df["kind"] == "cpu"].groupby("workers"):
        pool = g[g["variant"] == "process_pool"]
        if pool.empty:
            continue
        n = int(pool["tasks"].iloc[0])
        rest = p["J.a"] + p["J.b"] * w + p["m0"] + n * p["d"]
        work = _paired(g, "process_pool", "seconds") - _paired(g, "process_pool", "start_seconds") - rest
        out.setdefault(min(int(w), n), _ratio(_paired(g, "serial", "seconds"), work))
    out = _capacities(out)
    if not out:
        raise Unfit("threads_vs_processes measured no cpu kind, or its Pool runs were not longer than their overheads")
    return {f"C.cpu.{w}": c for w, c in out.items()}


def fit_bytes(f: Sample, p: dict) -> dict:
    """B: the backends experiment's array workload through the Pool (the array pickled with every task), its work
    phase less the map latency, the dispatch and the tasks' own work."""
    df = f("backends")
    arr = df[df["workload"] == "array"] if "workload" in df else df.iloc[:0]
    pool = arr[arr["variant"] == "pool"]
    mib = (f.config.get("backends") or {}).get("array_mib")
    if pool.empty or not mib:
        raise Unfit("backends did not run the array workload through the Pool")
    serial = arr.loc[arr["variant"] == "serial", "seconds"].median()
    n, w = int(pool["tasks"].iloc[0]), int(pool["workers"].iloc[0])
    c = M.capacity(p, "cpu", min(w, n))
    net = pool["work_seconds"].median() - p["m0"] - n * p["d"] - serial / c
    if not net > 0:
        raise Unfit("backends' array work through the Pool was not longer than its other terms")
    return {"B": n * float(mib) * MIB / net}


#: Each term, the parameters it needs first, and its fit (in this order).
FITS = {
    "start": ((), fit_start),
    "close": ((), None),  # fitted with start, from the same rows
    "start_method": (("start",), fit_start_method),
    "map": ((), fit_dispatch),
    "dispatch": ((), None),  # fitted with map
    "capacity.read": (("map",), fit_file_capacity("read")),
    "capacity.readwrite": (("map",), fit_file_capacity("readwrite")),
    "capacity.cpu": (("start", "map"), fit_cpu_capacity),
    "bytes": (("map", "capacity.cpu"), fit_bytes),
}
#: Terms fitted together with another.
WITH = {"close": "start", "dispatch": "map"}


def fit_all(f: Sample, base: str) -> tuple[dict, dict]:
    """(parameters, {term: why it is missing}) from one sample of the raw rows."""
    p, why = {}, {}
    for term, (needs, fit) in FITS.items():
        if fit is None:
            continue
        lacking = [n for n in needs if n in why]
        if lacking:
            why[term] = f"needs {', '.join(lacking)}, which is missing"
            continue
        try:
            p.update(fit(f, p, base) if term == "start_method" else fit(f, p))
        except Unfit as err:
            why[term] = str(err)
        except (KeyError, IndexError, ValueError, ZeroDivisionError, np.linalg.LinAlgError) as err:
            why[term] = f"its rows could not be fitted ({type(err).__name__}: {err})"
    for term, other in WITH.items():
        if other in why:
            why[term] = why[other]
    return p, why


def base_method(raw: dict[str, pd.DataFrame], env: dict) -> str:
    """The start method the base terms are measured under: the worker sweep's, or the run's."""
    ws = raw.get("workers_sweep")
    if ws is not None and "start_method" in ws and ws["start_method"].notna().any():
        return str(ws["start_method"].mode().iloc[0])
    return str((env.get("config") or {}).get("start_method") or env.get("start_method") or "fork")


def fit(raw: dict[str, pd.DataFrame], env: dict, boot: int = BOOTSTRAP, seed: int = SEED) -> dict:
    """The model (model.json without its held-out errors): every parameter with its 95% bootstrap interval over
    the repetitions of the fit cells, the terms fitted or missing with why, and the bootstrap sets."""
    base = base_method(raw, env)
    # Only the columns the fits read: a bootstrap replicate copies every row it draws.
    raw = {t: df[[c for c in df.columns if c in COLUMNS]] for t, df in raw.items()}
    config = env.get("config") or {}
    p0, why = fit_all(Sample(raw, config), base)
    names = sorted(p0)
    rng, positions, rows = np.random.default_rng(seed), {}, []
    for _ in range(boot):
        p, _ = fit_all(Sample(raw, config, rng, positions), base)
        rows.append([p.get(n, math.nan) for n in names])
    values = np.array(rows, dtype=float).reshape(len(rows), len(names))
    parameters = {}
    for i, name in enumerate(names):
        col = values[:, i][np.isfinite(values[:, i])] if len(rows) else np.array([])
        low, high = np.percentile(col, [2.5, 97.5]) if len(col) >= 20 else (math.nan, math.nan)
        unit, term, meaning = unit_of(name)
        term = "start_method" if term.startswith("start_method") else term
        parameters[name] = {
            "value": p0[name],
            "ci_low": _num(low),
            "ci_high": _num(high),
            "unit": unit,
            "meaning": meaning,
            "term": term,
            "source": ", ".join(M.FIT_TABLES[term]),
        }
    methods = [base] + sorted(n.rsplit(".", 1)[1] for n in p0 if n.startswith("S.ratio."))
    terms = {term: {"sources": M.FIT_TABLES[term]} for term in M.FIT_TABLES if term != "start_method"}
    for term, info in terms.items():
        info.update({"status": "missing", "reason": why[term]} if term in why else {"status": "fitted"})
    for m in methods[1:]:
        terms[f"start_method.{m}"] = {"status": "fitted", "sources": M.FIT_TABLES["start_method"]}
    if "start_method" in why:
        terms["start_method"] = {
            "status": "missing",
            "reason": why["start_method"],
            "sources": M.FIT_TABLES["start_method"],
        }
    return {
        "formula": "T(W) = S_m(W) + J(W) + m0 + n*d + n*(a + r)/B + n*t / C_k(min(W, n))",
        "host": env.get("host"),
        "cores": env.get("usable_cores"),
        "start_method": base,
        "start_methods": methods,
        "created_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "parameters": parameters,
        "terms": terms,
        "fit_sources": sorted({t for ts in M.FIT_TABLES.values() for t in ts}),
        "held_out_sources": dict(M.HELD_OUT_TABLES),
        # the worker count(s) m0 and d are measured at (pool_api's), for the report's reading of the errors
        "notes": {
            "map_workers": sorted(
                int(w) for w in raw.get("pool_api", {}).get("workers", pd.Series(dtype=int)).dropna().unique()
            )
        },
        "bootstrap": {"names": names, "sets": [[_num(v) for v in row] for row in values.tolist()], "seed": seed},
    }


def _num(v) -> float | None:
    """A number for JSON: None for NaN or infinity."""
    return float(v) if v is not None and np.isfinite(v) else None


# The held-out cells ------------------------------------------------------------------------------------------


def appendix_cells(summary: pd.DataFrame, kind: str) -> list[dict]:
    """The appendix table's Pool cells: ``loops`` file operations, each as long as the serial loop's share."""
    return [
        dict(
            cell=f"loops {int(r.loops)}, Pool({int(r.workers)})",
            n=int(r.loops),
            t=r.serial_median / r.loops,
            workers=int(r.workers),
            kind=kind,
            method=getattr(r, "start_method", None),
            measured=r.pool_median,
        )
        for r in summary.itertuples()
    ]


def _pivot(summary: pd.DataFrame, keys: list[str], pool: str) -> pd.DataFrame:
    wide = summary.pivot_table(index=keys, columns="variant", values="median", aggfunc="first")
    return wide.dropna(subset=["serial", pool]).reset_index()


def _one_task_per_worker(summary: pd.DataFrame, keys: list[str], pool: str, label, arg=lambda r: 0.0) -> list[dict]:
    """Pool cells whose work is cut into one task per worker (CPU work): ``label`` and ``arg`` (bytes per task)
    of each row of the serial and ``pool`` medians side by side."""
    return [
        dict(
            cell=label(r),
            n=int(r.workers),
            t=r.serial / r.workers,
            a=float(arg(r)),
            workers=int(r.workers),
            kind="cpu",
            measured=getattr(r, pool),
        )
        for r in _pivot(summary, keys, pool).itertuples()
    ]


def crossover_cells(summary: pd.DataFrame) -> list[dict]:
    """crossover's Pool cells: the sum cut into one chunk per worker."""
    return _one_task_per_worker(
        summary, ["workers", "size"], "pool", lambda r: f"size {int(r.size):,}, Pool({int(r.workers)})"
    )


def shared_memory_cells(summary: pd.DataFrame) -> list[dict]:
    """shared_memory's pickling cells: the array cut into one slice per worker, each slice pickled."""
    return _one_task_per_worker(
        summary,
        ["size_kib", "workers", "nbytes"],
        "pickle",
        lambda r: f"{r.size_kib * 1024 / MIB:.3g} MiB, Pool({int(r.workers)})",
        arg=lambda r: r.nbytes / r.workers,
    )


UNSIZED = "the task arguments or results could not be pickled to size them"


def custom_cells(summary: pd.DataFrame) -> list[dict]:
    """custom's Pool cells (the user's function): its tasks, each as long as the serial loop's share, with the
    pickled bytes of an argument and a result and the kind of work its config names."""
    pools = summary[summary["backend"].astype(str) == "pool"]
    serial = summary[summary["variant"].astype(str) == "serial"].set_index("size")["median"]
    return [
        dict(
            cell=f"size {r.size}, Pool({int(r.workers)})",
            n=int(r.tasks),
            t=serial[r.size] / r.tasks,
            a=float(r.arg_bytes),
            r=float(r.result_bytes),
            workers=int(r.workers),
            kind=str(r.work_kind),
            method=r.start_method,
            measured=r.median,
            **({} if np.isfinite([r.arg_bytes, r.result_bytes]).all() else {"skipped": UNSIZED}),
        )
        for r in pools.itertuples()
        if r.size in serial.index
    ]


#: Each held-out source (model.HELD_OUT_TABLES names its summary): the cells it gives.  A new source is an entry
#: here and one there.
HELD_OUT = {
    "appendix read": lambda s: appendix_cells(s, "read"),
    "appendix readwrite": lambda s: appendix_cells(s, "readwrite"),
    "crossover": crossover_cells,
    "shared_memory": shared_memory_cells,
    "custom": custom_cells,
}


def predictions(model: dict, summaries: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per held-out cell: measured and predicted Pool time, the interval, the error and the dominant term;
    a cell that cannot be predicted keeps its row with the reason."""
    rows = []
    for source, table in M.HELD_OUT_TABLES.items():
        if summaries.get(table) is None:
            continue
        try:
            cells = HELD_OUT[source](summaries[table])
        except (AttributeError, KeyError, ValueError) as err:  # a summary without the columns or variants a cell needs
            rows.append(
                {"source": source, "skipped": f"its summary has no Pool cells to predict ({type(err).__name__}: {err})"}
            )
            continue
        for cell in cells:
            row = {"source": source, "a": 0.0, "r": 0.0, **cell}
            if row.get("skipped"):
                rows.append(row)
                continue
            row["method"] = row.get("method") if isinstance(row.get("method"), str) else model["start_method"]
            try:
                pred, low, high, terms = M.predict(
                    model,
                    n=row["n"],
                    t=row["t"],
                    a=row["a"],
                    r=row["r"],
                    workers=row["workers"],
                    kind=row["kind"],
                    method=row["method"],
                )
            except M.Missing as err:
                rows.append({**row, "skipped": str(err)})
                continue
            dominant = max(terms, key=terms.get)
            rows.append(
                {
                    **row,
                    "predicted": pred,
                    "predicted_low": low,
                    "predicted_high": high,
                    "error": pred / row["measured"] - 1,
                    "abs_error": abs(pred / row["measured"] - 1),
                    "dominant_term": dominant,
                    "dominant_share": terms[dominant] / pred,
                    **{f"term_{k}": v for k, v in terms.items()},
                }
            )
    columns = ["source", "cell", "kind", "n", "workers", "t", "a", "r", "method", "measured", "predicted"]
    columns += ["predicted_low", "predicted_high", "error", "abs_error", "dominant_term", "dominant_share", "skipped"]
    out = pd.DataFrame(rows)
    return out.reindex(columns=columns + [c for c in out.columns if c not in columns])


def errors(pred: pd.DataFrame) -> dict:
    """Median and 90th percentile of the absolute relative error, over all predicted cells and per source."""
    done = pred.dropna(subset=["abs_error"]) if "abs_error" in pred else pred.iloc[:0]
    skipped = pred[pred["skipped"].notna()] if "skipped" in pred else pred.iloc[:0]

    def stats(e: pd.Series) -> dict:
        return (
            {"count": int(len(e)), "median": _num(e.median()), "p90": _num(e.quantile(0.9))} if len(e) else {"count": 0}
        )

    return {
        **stats(done["abs_error"]),
        "by_source": {s: stats(g["abs_error"]) for s, g in done.groupby("source", sort=False)},
        "skipped": {s: str(g["skipped"].iloc[0]) for s, g in skipped.groupby("source", sort=False)},
    }


def shared_memory_data(summary: pd.DataFrame | None) -> list[dict]:
    """The shared_memory experiment's pickling and SharedMemory medians per size (advice only; never fitted)."""
    if summary is None or not {"pickle", "shared_memory"} <= set(summary["variant"]):
        return []
    wide = _pivot(summary, ["size_kib", "workers", "nbytes"], "pickle").dropna(subset=["shared_memory"])
    return [
        {
            "nbytes": float(r.nbytes),
            "workers": int(r.workers),
            "pickle": r.pickle,
            "shared_memory": r.shared_memory,
            "ratio": r.shared_memory / r.pickle,
        }
        for r in wide.itertuples()
    ]


def build(raw: dict[str, pd.DataFrame], summaries: dict[str, pd.DataFrame], env: dict, boot: int = BOOTSTRAP):
    """(model.json's content, the predictions table)."""
    overlap = set(M.HELD_OUT_TABLES.values()) & {t for ts in M.FIT_TABLES.values() for t in ts}
    if overlap:
        raise ValueError(f"the model's fit and held-out tables overlap: {sorted(overlap)}")
    model = fit({t: df for t, df in raw.items() if t not in M.HELD_OUT_TABLES.values()}, env, boot)
    model["advice_data"] = {"shared_memory": shared_memory_data(summaries.get("shared_memory"))}
    pred = predictions(model, summaries)
    keep = ["source", "cell", "kind", "n", "workers", "t", "a", "measured", "predicted", "error"]
    done = pred.dropna(subset=["predicted"]) if "predicted" in pred else pred.iloc[:0]
    model["held_out"] = {
        **errors(pred),
        "cells": [
            {k: (_num(v) if isinstance(v, float) else v) for k, v in r.items()} for r in done[keep].to_dict("records")
        ],
    }
    return model, pred
