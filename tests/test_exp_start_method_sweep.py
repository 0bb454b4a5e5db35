"""start_method_sweep: every method is really used, start-up is timed until the workers run, findings follow p."""

import multiprocessing

import numpy as np
import pandas as pd
import pytest
from conftest import BASE
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench import experiments, poolstart
from mpbench.config import ConfigError, validate_config
from mpbench.experiments import start_method_sweep as sm
from mpbench.present import start_method_sweep as present

AVAILABLE = [m for m in sm.METHODS if m in multiprocessing.get_all_start_methods()]
SECTION = {"enabled": True, "operations": ["read", "readwrite"], "loops": 3, "workers": 2, "methods": AVAILABLE}


def test_points_and_reference():
    assert experiments.points("start_method_sweep", SECTION) == [{"operation": "read"}, {"operation": "readwrite"}]
    assert present.reference(["spawn", "fork"]) == "fork" and present.reference(["spawn", "forkserver"]) == "spawn"


@pytest.mark.parametrize("method", AVAILABLE)
def test_startup_waits_until_every_worker_ran_its_initializer(method):
    times, seen = poolstart.time_startup(multiprocessing.get_context(method), 3, timeout=60)
    assert sorted({m for _, m in seen}) == [method] and len({pid for pid, _ in seen}) == 3
    assert 0 <= times["pool_start_seconds"] <= times["ready_seconds"] <= times["seconds"]
    assert times["seconds"] == pytest.approx(times["ready_seconds"] + times["pool_close_seconds"])


def _never_ready(barrier, report, timeout):  # reports, but never reaches the barrier
    report.put((0, "fork"))


def test_startup_that_never_gets_ready_fails_instead_of_hanging(monkeypatch):
    monkeypatch.setattr(poolstart, "ready", _never_ready)
    with pytest.raises(RuntimeError, match=r"Pool\(2\) under fork: the workers were not all ready within 0.5 s"):
        poolstart.time_startup(multiprocessing.get_context("fork"), 2, timeout=0.5)


def test_run_uses_every_method_and_records_it(data_file, tmp_path):
    rows = sm.run(
        {"operation": "read"}, SECTION, repeats=2, warmup=1, scratch_dir=str(tmp_path), data_file=data_file, base=BASE
    )
    raw = pd.DataFrame(rows)
    variants = ["serial", *[f"pool_{m}" for m in AVAILABLE], *[f"startup_{m}" for m in AVAILABLE]]
    assert sorted(raw["variant"]) == sorted(variants * 2)
    assert raw["verified"].all() and raw["experiment"].eq("start_method_sweep").all()
    assert raw["config_hash"].nunique() == 1 and raw["operation"].eq("read").all()
    by_variant = raw.groupby("variant")
    assert by_variant["start_method"].first()["serial"] == "none"
    for m in AVAILABLE:
        assert (raw.loc[raw["variant"] == f"pool_{m}", "start_method"] == m).all()
        startup = raw[raw["variant"] == f"startup_{m}"]
        assert (startup["start_method"] == m).all() and (startup["start_method_seen"] == m).all()
        assert (startup["worker_pids"] == 2).all() and (startup["ready_seconds"] <= startup["seconds"]).all()
    pool = raw[raw["variant"].str.startswith("pool_")]
    assert (pool["chunksize_effective"] == 1).all()  # ceil(3 / (4 * 2))
    assert (pool[["cache", "fsync", "chunksize"]] == ["warm", False, "default"]).all().all()  # held at the base
    assert list(tmp_path.iterdir()) == []  # written files cleaned


def test_a_worker_started_by_another_method_is_an_error(monkeypatch):
    monkeypatch.setattr(
        poolstart,
        "time_startup",
        lambda ctx, workers, timeout: ({"seconds": 0.1, "ready_seconds": 0.05}, [(1, "fork"), (2, "fork")]),
    )
    with pytest.raises(
        RuntimeError,
        match=r"startup_spawn: 2 workers reported start methods \['fork'\], expected 2 "
        r"workers started by spawn",
    ):
        sm.startup_rows(["spawn"], 2, repeats=1, warmup=0, label="x")


def test_config_errors(monkeypatch):
    with pytest.raises(ConfigError, match=r"^config: start_method_sweep.methods\[1\] = 'vfork' is not allowed"):
        validate_config({"start_method_sweep": {"methods": ["fork", "vfork"]}})
    with pytest.raises(
        ConfigError, match=r"operations\[0\] = 'square' is not allowed; allowed: one of read, readwrite"
    ):
        validate_config({"start_method_sweep": {"operations": ["square"]}})
    cfg = validate_config({"start_method_sweep": {"loops": 5}})
    assert cfg["start_method_sweep"]["methods"] == ["fork", "spawn", "forkserver"] and cfg["start_method"] == "fork"
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    with pytest.raises(ValueError) as err:
        sm.check_config({"methods": ["fork", "spawn"]}, {}, None)
    assert str(err.value) == (
        "config: start_method_sweep.methods = ['fork', 'spawn'] is not allowed; allowed here: "
        "a list of spawn (this platform lacks fork)"
    )
    sm.check_config({"methods": ["spawn"]}, {}, None)  # no error


