"""Timing one run of ``loops`` operations, serially or through a Pool, and the repetitions of a point.

Every timing returns a dict of seconds (``time.perf_counter``) with the
wall-clock start and end (epoch seconds), so that runs can be shown never to
overlap.  How a point is timed and why: docs/method.md.
"""

from __future__ import annotations

import gc
import logging
import math
import multiprocessing
import os
import random
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
    """The machine's own noise while a point runs (docs/method.md): after every
    repetition one fixed pure-Python loop (tasks.cpu_loop, the calibration's
    operation) is timed; its spread over the repetitions is the floor while the
    point ran.  Its length, set after the first repetition, costs a few percent
    of a cheap point and next to nothing of an expensive one."""

    def __init__(self, min_s: float = SENTINEL_MIN_S, max_s: float = SENTINEL_MAX_S):
        self.min_s, self.max_s = min_s, max_s
        self.steps: int | None = None

    def size(self, shortest_run_s: float) -> None:
        """Choose the loop's length: about half the first repetition's shortest run."""
        from .calibrate import steps_per_second

        target = min(self.max_s, max(self.min_s, shortest_run_s / 2))
        self.steps = max(1000, int(steps_per_second(probe_s=0.002) * target))

    def run(self) -> float:
        """One timed run of the loop (seconds)."""
        from .tasks import cpu_loop

        t0 = time.perf_counter()
        cpu_loop(self.steps or 1000)
        return time.perf_counter() - t0


def inner_loops(fn: Callable[[int], int], loops: int, min_seconds: float = MIN_SAMPLE_S) -> int:
    """How many back-to-back serial loops make one timed sample of at least ``min_seconds``
    (a loop of microseconds is at the mercy of every interrupt; docs/method.md).  Decided
    from one untimed loop; 1 for a loop that takes ``min_seconds`` already."""
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


class WorkerDied(RuntimeError):
    """A Pool worker ended while tasks were running (killed by a signal, or exited)."""


class RunTimeout(TimeoutError):
    """A timed run took longer than the run timeout."""


_RUN_TIMEOUT: float | None = None


def children_skip_main() -> None:
    """Hide the main script from the children that spawn and forkserver start: they
    would re-run it, here with Snakemake's preamble, inside the timed start-up
    (docs/method.md, "What a worker imports"), and need nothing from it: every
    function a worker runs is importable from mpbench.  Without its ``__file__``
    multiprocessing does not hand it to them (as for ``python -c``)."""
    import sys

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
    """Wait for ``async_result`` of ``pool`` without the hang of plain ``Pool.map``.

    A Pool replaces a worker that dies but loses its task, so ``map`` then
    waits for ever (CPython gh-66587).  Here the workers that started the map
    are watched while it runs: one that ends raises WorkerDied at once, and a
    run longer than ``timeout`` seconds raises RunTimeout.  Waiting on the
    result's event returns the moment it is ready, so the watch adds nothing
    to a run that goes well.
    """
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
        # Keep the worker's own exception (callers may expect its type); the
        # note names the point in the traceback.
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
    """The seed's ``poolDemo``: Pool(workers).map over the items, close, join, each
    phase also timed on its own (poolstart.pool_phases; ``map_seconds``).

    ``items`` is an int for ``range(items)`` (the seed maps over
    ``range(length)``) or any iterable of task arguments.  A worker that dies
    or raises, or a run longer than ``timeout`` (default: the run timeout of
    set_run_timeout), is an error naming ``label`` - never an endless wait.
    """
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
    try:
        with open("/proc/meminfo") as fh:
            fields = dict(line.split(":", 1) for line in fh)
        return sum(int(fields[key].split()[0]) * 1024 for key in ("Dirty", "Writeback"))
    except (OSError, KeyError, ValueError):
        return None


def settle() -> int | None:
    """Untimed, before every timed run: collect this process's garbage (so a
    collection does not land in the run) and return the page-cache bytes still
    waiting to be written (``dirty_before``).  Nothing is synced: the runs
    replace their own files, whose dirty pages are then dropped, so an
    ``os.sync()`` would write them for nothing (docs/method.md, "Writeback")."""
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
    """A Williams design for ``n`` variants: orders in which every variant runs
    in every position equally often and runs right after every other variant
    equally often (n orders for even n, 2n for odd n).  For two: (0, 1), (1, 0)."""
    first, lo, hi = [0], 1, n - 1
    while len(first) < n:
        if len(first) % 2:
            first.append(lo)
            lo += 1
        else:
            first.append(hi)
            hi -= 1
    rows = [[(x + i) % n for x in first] for i in range(n)]
    return rows + [row[::-1] for row in rows] if n % 2 else rows


