"""A worker that raises, dies or hangs fails the run within a bounded time, naming the point."""

import multiprocessing
import os
import signal
import time

import pytest

from mpbench import timing

CTX = multiprocessing.get_context("fork")


def raises(i):
    if i == 3:
        raise ValueError("bad input 3")
    return i


def killed(i):
    if i == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)
    return i


def exits(i):
    if i == 1:
        os._exit(3)
    time.sleep(0.05)
    return i


def sleeps(i):
    time.sleep(30 if i == 0 else 0)
    return i


def test_a_worker_that_raises_names_the_point_and_the_error():
    with pytest.raises(ValueError, match="bad input 3") as info:
        timing.time_pool(raises, 8, 2, CTX, label="read loops=8 pool")
    assert "read loops=8 pool: a worker raised ValueError: bad input 3" in info.value.__notes__
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("fn, words", [(killed, "killed by signal 9"), (exits, "exited with code 3")])
def test_a_worker_that_dies_fails_at_once_instead_of_hanging(fn, words):
    """Plain Pool.map waits for ever here (CPython gh-66587)."""
    t0 = time.monotonic()
    with pytest.raises(timing.WorkerDied, match=f"readwrite loops=4 pool: worker pid \\d+ was {words}|{words}"):
        timing.time_pool(fn, 4, 2, CTX, chunksize=1, label="readwrite loops=4 pool")
    assert time.monotonic() - t0 < 20
    assert not multiprocessing.active_children()  # the Pool was terminated and joined


def test_a_worker_that_hangs_hits_the_timeout():
    t0 = time.monotonic()
    with pytest.raises(timing.RunTimeout, match=r"read loops=2 pool: a timed run took longer than run_timeout_s = 0.5 s"):
        timing.time_pool(sleeps, 2, 2, CTX, chunksize=1, timeout=0.5, label="read loops=2 pool")
    assert time.monotonic() - t0 < 10
    assert not multiprocessing.active_children()


def test_the_run_timeout_applies_to_every_pool_run():
    timing.set_run_timeout(0.5)
    try:
        with pytest.raises(timing.RunTimeout):
            timing.time_pool(sleeps, 2, 2, CTX, chunksize=1)
    finally:
        timing.set_run_timeout(None)


def test_a_healthy_run_is_unchanged():
    times, results = timing.time_pool(raises, [0, 1, 2], 2, CTX, timeout=30)
    assert results == [0, 1, 2] and times["map_seconds"] > 0


def test_the_point_deadline_interrupts_whatever_hangs():
    import queue

    t0 = time.monotonic()
    timing.point_deadline(0.3, "process_queue workers2")
    try:
        with pytest.raises(TimeoutError, match="process_queue workers2: the point took longer than point_timeout_s = 0.3 s"):
            queue.Queue().get()  # never returns on its own
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    assert time.monotonic() - t0 < 5
