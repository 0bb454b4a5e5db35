"""Timing one run of ``loops`` operations, serially or through a Pool, and the repetitions of a point
(docs/method.md): ``time.perf_counter`` seconds, with the wall-clock start and end (epoch seconds) that show
runs never overlap."""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import glob
import logging
import math
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
import zlib
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from .environment import machine_state, steal_ticks
from .poolstart import pool_phases

if TYPE_CHECKING:
    from .precision import Policy

log = logging.getLogger("mpbench")


#: A serial loop shorter than this is timed as several loops back to back (see inner_loops).
MIN_SAMPLE_S = 0.05
#: The sentinel after every repetition (see :class:`Sentinel`) lasts about half the
#: repetition's shortest run, within these bounds (seconds).
SENTINEL_MIN_S = 0.005
SENTINEL_MAX_S = 0.04


class Sentinel:
    """The sentinel: one run of the calibration's loop (tasks.cpu_loop) after every repetition (docs/method.md)."""

    steps: int | None = None  # the loop's length, once sized

    def size(self, shortest_run_s: float) -> None:
        """Choose the loop's length: about half the first repetition's shortest run."""
        from .calibrate import steps_per_second

        target = min(SENTINEL_MAX_S, max(SENTINEL_MIN_S, shortest_run_s / 2))
        self.steps = max(1000, int(steps_per_second(probe_s=0.002) * target))

    def run(self) -> float:
        """One timed run of the loop (seconds)."""
        from .tasks import cpu_loop

        t0 = time.perf_counter()
        cpu_loop(self.steps or 1000)
        return time.perf_counter() - t0


def inner_loops(fn: Callable[[int], int], loops: int, min_seconds: float = MIN_SAMPLE_S) -> int:
    """How many back-to-back serial loops make one timed sample of at least ``min_seconds``, from one
    untimed loop (docs/method.md, "Serial loops of microseconds")."""
    t0 = time.perf_counter()
    for i in range(loops):
        fn(i)
    took = time.perf_counter() - t0
    return 1 if took >= min_seconds else min(1_000_000, math.ceil(min_seconds / max(took, 1e-7)))


def time_serial(fn: Callable[[int], int], loops: int, inner: int = 1) -> tuple[dict, list[int]]:
    """The seed's ``Demo``: a plain for loop over ``range(loops)``; ``inner`` > 1: that
    many loops back to back, ``seconds`` their mean per loop (rows record ``inner_loops``)."""
    started_at = time.time()
    t0 = time.perf_counter()
    for _ in range(inner):
        results = [fn(i) for i in range(loops)]
    t1 = time.perf_counter()
    ended_at = time.time()
    times = {"seconds": (t1 - t0) / inner, "started_at": started_at, "ended_at": ended_at}
    if inner > 1:
        times["inner_loops"] = inner
    return times, results


class PointError(RuntimeError):
    """A point that cannot be measured, said in one line that names what failed (the config key, the function)
    and how; the job prints it as it is where the run is watched, and its traceback goes to the job's log."""


class WorkerDied(RuntimeError):
    """A Pool worker ended while tasks were running (killed by a signal, or exited)."""


class RunTimeout(TimeoutError):
    """A timed run took longer than the run timeout."""


_RUN_TIMEOUT: float | None = None


