"""Tests that watch what ran, not the labels written into rows: the start method
the Pool's children were really started with, the Pool size and the chunksize
the Pool really got."""

import multiprocessing.pool
import os

import pytest
import spy

from mpbench import fileio, workloads
from mpbench.datagen import write_test_file


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "input.txt"
    write_test_file(path, 16 * 1024, 20, seed=3)
    return str(path)


@pytest.fixture
def pools(monkeypatch):
    """Every Pool created in this process: its size, and the chunksize each map got."""
    seen = {"processes": [], "chunksize": []}
    real_init, real_map_async = multiprocessing.pool.Pool.__init__, multiprocessing.pool.Pool.map_async

    def init(self, processes=None, *args, **kw):
        seen["processes"].append(processes)
        real_init(self, processes, *args, **kw)

    def map_async(self, func, iterable, chunksize=None, *args, **kw):
        seen["chunksize"].append(chunksize)
        return real_map_async(self, func, iterable, chunksize, *args, **kw)

    monkeypatch.setattr(multiprocessing.pool.Pool, "__init__", init)
    monkeypatch.setattr(multiprocessing.pool.Pool, "map_async", map_async)
    return seen


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_file_runs_start_their_pools_as_asked(method, src, tmp_path, monkeypatch, pools):
    monkeypatch.setitem(workloads.OPERATIONS, "read", spy.read)
    cond = fileio.Condition(mode="pool", workers=3, start_method=method, chunksize=2,
                            scratch_dir=str(tmp_path / "scratch"))
    rows = fileio.run_conditions("read", 6, {"pool": cond}, src=src, repeats=1, warmup=0)
    assert len(rows) == 1 and rows[0]["start_method"] == method
    methods, pids = spy.notes(spy.notes_dir(src))
    assert methods == {method}, "the children were started another way than the row says"
    assert os.getpid() not in pids and 1 <= len(pids) <= 3
    assert pools["processes"] == [3] and pools["chunksize"] == [2]


def test_the_default_chunksize_is_pool_maps_own(src, tmp_path, pools):
    cond = fileio.Condition(mode="pool", workers=2, scratch_dir=str(tmp_path / "scratch"))
    rows = fileio.run_conditions("read", 16, {"pool": cond}, src=src, repeats=1, warmup=0)
    assert pools["chunksize"] == [None] and rows[0]["chunksize_effective"] == 2  # ceil(16 / (4 x 2))
