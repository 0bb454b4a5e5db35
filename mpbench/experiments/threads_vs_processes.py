"""threads_vs_processes (效率对比 threading & multiprocessing): the same tasks run serially, with threads and
with processes, for CPU-bound work, file reads and sleeps.

What it measures and how to read it: docs/experiments/threads_vs_processes.md.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Callable

from .. import timing
from ..plan import Units
from ..tasks import cpu_task, io_task, sleep_task
from .common import expected_sum, run_variants

NAME = __name__.rsplit(".", 1)[-1]  # the config section and the raw rows' experiment
KINDS = ("cpu", "io", "sleep")
VARIANTS = ("serial", "thread", "thread_pool", "process_pool")
PARALLEL = VARIANTS[1:]


def expected_cpu_total(steps: int, tasks: int) -> int:
    """What the serial loop computes: the sum of every cpu task's value, in closed form."""
    return sum(expected_sum(i + steps) - expected_sum(i) for i in range(tasks))


def make_task(kind: str, section: dict, data_file: str | None) -> tuple[Callable[[int], tuple[int, int]], int | None]:
    """The task function of one kind (a picklable partial) and the value the check expects."""
    if kind == "cpu":
        steps = section["cpu_steps"]
        return partial(cpu_task, steps), expected_cpu_total(steps, section["tasks"])
    if kind == "io":
        if not data_file:
            raise ValueError(f"{NAME}: the io kind needs data_file (the pipeline's test file)")
        length = len(Path(data_file).read_text(encoding="utf-8"))  # the reference length, read once, untimed
        return partial(io_task, str(data_file)), length
    if kind == "sleep":
        return partial(sleep_task, float(section["sleep_seconds"])), None
    raise ValueError(f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}")


def verify(kind: str, variant: str, result: list, tasks: int, expected: int | None) -> None:
    """Raise unless ``result`` (a list of (index, value)) is what the serial loop gives."""
    where = f"{NAME} {kind} {variant}"
    indices = sorted(i for i, _ in result)
    if indices != list(range(tasks)):
        missing = sorted(set(range(tasks)) - set(indices))
        extra = len(indices) - len(set(indices))
        raise RuntimeError(
            f"{where}: task indices incomplete ({len(indices)} results for {tasks} tasks, "
            f"missing {missing[:5]}, {extra} duplicated)"
        )
    if kind == "cpu":
        total = sum(v for _, v in result)
        if total != expected:
            raise RuntimeError(f"{where}: sum of results {total} differs from the serial sum {expected}")
    elif kind == "io":
        short = [(i, v) for i, v in result if v != expected]
        if short:
            raise RuntimeError(
                f"{where}: {len(short)} reads did not return the full file "
                f"({short[0][1]} of {expected} characters in task {short[0][0]})"
            )
    elif kind == "sleep":
        wrong = [(i, v) for i, v in result if v != i]
        if wrong:
            raise RuntimeError(f"{where}: task {wrong[0][0]} returned {wrong[0][1]}")


def _thread_worker(fn, indices, out: list, errors: list, go: threading.Event) -> None:
    """Body of one threading.Thread: its share of the tasks; an exception is kept, not lost."""
    go.wait()  # all threads start working together, once every one of them is running
    try:
        for i in indices:
            out.append(fn(i))
    except BaseException as err:  # re-raised by the caller after join
        errors.append(err)


def execute(variant: str, fn, tasks: int, workers: int, ctx=None) -> tuple[dict, list]:
    """Run all tasks one way; return (times, [(index, value), ...]); what ``start_seconds`` covers in each
    way: docs/experiments/threads_vs_processes.md."""
    started_at = time.time()
    t0 = time.perf_counter()
    t_start = t0
    if variant == "serial":
        results = [fn(i) for i in range(tasks)]
    elif variant == "thread":
        outs: list[list] = [[] for _ in range(workers)]
        errors: list[BaseException] = []
        go = threading.Event()
        threads = [
            threading.Thread(
                target=_thread_worker,
                args=(fn, range(t, tasks, workers), outs[t], errors, go),
                name=f"tvp-{t}",
                daemon=True,
            )
            for t in range(workers)
        ]
        try:
            for t in threads:
                t.start()
            t_start = time.perf_counter()
        finally:
            go.set()  # also when a start failed: release the threads already running
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        results = [r for out in outs for r in out]
    elif variant == "thread_pool":
        with ThreadPoolExecutor(max_workers=workers) as pool:
            t_start = time.perf_counter()
            results = list(pool.map(fn, range(tasks)))
    elif variant == "process_pool":
        times, results = timing.time_pool(fn, tasks, workers, ctx, chunksize=1)
        times["start_seconds"] = times.pop("pool_start_seconds")
        return {k: times[k] for k in ("seconds", "start_seconds", "started_at", "ended_at")}, results
    else:
        raise ValueError(f"unknown variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    t1 = time.perf_counter()
    times = {"seconds": t1 - t0, "start_seconds": t_start - t0, "started_at": started_at, "ended_at": time.time()}
    return times, results


def run(point: dict, section: dict, *, repeats, warmup, scratch_dir=None, data_file=None) -> list[dict]:
    kind, workers, tasks = point["kind"], point["workers"], section["tasks"]
    fn, expected = make_task(kind, section, data_file)
    start_method = multiprocessing.get_start_method()

    def measure(name):
        times, result = execute(name, fn, tasks, workers)
        return {
            **times,
            "tasks": tasks,
            "start_method": start_method,
            "result_total": sum(v for _, v in result),
        }, result

    def check(name: str, result: list) -> None:
        verify(kind, name, result, tasks, expected)

    settings = {k: section[k] for k in ("tasks", "cpu_steps", "sleep_seconds")}
    if kind == "io":
        settings["data_bytes"] = Path(data_file).stat().st_size
    work = "read" if kind == "io" else "cpu_loop"
    kinds = {**{v: work for v in VARIANTS}, "process_pool": work + "+pool"}
    return run_variants(
        NAME, point, measure, check, repeats, warmup, names=VARIANTS, settings=settings, floor_kinds=kinds
    )


def cost(point: dict, section: dict, u: Units) -> float:
    tasks, w = section["tasks"], point["workers"]
    one = {"cpu": section["cpu_steps"] * u.step * 0.75, "io": u.read, "sleep": section["sleep_seconds"]}[point["kind"]]
    parallel = one * tasks / (min(w, u.cores) if point["kind"] != "sleep" else w)
    return 2 * one * tasks + parallel + u.pool + max(parallel, one * tasks / min(w, tasks))