def _raw() -> pd.DataFrame:
    """Two operations, 6 reps: spawn always 3x fork, forkserver 1.1x or 0.9x fork (no consistent difference)."""
    rows = []
    for op, fork in (("read", 1.0), ("readwrite", 2.0)):
        for rep in range(6):
            common = {
                "experiment": "start_method_sweep",
                "operation": op,
                "rep": rep,
                "config_hash": "h",
                "loops": 20,
                "workers": 4,
            }
            wobble = 1.1 if rep % 2 else 0.9
            rows.append({**common, "variant": "serial", "mode": "serial", "start_method": "none", "seconds": 2 * fork})
            for m, f in (("fork", 1.0), ("spawn", 3.0), ("forkserver", wobble)):
                t = fork * f * (1 + rep / 100)
                rows.append(
                    {
                        **common,
                        "variant": f"pool_{m}",
                        "mode": "pool",
                        "start_method": m,
                        "seconds": t,
                        "pool_start_seconds": 0.01,
                        "map_seconds": t - 0.02,
                    }
                )
                ready = {"fork": 0.01, "spawn": 0.2, "forkserver": 0.05}[m] * (1 + rep / 50)
                rows.append(
                    {
                        **common,
                        "variant": f"startup_{m}",
                        "mode": "startup",
                        "start_method": m,
                        "start_method_seen": m,
                        "seconds": ready + 0.01,
                        "ready_seconds": ready,
                        "pool_start_seconds": 0.005,
                        "pool_close_seconds": 0.01,
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture()
def summary(tmp_path):
    s = present.summarize(_raw(), 0.95)
    s.to_csv(tmp_path / "s.csv", index=False)
    return pd.read_csv(tmp_path / "s.csv")  # tables, figures and findings read the CSV


def test_summary_compares_with_fork(summary):
    assert list(summary["operation"].unique()) == ["read", "readwrite", "startup"]
    read = summary[summary["operation"] == "read"].set_index("variant")
    assert list(read.index) == ["serial", "pool_fork", "pool_spawn", "pool_forkserver"]
    assert read.loc["pool_spawn", "ratio"] == pytest.approx(3.0) and read.loc["pool_spawn", "p_value"] == pytest.approx(
        1 / 32
    )
    assert bool(read.loc["pool_spawn", "significant"]) and not bool(read.loc["pool_forkserver", "significant"])
    # the median of the paired ratios 2 / 1.00, 2 / 1.01, ..., 2 / 1.05
    assert read.loc["pool_fork", "speedup"] == pytest.approx((2 / 1.02 + 2 / 1.03) / 2)
    assert np.isnan(read.loc["pool_fork", "ratio"]) and np.isnan(read.loc["serial", "ratio"])
    start = summary[summary["operation"] == "startup"].set_index("variant")
    assert (start["n"] == 12).all()  # the start-up runs of both jobs pooled
    assert start.loc["startup_spawn", "ready_median"] == pytest.approx(0.2 * (1 + 2.5 / 50))
    assert start.loc["startup_spawn", "ratio"] == pytest.approx(20.0)
    assert start.loc["startup_spawn", "methods_seen"] == "spawn"


def test_findings_name_numbers_and_significance(summary):
    text = present.findings(summary, {"python": "3.11.7", "start_method": "fork"})
    assert_findings_in_both_languages(present, summary, {"python": "3.11.7", "start_method": "fork"})
    joined = "\n".join(text)
    assert text[0].startswith("Pool(4) start-up, from Pool() until every worker had run its initializer (median of 12")
    assert "spawn 210 ms" in text[0] and "Pool() itself returned after 5 ms" in text[0]
    assert (
        "Start-up under spawn took 20.00× the time of fork (paired interval 20.00–20.00×, p = 0.00049, significant)."
        in joined
    )
    assert (
        "read ×20: the Pool under spawn took 3.00× the time of fork" in joined and "p = 0.031, significant)" in joined
    )
    # three ratios above 1, three below: the sign test's p is 1
    assert (
        "read ×20: the Pool under forkserver took 1.00× the time of fork (paired interval 0.90–1.10×, p = 1.000, "
        "not significant)"
    ) in joined
    assert (
        "Python 3.14 makes forkserver the default start method on Linux (this run: Python 3.11.7, default fork)"
        in joined
        and "52.5 ms instead of 10.5 ms" in joined
    )


@pytest.mark.parametrize("language, first", [("zh", "| 启动方式 |"), ("en", "| Start method |")])
def test_table(summary, language, first):
    md = present.table(summary, language)
    assert md.startswith(first)
    assert "| spawn | 5 | 210 | 204 – 216 | 220 | 20.00 | 0.00049 |" in md
    assert "| read ×20 | pool_fork | 1.025 |" in md and "| read ×20 | serial | 2 |" in md
    assert md.count("—") >= 6  # the reference and serial rows are not compared


def test_plot_writes_png_and_svg(summary, tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    out = [tmp_path / "sm.png", tmp_path / "sm.svg"]
    present.plot(summary, 2, out)
    assert out[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in out[1].read_text()[:2000]
    # left: start-up in milliseconds, three phases per method (Pool() returned, workers ready, create to
    # close + join), each a median with its interval; right: file operations, bars of the median time
    # in seconds with the interval as whiskers
    start = summary[summary["operation"] == "startup"]
    assert len(start) == 3  # fork, spawn, forkserver in _raw()
    ms = [
        start[f"{prefix}{k}"] * 1000
        for prefix in ("pool_start_", "ready_", "")
        for k in ("median", "ci_low", "ci_high")
    ]
    assert_drawn(figs, ms, what="Pool start-up phases, milliseconds")
    files = summary[summary["operation"] != "startup"]
    assert_drawn(figs, files[["median", "ci_low", "ci_high"]], what="file operations, seconds")
