"""The run's ledger of time that early points leave to points still short of the target."""

import math
import multiprocessing
import random

import pytest

from mpbench import precision, timing
from mpbench.credit import Credit, start_run
from mpbench.precision import Policy


def test_left_time_can_be_borrowed_once_and_no_more(tmp_path):
    ledger = tmp_path / "credit.tsv"
    start_run(ledger)
    early, short = Credit("a/early", ledger), Credit("b/short", ledger)
    assert short.balance() == 0.0 and not short.borrow(1.0)
    early.leave(13.0)
    Credit("c/over", ledger).leave(-3.0)  # a point that overran its cap owes the overrun
    assert short.balance() == 10.0
    assert short.borrow(4.0) and short.borrowed == 4.0
    assert not short.borrow(6.5) and short.borrowed == 4.0  # only 6 left: nothing taken
    assert short.borrow(6.0) and short.balance() == 0.0
    assert ledger.read_text().splitlines() == [
        "a/early\tleft\t13.000",
        "c/over\toverran\t3.000",
        "b/short\tborrowed\t4.000",
        "b/short\tborrowed\t6.000",
    ]
    Credit("d/over", ledger).leave(-5.0)  # more owed than is left: nothing to lend, never a negative balance
    assert short.balance() == 0.0 and not short.borrow(0.5)
    early.leave(4.0)
    assert not short.borrow(0.5)  # the 4 s left pay the 5 s overrun first


def test_a_new_run_starts_with_an_empty_ledger(tmp_path):
    ledger = tmp_path / "logs" / "credit.tsv"
    Credit("a", ledger).leave(30.0)
    start_run(ledger)
    assert Credit("b", ledger).balance() == 0.0


def _borrow_many(args):
    path, name, barrier = args
    barrier.wait()
    credit = Credit(name, path)
    return sum(credit.borrow(1.0) for _ in range(10))


def test_points_borrowing_at_once_never_take_more_than_was_left(tmp_path):
    ledger = tmp_path / "credit.tsv"
    start_run(ledger)
    Credit("early", ledger).leave(15.0)
    with multiprocessing.Manager() as manager:
        barrier = manager.Barrier(4)
        with multiprocessing.get_context("fork").Pool(4) as pool:
            taken = pool.map(_borrow_many, [(ledger, f"p{i}", barrier) for i in range(4)])
    assert sum(taken) == 15
    assert Credit("x", ledger).balance() == 0.0


class Purse:
    """An in-memory ledger for simulations: ``seconds`` to lend, what was lent."""

    def __init__(self, seconds):
        self.left, self.borrowed = seconds, 0.0

    def debt(self):
        return 0.0

    def borrow(self, seconds):
        if seconds > self.left:
            return False
        self.left -= seconds
        self.borrowed += seconds
        return True


LOOSE = {"a": [1, 1.1, 1, 1.1, 1, 1.1], "b": [1.1, 1, 1.1, 1, 1.1, 1]}  # ±5% (ratio ±10%): precise at 24-ish
HOPELESS = {"a": [1, 2, 1, 2, 1, 2], "b": [2, 1, 2, 1, 2, 1]}  # ±50%: 600 repetitions


def test_at_its_cap_a_point_goes_on_with_borrowed_time_only_where_that_buys_the_target():
    # 6 repetitions of 1 s took 6 s of a 6 s cap; the ratio's interval is ±~10%, so
    # about 6 x (0.1/0.05)^2 = 24 repetitions would do: the checkpoint 32 costs
    # 6 + 26 s, of which the cap (with its slack) pays 6.9.
    purse = Purse(100.0)
    policy = Policy(time_cap_s=6, credit=purse)
    assert policy.decide(6, LOOSE, "a", 6, 1) is None
    assert purse.borrowed == pytest.approx(32 - 6 * precision.CAP_SLACK)
    # at 9 and the checkpoints after, the borrowed time pays: no second loan
    assert policy.decide(9, LOOSE, "a", 9, 1) is None and purse.borrowed == pytest.approx(32 - 6.9)
    # without the time, or when the target lies past max_repeats, it stops for time
    assert Policy(time_cap_s=6, credit=Purse(10.0)).decide(6, LOOSE, "a", 6, 1) == precision.TIME
    hopeless = Purse(1e6)
    assert Policy(time_cap_s=6, credit=hopeless).decide(6, HOPELESS, "a", 6, 1) == precision.TIME
    assert hopeless.borrowed == 0
    assert Policy(time_cap_s=6).decide(6, LOOSE, "a", 6, 1) == precision.TIME


