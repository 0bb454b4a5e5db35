"""backends (Pool 以外的选择): the same workloads through multiprocessing.Pool, ProcessPoolExecutor, joblib, mpire,
multiprocess, Dask and Ray, each started, used and shut down in every run, the start-up and the work timed apart.

What it measures, each backend's start-up and data-passing model, and how to read it: docs/experiments/backends.md.
Every backend is imported inside a function, never at the top: a spawned worker imports this module, and a
backend that is not installed is skipped (the reason in every row of the point) instead of failing the import.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Callable

from .. import fileio, tasks, timing, workloads
from ..plan import Units, file_run
from .common import run_variants

NAME = __name__.rsplit(".", 1)[-1]
#: Every backend, the Pool (the baseline) first, and the module each one needs beside the standard library.
NEEDS = {
    "pool": None,
    "executor": None,
    "joblib": "joblib",
    "mpire": "mpire",
    "multiprocess": "multiprocess",
    "dask": "distributed",
    "ray": "ray",
}
BACKENDS = tuple(NEEDS)
#: What stands in a row's start_method where the backend starts its processes its own way, whatever start_method says.
OWN_START = {"joblib": "loky", "dask": "Dask nanny (spawn)", "ray": "raylet"}
#: Each workload: the file operation it repeats, or the kind of task (docs/experiments/backends.md).
WORKLOADS = {f"{kind}_{size}": kind for kind in ("read", "readwrite", "cpu") for size in ("small", "large")}
WORKLOADS.update(array="array", tiny="tiny")
MIB = 1024 * 1024


# The workloads ---------------------------------------------------------------------------------------------


def slice_sum(array, i: int, parts: int) -> int:
    """The array workload's task: the sum of every ``parts``-th element of the whole array from ``i`` (each task
    gets all of it)."""
    return int(array[i::parts].sum())


@dataclass
class Work:
    """One workload: ``fn(item)`` for every item, ``fn(shared, item)`` where every task gets a large argument."""

    fn: Callable
    items: list
    shared: Any = None
    out_dir: str | None = None  # readwrite: where its copies go (removed after the point)

    def call(self) -> Callable:
        """The task as a callable of one item: the large argument bound into it, pickled with every chunk."""
        return self.fn if self.shared is None else functools.partial(self.fn, self.shared)


def workload(name: str, section: dict, data_file: str | None, scratch_dir: str) -> Work:
    """The tasks of one workload at the section's sizes."""
    kind = WORKLOADS[name]
    if kind in ("read", "readwrite"):
        if not data_file:
            raise ValueError(f"{NAME} {name}: needs data_file (the pipeline's test file)")
        loops = section["loops_" + name.rsplit("_", 1)[1]]
        out_dir = tempfile.mkdtemp(prefix=f"{NAME}-{name}-", dir=scratch_dir) if kind == "readwrite" else None
        return Work(fileio.operation(kind, os.path.abspath(data_file), out_dir), list(range(loops)), out_dir=out_dir)
    if kind == "cpu":
        return Work(tasks.sum_squares, tasks.bounds(section[name], section["cpu_tasks"]))
    if kind == "array":
        import numpy as np

        parts = section["array_tasks"]
        array = np.arange(section["array_mib"] * MIB // 8, dtype=np.int64)
        return Work(functools.partial(slice_sum, parts=parts), list(range(parts)), shared=array)
    return Work(tasks.square, list(range(section["tiny_tasks"])))


# The backends: start, map, stop (and abort, on a failure or a timeout) --------------------------------------
# Each start returns a handle; map returns the results in the items' order.


def _pool_end(pool, terminate: bool = False) -> None:
    """close (the normal end) or terminate a Pool, then join it."""
    (pool.terminate if terminate else pool.close)()
    pool.join()


def _executor_start(workers: int, work: Work, start_method: str):
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(start_method))


def _executor_map(ex, work: Work, workers: int) -> list:
    # The chunksize Pool.map would choose itself (ProcessPoolExecutor.map's own default is 1).
    chunksize = max(1, fileio.effective_chunksize(len(work.items), workers, fileio.DEFAULT_CHUNKSIZE))
    return list(ex.map(work.call(), work.items, chunksize=chunksize))


def _joblib_start(workers: int, work: Work, start_method: str):
    import joblib

    parallel = joblib.Parallel(n_jobs=workers, backend="loky")
    parallel.__enter__()  # the backend and its executor, reused by the call
    return parallel


