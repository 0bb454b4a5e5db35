"""scratch_location: every directory is used and its file system recorded, paths with spaces
work, and a directory that cannot take the files is refused in one line."""

import shutil
from collections import namedtuple

import pandas as pd
import pytest
from conftest import BASE
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench import experiments
from mpbench.config import ConfigError, fill_defaults, load_schema
from mpbench.datagen import write_test_file
from mpbench.environment import filesystem_of
from mpbench.experiments import scratch_location as sl
from mpbench.present import scratch_location as present

CFG = {"data": {"size_mb": 1}}


def _section(dirs, loops=2):
    return {"enabled": True, "operations": ["readwrite", "overwrite"], "loops": loops, "workers": 2, "dirs": dirs}


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "input.txt"
    write_test_file(path, 64 * 1024, 100, seed=11)
    return str(path)


def test_points_are_operations_only():
    section = _section(["/some/where", "/dev/shm"])
    assert experiments.points("scratch_location", section) == [{"operation": "readwrite"}, {"operation": "overwrite"}]
    assert [experiments.point_id(p) for p in experiments.points("scratch_location", section)] == [
        "operationreadwrite",
        "operationoverwrite",
    ]


@pytest.mark.parametrize("op", ["readwrite", "overwrite"])
def test_two_directories_one_with_spaces(op, data_file, tmp_path):
    first, second = tmp_path / "first", tmp_path / "with spaces in it"
    first.mkdir()
    second.mkdir()
    section = _section([str(first), str(second)])
    sl.check_config(section, CFG, tmp_path)  # both fine
    raw = pd.DataFrame(sl.run({"operation": op}, section, repeats=2, warmup=0, data_file=data_file, base=BASE))
    assert set(raw["scratch_dir"]) == {str(first), str(second)} and raw["verified"].all()
    assert set(raw["variant"]) == {f"{m} {d}" for m in ("serial", "pool") for d in (first, second)}
    assert (raw.loc[raw["scratch_dir"] == str(second), "level_index"] == 1).all()
    assert set(raw["scratch_fs"]) == {filesystem_of(first)} and filesystem_of(first) != "unknown"
    assert not list(first.iterdir()) and not list(second.iterdir())  # written files removed
    summary = present.summarize(raw, 0.95)
    text = " ".join(present.findings(summary, {}))
    assert_findings_in_both_languages(present, summary, {})
    assert f"files in {first} ({filesystem_of(first)})" in text and f"In {second} ({filesystem_of(second)})" in text
    assert f"time relative to {first}" in text
    assert f"| {op} | {second} ({filesystem_of(second)}) |" in present.table(summary, "en")


def test_a_relative_directory_that_does_not_exist_yet_is_accepted(tmp_path):
    sl.check_config(_section(["results/scratch", str(tmp_path)]), CFG, tmp_path)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: str(p / "missing"), r"scratch_location.dirs\[1\] = '.*missing' does not exist; allowed: existing"),
        (
            lambda p: (p / "file.txt").write_text("x") and str(p / "file.txt"),
            r"dirs\[1\] = '.*file.txt' is not a directory",
        ),
        (lambda p: str(p) + "/", r"dirs\[1\] = '.*/' is the same directory as"),
    ],
)
def test_unusable_directories_are_refused(make, message, tmp_path):
    with pytest.raises(ConfigError, match=message) as err:
        sl.check_config(_section([str(tmp_path), make(tmp_path)]), CFG, tmp_path)
    assert "\n" not in str(err.value)


def test_missing_directory_through_the_config(tmp_path):
    # the config's path to check_config: schema defaults, then every enabled experiment's checks
    cfg = fill_defaults({"scratch_location": {"dirs": ["/no/such/dir"]}}, load_schema())
    assert cfg["scratch_location"]["loops"] == 20 and cfg["scratch_location"]["workers"] == 4
    with pytest.raises(ConfigError, match=r"config: scratch_location.dirs\[0\] = '/no/such/dir' does not exist"):
        sl.check_config(cfg["scratch_location"], cfg, tmp_path)
    assert fill_defaults({}, load_schema())["scratch_location"]["dirs"] == ["results/scratch", "/dev/shm"]


def test_too_little_free_space_is_refused(monkeypatch, tmp_path):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 * 2**20, 0, 5 * 2**20))
    with pytest.raises(
        ConfigError,
        match=r"dirs\[0\] = .* has 5 MiB free but loops = 20 copies of a 1 MiB file "
        r"need 20 MiB",
    ):
        sl.check_config(_section([str(tmp_path)], loops=20), CFG, tmp_path)


def test_plot_labels_paths_with_their_file_system(tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    rows = []
    for d, fs, t in (("results/scratch", "ext4", 1.0), ("/dev/shm", "tmpfs", 0.8)):
        for mode, f in (("serial", 1.0), ("pool", 0.5)):
            for rep, s in enumerate([1.0, 1.02, 0.98, 1.0, 0.99, 1.01]):
                rows.append(
                    {
                        "experiment": "scratch_location",
                        "operation": "readwrite",
                        "mode": mode,
                        "variant": f"{mode} {d}",
                        "scratch_dir": d,
                        "level_index": int(d == "/dev/shm"),
                        "rep": rep,
                        "seconds": t * f * s,
                        "config_hash": "h",
                        "loops": 20,
                        "workers": 4,
                        "scratch_fs": fs,
                        "resident_before": 1.0,
                    }
                )
    summary = present.summarize(pd.DataFrame(rows), 0.95)
    (line,) = present.findings(summary, {})
    assert_findings_in_both_languages(present, summary, {})
    assert "In /dev/shm (tmpfs): serial 0.8 s, Pool 0.4 s; time relative to results/scratch: serial 0.80×" in line
    assert present.wrap_path("/tmp/a_rather_long/path with spaces") == "/tmp/\na_rather_long/\npath with spaces"
    present.plot(summary, 2, [tmp_path / "f.png", tmp_path / "f.svg"])
    assert (tmp_path / "f.png").stat().st_size > 0
    assert len(summary) == 2 * 2  # directories x serial/Pool, all drawn
    assert_drawn(figs, summary[["median", "ci_low", "ci_high"]], what="median time per directory, seconds")