def test_a_point_that_ends_under_its_cap_leaves_the_rest(tmp_path):
    ledger = tmp_path / "credit.tsv"
    start_run(ledger)
    started = timing.time.monotonic()
    policy = Policy(time_cap_s=20.0, credit=Credit("x/precise", ledger), started=started)
    rows = timing.repeat_variants(
        {"serial": lambda: ({"seconds": 1.0}, 1), "pool": lambda: ({"seconds": 0.5}, 1)}, policy, 0, lambda v, r: None
    )
    assert {r["stop_reason"] for r in rows} == {"precise"} and {r["borrowed_s"] for r in rows} == {0.0}
    policy.leave_rest(timing.time.monotonic() - started)
    assert 15.0 < Credit("y", ledger).balance() <= 20.0
    # what it borrowed and did not use goes back too; a point past its cap owes the overrun
    lender = Policy(time_cap_s=5.0, credit=Credit("z", ledger))
    assert lender.credit.borrow(4.0)
    lender.leave_rest(7.0)
    Policy(time_cap_s=5.0, credit=Credit("w", ledger)).leave_rest(9.0)
    assert [line.split("\t") for line in ledger.read_text().splitlines()][-3:] == [
        ["z", "borrowed", "4.000"],
        ["z", "left", "2.000"],
        ["w", "overran", "4.000"],
    ]


def test_a_point_owes_its_overrun_as_soon_as_its_first_repetitions_show_it(tmp_path):
    """A cap of 3 s and repetitions of 1 s: after the first, the six every point
    gets will end 3 s past the cap, and the ledger holds that debt while the
    point still runs; at its end it settles the difference with what it owed."""
    ledger = tmp_path / "credit.tsv"
    start_run(ledger)
    Credit("early", ledger).leave(5.0)
    clock = iter(range(100))
    policy = Policy(time_cap_s=3.0, credit=Credit("slow", ledger), started=0.0)
    balances = []

    def run():
        balances.append(Credit("other", ledger).balance())
        return {"seconds": 1.0}, 1

    real = timing.time.monotonic
    timing.time.monotonic = lambda: float(next(clock))
    try:
        rows = timing.repeat_variants({"serial": run}, policy, 0, lambda v, r: None)
    finally:
        timing.time.monotonic = real
    assert {r["repeats_done"] for r in rows} == {6}
    # before its first repetition the other points could borrow all 5 s; after it, 5 s less the overrun ahead
    assert balances[0] == 5.0 and max(balances[1:]) < 5.0
    owed = policy.credit.owed
    assert owed > 0
    policy.leave_rest(3.0 + owed - 1.0)  # it ended 1 s under what it owed ahead
    lines = [line.split("\t") for line in ledger.read_text().splitlines()]
    assert [kind for point, kind, _ in lines if point == "slow"][-1] == "left"
    assert Credit("other", ledger).balance() == pytest.approx(5.0 - (owed - 1.0))
    # the same estimate twice owes nothing more; a better one gives back the difference
    before = ledger.read_text()
    policy.credit.owe(owed)
    assert ledger.read_text() == before
    fresh = Credit("estimating", ledger)
    fresh.owe(4.0)
    fresh.owe(3.0)
    assert fresh.owed == 3.0 and ledger.read_text().splitlines()[-2:] == [
        "estimating\toverran\t4.000",
        "estimating\tleft\t1.000",
    ]