def children_skip_main() -> None:
    """Hide the main script from spawned and forkserver children (docs/method.md, "What a worker imports"):
    without its ``__file__`` multiprocessing does not hand it to them, as for ``python -c``."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None:
        main.__dict__.pop("__file__", None)


def set_run_timeout(seconds: float | None) -> None:
    """The longest one timed Pool run may take (config ``run_timeout_s``);
    the bench scripts set it once per job, None waits for ever."""
    global _RUN_TIMEOUT
    _RUN_TIMEOUT = seconds


def _died(workers: list) -> list[str]:
    """Workers of the snapshot that ended while the map ran, as words."""
    codes = [(proc.pid, proc.exitcode) for proc in workers]
    return [
        f"worker pid {pid} was killed by signal {-code}" if code < 0 else f"worker pid {pid} exited with code {code}"
        for pid, code in codes
        if code is not None
    ]


def wait_map(pool, async_result, timeout: float | None, label: str = ""):
    """Wait for ``async_result`` of ``pool``, watching the workers that started the map: one that ends
    raises WorkerDied, a run past ``timeout`` seconds RunTimeout (docs/method.md, "When a point fails")."""
    # Pool._pool is the list of worker Process objects (stable since Python 3.0).
    workers = list(getattr(pool, "_pool", []))
    deadline = None if timeout is None else time.monotonic() + timeout
    where = f"{label}: " if label else ""
    while not async_result.ready():
        async_result.wait(0.05)
        if async_result.ready():
            break
        dead = _died(workers)
        if dead:
            raise WorkerDied(f"{where}{'; '.join(dead)} while the Pool ran its tasks")
        if deadline is not None and time.monotonic() > deadline:
            raise RunTimeout(
                f"{where}a timed run took longer than run_timeout_s = {timeout:g} s "
                f"(a worker hangs, or the run is too large for the timeout)"
            )
    try:
        return async_result.get()
    except Exception as err:
        err.add_note(f"{where}a worker raised {type(err).__name__}: {err}")
        raise


def time_pool(
    fn: Callable[[Any], Any],
    items: int | Iterable,
    workers: int,
    context: multiprocessing.context.BaseContext | None = None,
    *,
    chunksize: int | None = None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    timeout: float | None = None,
    label: str = "",
) -> tuple[dict, list]:
    """The seed's ``poolDemo``: Pool(workers).map over ``range(items)`` (or the iterable ``items``), close,
    join, each phase also timed on its own (poolstart.pool_phases); :func:`wait_map` waits, by default with
    the timeout of :func:`set_run_timeout`."""
    tasks = range(items) if isinstance(items, int) else items
    timeout = _RUN_TIMEOUT if timeout is None else timeout

    def run_map(pool) -> list:
        return wait_map(pool, pool.map_async(fn, tasks, chunksize), timeout, label)

    ctx = context or multiprocessing.get_context()
    return pool_phases(ctx, workers, run_map, "map_seconds", initializer=initializer, initargs=initargs)


def timed(fn: Callable[[], Any]) -> tuple[dict, Any]:
    """Time one call of ``fn`` (for variants that are not a plain loop or Pool)."""
    started_at = time.time()
    t0 = time.perf_counter()
    result = fn()
    t1 = time.perf_counter()
    return {"seconds": t1 - t0, "started_at": started_at, "ended_at": time.time()}, result


def dirty_bytes() -> int | None:
    """Page-cache bytes waiting to be written or being written now (Linux; None elsewhere)."""
    with contextlib.suppress(OSError, KeyError, ValueError), open("/proc/meminfo") as fh:
        fields = dict(line.split(":", 1) for line in fh)
        return sum(int(fields[key].split()[0]) * 1024 for key in ("Dirty", "Writeback"))
    return None


def settle() -> int | None:
    """Untimed, before every timed run: collect garbage and return the page-cache bytes still waiting to
    be written (``dirty_before``); nothing is synced (docs/method.md, "Writeback")."""
    gc.collect()  # cheap: repeat_variants froze what was there before the timed runs
    return dirty_bytes()


def steal_share(steal_before: int | None, seconds: float) -> float | None:
    """The share of the machine's CPU time the hypervisor stole over the last
    ``seconds``, from a steal reading (``machine_state()["steal"]``) taken then."""
    now = steal_ticks()
    if steal_before is None or now is None or seconds <= 0:
        return None
    ticks = os.sysconf("SC_CLK_TCK") * seconds * (os.cpu_count() or 1)
    return max(0.0, (now - steal_before) / ticks)


def williams(n: int) -> list[list[int]]:
    """A Williams design for ``n`` variants (docs/method.md): n orders for even n, 2n for odd n."""
    first = [0] + [(i + 1) // 2 if i % 2 else n - i // 2 for i in range(1, n)]  # 0, 1, n-1, 2, n-2, ...
    rows = [[(x + i) % n for x in first] for i in range(n)]
    return rows + [row[::-1] for row in rows] if n % 2 else rows


def run_orders(names: list[str], seed: str):
    """One order of the variants per repetition, for ever: blocks of :func:`williams` orders, shuffled, the
    variants assigned to its symbols at random, seeded by ``seed`` (the point's label: the same every time)."""
    rng = random.Random(zlib.crc32(seed.encode()))
    symbols = list(names)
    rng.shuffle(symbols)
    while True:
        block = williams(len(names))
        rng.shuffle(block)
        for row in block:
            yield [symbols[i] for i in row]


def repeat_variants(
    variants: Mapping[str, Callable[[], tuple[dict, Any]]],
    repeats: "int | Policy",
    warmup: int,
    check: Callable[[str, Any], None],
    label: str = "",
    baseline: "str | Mapping[str, str] | None" = None,
    prime: Callable[[], None] | None = None,
) -> list[dict]:
    """Run every variant once per repetition, in :func:`run_orders`, until the
    :class:`~mpbench.precision.Policy` ``repeats`` (or a whole number) stops; one row per timed run
    (docs/method.md, "How a cell is measured" and "Repeat until precise").

    ``baseline``: the variant each ratio is against (default the first; a mapping: per variant).
    ``warmup`` untimed rounds first (a variant's cheap ``warmup`` attribute when it has one), then
    ``prime`` once; ``check(variant, result)`` raises when a run computed the wrong thing.
    """
    from .precision import Policy

    policy = repeats if isinstance(repeats, Policy) else Policy(repeats=int(repeats))
    names = list(variants)
    baseline = baseline if baseline is not None else names[0]
    base_of = baseline if isinstance(baseline, Mapping) else {name: baseline for name in names}

    def once(variant: str, what: str) -> tuple[dict, Any]:
        times, result = variants[variant]()
        check(variant, result)
        log.info("%s %s %s: %.4f s", label, what, variant, times["seconds"])
        return times, result

    for _ in range(warmup):
        for variant in names:
            cheap = getattr(variants[variant], "warmup", None)
            if cheap is None:
                once(variant, "warm-up")
            else:
                cheap()
    if prime is not None:
        prime()
    # What is alive now leaves the collector's sight (docs/method.md, "Garbage collection between runs").
    gc.collect()
    gc.freeze()
    quiet = machine_state()  # untimed: was the machine quiet when the point began?
    started = time.monotonic()
    rows: list[dict] = []
    seconds: dict[str, list[float]] = {name: [] for name in names}
    looks = policy.looks()
    rep, reason = 0, None
    orders = run_orders(names, label or ",".join(names))
    sentinel = Sentinel()
    try:
        while reason is None:
            previous = None
            these = []
            for position, variant in enumerate(next(orders)):
                dirty = settle()
                times, _result = once(variant, f"rep {rep}")
                seconds[variant].append(times["seconds"])
                these.append(
                    {
                        "variant": variant,
                        "rep": rep,
                        "order": position,
                        "previous": previous,
                        "verified": True,
                        **times,
                        "dirty_before": dirty,
                        "baseline": base_of.get(variant),
                    }
                )
                previous = variant
            if sentinel.steps is None:
                sentinel.size(min(row["seconds"] for row in these))
            gc.collect()  # as before a timed run (settle), without the writeback reading nobody keeps
            tick = sentinel.run()
            rows += [{**row, "sentinel_seconds": tick} for row in these]
            rep += 1
            now = time.monotonic()
            if rep in looks or rep >= looks[-1]:
                reason = policy.decide(rep, seconds, baseline, now - (policy.started or started), (now - started) / rep)
            else:
                policy.foresee(rep, now - (policy.started or started), (now - started) / rep)
    finally:
        gc.unfreeze()  # the caller's objects are the collector's again
    log.info("%s: stopped after %d repetitions (%s)", label, rep, reason)
    point = {key: quiet[key] for key in ("load_1m", "others_runnable", "cpu_mhz", "governor")}
    point["steal_share"] = steal_share(quiet["steal"], time.monotonic() - started)
    for row in rows:
        row.update(
            stop_reason=reason,
            repeats_done=rep,
            time_cap_s=policy.time_cap_s,
            borrowed_s=policy.borrowed,
            repaid_s=policy.repaid,
        )
        row.update(point)
    return rows


class PointTimeout(BaseException):
    """A point ran past ``point_timeout_s``; a BaseException, so that library code that catches
    ``Exception`` where the alarm lands cannot swallow it (docs/method.md, "When a point fails")."""


#: How long a point past its deadline gets to stop cleanly before it is killed.
HARD_STOP_GRACE_S = 30.0


def _kill_children(spare_pool_workers: bool = False) -> None:
    """SIGKILL every child of this process: those multiprocessing knows, and on Linux every other one the
    kernel lists (a Pool's workers while Pool() is still being built).  ``spare_pool_workers``: leave the
    workers of Pools to their Pool's terminate() (docs/method.md, "When a point fails")."""
    pids, pool_workers = set(), set()
    # Another thread may be changing the set of children right now: ending the point matters more.
    with contextlib.suppress(Exception):
        for p in multiprocessing.active_children():
            if p.pid:
                (pool_workers if "PoolWorker" in p.name else pids).add(p.pid)
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
        with contextlib.suppress(OSError, ValueError), open(path) as fh:
            pids.update(int(pid) for pid in fh.read().split())
    for pid in (pids - pool_workers) if spare_pool_workers else (pids | pool_workers):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _kill_all_and_exit(status: int = 1) -> None:
    """Kill every child, twice (a Pool may have replaced one in between), and exit without the
    interpreter's clean-up, whose Pool finalizers can wait for ever on a lock a killed worker held."""
    _kill_children()
    time.sleep(0.2)
    _kill_children()
    os._exit(status)


#: Where an exception raised by the alarm would be dropped: logging's fork hooks, which would also
#: leave logging's module lock held (docs/method.md, "When a point fails").
SWALLOWING = {("logging", name) for name in ("_acquireLock", "_releaseLock", "_after_at_fork_child_reinit_locks")}
#: How soon an alarm that landed there fires again.
RETRY_S = 0.01


def swallowed_there(frame) -> bool:
    """Would an exception raised in ``frame`` be dropped instead of unwinding the
    point?  In logging's fork hooks and in any ``__del__``."""
    if frame is None:
        return False
    name = frame.f_code.co_name
    return name == "__del__" or (frame.f_globals.get("__name__"), name) in SWALLOWING


def point_deadline(seconds: float | None, label: str, grace: float = HARD_STOP_GRACE_S) -> Callable[[], None]:
    """Fail this process's point after ``seconds`` (config ``point_timeout_s``), whatever hangs; kill it
    ``grace`` seconds later if it is still alive (the two stages: docs/method.md, "When a point fails").
    Returns a function that disarms both (for callers that go on after the point)."""
    if not seconds:
        return lambda: None
    message = (
        f"{label}: the point took longer than point_timeout_s = {seconds:g} s "
        f"(something in it hangs, or the point is too large for the timeout)"
    )
    has_alarm = hasattr(signal, "SIGALRM")
    if has_alarm:

        def expired(_signum, frame):
            if swallowed_there(frame):
                signal.setitimer(signal.ITIMER_REAL, RETRY_S)
                return
            _kill_children(spare_pool_workers=True)
            raise PointTimeout(message)

        signal.signal(signal.SIGALRM, expired)
        previous_hook = sys.excepthook

        def point_excepthook(kind, value, tb):
            previous_hook(kind, value, tb)
            if issubclass(kind, PointTimeout):
                # The alarm may have landed inside Pool(), before any caller held
                # the Pool to terminate it: its workers would outlive this process.
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(OSError, ValueError, AttributeError):
                        stream.flush()
                _kill_all_and_exit(1)

        sys.excepthook = point_excepthook
        signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        fd = 2
    disarmed = threading.Event()

    def hard_stop() -> None:
        if disarmed.wait(float(seconds) + grace):
            return
        # os.write, not sys.stderr: the main thread may hold the stream's lock.
        with contextlib.suppress(OSError, ValueError):
            os.write(
                fd,
                f"{message}; it did not stop within {grace:g} s after that, so it was killed. "
                "Where each thread was:\n".encode(),
            )
            faulthandler.dump_traceback(fd, all_threads=True)
        _kill_all_and_exit(1)

    threading.Thread(target=hard_stop, name="mpbench-point-deadline", daemon=True).start()

    def disarm() -> None:
        disarmed.set()
        if has_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.excepthook = previous_hook

    return disarm