def _joblib_map(parallel, work: Work, workers: int) -> list:
    from joblib import delayed

    # delayed(fn)(shared, item): joblib memory-maps a large numpy argument instead of pickling it per task.
    if work.shared is None:
        return parallel(delayed(work.fn)(item) for item in work.items)
    return parallel(delayed(work.fn)(work.shared, item) for item in work.items)


def _joblib_stop(parallel) -> None:
    from joblib.externals.loky import get_reusable_executor

    parallel.__exit__(None, None, None)
    # loky keeps its workers for the next call: shut them down, so that each run starts its own.
    # (The same size as the call's: another would resize the executor first.)
    get_reusable_executor(max_workers=parallel.n_jobs).shutdown(wait=True, kill_workers=True)


def _mpire_start(workers: int, work: Work, start_method: str):
    from mpire import WorkerPool

    # shared_objects: copy-on-write under fork, one copy per worker otherwise (not one per task).
    # keep_alive: the workers stay until stop_and_join, as a Pool's stay until close and join.
    return WorkerPool(n_jobs=workers, start_method=start_method, shared_objects=work.shared, keep_alive=True)


def _mpire_map(pool, work: Work, workers: int) -> list:
    # mpire unpacks a tuple item into arguments: each item goes as a 1-tuple.
    return pool.map(work.fn, [(item,) for item in work.items])


def _dask_start(workers: int, work: Work, start_method: str):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        return cluster, Client(cluster)
    except BaseException:
        cluster.close()
        raise


def _dask_map(handle, work: Work, workers: int) -> list:
    _, client = handle
    if work.shared is None:
        futures = client.map(work.fn, work.items, pure=False)
    else:  # one copy on every worker, handed to every task by reference
        [shared] = client.scatter([work.shared], broadcast=True)
        futures = client.map(work.fn, [shared] * len(work.items), work.items, pure=False)
    return client.gather(futures)


def _dask_stop(handle) -> None:
    cluster, client = handle
    try:
        client.close()
    finally:
        cluster.close()


def _ray_start(workers: int, work: Work, start_method: str):
    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # a benchmark reports nothing anywhere
    try:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    except BaseException:
        ray.shutdown()
        raise
    return ray


def apply(fn: Callable, *args):
    """``fn(*args)``: what Ray runs remotely (it takes functions, not partials)."""
    return fn(*args)


def _ray_map(ray, work: Work, workers: int) -> list:
    remote = ray.remote(max_retries=0)(apply)  # a task whose worker died fails the run, as in every backend
    if work.shared is None:
        refs = [remote.remote(work.fn, item) for item in work.items]
    else:
        shared = ray.put(work.shared)  # in the object store once; each task reads it without a copy
        refs = [remote.remote(work.fn, shared, item) for item in work.items]
    # ray.get blocks where no signal reaches Python (point_timeout_s would wait for ever): wait in short steps.
    pending = refs
    try:
        while pending:
            _, pending = ray.wait(pending, num_returns=len(pending), timeout=0.2)
    except SystemError as err:
        # Ray's C code wraps what a signal handler raised (PointTimeout, KeyboardInterrupt): raise that instead.
        if isinstance(err.__context__, BaseException) and not isinstance(err.__context__, Exception):
            raise err.__context__ from None
        raise
    return ray.get(refs)


@dataclass(frozen=True)
class Backend:
    start: Callable  # (workers, work, start_method) -> handle
    map: Callable  # (handle, work, workers) -> results
    stop: Callable  # (handle) -> None: the normal end
    abort: Callable  # (handle) -> None: after a failure or a timeout


def _module_pool(module: str) -> Backend:
    """multiprocessing's Pool or multiprocess's (the same API, dill instead of pickle)."""
    return Backend(
        lambda workers, work, start_method: importlib.import_module(module).get_context(start_method).Pool(workers),
        lambda pool, work, workers: pool.map(work.call(), work.items),
        _pool_end,
        functools.partial(_pool_end, terminate=True),
    )


API = {
    "pool": _module_pool("multiprocessing"),
    "executor": Backend(
        _executor_start,
        _executor_map,
        lambda ex: ex.shutdown(wait=True),
        lambda ex: ex.shutdown(True, cancel_futures=True),
    ),
    "joblib": Backend(_joblib_start, _joblib_map, _joblib_stop, _joblib_stop),
    "mpire": Backend(_mpire_start, _mpire_map, lambda pool: pool.stop_and_join(), lambda pool: pool.terminate()),
    "multiprocess": _module_pool("multiprocess"),
    "dask": Backend(_dask_start, _dask_map, _dask_stop, _dask_stop),
    "ray": Backend(_ray_start, _ray_map, lambda ray: ray.shutdown(), lambda ray: ray.shutdown()),
}


