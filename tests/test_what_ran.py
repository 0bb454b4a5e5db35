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
    cond = fileio.Condition(
        mode="pool", workers=3, start_method=method, chunksize=2, scratch_dir=str(tmp_path / "scratch")
    )
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


@pytest.mark.parametrize("skip", [True, False])
def test_spawned_workers_do_not_rerun_the_scripts_snakemake_preamble(tmp_path, skip):
    """A Snakemake script starts with a preamble that imports Snakemake; a spawned child
    re-runs the parent's main script before its task.  The bench scripts call
    timing.children_skip_main(), and then no child runs it; without the call they do
    (which shows that the check can fail)."""
    import subprocess
    import sys

    from conftest import REPO

    script = tmp_path / "script.py"
    script.write_text(f"""
import os, sys
sys.path.insert(0, {str(REPO)!r})
os.environ["PREAMBLE_RAN_IN"] = str(os.getpid())  # what the preamble leaves: a mark, in the child that runs it
open(os.path.join({str(tmp_path)!r}, "preamble-" + str(os.getpid())), "w").close()
if __name__ == "__main__":
    import multiprocessing
    from mpbench import tasks, timing
    {"timing.children_skip_main()" if skip else ""}
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        assert pool.map(tasks.square, range(4)) == [0, 1, 4, 9]
    print(os.getpid())
""")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    parent = out.stdout.split()[-1]
    children = [p for p in tmp_path.glob("preamble-*") if p.name != f"preamble-{parent}"]
    assert (children == []) is skip, f"{len(children)} spawned children re-ran the script's top"