def test_a_run_in_debt_is_paid_back_by_the_next_points_stopping_sooner(tmp_path):
    """A cap of 12 s (13.8 with its slack) pays for 9 repetitions of 1 s; with 5 s
    of overruns that no early finisher covered, the point stops at 6 instead and
    leaves what it did not use, which clears the debt; without the debt it goes on to 9."""
    ledger = tmp_path / "credit.tsv"
    start_run(ledger)
    assert Policy(time_cap_s=12, credit=Credit("free", ledger)).decide(6, HOPELESS, "a", 6, 1) is None
    Credit("slow", ledger).leave(-5.0)
    assert Credit("x", ledger).debt() == 5.0 and Credit("x", ledger).balance() == 0.0
    payer = Policy(time_cap_s=12, credit=Credit("payer", ledger))
    assert payer.decide(6, HOPELESS, "a", 6, 1) == precision.TIME
    # what it gave up is on its rows: 5 s of its 13.8 (the debt; it had used 6 and 7.8 were left)
    assert payer.repaid == pytest.approx(5.0) and Policy(time_cap_s=12).repaid == 0.0
    payer.leave_rest(6.0)
    assert Credit("x", ledger).debt() == 0.0 and Credit("x", ledger).balance() == pytest.approx(1.0)


def test_a_point_on_its_way_to_the_target_keeps_its_cap_in_a_run_in_debt(tmp_path):
    """The debt is paid by points whose own cap will not make them precise: LOOSE
    (±~10%, precise at checkpoint 32) with a cap for 32 repetitions goes on despite
    a debt that would have stopped it; HOPELESS (±50%) with the same cap pays."""
    ledger = tmp_path / "credit.tsv"
    start_run(ledger)
    Credit("slow", ledger).leave(-30.0)
    assert Policy(time_cap_s=32, credit=Credit("on_its_way", ledger)).decide(6, LOOSE, "a", 6, 1) is None
    assert Policy(time_cap_s=12, credit=Credit("short", ledger)).decide(6, LOOSE, "a", 6, 1) == precision.TIME
    assert Policy(time_cap_s=32, credit=Credit("hopeless", ledger)).decide(6, HOPELESS, "a", 6, 1) == precision.TIME


def skewed(rng, sigma):
    return math.exp(rng.gauss(0, sigma)) + rng.expovariate(1 / sigma) * 0.5


@pytest.mark.parametrize("sigma", [0.05, 0.1])
def test_going_on_with_borrowed_time_keeps_the_intervals_coverage(sigma):
    """Skewed timings, a cap of 6 repetitions and time to borrow: whether a point
    goes on depends on its spread, yet it still stops only at checkpoints, and the
    final 95% intervals of the median and the ratio cover the truth >= 93% of the time."""

    def pair(rng):
        common = math.exp(rng.gauss(0, sigma / 2))
        return skewed(rng, sigma) * common, 0.5 * skewed(rng, sigma) * common

    truth = random.Random(99)
    draws = [pair(truth) for _ in range(100_000)]
    truth_serial = precision.median([a for a, _ in draws])
    truth_ratio = precision.median([a / b for a, b in draws])
    rng = random.Random(11)
    sims, covered, went_on = 1000, {"s": 0, "r": 0}, 0
    for _ in range(sims):
        purse = Purse(60.0)
        policy = Policy(max_repeats=50, time_cap_s=6 / precision.CAP_SLACK, credit=purse)
        times = {"serial": [], "pool": []}
        n = 0
        while True:
            n += 1
            a, b = pair(rng)
            times["serial"].append(a)
            times["pool"].append(b)
            if n in policy.looks() and policy.decide(n, times, "serial", n, 1.0):
                break
        went_on += purse.borrowed > 0
        for key, values, true in (
            ("s", times["serial"], truth_serial),
            ("r", [x / y for x, y in zip(times["serial"], times["pool"])], truth_ratio),
        ):
            x = sorted(values)
            lo, hi, _ = precision.median_ci_ranks(len(x))
            covered[key] += x[lo] <= true <= x[hi]
    assert went_on > sims // 10  # the loan path was exercised
    assert covered["s"] / sims >= 0.93 and covered["r"] / sims >= 0.93
