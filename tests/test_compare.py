"""Machines compared: host folders -> one frame, table and figure."""

import json

import pandas as pd
import pytest
from figdata import assert_drawn, capture

from mpbench import compare


def host_folder(root, name, speedup, cores=2):
    d = root / name
    (d / "summary").mkdir(parents=True)
    (d / "environment.json").write_text(
        json.dumps({"host": name, "cpu_model": f"{name} CPU", "usable_cores": cores, "python": "3.11.7"})
    )
    rows = [
        {
            "loops": n,
            "workers": 4,
            "serial_median": 0.05 * n,
            "pool_median": 0.05 * n / speedup,
            "speedup": speedup,
            "speedup_ci_low": speedup - 0.1,
            "speedup_ci_high": speedup + 0.1,
        }
        for n in (1, 8)
    ]
    pd.DataFrame(rows).to_csv(d / "summary" / "read.csv", index=False)
    rw = pd.DataFrame(rows)
    for k in ("serial_median", "pool_median", "speedup", "speedup_ci_low", "speedup_ci_high"):
        rw[f"overwrite_{k}"] = rw[k]
    rw.to_csv(d / "summary" / "readwrite.csv", index=False)
    return d


def test_two_hosts_side_by_side(tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    host_folder(tmp_path, "laptop", 1.8)
    host_folder(tmp_path, "server", 6.5, cores=16)
    (tmp_path / "incomplete").mkdir()
    dirs = compare.host_dirs(tmp_path)
    assert [d.name for d in dirs] == ["laptop", "server"]
    frame = compare.load(dirs)
    assert len(frame) == 2 * 3 * 2  # hosts x operations x loops
    text = compare.table(frame)
    assert "**server**: server CPU, 16 usable cores" in text
    assert "| 8 | 1.80 (1.70–1.90) | 6.50 (6.40–6.60) |" in text
    compare.plot(frame, [tmp_path / "c.png", tmp_path / "c.svg"])
    assert (tmp_path / "c.png").stat().st_size > 10_000
    # one line per host and panel: the speedup against loops, with its interval
    assert_drawn(
        figs,
        frame[["speedup", "speedup_ci_low", "speedup_ci_high", "loops"]],
        what="each host's speedups, interval ends and loop counts",
    )


def test_the_same_host_twice_is_refused(tmp_path):
    a = host_folder(tmp_path / "a", "box", 1.8)
    b = host_folder(tmp_path / "b", "box", 1.9)
    with pytest.raises(ValueError, match="MPBENCH_HOST"):
        compare.load([a, b])


def test_nothing_to_compare_is_a_clear_error(tmp_path):
    assert compare.host_dirs(tmp_path / "missing") == []
    with pytest.raises(ValueError, match="no host results"):
        compare.load([])
