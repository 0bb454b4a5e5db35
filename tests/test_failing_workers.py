"""A worker that raises, dies or hangs fails the run within a bounded time, naming the point."""

import multiprocessing
import os
import signal
import sys
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
    with pytest.raises(timing.WorkerDied, match=rf"^readwrite loops=4 pool: worker pid \d+ (was )?{words}"):
        timing.time_pool(fn, 4, 2, CTX, chunksize=1, label="readwrite loops=4 pool")
    assert time.monotonic() - t0 < 20
    assert not multiprocessing.active_children()  # the Pool was terminated and joined


def test_a_worker_that_hangs_hits_the_timeout():
    t0 = time.monotonic()
    with pytest.raises(
        timing.RunTimeout, match=r"read loops=2 pool: a timed run took longer than run_timeout_s = 0.5 s"
    ):
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
    disarm = timing.point_deadline(0.3, "process_queue workers2")
    try:
        with pytest.raises(
            timing.PointTimeout, match="process_queue workers2: the point took longer than point_timeout_s = 0.3 s"
        ):
            queue.Queue().get()  # never returns on its own
    finally:
        disarm()
    assert time.monotonic() - t0 < 5


def test_the_point_deadline_is_not_swallowed_by_code_that_catches_oserror():
    """Library code catches OSError and Exception all over (os.path.exists,
    rmtree(ignore_errors=True)); an alarm landing there must still end the point."""
    t0 = time.monotonic()
    disarm = timing.point_deadline(0.3, "read loops=4 workers=2")
    try:
        with pytest.raises(timing.PointTimeout):
            while time.monotonic() - t0 < 10:
                try:
                    os.stat("/nonexistent/mpbench")
                except Exception:  # noqa: BLE001 - the point of the test
                    pass
    finally:
        disarm()
    assert time.monotonic() - t0 < 5


def test_the_point_deadline_waits_out_code_that_would_drop_it():
    """An alarm that lands in logging's fork hooks or in a __del__ would be reported
    and dropped ("Exception ignored in ...") - in logging's hook with its lock left
    held, and the point then hung until it was killed. It fires again just after."""
    import logging
    import types

    def frame_of(name: str, module_globals: dict):
        code = (lambda: sys._getframe()).__code__.replace(co_name=name)
        return types.FunctionType(code, {**module_globals, "sys": sys})()

    assert timing.swallowed_there(frame_of("_releaseLock", vars(logging)))
    assert timing.swallowed_there(frame_of("__del__", {"__name__": "anywhere"}))
    assert not timing.swallowed_there(frame_of("_releaseLock", {"__name__": "elsewhere"}))
    assert not timing.swallowed_there(None)

    ns: dict = {}
    exec("def __del__(until):\n    while time.perf_counter() < until:\n        pass\n", {"time": time}, ns)
    t0 = time.perf_counter()
    disarm = timing.point_deadline(0.2, "read loops=4 workers=2")
    try:
        with pytest.raises(timing.PointTimeout):
            ns["__del__"](t0 + 0.6)  # the alarm lands in here, and waits until it returns
            time.sleep(5)
    finally:
        disarm()
    assert 0.6 <= time.perf_counter() - t0 < 3


def _sleep_past_a_deadline() -> None:
    """Arm a 0.3 s point deadline, sleep into it, and disarm it."""
    disarm = timing.point_deadline(0.3, "read loops=4 workers=2")
    try:
        with pytest.raises(timing.PointTimeout):
            time.sleep(10)
    finally:
        disarm()


def test_the_point_deadline_leaves_a_pools_workers_to_its_terminate():
    """Killing a running Pool's workers can leave terminate() waiting for ever on
    the task queue's lock a killed worker held, while the Pool starts new ones."""
    pool = multiprocessing.get_context("fork").Pool(2)
    try:
        pool.map(abs, range(4))
        workers = [p for p in multiprocessing.active_children() if "PoolWorker" in p.name]
        _sleep_past_a_deadline()
        assert workers and all(p.is_alive() for p in workers)
    finally:
        pool.terminate()
        pool.join()


HANGS_DEAF = """
import multiprocessing, os, signal, sys, time
sys.path.insert(0, {repo!r})
from mpbench import timing
child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(600,))
child.start()
print(child.pid, flush=True)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])  # the alarm can never land
disarm = timing.point_deadline(0.3, "lock workers2", grace=0.5)
{after}
"""


def _run_script(after: str):
    import subprocess
    import sys

    from conftest import REPO

    code = HANGS_DEAF.format(repo=str(REPO), after=after)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return proc, time.monotonic() - t0


def test_a_point_deaf_to_its_alarm_is_killed_with_its_children_after_the_grace():
    proc, took = _run_script("time.sleep(600)")
    assert proc.returncode == 1, proc.stderr
    assert (
        "lock workers2: the point took longer than point_timeout_s = 0.3 s (something in it hangs, "
        "or the point is too large for the timeout); it did not stop within 0.5 s after that, so it was killed"
    ) in proc.stderr
    assert took < 30
    child = int(proc.stdout.split()[0])
    for _ in range(100):  # the killed child is reaped by init shortly after
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"child {child} outlived the killed point")


def test_a_disarmed_deadline_kills_nothing():
    proc, took = _run_script(
        "disarm(); signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGALRM]); "
        "time.sleep(1.5); child.kill(); print('done', flush=True)"
    )
    assert proc.returncode == 0 and "done" in proc.stdout, proc.stderr
    assert took >= 1.5 and "point_timeout_s" not in proc.stderr


def test_the_point_deadline_kills_children_no_caller_holds():
    """A child no Pool owns is killed by the deadline itself, also one
    multiprocessing does not track."""
    pid = os.fork()
    if pid == 0:  # a child no Process object knows of
        time.sleep(600)
        os._exit(0)
    _sleep_past_a_deadline()
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
