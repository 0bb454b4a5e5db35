"""What the experiments' worker processes run: standard library only, because a child started with spawn
imports a worker function's module inside the timed start-up (docs/development.md; tests/test_experiments.py
checks every experiment).  The others live in :mod:`mpbench.workloads`, :mod:`mpbench.rawio`,
:mod:`mpbench.experiments.process_queue` and numpy's :mod:`mpbench.experiments.shared_memory`.
"""

from __future__ import annotations

import time

# pool_api -----------------------------------------------------------------


def square(i: int) -> int:
    """The seed's ``worker(id)``: ``id**2``."""
    return i**2


def heavy(i: int, iterations: int = 500) -> int:
    """Real work per item: a pure-Python loop of ``iterations`` steps."""
    acc = i
    for k in range(iterations):
        acc = (acc * 31 + k) % 1_000_003
    return acc


# close_join ---------------------------------------------------------------


def worker(id: int, seconds: float = 0.0) -> int:  # noqa: A002 (the seed's name)
    """The seed's worker, ``id**2``, after sleeping ``seconds``."""
    if seconds > 0:
        time.sleep(seconds)
    return id**2


# crossover and process_queue (bounds: also shared_memory's slices) -----------


def bounds(n: int, parts: int) -> list[tuple[int, int]]:
    """``range(n)`` cut into ``parts`` contiguous (lo, hi) chunks whose lengths differ by at most 1
    (empty ones when there are more parts than items)."""
    return [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]


def sum_squares(bounds: tuple[int, int]) -> int:
    """The work of one chunk: a plain Python loop adding i * i for i in range(lo, hi)."""
    lo, hi = bounds
    total = 0
    for i in range(lo, hi):
        total += i * i
    return total


# lock ---------------------------------------------------------------------


def add_to_counter(counter, lock, n: int, mode: str, batch: int) -> None:
    """A lock child's work: add 1 to the shared counter n times."""
    if mode == "no_lock":
        for _ in range(n):
            counter.value += 1
    elif mode == "lock_each":
        for _ in range(n):
            with lock:
                counter.value += 1
    elif mode == "lock_batch":
        done = 0
        while done < n:
            local = 0
            for _ in range(min(batch, n - done)):
                local += 1
            with lock:
                counter.value += local
            done += local
    else:
        raise ValueError(mode)


# threads_vs_processes -----------------------------------------------------


def cpu_task(steps: int, i: int) -> tuple[int, int]:
    """Sum of k*k for k in [i, i + steps): pure Python, holds the GIL."""
    total = 0
    for k in range(i, i + steps):
        total += k * k
    return i, total


def io_task(path: str, i: int) -> tuple[int, int]:
    """Read the test file whole in text mode; the value is its length in characters."""
    with open(path, encoding="utf-8") as fh:
        return i, len(fh.read())


def sleep_task(seconds: float, i: int) -> tuple[int, int]:
    """Wait without using the CPU (like a network call); the value is the index."""
    time.sleep(seconds)
    return i, i


def cpu_loop(steps: int) -> int:
    """The machine's fixed operation (mpbench.calibrate, and the sentinel run after
    every repetition, timing.repeat_variants): a pure-Python loop of ``steps`` steps."""
    total = 0
    for i in range(steps):
        total += i * i % 7
    return total
