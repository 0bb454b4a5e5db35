"""The timing rows of one point: structure, alternation, verification, cleanup."""

import os

import pytest

from mpbench import runner, timing, workloads
from mpbench.datagen import write_test_file
from mpbench.runner import RAW_COLUMNS, run_point


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "input.txt"
    write_test_file(path, 64 * 1024, 100, seed=1)
    return path


@pytest.mark.parametrize("experiment", ["read", "readwrite", "overwrite"])
def test_rows_of_one_point(src, tmp_path, experiment):
    scratch = tmp_path / "scratch"
    rows = run_point(experiment, 3, 2, src=src, scratch_dir=scratch, repeats=3, warmup=1,
                     data={"lines": 100, "seed": 1})
    assert len(rows) == 3 * 2
    assert set(RAW_COLUMNS) == set().union(*rows)
    assert sorted((r["rep"], r["variant"]) for r in rows) == sorted(
        (rep, v) for rep in range(3) for v in ("serial", "pool"))
    for r in rows:
        assert r["experiment"] == experiment and r["loops"] == 3 and r["workers"] == 2
        assert r["seconds"] > 0 and r["ended_at"] >= r["started_at"]
        assert r["verified"] is True
        assert r["size_bytes"] == 64 * 1024
        if r["variant"] == "pool":
            assert 0 < r["pool_start_seconds"] < r["seconds"]
            assert r["map_seconds"] > 0
        else:
            assert "pool_start_seconds" not in r
    # Serial and Pool alternate: serial first in even repetitions, Pool first in odd ones.
    first = {r["rep"]: r["variant"] for r in rows if r["order"] == 0}
    assert first == {0: "serial", 1: "pool", 2: "serial"}
    # Runs happen one after another, never at the same time.
    spans = sorted((r["started_at"], r["ended_at"]) for r in rows)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    # Nothing is left in the scratch directory.
    assert list(scratch.iterdir()) == []
    assert len({r["config_hash"] for r in rows}) == 1


def test_config_hash_changes_with_settings(src, tmp_path):
    a = run_point("read", 1, 1, src=src, scratch_dir=tmp_path, repeats=1, warmup=0, data={"seed": 1})
    b = run_point("read", 1, 1, src=src, scratch_dir=tmp_path, repeats=2, warmup=0, data={"seed": 1})
    assert a[0]["config_hash"] != b[0]["config_hash"]


def test_write_operations_write_what_they_read(src, tmp_path):
    text = src.read_text()
    assert workloads.readwrite_once(str(src), str(tmp_path), 5) == len(text)
    assert (tmp_path / "copy_5.txt").read_text() == text
    assert workloads.overwrite_once(str(src), str(tmp_path), 1) == len(text)
    assert workloads.overwrite_once(str(src), str(tmp_path), 2) == len(text)
    assert sorted(os.listdir(tmp_path)) == ["copy_5.txt", "input.txt", "overwrite.txt"]


def test_pool_and_serial_return_the_same(src):
    fn = runner._operation("read", str(src), "")
    _, serial = timing.time_serial(fn, 4)
    _, pooled = timing.time_pool(fn, 4, 2)
    assert serial == pooled == [64 * 1024] * 4


def test_wrong_result_is_an_error_not_a_number(src, tmp_path, monkeypatch):
    monkeypatch.setattr(timing, "time_serial", lambda fn, loops: ({"seconds": 1.0}, [0] * loops))
    with pytest.raises(RuntimeError, match="expected 65536"):
        run_point("read", 2, 1, src=src, scratch_dir=tmp_path / "s", repeats=1, warmup=0)


def test_scratch_is_cleaned_when_a_write_fails_midway(src, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"

    def failing(fn, loops):
        fn(0)  # writes copy_0.txt into the scratch directory
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(timing, "time_serial", failing)
    with pytest.raises(OSError, match="simulated"):
        run_point("readwrite", 2, 1, src=src, scratch_dir=scratch, repeats=1, warmup=0)
    assert list(scratch.iterdir()) == []


def test_unknown_experiment(src, tmp_path):
    with pytest.raises(ValueError, match="allowed: read, readwrite, overwrite"):
        run_point("copy", 1, 1, src=src, scratch_dir=tmp_path, repeats=1)
