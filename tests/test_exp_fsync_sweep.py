"""fsync_sweep: the fsync variants really call os.fsync on every written file (serial and Pool),
the buffered ones never, and the findings state the cost of fsync."""

import os

import pandas as pd
import pytest
from conftest import BASE
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench import experiments
from mpbench.config import ConfigError, fill_defaults, load_schema, validate_config
from mpbench.datagen import write_test_file
from mpbench.experiments import fsync_sweep as fsync
from mpbench.present import fsync_sweep as present

SECTION = {
    "enabled": True,
    "operations": ["readwrite", "overwrite"],
    "loops": 3,
    "workers": 2,
    "modes": ["buffered", "fsync"],
}


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "input.txt"
    write_test_file(path, 64 * 1024, 100, seed=9)
    return str(path)


def test_points_and_schema(tmp_path):
    assert experiments.points("fsync_sweep", SECTION) == [{"operation": "readwrite"}, {"operation": "overwrite"}]
    cfg = fill_defaults({}, load_schema())[fsync.NAME]
    assert cfg["modes"] == ["buffered", "fsync"] and cfg["loops"] == 20 and cfg["workers"] == 4
    refused = r"\.operations\[0\] = 'read' is not allowed; allowed: one of readwrite, overwrite"
    with pytest.raises(ConfigError, match=refused):
        validate_config({fsync.NAME: {"operations": ["read"]}}, load_schema(), workdir=tmp_path)


@pytest.mark.parametrize("op", ["readwrite", "overwrite"])
def test_fsync_variants_call_os_fsync_on_the_written_files(op, monkeypatch, data_file, tmp_path):
    log = tmp_path / "fsync.log"
    scratch = tmp_path / "scratch"
    real = os.fsync

    def counting(fd):  # the Pool's forked workers inherit it and append to the same log
        with open(log, "a") as fh:
            fh.write(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else "fd")
            fh.write("\n")
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    rows = fsync.run(
        {"operation": op}, SECTION, repeats=1, warmup=0, scratch_dir=str(scratch), data_file=data_file, base=BASE
    )
    raw = pd.DataFrame(rows)
    assert set(raw["variant"]) == {"serial buffered", "pool buffered", "serial fsync", "pool fsync"}
    assert (raw["fsync"] == (raw["write_mode"] == "fsync")).all() and raw["verified"].all()
    assert (raw.loc[raw["write_mode"] == "buffered", "level_index"] == 0).all()
    calls = log.read_text().splitlines()
    assert len(calls) == 2 * SECTION["loops"]  # serial fsync + pool fsync, each `loops` files; buffered none
    if calls[0] != "fd":
        assert all(c.startswith(str(scratch.resolve())) for c in calls)


def _raw(cost, pool_cost, op="readwrite"):
    spread = [1.0, 1.02, 0.98, 1.0, 0.99, 1.01]
    times = {
        ("serial", "buffered"): 1.0,
        ("pool", "buffered"): 0.5,
        ("serial", "fsync"): cost,
        ("pool", "fsync"): pool_cost,
    }
    rows = []
    for (mode, wm), t in times.items():
        for rep, s in enumerate(spread):
            rows.append(
                {
                    "experiment": "fsync",
                    "operation": op,
                    "mode": mode,
                    "variant": f"{mode} {wm}",
                    "write_mode": wm,
                    "level_index": fsync.WRITE_MODES.index(wm),
                    "rep": rep,
                    "seconds": t * (s if mode == "serial" else s**2),
                    "config_hash": "h",
                    "loops": 20,
                    "workers": 4,
                    "scratch_fs": "ext4",
                    "resident_before": 1.0,
                }
            )
    return pd.DataFrame(rows)


def test_findings_cost_of_fsync_and_whether_the_pool_pays_off():
    (line,) = present.findings(present.summarize(_raw(3.0, 2.0), 0.95), {})
    assert_findings_in_both_languages(present, present.summarize(_raw(3.0, 2.0), 0.95), {})
    assert line.startswith("readwrite (20 loops, Pool(4)): time with fsync / buffered: serial 3.00×")
    assert "Pool 4.00×" in line and "p = 0.031, significant" in line
    assert "fsync made the serial and Pool writes significantly slower" in line
    assert "measured copies into the page cache" in line
    assert "Under fsync the Pool still pays off: 1.50× serial" in line and "against 2.00× serial" in line


def test_findings_when_fsync_costs_nothing_and_the_pool_stops_paying():
    raw = _raw(1.0, 1.0)
    raw.loc[raw["variant"] == "serial fsync", "seconds"] = [0.9, 1.1, 0.95, 1.05, 1.02, 0.98]
    raw.loc[raw["variant"] == "pool fsync", "seconds"] = [1.1, 0.9, 1.0, 1.05, 0.95, 1.0]  # 2x buffered Pool: slower
    (line,) = present.findings(present.summarize(raw, 0.95), {})
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {})
    assert "fsync made the Pool writes significantly slower" in line  # serial: no significant change
    assert "Under fsync the Pool is not distinguishable from serial" in line
    raw.loc[raw["variant"] == "pool fsync", "seconds"] = [0.55, 0.45, 0.5, 0.52, 0.48, 0.5]
    (line,) = present.findings(present.summarize(raw, 0.95), {})
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {})
    assert "fsync added no significant time here" in line


def test_table_and_plot(tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    summary = present.summarize(pd.concat([_raw(3.0, 2.0), _raw(2.0, 1.5, op="overwrite")]), 0.95)
    summary.to_csv(tmp_path / "s.csv", index=False)
    summary = pd.read_csv(tmp_path / "s.csv")
    en = present.table(summary, "en").splitlines()
    assert en[0].startswith("| Operation | Writes | Serial (s) | Pool (s) | Pool speedup (×) | serial: time / buffered")
    assert en[3].startswith("| readwrite | fsync | 3 | 2 | 1.50 | 3.00 (p = 0.031) | 4.00 (p = 0.031) |")
    assert present.table(summary, "zh").startswith("| 操作 | 写入方式 |")
    present.plot(summary, 2, [tmp_path / "f.png", tmp_path / "f.svg"])
    assert (tmp_path / "f.png").stat().st_size > 0 and (tmp_path / "f.svg").stat().st_size > 0
    assert len(summary) == 2 * 2 * 2  # operations x write modes x serial/Pool, all drawn
    assert_drawn(figs, summary[["median", "ci_low", "ci_high"]], what="median time per write mode, seconds")
