"""The timing rows of one point: structure, alternation, verification, cleanup."""

import os

import pytest

from mpbench import fileio, timing, workloads
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
    rows = run_point(
        experiment, 3, 2, src=src, scratch_dir=scratch, repeats=3, warmup=1, data={"lines": 100, "seed": 1}
    )
    # read & write also runs the overwrite, in the same repetitions (paired)
    ops = [experiment, "overwrite"] if experiment == "readwrite" else [experiment]
    assert len(rows) == 3 * 2 * len(ops)
    assert set(RAW_COLUMNS) == set().union(*rows)
    assert sorted((r["rep"], r["experiment"], r["variant"]) for r in rows) == sorted(
        (rep, op, v) for rep in range(3) for op in ops for v in ("serial", "pool")
    )
    for r in rows:
        assert r["loops"] == 3 and r["workers"] == 2
        assert r["seconds"] > 0 and r["ended_at"] >= r["started_at"]
        assert r["verified"] is True
        assert r["size_bytes"] == 64 * 1024
        if r["variant"] == "pool":
            assert 0 < r["pool_start_seconds"] < r["seconds"]
            assert r["map_seconds"] > 0
        else:
            assert "pool_start_seconds" not in r
    # Serial and Pool take turns: each first once in the first two repetitions (a balanced order).
    first = {r["rep"]: r["variant"] for r in rows if r["order"] == 0}
    if experiment != "readwrite":
        assert {first[0], first[1]} == {"serial", "pool"}
    else:  # four variants in a Latin square: the first three repetitions start with three different ones
        assert len({(r["experiment"], r["variant"]) for r in rows if r["order"] == 0}) == 3
        bases = {(r["experiment"], r["baseline"]) for r in rows}
        assert bases == {("readwrite", "serial"), ("overwrite", "overwrite_serial")}
    assert all((r["previous"] is None) == (r["order"] == 0) for r in rows)
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
    fn = fileio.operation("read", str(src), "")
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


@pytest.mark.parametrize("experiment, cut", [("readwrite", 1), ("overwrite", 1), ("readwrite", None)])
def test_a_short_or_missing_write_fails_its_run(src, tmp_path, monkeypatch, experiment, cut):
    real = workloads._write

    def short(path, text, fsync):
        if cut is None and path.endswith("copy_1.txt"):
            return  # the second file is never written
        real(path, text[:-cut] if cut else text, fsync)

    monkeypatch.setattr(workloads, "_write", short)
    name = "overwrite.txt" if experiment == "overwrite" else ("copy_1.txt" if cut is None else "copy_0.txt")
    with pytest.raises(RuntimeError, match=rf"wrong files: {name} (has 65,535 bytes, expected 65,536|was not written)"):
        run_point(experiment, 2, 2, src=src, scratch_dir=tmp_path / "s", repeats=1, warmup=0)


def test_a_file_left_by_an_earlier_run_does_not_pass_for_this_ones(tmp_path):
    for i in range(2):
        (tmp_path / f"copy_{i}.txt").write_text("x" * 10)
    assert (
        workloads.written_problem("readwrite", str(tmp_path), 2, 10, since=os.stat(tmp_path / "copy_0.txt").st_mtime)
        is None
    )
    os.utime(tmp_path / "copy_1.txt", (1_000_000, 1_000_000))
    problem = workloads.written_problem("readwrite", str(tmp_path), 2, 10, since=2_000_000.0)
    assert problem.startswith("copy_1.txt was not written by this run")
    assert workloads.written_problem("readwrite", str(tmp_path), 3, 10, since=0.0) == "copy_2.txt was not written"
    assert workloads.written_problem("overwrite", str(tmp_path), 3, 10, since=0.0) == "overwrite.txt was not written"


def test_unknown_experiment(src, tmp_path):
    with pytest.raises(ValueError, match="allowed: read, readwrite, overwrite"):
        run_point("copy", 1, 1, src=src, scratch_dir=tmp_path, repeats=1)


# --------------------------------------------------------------------------
# The conditions of the appendix tables (start method, chunksize, cache, fsync)


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_start_method_is_used_and_recorded(src, tmp_path, method):
    rows = run_point("read", 2, 2, src=src, scratch_dir=tmp_path / "s", repeats=1, warmup=0, start_method=method)
    assert {r["start_method"] for r in rows} == {method}


def test_chunksize_is_handed_to_map_and_recorded(src, tmp_path):
    rows = run_point("read", 8, 2, src=src, scratch_dir=tmp_path / "s", repeats=1, warmup=0)
    pool = [r for r in rows if r["variant"] == "pool"]
    # Pool.map's own rule: ceil(8 / (4 * 2)) = 1
    assert [r["chunksize"] for r in pool] == ["default"] and [r["chunksize_effective"] for r in pool] == [1]
    rows = run_point("read", 8, 2, src=src, scratch_dir=tmp_path / "s", repeats=1, warmup=0, chunksize=3)
    assert {r["chunksize_effective"] for r in rows if r["variant"] == "pool"} == {3}
    assert fileio.effective_chunksize(100, 4, "default") == 7  # ceil(100 / 16)
    assert fileio.effective_chunksize(16, 4, "default") == 1