def run_orders(names: list[str], seed: str):
    """The order of the variants in each repetition: the orders of a Williams
    design (see :func:`williams`), the variants assigned to its symbols at
    random and each block of orders shuffled, from a generator seeded by
    ``seed`` (the point's label, so a point's orders are the same every time).
    Yields one list of names per repetition, for ever."""
    rng = random.Random(zlib.crc32(seed.encode()))
    symbols = list(names)
    rng.shuffle(symbols)
    design = williams(len(names))
    while True:
        block = list(design)
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
    """Run every variant once per repetition and return one row per timed run
    (how and why: docs/method.md).

    ``repeats`` is a :class:`~mpbench.precision.Policy` (or a whole number for
    exactly that many): repetitions go on until every variant's median and
    its paired ratio against ``baseline`` (default: the first variant; a
    mapping gives each variant its own) is as precise as the policy asks, or
    it reaches its maximum or its time cap; rows record ``stop_reason`` and
    ``repeats_done``.  ``warmup`` untimed rounds come first (a variant's cheap
    ``warmup`` attribute when it has one, else the variant itself); ``prime``
    runs once more, untimed, right before the first timed repetition (for
    state only a full run builds).  The variants run in a balanced order
    (:func:`run_orders`; rows record ``order`` and ``previous``), and a
    :class:`Sentinel` after every repetition (``sentinel_seconds``).
    ``check(variant, result)`` raises when a run computed the wrong thing, so
    a broken run is an error and never a number.
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
    # Everything alive now (the modules, the data of the point) is moved out of
    # the collector's sight: a full collection in a process that imported pandas
    # took 24 ms, twice a repetition, all of it untimed work; frozen, it takes
    # microseconds (and forked workers share those pages).
    gc.collect()
    gc.freeze()
    quiet = machine_state()  # untimed: was the machine quiet when the point began?
    began = time.monotonic()
    rows: list[dict] = []
    seconds: dict[str, list[float]] = {name: [] for name in names}
    looks = policy.looks()
    started = time.monotonic()
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
    point["steal_share"] = steal_share(quiet["steal"], time.monotonic() - began)
    for row in rows:
        row.update(stop_reason=reason, repeats_done=rep, time_cap_s=policy.time_cap_s, borrowed_s=policy.borrowed)
        row.update(point)
    return rows


class PointTimeout(BaseException):
    """A point ran past ``point_timeout_s``.

    A BaseException, like KeyboardInterrupt: the alarm lands wherever the
    main thread is, and library code that catches ``Exception`` or
    ``OSError`` there (``os.path.exists``, ``shutil.rmtree(ignore_errors=
    True)``) would otherwise swallow it and the point would run on.
    """


#: How long a point past its deadline gets to stop cleanly before it is killed.
HARD_STOP_GRACE_S = 30.0


def _kill_children(spare_pool_workers: bool = False) -> None:
    """SIGKILL every child of this process: those multiprocessing knows, and
    on Linux every other one the kernel lists (a Pool's workers while Pool()
    is still being built).

    ``spare_pool_workers``: leave the workers of Pools to their Pool's
    terminate().  A worker killed under a running Pool may hold the task
    queue's lock (terminate() then waits for it for ever), and the Pool's
    worker handler starts a new worker in its place, which outlives this
    process and keeps its output pipes open."""
    import glob
    import signal

    pids, pool_workers = set(), set()
    try:
        # Another thread may be changing the set of children right now.
        for p in multiprocessing.active_children():
            if p.pid:
                (pool_workers if "PoolWorker" in p.name else pids).add(p.pid)
    except Exception:  # noqa: BLE001 - ending the point matters more
        pass
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
        try:
            with open(path) as fh:
                pids.update(int(pid) for pid in fh.read().split())
        except (OSError, ValueError):
            pass
    for pid in (pids - pool_workers) if spare_pool_workers else (pids | pool_workers):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _kill_all_and_exit(status: int = 1) -> None:
    """End the point now: kill every child (twice: a Pool's worker handler may
    have replaced one in between) and exit without the interpreter's clean-up,
    whose Pool finalizers can wait for ever on a lock a killed worker held."""
    _kill_children()
    time.sleep(0.2)
    _kill_children()
    os._exit(status)


#: Where an exception raised by the alarm would be dropped ("Exception ignored in
#: ..."): logging's fork hooks (around every fork, a Pool's too), which would also
#: leave logging's module lock held and the next fork from another thread stuck.
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
    """Fail this process's point after ``seconds`` (config ``point_timeout_s``),
    whatever hangs - a Queue, a join, a Pool.

    Two stages.  At the deadline SIGALRM kills this process's children that
    no Pool owns and raises PointTimeout in the main thread, so Pools are
    terminated, scratch files are removed and the traceback names the point;
    when it reaches the top, every child left is killed and the process
    exits at once.  If the process is still alive ``grace`` seconds later
    (the clean-up itself hangs, or the alarm could not be delivered), a
    watchdog thread writes the message and where each thread was to stderr,
    kills the process's children and ends it with exit status 1.  Returns a
    function that disarms both (for callers that go on after the point).
    """
    import faulthandler
    import signal
    import sys
    import threading

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
                # An exception raised here would be reported and dropped, with
                # logging's lock left held: try again a moment later.
                signal.setitimer(signal.ITIMER_REAL, RETRY_S)
                return
            # The point is lost: end the processes no Pool will end (one the
            # point started itself, or whatever a hung child started); Pools end
            # their workers as the exception unwinds, and the process ends them
            # all when it reaches the top (point_excepthook).
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
                    try:
                        stream.flush()
                    except (OSError, ValueError, AttributeError):
                        pass
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
        try:
            os.write(
                fd,
                f"{message}; it did not stop within {grace:g} s after that, so it was killed. "
                "Where each thread was:\n".encode(),
            )
            faulthandler.dump_traceback(fd, all_threads=True)
        except (OSError, ValueError):
            pass
        _kill_all_and_exit(1)

    threading.Thread(target=hard_stop, name="mpbench-point-deadline", daemon=True).start()

    def disarm() -> None:
        disarmed.set()
        if has_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.excepthook = previous_hook

    return disarm
