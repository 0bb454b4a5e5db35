"""lock: the counts are right where a lock is held, and lost updates are counted."""

import pandas as pd
import pytest
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench.experiments import lock
from mpbench.present import lock as present

SECTION = {"enabled": True, "workers": [2], "increments": 3000, "batch": 100}


@pytest.mark.parametrize("mode", ["serial", "lock_each", "lock_batch"])
def test_locked_variants_count_exactly(mode):
    assert lock.count(mode, 3, 2000, 64) == 6000


def test_no_lock_never_counts_more_than_expected():
    final = lock.count("no_lock", 2, 20000, 1)
    assert 0 < final <= 40000


def test_run_rows_and_summary():
    rows = lock.run({"workers": 2}, SECTION, repeats=2, warmup=0)
    raw = pd.DataFrame(rows)
    assert len(raw) == 2 * len(lock.VARIANTS)
    assert set(raw["variant"]) == set(lock.VARIANTS)
    assert (raw["expected_count"] == 6000).all()
    assert (raw["lost_updates"] == raw["expected_count"] - raw["final_count"]).all()
    locked = raw[raw["variant"] != "no_lock"]
    assert (locked["final_count"] == 6000).all() and raw["verified"].all()
    summary = present.summarize(raw, 0.95)
    assert list(summary["variant"].astype(str)) == list(lock.VARIANTS)
    assert summary.set_index("variant").loc["serial", "speedup"] == pytest.approx(1.0)
    md = present.table(summary, "en")
    assert md.splitlines()[0].startswith("| Processes | Variant |") and md.count("\n| 2 |") == 4
    assert len(present.findings(summary, {})) == 2


def test_a_wrong_locked_count_is_an_error(monkeypatch):
    monkeypatch.setattr(lock, "count", lambda mode, w, n, b, ctx=None: w * n - (mode == "lock_each"))
    with pytest.raises(RuntimeError, match="lock_each workers=2: final count 5999, expected 6000"):
        lock.run({"workers": 2}, SECTION, repeats=1, warmup=0)


@pytest.mark.parametrize("final", [6001, 0])
def test_an_impossible_unlocked_count_is_an_error(monkeypatch, final):
    real = lock.count
    monkeypatch.setattr(
        lock, "count", lambda mode, w, n, b, ctx=None: final if mode == "no_lock" else real(mode, w, n, b)
    )
    with pytest.raises(RuntimeError, match=f"lock no_lock workers=2: impossible final count {final} of 6000"):
        lock.run({"workers": 2}, SECTION, repeats=1, warmup=0)


def test_lost_updates_are_reported_plainly():
    rows = []
    for variant, final in [("serial", 100), ("no_lock", 80), ("lock_each", 100), ("lock_batch", 100)]:
        rows.append(
            {
                "experiment": "lock",
                "workers": 2,
                "variant": variant,
                "rep": 0,
                "seconds": 1.0,
                "config_hash": "h",
                "final_count": final,
                "expected_count": 100,
                "lost_updates": 100 - final,
            }
        )
    summary = present.summarize(pd.DataFrame(rows), 0.95)
    text = " ".join(present.findings(summary, {}))
    assert_findings_in_both_languages(present, summary, {})
    assert "1 of 1 runs lost updates" in text and "80 of 100" in text


def test_plot_writes_png_and_svg(tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    rows = []
    # no lock loses 30 of 2,000 (1.5%) with 2 processes and 50 of 4,000 (1.25%) with 4 (medians)
    for workers, lost in ((2, [20, 40, 30, 35, 25, 30]), (4, [40, 60, 50, 55, 45, 50])):
        for variant, seconds in (("serial", 1.0), ("no_lock", 0.3), ("lock_each", 4.0), ("lock_batch", 0.4)):
            for rep, j in enumerate((0.98, 0.99, 1.0, 1.0, 1.01, 1.02)):
                n_lost = lost[rep] if variant == "no_lock" else 0
                rows.append(
                    {
                        "experiment": "lock",
                        "workers": workers,
                        "variant": variant,
                        "rep": rep,
                        "seconds": seconds * workers / 2 * j,
                        "config_hash": "h",
                        "expected_count": 1000 * workers,
                        "final_count": 1000 * workers - n_lost,
                        "lost_updates": n_lost,
                    }
                )
    summary = present.summarize(pd.DataFrame(rows), 0.95)
    png, svg = tmp_path / "lock.png", tmp_path / "lock.svg"
    present.plot(summary, 2, [png, svg])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:2000]
    # left: bars of every variant's median time with the interval as whiskers, seconds;
    # right: the share of increments lost without a lock, %
    assert len(summary) == 2 * len(lock.VARIANTS)
    assert_drawn(figs, summary[["median", "ci_low", "ci_high"]], what="time per variant, seconds")
    nolock = summary[summary["variant"].astype(str) == "no_lock"]
    share = nolock["lost_updates_median"] / nolock["expected_count"] * 100
    assert share.tolist() == pytest.approx([1.5, 1.25])
    assert_drawn(figs, share, what="lost updates without a lock, % of increments")


def test_counts_under_every_start_method_with_the_forkserver_preload():
    """The bench script preloads the experiment module into the forkserver;
    the counts must stay exact under fork, spawn and forkserver."""
    import subprocess
    import sys

    from conftest import REPO

    code = (
        "import multiprocessing as mp, sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from mpbench.experiments import lock\n"
        "if __name__ == '__main__':\n"
        "    mp.set_forkserver_preload(['mpbench.experiments.lock'])\n"
        "    for method in ('fork', 'spawn', 'forkserver'):\n"
        "        assert lock.count('lock_each', 2, 500, 10, mp.get_context(method)) == 1000, method\n"
        "    print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
