"""close_join (进程池 Pool: "close join 这两句到底是什么意思，可有可无？").

The seed's two Pool patterns end with ``p.close(); p.join()`` and ask whether
those two lines are optional.  Each point is one API of the seed's appendix A
(``map`` or ``apply_async``); a worker sleeps ``task_seconds`` and returns
``id**2`` so that tasks are still queued or running while a pattern goes on.
The variants are the ways a ``poolDemo(length)`` function can end:

- ``close_join``: the seed's code, ``close()`` then ``join()``;
- ``no_close_join``: neither call; the Pool is a local that is dropped when
  the function returns (as in the seed's function without the two lines);
- ``no_close_join_kept``: neither call, but the Pool stays referenced after
  the function returns (as a module-level ``p = Pool()`` would);
- ``close_only`` and ``join_only`` (``join()`` on a running Pool raises
  ValueError, which is recorded as the run's outcome);
- ``context_manager``: ``with Pool(...) as p:`` with the results gathered
  inside the block (``__exit__`` calls ``terminate()``);
- ``context_manager_late_get``: the tasks are submitted inside the block and
  ``.get()`` is called after it, with a timeout so that nothing hangs (for
  ``map``, which blocks, this variant submits with ``map_async``).

Each run records whether the function delivered complete and correct results
(``[i**2 for i in range(tasks)]``), how many of the Pool's worker processes
(the ``Process`` objects in ``pool._pool``, snapshot when the Pool was
created, whose exit sentinel was not yet ready) were alive right after the
function returned,
how long the function took, when the last worker had exited (watched for
``linger_seconds`` after the return, without touching the Pool), whether the
Pool object had been garbage-collected at the return, and whether Python
emitted "ResourceWarning: unclosed running multiprocessing pool".  After
that every Pool is terminated and joined, so no process leaks into the next
run (``pool_cleanup_stuck`` records the runs where the Pool's own clean-up,
started by the garbage collector in one of its threads, hung and had to be
released; see ``Probe.cleanup``).  A function that returned results must have returned the right ones;
otherwise the run is an error.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import threading
import time
import warnings
import weakref
from multiprocessing import connection

from ..lazy import pandas as pd

from ..tasks import worker
from ..tables import fmt_seconds, markdown_table
from .common import run_variants, summarize_variants

APIS = ("map", "apply_async")
VARIANTS = ("close_join", "no_close_join", "no_close_join_kept", "close_only", "join_only",
            "context_manager", "context_manager_late_get")
BASELINE = "close_join"
CLEANUP_GRACE = 2.0  # seconds the Pool's own threads get to finish before the harness steps in




class Probe:
    """What the harness may know about a pattern's Pool without keeping it alive.

    ``watch(pool)`` takes a snapshot of the worker processes and a weak
    reference; ``kept`` holds the Pool strongly only for the variant that
    keeps it referenced on purpose.
    """

    def __init__(self) -> None:
        self.workers: list = []
        self.threads: list = []
        self.inqueue = None
        self.ref = None
        self.kept = None

    def watch(self, pool):
        self.workers = list(pool._pool)
        self.threads = [pool._worker_handler, pool._task_handler, pool._result_handler]
        self.inqueue = pool._inqueue
        self.ref = weakref.ref(pool)
        return pool

    def alive(self) -> int:
        """Workers that have not exited: their sentinel is not ready yet.

        (The sentinel, not ``is_alive()``: the Pool's own threads reap the
        same processes, and a ``waitpid`` that loses that race reports a
        dead worker as alive.)
        """
        return len(self._pending(self.workers, 0.0))

    def wait_exit(self, deadline: float) -> int:
        """Wait until every worker has exited or ``deadline`` (perf_counter) passed; return how many remain."""
        pending = self._pending(self.workers, 0.0)
        while pending:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            pending = self._pending(pending, left)
        return len(pending)

    @staticmethod
    def _pending(workers: list, timeout: float) -> list:
        if not workers:
            return []
        ready = set(connection.wait([p.sentinel for p in workers], timeout=timeout))
        return [p for p in workers if p.sentinel not in ready]

    def cleanup(self, grace: float | None = None) -> bool:
        """Terminate and join the Pool; then make sure every worker has exited.

        A Pool that was garbage-collected inside one of its own threads
        finalizes there (terminating and joining its workers), so those
        threads are waited for before anything is killed: a worker killed
        while it holds the Pool's task-queue lock would block that finalizer
        for good.  When the finalizer runs in the task-handler thread it waits
        for that lock, which an idle worker holds while it waits for a task
        that only this thread would send; after ``grace`` seconds one stop
        message per worker is sent to release it.  Returns whether that was
        needed (the Pool's own clean-up was stuck).
        """
        grace = CLEANUP_GRACE if grace is None else grace
        pool = self.ref() if self.ref is not None else None
        self.kept = None
        stuck = False
        try:
            if pool is not None:
                pool.terminate()
                pool.join()
        finally:
            del pool
            if not self._join_threads(grace) and self.inqueue is not None:
                stuck = True
                for _ in self.workers:
                    self.inqueue.put(None)
                self._join_threads(10.0)
            left = [thread.name for thread in self.threads if thread.is_alive()]
            for p in self._pending(self.workers, 0.0):
                p.terminate()
            if self.wait_exit(time.perf_counter() + 10.0):
                raise RuntimeError("close_join: a pool worker survived terminate()")
            for p in self.workers:
                p.join(1.0)  # reap it, unless the Pool's own threads already did
            self.inqueue = None
            if left:
                raise RuntimeError(f"close_join: pool threads did not finish: {', '.join(left)}")
        return stuck

    def _join_threads(self, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        for thread in self.threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.perf_counter()))
        return not any(thread.is_alive() for thread in self.threads)


def _safety_timeout(tasks: int, task_seconds: float) -> float:
    """A .get() that should return must not hang the pipeline if it does not."""
    return max(30.0, 20.0 * tasks * task_seconds)


def _get_by(result, deadline: float):
    """``result.get()`` with what is left of a shared deadline; None if it timed out."""
    try:
        return result.get(timeout=max(0.0, deadline - time.perf_counter()))
    except multiprocessing.TimeoutError:
        return None


def pattern(variant: str, api: str, *, workers: int, tasks: int, task_seconds: float, get_timeout: float,
            probe: Probe, ctx=None) -> list:
    """One ``poolDemo(length)`` ending in ``variant``; returns its results.

    A result that never arrived is None (only the late .get() can lose one);
    an exception such as join()'s ValueError propagates to the caller.
    """
    ctx = ctx or multiprocessing.get_context()
    fn = functools.partial(worker, seconds=task_seconds)
    safety = _safety_timeout(tasks, task_seconds)
    if variant == "context_manager":
        with ctx.Pool(processes=workers) as p:
            probe.watch(p)
            if api == "map":
                return p.map(fn, list(range(tasks)))
            multi_res = [p.apply_async(worker, (i, task_seconds)) for i in range(tasks)]
            return [res.get(timeout=safety) for res in multi_res]
    if variant == "context_manager_late_get":
        with ctx.Pool(processes=workers) as p:
            probe.watch(p)
            if api == "map":
                pending = p.map_async(fn, list(range(tasks)))  # map() itself would block inside the block
            else:
                multi_res = [p.apply_async(worker, (i, task_seconds)) for i in range(tasks)]
        deadline = time.perf_counter() + get_timeout
        if api == "map":
            res = _get_by(pending, deadline)
            return [None] * tasks if res is None else res
        return [_get_by(res, deadline) for res in multi_res]
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    p = probe.watch(ctx.Pool(processes=workers))
    if api == "map":
        res = p.map(fn, list(range(tasks)))
    else:
        multi_res = [p.apply_async(worker, (i, task_seconds)) for i in range(tasks)]
    if variant in ("close_join", "close_only"):
        p.close()
    if variant in ("close_join", "join_only"):
        p.join()
    if variant == "no_close_join_kept":
        probe.kept = p
    if api == "map":
        return res
    return [res.get(timeout=safety) for res in multi_res]


def measure(variant: str, api: str, *, workers: int, tasks: int, task_seconds: float, get_timeout: float,
            linger_seconds: float, ctx=None) -> tuple[dict, dict]:
    """Run one pattern and observe its worker processes; returns (facts, result)."""
    if api not in APIS:
        raise ValueError(f"unknown api {api!r}; allowed: {', '.join(APIS)}")
    ctx = ctx or multiprocessing.get_context()
    probe = Probe()
    seen: list[str] = []
    values, error, stuck = None, None, False
    started_at = time.time()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ResourceWarning)
            # Record only the text: the default recorder would keep the Pool
            # (the warning's source) alive and change what is measured.
            warnings.showwarning = lambda message, category, *args, **kwargs: seen.append(str(message))
            t0 = time.perf_counter()
            try:
                values = pattern(variant, api, workers=workers, tasks=tasks, task_seconds=task_seconds,
                                 get_timeout=get_timeout, probe=probe, ctx=ctx)
            except Exception as exc:
                if probe.ref is None:  # no Pool came to be: a real failure, not an outcome
                    raise
                error = type(exc).__name__
            t1 = time.perf_counter()
            alive_after = probe.alive()
            collected = probe.ref is not None and probe.ref() is None
            lingering = probe.wait_exit(t1 + linger_seconds)
            t2 = time.perf_counter()
    finally:
        stuck = probe.cleanup()
    warned = sum("unclosed running multiprocessing pool" in text for text in seen)
    if error is not None:
        outcome, delivered = f"error: {error}", 0
    else:
        delivered = sum(v is not None for v in values)
        outcome = "ok" if delivered == len(values) else "incomplete"
    facts = {
        "seconds": t1 - t0,
        "started_at": started_at,
        "ended_at": time.time(),
        "outcome": outcome,
        "results_complete": outcome == "ok",
        "results_delivered": delivered,
        "expected_results": tasks,
        "pool_size": workers,
        "children_alive_after": alive_after,
        "children_exit_seconds": (t2 - t0) if lingering == 0 else math.nan,
        "children_lingering": lingering,
        "pool_collected": collected,
        "resource_warnings": warned,
        "pool_cleanup_stuck": stuck,
        "task_seconds": task_seconds,
        "get_timeout": get_timeout,
        "linger_seconds": linger_seconds,
        "start_method": ctx.get_start_method(),
    }
    return facts, {"values": values, "error": error}


def check_result(variant: str, api: str, tasks: int, result: dict) -> None:
    """Raise when a pattern handed back a wrong value (a missing one is an outcome)."""
    values = result["values"]
    if values is None:
        if result["error"] is None:
            raise RuntimeError(f"close_join {api} {variant}: no results and no error")
        return
    if len(values) != tasks:
        raise RuntimeError(f"close_join {api} {variant}: {len(values)} results for {tasks} tasks")
    wrong = [(i, v) for i, v in enumerate(values) if v is not None and v != i ** 2]
    if wrong:
        i, v = wrong[0]
        raise RuntimeError(f"close_join {api} {variant}: result {i} is {v!r}, expected {i ** 2} "
                           f"({len(wrong)} wrong of {tasks})")


def run(point: dict, section: dict, *, repeats: int, warmup: int, scratch_dir: str | None = None) -> list[dict]:
    api = point["api"]
    settings = {k: section[k] for k in ("workers", "tasks", "task_seconds", "get_timeout", "linger_seconds")}

    def variant(name):
        return lambda: measure(name, api, **settings)

    def check(name: str, result: dict) -> None:
        check_result(name, api, settings["tasks"], result)

    return run_variants("close_join", point, {v: variant(v) for v in VARIANTS}, check,
                        repeats=repeats, warmup=warmup, settings=settings,
                        floor_kinds={v: "cpu_loop+pool" for v in VARIANTS})


def _tally(outcomes: pd.Series) -> str:
    counts = outcomes.astype(str).value_counts()
    if len(counts) == 1:
        return str(counts.index[0])
    return ", ".join(f"{name} ×{int(k)}" for name, k in counts.items())


def summarize(raw: pd.DataFrame, level: float) -> pd.DataFrame:
    summary = summarize_variants(raw, ["api"], level, baseline=BASELINE)
    raw = raw.assign(
        _ok=raw["outcome"].astype(str) == "ok",
        _incomplete=raw["outcome"].astype(str) == "incomplete",
        _error=raw["outcome"].astype(str).str.startswith("error"),
        _complete=raw["results_complete"].astype(str).str.lower() == "true",
        _collected=raw["pool_collected"].astype(str).str.lower() == "true",
        _stuck=raw["pool_cleanup_stuck"].astype(str).str.lower() == "true",
    )
    facts = raw.groupby(["api", "variant"]).agg(
        outcome=("outcome", lambda s: str(s.astype(str).mode().iloc[0])),
        outcomes=("outcome", _tally),
        runs_ok=("_ok", "sum"),
        runs_incomplete=("_incomplete", "sum"),
        runs_error=("_error", "sum"),
        runs_complete=("_complete", "sum"),
        tasks=("expected_results", "first"),
        pool_size=("pool_size", "first"),
        results_delivered_median=("results_delivered", "median"),
        results_delivered_min=("results_delivered", "min"),
        results_delivered_max=("results_delivered", "max"),
        children_alive_after_median=("children_alive_after", "median"),
        children_alive_after_min=("children_alive_after", "min"),
        children_alive_after_max=("children_alive_after", "max"),
        children_exit_median=("children_exit_seconds", "median"),
        runs_lingering=("children_lingering", lambda s: int((s > 0).sum())),
        children_lingering_max=("children_lingering", "max"),
        runs_pool_collected=("_collected", "sum"),
        runs_resource_warning=("resource_warnings", lambda s: int((s > 0).sum())),
        runs_cleanup_stuck=("_stuck", "sum"),
        task_seconds=("task_seconds", "first"),
        get_timeout=("get_timeout", "first"),
        linger_seconds=("linger_seconds", "first"),
    ).reset_index()
    for column in ("runs_ok", "runs_incomplete", "runs_error", "runs_complete", "runs_pool_collected",
                   "runs_cleanup_stuck"):
        facts[column] = facts[column].astype(int)
    out = summary.merge(facts, on=["api", "variant"], validate="one_to_one")
    return _ordered(out)


LABELS = {
    "zh": {
        "close_join": "close() + join()（原文写法）",
        "no_close_join": "都不调用（函数返回时丢弃 Pool）",
        "no_close_join_kept": "都不调用（Pool 仍被引用）",
        "close_only": "只调用 close()",
        "join_only": "只调用 join()",
        "context_manager": "with Pool() as p（块内取结果）",
        "context_manager_late_get": "with Pool() as p（块外再 .get()）",
    },
    "en": {
        "close_join": "close() + join() (seed)",
        "no_close_join": "neither (Pool dropped at return)",
        "no_close_join_kept": "neither (Pool kept referenced)",
        "close_only": "close() only",
        "join_only": "join() only",
        "context_manager": "with Pool() as p, results inside",
        "context_manager_late_get": "with Pool() as p, .get() after it",
    },
}
HEADER = {
    "zh": ["接口", "写法", "结果", "结果完整（次 / 共）", "返回后仍存活的子进程（中位数 / 最多）", "耗时中位数（秒）",
           "子进程全部退出（秒，自开始）"],
    "en": ["API", "Pattern", "Outcome", "Complete results (runs)", "Workers alive right after (median / max)",
           "Median time (s)", "All workers exited (s after start)"],
}
LINGER = {
    "zh": "{linger:g} 秒后仍有 {alive} 个存活（{k}/{n} 次）",
    "en": "{alive} still alive {linger:g} s later ({k}/{n} runs)",
}


def _ordered(summary: pd.DataFrame) -> pd.DataFrame:
    """APIs and variants in their fixed order (a summary read back from CSV has plain strings)."""
    out = summary.assign(api=pd.Categorical(summary["api"].astype(str), APIS, ordered=True),
                         variant=pd.Categorical(summary["variant"].astype(str), VARIANTS, ordered=True))
    return out.sort_values(["api", "variant"]).reset_index(drop=True)


def _label(variant: str, api: str, language: str = "en") -> str:
    text = LABELS[language][variant]
    if variant == "context_manager_late_get" and api == "map":
        text += " [map_async]"
    return text


def _exit_cell(r, language: str) -> str:
    if r.runs_lingering > 0:
        return LINGER[language].format(linger=float(r.linger_seconds), alive=int(r.children_lingering_max),
                                       k=int(r.runs_lingering), n=int(r.n))
    return fmt_seconds(r.children_exit_median)


def table(summary: pd.DataFrame, language: str = "zh") -> str:
    summary = _ordered(summary)
    rows = [
        [str(r.api), _label(str(r.variant), str(r.api), language), str(r.outcomes), f"{int(r.runs_complete)} / {int(r.n)}",
         f"{r.children_alive_after_median:g} / {int(r.children_alive_after_max)}", fmt_seconds(r.median),
         _exit_cell(r, language)]
        for r in summary.itertuples()
    ]
    return markdown_table(HEADER[language], rows) + "\n"


def _long(data: pd.DataFrame, low: str, mid: str, high: str, scale: float = 1.0) -> pd.DataFrame:
    """Three rows per bar (low, median, high) so that seaborn's median and
    100% percentile interval reproduce the summary's median and its range."""
    parts = [data.assign(value=data[c].astype(float) * scale) for c in (low, mid, high)]
    return pd.concat(parts, ignore_index=True)


def plot(summary: pd.DataFrame, cores: int, out_paths) -> None:
    from .. import plots  # here, not at the top: the timed jobs import this module
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.lines import Line2D

    labels = {**LABELS["en"], "context_manager_late_get": LABELS["en"]["context_manager_late_get"] + "\n(map: map_async)"}
    data = _ordered(summary)
    data = data.assign(pattern=data["variant"].astype(str).map(labels), api=data["api"].astype(str))
    order = [labels[v] for v in VARIANTS if v in set(data["variant"].astype(str))]
    apis = [a for a in APIS if a in set(data["api"])]
    palette = dict(zip(APIS, sns.color_palette("colorblind", 2)))
    delivered = data.assign(share_low=data["results_delivered_min"] / data["tasks"] * 100,
                            share=data["results_delivered_median"] / data["tasks"] * 100,
                            share_high=data["results_delivered_max"] / data["tasks"] * 100)
    pool_sizes = sorted(int(s) for s in data["pool_size"].unique())
    tasks = sorted(int(t) for t in data["tasks"].unique())
    task_s = sorted(float(t) for t in data["task_seconds"].unique())
    n = sorted(int(k) for k in data["n"].unique())
    common = dict(y="pattern", x="value", hue="api", order=order, hue_order=apis, palette=palette,
                  estimator="median", errorbar=("pi", 100), err_kws={"color": "0.2", "linewidth": 1.1},
                  capsize=0.25, orient="h", legend=False)
    width = 0.8 / len(apis)

    def y_of(r) -> float:
        return order.index(r.pattern) - 0.4 + width * (apis.index(r.api) + 0.5)

    with plots.style():
        fig, axes = plt.subplots(1, 3, figsize=(14.5, 0.32 * len(order) * len(apis) + 2.4),
                                 sharey=True, layout="constrained")
        left, middle, right = axes
        sns.barplot(data=_long(data, "ci_low", "median", "ci_high"), ax=left, **common)
        left.set_xlabel("time of poolDemo(), Pool start-up included (s)")
        left.set_title("time (median; whiskers: interval of the median)")
        left.set_xlim(0, float(data["ci_high"].max()) * 1.45)
        for r in data.itertuples():
            if str(r.variant) == "context_manager_late_get":
                left.text(float(r.ci_high) * 1.02, y_of(r), f"incl. {float(r.get_timeout):g} s .get() timeout",
                          va="center", fontsize="x-small", color="0.15")
        sns.barplot(data=_long(data, "children_alive_after_min", "children_alive_after_median",
                               "children_alive_after_max"), ax=middle, **common)
        for size in pool_sizes:
            middle.axvline(size, color="0.3", linestyle="--", linewidth=1.2, zorder=0)
        for r in data.itertuples():
            middle.text(float(r.children_alive_after_max) + 0.04 * max(pool_sizes), y_of(r),
                        f"{r.children_alive_after_median:g}", va="center", fontsize="x-small", color="0.15")
        middle.set_xlim(0, max(pool_sizes) * 1.2)
        middle.set_xlabel("worker processes alive right after return (count)")
        middle.set_title("workers still alive (median; whiskers: min–max)")
        sns.barplot(data=_long(delivered, "share_low", "share", "share_high"), ax=right, **common)
        right.axvline(100, color="0.3", linestyle="--", linewidth=1.2, zorder=0)
        right.set_xlim(0, 145)
        right.set_xlabel("results the function returned (% of tasks)")
        right.set_title("results delivered (median; whiskers: min–max)")
        for r in delivered.itertuples():  # name what went wrong next to its bar
            if str(r.outcome) == "ok":
                continue
            if str(r.outcome).startswith("error"):
                text = f"{_error_type(str(r.outcome))}: nothing returned"
            else:
                text = f"incomplete: {r.results_delivered_median:g} of {int(r.tasks)}"
            right.text(float(r.share_high) + 2, y_of(r), text, va="center", fontsize="x-small", color="0.15")
        for ax in axes:
            ax.set_ylabel("")
        handles = [Line2D([], [], color=palette[a], marker="s", linestyle="", markersize=9, label=a) for a in apis]
        handles.append(Line2D([], [], color="0.3", linestyle="--", label="Pool size (middle) / all tasks (right)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
        fig.suptitle(f"Are close() and join() optional? poolDemo() with Pool(processes={'/'.join(map(str, pool_sizes))}), "
                     f"{'/'.join(map(str, tasks))} tasks of {'/'.join(f'{t:g}' for t in task_s)} s each, "
                     f"{'/'.join(map(str, n))} runs per bar, on {cores} cores", fontsize="medium")
        plots.save(fig, out_paths)


def _runs(k: int, n: int) -> str:
    return f"all {n} runs" if k == n else f"{k} of {n} runs"


WAITS = {"map": "map() itself waits for every result", "apply_async": "each .get() waits for its result"}


def _error_type(outcomes: str) -> str:
    return outcomes.split(",")[0].replace("error: ", "").split(" ×")[0]


def findings(summary: pd.DataFrame, env: dict) -> list[str]:
    data = _ordered(summary)
    by = {(str(r.api), str(r.variant)): r for r in data.itertuples()}
    apis = [a for a in APIS if any(k[0] == a for k in by)]
    out: list[str] = []

    def rows(variant):
        return [(api, by[(api, variant)]) for api in apis if (api, variant) in by]

    # Without close()/join(): the Pool is a local, dropped when poolDemo() returns.
    for api, r in rows("no_close_join"):
        n, size = int(r.n), int(r.pool_size)
        text = (f"Without close() and join() (the Pool dropped when poolDemo() returns), {api} returned complete, "
                f"correct results in {_runs(int(r.runs_complete), n)}"
                + (f" - {WAITS[api]}" if r.runs_complete == n else "") + ". ")
        text += f"Right after the return {r.children_alive_after_median:g} of {size} workers were alive (median)"
        if r.runs_lingering == 0:
            text += f" and all had exited {fmt_seconds(r.children_exit_median)} s after the start"
        else:
            text += (f"; in {_runs(int(r.runs_lingering), n)} up to {int(r.children_lingering_max)} were still alive "
                     f"{float(r.linger_seconds):g} s after the return")
        if r.runs_pool_collected > 0:
            text += (f"; the Pool object had already been garbage-collected at the return in "
                     f"{_runs(int(r.runs_pool_collected), n)}, and collecting a Pool terminates its workers")
        out.append(text + ".")
    stuck = [(str(r.api), str(r.variant), int(r.runs_cleanup_stuck), int(r.n))
             for r in data.itertuples() if r.runs_cleanup_stuck > 0]
    if stuck:
        out.append("In " + ", ".join(f"{k} of {n} runs of {api} '{LABELS['en'][v]}'" for api, v, k, n in stuck)
                   + " the Pool's own clean-up, run by the garbage collector in one of the Pool's threads, had not "
                   f"finished {CLEANUP_GRACE:g} s after the run and its workers stayed alive until the harness "
                   "sent them stop messages: "
                   "leaving the end of a Pool to garbage collection can leave its processes behind.")
    warned = [(api, r) for api, r in rows("no_close_join") if r.runs_resource_warning > 0]
    if warned:
        out.append("Dropping the running Pool made Python emit 'ResourceWarning: unclosed running multiprocessing pool' in "
                   + " and ".join(f"{_runs(int(r.runs_resource_warning), int(r.n))} for {api}" for api, r in warned)
                   + " (hidden by Python's default warning filters; shown with -W default or -X dev).")

    parts = []
    for api, r in rows("no_close_join_kept"):
        n = int(r.n)
        if r.runs_lingering > 0:
            parts.append(f"{int(r.children_lingering_max)} of {int(r.pool_size)} {api} workers were still alive "
                         f"{float(r.linger_seconds):g} s after the return in {_runs(int(r.runs_lingering), n)}")
        else:
            parts.append(f"the {api} workers had all exited {fmt_seconds(r.children_exit_median)} s after the start "
                         f"in {_runs(n, n)}")
    if parts:
        out.append("Without close() and join() but with the Pool still referenced after the return (like a module-level "
                   "p = Pool()): " + "; ".join(parts) + ".")

    parts = []
    for api, r in rows("join_only"):
        n = int(r.n)
        if r.runs_error > 0:
            parts.append(f"for {api} it raised {_error_type(str(r.outcomes))} in {_runs(int(r.runs_error), n)}, "
                         f"with {r.children_alive_after_median:g} of {int(r.pool_size)} workers still alive right after "
                         "(median)")
        else:
            parts.append(f"for {api} it raised nothing in {_runs(n, n)}")
    if parts:
        none = all(r.runs_complete == 0 for _, r in rows("join_only"))
        out.append("join() without close(): " + "; ".join(parts) + (", so the function returned no results." if none else "."))

    parts = []
    for api, r in rows("close_only"):
        n = int(r.n)
        text = (f"for {api} the results were complete in {_runs(int(r.runs_complete), n)} and "
                f"{r.children_alive_after_median:g} of {int(r.pool_size)} workers were alive right after the return (median)")
        if r.runs_lingering == 0:
            text += f", all gone {fmt_seconds(r.children_exit_median)} s after the start"
        else:
            text += f", some still alive {float(r.linger_seconds):g} s later in {_runs(int(r.runs_lingering), n)}"
        parts.append(text)
    cj = rows("close_join")
    if parts:
        seed = " and ".join(f"{r.children_alive_after_max:g} ({api})" for api, r in cj)
        out.append("close() without join(): " + "; ".join(parts)
                   + (f". With close() + join(), at most {seed} workers were alive at the return." if seed else "."))

    parts = []
    for api, r in rows("context_manager"):
        parts.append(f"for {api} the results were complete in {_runs(int(r.runs_complete), int(r.n))} and "
                     f"{r.children_alive_after_max:g} workers were alive after the block (at most)")
    if parts:
        out.append("With Pool(...) as p and the results gathered inside the block: " + "; ".join(parts) + ".")

    late = rows("context_manager_late_get")
    if late:
        parts = []
        for api, r in late:
            how = "map_async" if api == "map" else "apply_async"
            parts.append(f"for {how}, {r.results_delivered_median:g} of {int(r.tasks)} results arrived (median; "
                         f"outcome {r.outcomes} in {_runs(int(max(r.runs_ok, r.runs_incomplete, r.runs_error)), int(r.n))})"
                         f" and {r.children_alive_after_max:g} workers were alive")
        out.append(f"Calling .get() only after leaving the with-block (its __exit__ calls terminate()), with a "
                   f"{float(late[0][1].get_timeout):g} s timeout: " + "; ".join(parts) + ".")

    # Time against the seed's pattern, among the patterns that returned complete results.
    for api in apis:
        if (api, BASELINE) not in by:
            continue
        base = by[(api, BASELINE)]
        faster, slower, same = [], [], []
        for variant in VARIANTS:
            if variant == BASELINE or (api, variant) not in by:
                continue
            r = by[(api, variant)]
            if r.runs_ok < r.n:
                continue
            lo, hi = float(r.speedup_ci_low), float(r.speedup_ci_high)
            name = f"'{LABELS['en'][variant]}'"
            if lo > 1:
                faster.append(f"{name} {fmt_seconds(r.median)} s")
            elif hi < 1:
                slower.append(f"{name} {fmt_seconds(r.median)} s")
            else:
                same.append(name)
        text = f"Time for {api}: the seed's close() + join() took {fmt_seconds(base.median)} s (median, Pool start-up included)"
        if faster:
            text += "; faster: " + ", ".join(faster)
        if slower:
            text += "; slower: " + ", ".join(slower)
        if same:
            text += "; not distinguishable from it (the paired interval includes 1×): " + ", ".join(same)
        if faster or slower or same:
            text += " (patterns with complete results only)"
        out.append(text + ".")

    # The answer to the seed's question, from the rows above.
    drop = rows("no_close_join")
    if drop:
        optional = all(r.runs_complete == r.n for _, r in drop)
        answer = ("Answer on this machine: close() and join() were "
                  + ("not needed for the results, which were complete without them" if optional
                     else "needed for complete results in at least one case"))
        what = []
        if cj and all(r.children_alive_after_max == 0 for _, r in cj):
            what.append("with both, no worker was alive when poolDemo() returned")
        collected = sum(int(r.runs_pool_collected) for _, r in drop)
        total = sum(int(r.n) for _, r in drop)
        if collected:
            what.append("without them that was left to the garbage collection of the dropped Pool "
                        f"(which came at the return in {collected} of {total} runs here)")
        kept = [r for _, r in rows("no_close_join_kept") if r.runs_lingering > 0]
        if kept:
            what.append("a Pool that stayed referenced without them kept its workers running")
        joins = rows("join_only")
        if joins and all(r.runs_error == r.n for _, r in joins):
            what.append(f"join() alone raised {_error_type(str(joins[0][1].outcomes))} every time, so it needs close() first")
        if any(r.runs_ok < r.n for _, r in late):
            what.append("a with-block terminates the workers, so results must be fetched inside it")
        if what:
            answer += ". They decide when the worker processes end: " + "; ".join(what)
        out.append(answer + ".")
    return out
