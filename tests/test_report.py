"""The markdown report: sections, sentences and honest wording, from synthetic data."""

import pandas as pd
import pytest

from mpbench.report import render, speedup_sentence, verdict_of

ENV = {"host": "box", "cpu_model": "Test CPU", "usable_cores": 2, "logical_cores": 2, "physical_cores": 2,
       "memory_bytes": 8 * 2**30, "platform": "Linux-test", "python_implementation": "CPython",
       "python": "3.11.7", "python_build": "main", "start_method": "fork", "filesystems": {"scratch": "ext4"},
       "packages": {"pandas": "3.1.1"}}
CONFIG = {"data": {"size_mb": 2, "lines": 100, "seed": 1}, "loops": [1, 8], "workers": [4], "repeats": 6,
          "ci_level": 0.95}


def summary(low, high, coverage=0.97, prefix=""):
    rows = []
    for loops in (1, 8):
        rows.append({"loops": loops, "workers": 4, f"{prefix}serial_median": 2.0 * loops,
                     f"{prefix}pool_median": 1.0 * loops, f"{prefix}speedup": 2.0,
                     f"{prefix}speedup_ci_low": low, f"{prefix}speedup_ci_high": high,
                     f"{prefix}speedup_ci_coverage": coverage})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("low, high, words", [
    (1.5, 2.5, "faster than serial"),
    (0.5, 0.8, "slower than serial"),
    (0.9, 1.2, "not distinguishable from serial"),
])
def test_verdict_follows_the_interval(low, high, words):
    assert verdict_of(1.05, low, high).startswith(words)


def test_sentence_states_numbers_and_ideal():
    (sentence,) = speedup_sentence(summary(1.8, 2.2), "read", cores=2, level=0.95)
    assert "8 loops, Pool(4)" in sentence and "**2.00×**" in sentence
    assert "95% interval 1.80–2.20×" in sentence and "2× would be the ideal on 2 usable cores" in sentence


def test_small_samples_do_not_claim_95_percent():
    (sentence,) = speedup_sentence(summary(1.8, 2.2, coverage=0.75), "read", cores=2, level=0.95)
    assert "95%" not in sentence and "75%" in sentence


def test_render_has_every_section():
    raw = pd.DataFrame({"started_at": [100.0, 160.0], "ended_at": [150.0, 220.0], "host": ["box", "box"]})
    rw = summary(1.8, 2.2).merge(summary(0.9, 1.1, prefix="overwrite_"), on=["loops", "workers"])
    text = render(CONFIG, ENV, {"read": "| read table |", "readwrite": "| rw table |"},
                  {"read": summary(1.8, 2.2), "readwrite": rw}, raw,
                  {"time": "figures/time.png", "speedup": "figures/speedup.png"})
    for needle in ["## Machine", "Test CPU", "CPython 3.11.7", "| read table |", "| rw table |",
                   "![Time against loops](figures/time.png)", "## Configuration", "repeats: 6",
                   "read & overwrite, 8 loops"]:
        assert needle in text
    assert "Warning" not in text


def test_mixed_hosts_are_flagged():
    raw = pd.DataFrame({"started_at": [1.0, 2.0], "ended_at": [1.5, 2.5], "host": ["a", "b"]})
    rw = summary(1.8, 2.2).merge(summary(0.9, 1.1, prefix="overwrite_"), on=["loops", "workers"])
    text = render(CONFIG, ENV, {"read": "", "readwrite": ""}, {"read": summary(1.8, 2.2), "readwrite": rw}, raw,
                  {"time": "t.png", "speedup": "s.png"})
    assert "mix 2 hosts (a, b)" in text