def missing(backend: str) -> str | None:
    """Why ``backend`` cannot run here (None when it can): the import error of the module it needs."""
    module = NEEDS[backend]
    if module is None:
        return None
    try:
        importlib.import_module(module)
    except Exception as err:  # an ImportError, or a package that fails while it is imported
        return f"{type(err).__name__}: {err}"
    return None


def version(backend: str) -> str:
    module = NEEDS[backend]
    return "stdlib" if module is None else metadata.version(module)


# Processes of this one ---------------------------------------------------------------------------------------


def _stat(pid) -> tuple[int, int] | None:
    """(parent pid, start time) of a process, from /proc; None when it is gone (or there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def descendants() -> dict[int, int]:
    """Every process below this one in the process tree, with its start time (a pid used again is another
    process), from /proc (none elsewhere)."""
    entries = os.listdir("/proc") if os.path.isdir("/proc") else ()
    stat = {int(e): s for e in entries if e.isdigit() and (s := _stat(e)) is not None}
    found, todo = {}, [os.getpid()]
    while todo:
        this = todo.pop()
        children = {p: start for p, (parent, start) in stat.items() if parent == this}
        found.update(children)
        todo += children
    return found


#: Set in this process's environment for every process a backend starts by exec (Dask's, Ray's), which inherit it:
#: what a failed run left is found by it even where its parent is gone (point_timeout_s ends this process's
#: children first, and Ray's workers outlive their raylet).
OWNER = "MPBENCH_BACKEND_OWNER"


def owned() -> dict[int, int]:
    """Every process below this one, and every other that carries this one's OWNER mark (pid: start time)."""
    mark, found = f"{OWNER}={os.getpid()}".encode(), descendants()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        with contextlib.suppress(OSError):
            if entry.isdigit() and int(entry) != os.getpid():
                with open(f"/proc/{entry}/environ", "rb") as fh:
                    if mark in fh.read().split(b"\0") and (stat := _stat(entry)) is not None:
                        found[int(entry)] = stat[1]
    return found


def kill_left(processes: dict[int, int]) -> None:
    """SIGKILL every one of ``processes`` (pid: start time) still running."""
    for pid, start in processes.items():
        if (_stat(pid) or (None, None))[1] == start:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def peak_mib(pids) -> float | None:
    """The sum of the peak resident memory (VmHWM) of ``pids``, MiB; None where /proc cannot say."""
    total, seen = 0, False
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
                        seen = True
        except (OSError, ValueError):
            continue
    return total / 1024 if seen else None


# One run, and the point --------------------------------------------------------------------------------------


#: The directory that holds this package: the backends that start fresh interpreters (loky, Dask's nannies,
#: Ray's workers) import the task functions from it, wherever the pipeline's working directory is.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def importable() -> None:
    """Put :data:`ROOT` on the ``PYTHONPATH`` the backends' processes inherit, once."""
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if ROOT not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([ROOT, *paths])


def run_backend(backend: str, work: Work, workers: int, start_method: str) -> tuple[dict, list]:
    """Start ``backend``, map the work, read its processes' peak memory (untimed), shut it down: each phase
    timed; whatever happens in between (a failing task, point_timeout_s), what it started is shut down."""
    api = API[backend]
    os.environ[OWNER] = str(os.getpid())
    importable()
    before = owned()  # untimed: processes that the backend did not start
    started_at = time.time()
    t0 = time.perf_counter()
    handle = api.start(workers, work, start_method)
    try:
        t1 = time.perf_counter()
        results = list(api.map(handle, work, workers))
        t2 = time.perf_counter()
        memory = peak_mib(set(descendants()) - set(before))
        t3 = time.perf_counter()
        api.stop(handle)
        handle = None
        t4 = time.perf_counter()
    finally:
        if handle is not None:
            started = {p: t for p, t in owned().items() if p not in before}
            try:
                api.abort(handle)
            finally:
                # What the backend's own shutdown left running (Ray's busy workers), and what started meanwhile.
                kill_left({**started, **{p: t for p, t in owned().items() if p not in before}})
    start, work_s, stop = t1 - t0, t2 - t1, t4 - t3
    times = {"seconds": start + work_s + stop, "start_seconds": start, "work_seconds": work_s, "stop_seconds": stop}
    return {**times, "children_peak_mib": memory, "started_at": started_at, "ended_at": time.time()}, results


