"""Time that points which finished early leave to points that are not yet precise, and the overruns the
others pay back: the rule is in docs/method.md, "Spend the time where it buys precision".

One ledger per run (``results/logs/time_credit.tsv``, docs/outputs.md), emptied by Snakemake's ``onstart``
(:func:`start_run`); every change holds an exclusive lock on the file, so points running at once on a
cluster neither lend the same seconds twice nor lose a line.  Only the standard library: this runs in the
process that times, between timed runs.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

#: Where the ledger lives, relative to the working directory.
LEDGER = "results/logs/time_credit.tsv"
LEFT, BORROWED, OVERRAN = "left", "borrowed", "overran"


def start_run(path: str | Path = LEDGER) -> None:
    """An empty ledger: what earlier runs left is not this run's to spend."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")


class Credit:
    """The run's ledger, seen from one point."""

    def __init__(self, point: str, path: str | Path = LEDGER):
        self.point = point
        self.path = Path(path)
        self.borrowed = 0.0  # what this point has taken so far
        self.repaid = 0.0  # what of its cap it gave up to the run's debt when it stopped
        self.owed = 0.0  # the overrun it has owed ahead of its end (owe)

    @staticmethod
    def _net(handle) -> float:
        """The seconds the ledger's lines left, less what they borrowed or overran (other lines count nothing)."""
        handle.seek(0)
        net = 0.0
        for line in handle.read().splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[1] in (LEFT, BORROWED, OVERRAN):
                try:
                    net += float(parts[2]) if parts[1] == LEFT else -float(parts[2])
                except ValueError:
                    continue
        return net

    def _locked(self, change):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                return change(handle)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def net(self) -> float:
        """Seconds left by points that ended under their cap, less what others took or overran
        (below zero: the run is in debt)."""
        if not self.path.exists():
            return 0.0
        return self._locked(self._net)

    def balance(self) -> float:
        """What the ledger can lend: the net, never below zero."""
        return max(0.0, self.net())

    def debt(self) -> float:
        """What overruns owe beyond what early finishers left, never below zero."""
        return max(0.0, -self.net())

    def _append(self, handle, kind: str, seconds: float) -> None:
        handle.seek(0, os.SEEK_END)
        handle.write(f"{self.point}\t{kind}\t{seconds:.3f}\n")
        handle.flush()

    def leave(self, seconds: float) -> None:
        """This point ended ``seconds`` under its cap, or ``-seconds`` over it (an overrun it owes)."""
        if seconds:
            self._locked(lambda handle: self._append(handle, LEFT if seconds > 0 else OVERRAN, abs(seconds)))

    def owe(self, seconds: float) -> None:
        """This point now expects to overrun its cap by ``seconds``: owe the change since
        its last estimate (a later, better one may owe less).  What it leaves at its end
        (:meth:`leave`) is then net of what it owed ahead."""
        seconds = max(0.0, seconds)
        if abs(seconds - self.owed) >= 0.001:
            self.leave(self.owed - seconds)
            self.owed = seconds

    def borrow(self, seconds: float) -> bool:
        """Take ``seconds`` when the ledger holds them; False (and nothing taken) when it does not."""
        if seconds <= 0:
            return True

        def take(handle) -> bool:
            if self._net(handle) < seconds:
                return False
            self._append(handle, BORROWED, seconds)
            return True

        if self._locked(take):
            self.borrowed += seconds
            return True
        return False