def test_cold_cache_evicts_the_file_before_every_timed_run(src, tmp_path):
    from mpbench import cache

    if cache.resident_fraction(src) is None:
        pytest.skip("mincore is not available here, so residency cannot be checked")
    cold = run_point("read", 2, 2, src=src, scratch_dir=tmp_path / "s", repeats=2, warmup=1, cache="cold")
    warm = run_point("read", 2, 2, src=src, scratch_dir=tmp_path / "s", repeats=2, warmup=1, cache="warm")
    assert [r["resident_before"] for r in cold] == [0.0] * 4
    assert [r["resident_before"] for r in warm] == [1.0] * 4
    assert {r["cache"] for r in cold} == {"cold"}


def test_eviction_and_warming_change_residency(src):
    from mpbench import cache

    if cache.resident_fraction(src) is None:
        pytest.skip("mincore is not available here, so residency cannot be checked")
    cache.warm(src)
    assert cache.resident_fraction(src) == 1.0
    cache.evict(src)
    assert cache.resident_fraction(src) == 0.0
    cache.warm(src)
    assert cache.resident_fraction(src) == 1.0


def test_fsync_calls_fsync_for_every_written_file(src, tmp_path, monkeypatch):
    calls = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    out = tmp_path / "out"
    out.mkdir()
    fileio.operation("readwrite", str(src), str(out), fsync=True)(0)
    fileio.operation("overwrite", str(src), str(out), fsync=True)(1)
    assert len(calls) == 2
    fileio.operation("readwrite", str(src), str(out), fsync=False)(2)
    assert len(calls) == 2
    rows = run_point("readwrite", 2, 2, src=src, scratch_dir=tmp_path / "s", repeats=1, warmup=0, fsync=True)
    assert {r["fsync"] for r in rows} == {True}
    # the serial runs (in this process) fsync'd each of their 2 files
    assert len(calls) >= 4


def test_conditions_change_the_config_hash(src, tmp_path):
    kw = dict(src=src, scratch_dir=tmp_path / "s", repeats=1, warmup=0)
    hashes = {
        run_point("read", 2, 2, **kw)[0]["config_hash"],
        run_point("read", 2, 2, start_method="spawn", **kw)[0]["config_hash"],
        run_point("read", 2, 2, cache="cold", **kw)[0]["config_hash"],
        run_point("read", 2, 2, chunksize=2, **kw)[0]["config_hash"],
    }
    assert len(hashes) == 4


def test_a_condition_outside_the_allowed_values_is_refused():
    with pytest.raises(ValueError, match="start_method"):
        fileio.Condition(start_method="threads")
    with pytest.raises(ValueError, match="chunksize"):
        fileio.Condition(chunksize=0)
    with pytest.raises(ValueError, match="cache"):
        fileio.Condition(cache="hot")


# --------------------------------------------------------------------------
# Disk space and cleanup


def test_a_write_that_fails_midway_leaves_nothing_behind(src, tmp_path, monkeypatch):
    calls = []
    real = workloads._write

    def failing(path, text, fsync):
        calls.append(path)
        real(path, text, fsync)  # the file exists on disk when the failure comes
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(workloads, "_write", failing)
    scratch = tmp_path / "scratch"
    variants = {"serial": fileio.Condition(mode="serial", scratch_dir=str(scratch))}
    with pytest.raises(OSError, match="No space left"):
        fileio.run_conditions("readwrite", 4, variants, src=src, repeats=2, warmup=0)
    assert len(calls) == 2
    assert list(scratch.iterdir()) == []  # the run's directory and both written copies are gone


def test_a_run_that_cannot_fit_is_refused_before_writing(src, tmp_path, monkeypatch):
    import shutil as sh
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(fileio.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 100 * 1024))
    scratch = tmp_path / "scratch"
    variants = {"serial": fileio.Condition(mode="serial", scratch_dir=str(scratch))}
    with pytest.raises(
        OSError,
        match=r"readwrite loops=4: not enough free space in .*scratch: one run of readwrite "
        r"writes 0.25 MiB and 0.0977 MiB are free",
    ):
        fileio.run_conditions("readwrite", 4, variants, src=src, repeats=1, warmup=0, label="readwrite loops=4")
    assert list(scratch.iterdir()) == []
    # reads write nothing: no check
    fileio.run_conditions("read", 2, variants, src=src, repeats=1, warmup=0)
    assert fileio.bytes_written("readwrite", 4, 10) == 40 and fileio.bytes_written("overwrite", 4, 10) == 10
    assert fileio.bytes_written("read", 4, 10) == 0
    del sh


@pytest.mark.parametrize(
    "experiment, primed",
    [
        # the read & write job also runs the overwrite: its copies and the one shared file
        ("readwrite", ["copy_0.txt", "copy_1.txt", "copy_2.txt", "overwrite.txt"]),
        ("overwrite", ["overwrite.txt"]),
        ("read", None),
    ],
)
def test_a_write_job_is_primed_with_every_file_it_replaces(src, tmp_path, monkeypatch, experiment, primed):
    """Before the timed runs, every file a write run replaces is there, with the
    test file's bytes; a read job writes nothing and is not primed."""
    names, sizes = [], []
    real = fileio.prime_files

    def spy(source, paths):
        paths = list(paths)
        names.extend(os.path.basename(p) for p in paths)
        prime = real(source, paths)

        def run():
            prime()
            sizes.extend(os.path.getsize(p) for p in paths)

        return run

    monkeypatch.setattr(fileio, "prime_files", spy)
    rows = run_point(
        experiment, 3, 2, src=src, scratch_dir=tmp_path / "scratch", repeats=2, warmup=1, data={"lines": 100, "seed": 1}
    )
    assert names == (primed or [])
    assert sizes == [os.path.getsize(src)] * len(names)
    assert all(r["verified"] for r in rows)