def run(
    point: dict, section: dict, *, repeats, warmup: int, scratch_dir: str | None = None, data_file: str | None = None
) -> list[dict]:
    name, workers = point["workload"], section["workers"]
    start_method = multiprocessing.get_start_method()  # the job's (config start_method)
    kind = WORKLOADS[name]
    os.makedirs(scratch_dir or "results/scratch", exist_ok=True)
    work = workload(name, section, data_file, scratch_dir or "results/scratch")
    try:
        call = work.call()
        expected = [call(item) for item in work.items]  # untimed: what every run must return
        skipped = {b: why for b in section["backends"] if (why := missing(b))}
        names = ["serial", *(b for b in section["backends"] if b not in skipped)]
        inner = timing.inner_loops(lambda i: call(work.items[i]), len(work.items))

        def measure(variant: str) -> tuple[dict, list]:
            if variant == "serial":
                times, result = timing.time_serial(lambda i: call(work.items[i]), len(work.items), inner)
                how, version_ = "none", "stdlib"
            else:
                times, result = run_backend(variant, work, workers, start_method)
                how, version_ = OWN_START.get(variant, start_method), version(variant)
                if kind == "readwrite":  # untimed: every copy written whole by this run
                    size = os.path.getsize(data_file)
                    problem = workloads.written_problem(kind, work.out_dir, len(work.items), size, times["started_at"])
                    if problem:
                        raise RuntimeError(f"{NAME} {name} {variant}: a write run left the wrong files: {problem}")
            facts = {"workload": name, "tasks": len(work.items), "workers": workers, "backend_version": version_}
            return {**times, **facts, "start_method": how, "skipped": _skipped_text(skipped)}, result

        def check(variant: str, result) -> None:
            if result != expected:
                wrong = next(
                    (i for i, (a, b) in enumerate(zip(result, expected)) if a != b), min(len(result), len(expected))
                )
                raise RuntimeError(
                    f"{NAME} {name} {variant}: {len(result)} results for {len(expected)} tasks, first wrong at index {wrong}"
                )

        floor = {"read": "read", "readwrite": "readwrite"}.get(kind, "cpu_loop")
        kinds = {"serial": floor, **{b: ("dispatch" if kind == "tiny" else floor) + "+pool" for b in names[1:]}}
        settings = {k: v for k, v in section.items() if k not in ("enabled", "workloads")}
        return run_variants(
            NAME, point, measure, check, repeats, warmup, names=names, settings=settings, floor_kinds=kinds
        )
    finally:
        if work.out_dir:
            shutil.rmtree(work.out_dir, ignore_errors=True)


def _skipped_text(skipped: dict) -> str:
    """The backends that could not run at this point and why, as one field: "ray: ModuleNotFoundError: ..."."""
    return "; ".join(f"{b}: {why}" for b, why in skipped.items())


#: Seconds that starting and shutting down each backend costs beyond a Pool's start (``Units.pool``), measured on
#: the reference machine (2 cores, 2 workers); per-task seconds of those that send every task alone through a
#: scheduler; the backends that pickle the array workload's array with every task, and how fast (bytes/s).
START_S = {"joblib": 0.5, "mpire": 0.1, "dask": 1.5, "ray": 6.0}
TASK_S = {"dask": 2e-3, "ray": 1e-3}
PICKLED = {"pool", "executor", "multiprocess"}
COPY_BPS = 500 * MIB


def cost(point: dict, section: dict, u: Units) -> float:
    """One repetition: the serial loop and every backend's start, work and shutdown."""
    name, w = point["workload"], section["workers"]
    kind = WORKLOADS[name]
    if kind in ("read", "readwrite"):
        tasks_n = section["loops_" + name.rsplit("_", 1)[1]]
        serial = file_run(kind, tasks_n, u)
    elif kind == "cpu":
        tasks_n, serial = section["cpu_tasks"], section[name] * 5 * u.step
    elif kind == "array":  # numpy sums about 1 GB/s
        tasks_n, serial = section["array_tasks"], section["array_mib"] * 1e-3
    else:
        tasks_n, serial = section["tiny_tasks"], section["tiny_tasks"] * 5 * u.step
    copies = tasks_n * section["array_mib"] * MIB / COPY_BPS if kind == "array" else 0.0

    def one(b: str) -> float:
        work = serial / max(1, min(w, u.cores)) + tasks_n * (u.task + TASK_S.get(b, 0.0))
        return u.pool + START_S.get(b, 0.0) + work + (copies if b in PICKLED else 0.0)

    return serial + sum(one(b) for b in section["backends"])
