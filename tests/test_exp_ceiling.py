"""ceiling: raw reads fill one reused buffer with the whole file, raw writes are
checked and cleaned, and the summary/findings compute the ratios to the ceiling."""

import multiprocessing
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASE
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench import environment, experiments, rawio
from mpbench.config import ConfigError, validate_config
from mpbench.datagen import write_test_file
from mpbench.experiments import ceiling
from mpbench.present import ceiling as present

SIZE = 60_000
SECTION = {"enabled": True, "loops": 3, "workers": 2, "cache": "inherit"}


def _schema():
    """The main schema with only this experiment's section, so that another
    experiment's section cannot change what these tests see."""
    import yaml

    from mpbench import config

    schema = yaml.safe_load(config.SCHEMA_PATH.read_text(encoding="utf-8"))
    fragment = config.SCHEMA_PATH.parent / "experiments" / "ceiling.schema.yaml"
    section = yaml.safe_load(fragment.read_text(encoding="utf-8"))
    schema["properties"]["ceiling"] = {**section, "default": {}}
    return schema


SCHEMA = _schema()


@pytest.fixture
def only_ceiling_checks(monkeypatch):
    from mpbench import config

    monkeypatch.setattr(
        config, "check_experiments", lambda cfg, workdir=None: ceiling.check_config(cfg["ceiling"], cfg, workdir)
    )


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("ceiling") / "input.txt"
    write_test_file(path, SIZE, 100, seed=5)
    return str(path)


def test_raw_read_fills_one_reused_buffer(data_file):
    before = rawio.ALLOCATIONS
    assert rawio.read_raw(data_file, SIZE, 0) == SIZE
    buf = rawio.buffer(SIZE)
    assert bytes(buf) == Path(data_file).read_bytes()
    for i in range(3):
        assert rawio.read_raw(data_file, SIZE, i) == SIZE
    assert rawio.buffer(SIZE) is buf and rawio.ALLOCATIONS - before <= 1  # allocated once, then reused


def test_a_short_file_reads_short(tmp_path):
    path = tmp_path / "short.bin"
    path.write_bytes(b"x" * 100)
    assert rawio.read_raw(str(path), 150) == 100  # the caller's check turns this into an error
    with pytest.raises(RuntimeError, match="shorter than 150 bytes"):
        rawio.load(str(path), 150)


@pytest.mark.parametrize("fsync", [False, True])
def test_raw_write_writes_the_file_bytes(data_file, tmp_path, fsync):
    assert rawio.write_raw(data_file, SIZE, str(tmp_path), fsync, 7) == SIZE
    assert (tmp_path / "raw_7.bin").read_bytes() == Path(data_file).read_bytes()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_raw_ops_in_a_pool(data_file, tmp_path, method):
    from functools import partial

    with multiprocessing.get_context(method).Pool(2) as pool:
        assert pool.map(partial(rawio.read_raw, data_file, SIZE), range(4)) == [SIZE] * 4
        assert pool.map(partial(rawio.write_raw, data_file, SIZE, str(tmp_path), False), range(3)) == [SIZE] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw_0.bin", "raw_1.bin", "raw_2.bin"]


def test_workers_resolve():
    assert ceiling.resolve_workers("cores") == environment.usable_cores() >= 1
    assert ceiling.resolve_workers(3) == 3


@pytest.mark.parametrize("value, shown", [(0, "0"), ("many", "'many'"), (True, "True")])
def test_config_refuses_bad_workers(tmp_path, value, shown, only_ceiling_checks):
    message = rf"config: ceiling.workers = {shown} is not allowed; allowed: cores or a whole number >= 1"
    with pytest.raises(ConfigError, match=message):
        validate_config({"ceiling": {"workers": value}}, SCHEMA, workdir=tmp_path)


def test_config_defaults_and_cold_check(tmp_path, monkeypatch, only_ceiling_checks):
    cfg = validate_config({"ceiling": {"workers": "4"}}, SCHEMA, workdir=tmp_path)
    assert cfg["ceiling"] == {"enabled": True, "loops": 20, "workers": 4, "cache": "inherit"}
    assert validate_config({}, SCHEMA, workdir=tmp_path)["ceiling"]["workers"] == "cores"
    with pytest.raises(ConfigError, match="ceiling.cache = 'bad' is not allowed; allowed: one of inherit, warm, cold"):
        validate_config({"ceiling": {"cache": "bad"}}, SCHEMA, workdir=tmp_path)
    monkeypatch.setattr(ceiling.pagecache, "EVICTION_SUPPORTED", False)
    with pytest.raises(ConfigError, match="ceiling.cache = 'cold' needs os.posix_fadvise"):
        ceiling.check_config({**SECTION, "cache": "cold"}, {}, tmp_path)
    assert experiments.points("ceiling", SECTION) == [{"loops": 3}]


def run_rows(data_file, scratch, section=SECTION, base=BASE):
    rows = ceiling.run(
        {"loops": section["loops"]},
        section,
        repeats=2,
        warmup=1,
        scratch_dir=str(scratch),
        data_file=data_file,
        base=base,
    )
    return pd.DataFrame(rows)


def test_run_rows_and_cleanup(data_file, tmp_path):
    raw = run_rows(data_file, tmp_path / "scratch")
    assert len(raw) == 2 * len(ceiling.VARIANTS) and set(raw["variant"]) == set(ceiling.VARIANTS)
    for column in (
        "experiment",
        "loops",
        "variant",
        "rep",
        "order",
        "seconds",
        "path",
        "direction",
        "mode",
        "workers",
        "pool_workers",
        "start_method",
        "chunksize",
        "chunksize_effective",
        "cache",
        "fsync",
        "scratch_fs",
        "size_bytes",
        "chars",
        "resident_before",
        "verified",
        "config_hash",
        "host",
    ):
        assert column in raw.columns, column
    assert raw["verified"].all() and raw["config_hash"].nunique() == 1 and (raw["size_bytes"] == SIZE).all()
    assert set(raw.loc[raw["mode"] == "pool", "workers"]) == {2}
    assert set(raw.loc[raw["mode"] == "serial", "workers"]) == {1}
    assert raw.loc[raw["mode"] == "pool", "map_seconds"].notna().all()
    assert (raw["cache"] == "warm").all() and (raw["start_method"] == "fork").all()
    order = [list(raw[raw["rep"] == rep].sort_values("order")["variant"]) for rep in (0, 1)]
    assert order[0] != order[1]  # the variants rotate
    assert os.listdir(tmp_path / "scratch") == []  # written files and their directories are gone


def test_written_files_are_replaced_and_removed_at_the_end(data_file, tmp_path, monkeypatch):
    """Each run replaces the files of the one before (never more than one run's
    files per write path), and nothing is left after the point."""
    seen = []
    real = ceiling.timing.repeat_variants

    def spy(calls, repeats, warmup, check, label="", prime=None):
        def counted(call):
            def run():
                out = call()
                seen.append(sum(len(files) for _, _, files in os.walk(tmp_path / "scratch")))
                return out

            return run

        return real({k: counted(v) for k, v in calls.items()}, repeats, warmup, check, label=label, prime=prime)

    monkeypatch.setattr(ceiling.timing, "repeat_variants", spy)
    run_rows(data_file, tmp_path / "scratch", base={**BASE, "fsync": True})
    loops = SECTION["loops"]
    assert seen and max(seen) == 2 * loops  # the raw and the Python write path, one run's files each
    assert sum(len(files) for _, _, files in os.walk(tmp_path / "scratch")) == 0


def test_cold_cache_and_spawn(data_file, tmp_path):
    if not ceiling.pagecache.EVICTION_SUPPORTED:
        pytest.skip("no posix_fadvise here")
    raw = run_rows(
        data_file,
        tmp_path / "s",
        section={**SECTION, "loops": 2, "cache": "cold"},
        base={**BASE, "start_method": "spawn"},
    )
    assert (raw["cache"] == "cold").all() and (raw["start_method"] == "spawn").all() and raw["verified"].all()


def short_read(src, size, i=0):
    """A raw read that misses the last byte (module level: a Pool pickles it)."""
    return size - 1


def test_a_short_operation_is_an_error(data_file, tmp_path, monkeypatch):
    monkeypatch.setattr(rawio, "read_raw", short_read)
    with pytest.raises(RuntimeError, match=r"ceiling raw_read_(serial|pool): 3 operations handled \[59999\] bytes"):
        run_rows(data_file, tmp_path / "scratch", base={**BASE})
    assert os.listdir(tmp_path / "scratch") == []


@pytest.mark.parametrize(
    "variant", ["python_read_serial", "python_read_pool", "python_write_serial", "python_write_pool"]
)
def test_a_wrong_python_result_is_an_error(data_file, tmp_path, monkeypatch, variant):
    real = ceiling.timing.time_serial if variant.endswith("serial") else ceiling.timing.time_pool
    path, direction, mode = variant.split("_")

    target = ceiling.workloads.read_once if direction == "read" else ceiling.workloads.readwrite_once

    def wrong(fn, loops, *args, **kw):
        times, result = real(fn, loops, *args, **kw)
        if getattr(fn, "func", None) is target:  # the Python path of this direction: one operation short
            result = [result[0] - 1, *result[1:]]
        return times, result

    monkeypatch.setattr(ceiling.timing, "time_serial" if mode == "serial" else "time_pool", wrong)
    with pytest.raises(RuntimeError, match=rf"ceiling {variant}: 3 operations handled \[.*\] characters"):
        run_rows(data_file, tmp_path / "scratch", base={**BASE})


# --------------------------------------------------------------------------
# summary, table, figure, findings on synthetic numbers

MIB = 1024 * 1024
TIMES = {  # seconds per run of 10 operations on a 10 MiB file (100 MiB per run)
    "raw_read_serial": 0.02,
    "raw_read_pool": 0.0125,
    "python_read_serial": 0.1,
    "python_read_pool": 0.05,
    "raw_write_serial": 0.05,
    "raw_write_pool": 0.04,
    "python_write_serial": 0.2,
    "python_write_pool": 0.1,
}


def synthetic(jitter=(0.98, 0.99, 1.0, 1.0, 1.01, 1.02)):
    rows = []
    for name, seconds in TIMES.items():
        path, direction, mode = name.split("_")
        for rep, j in enumerate(jitter):
            rows.append(
                {
                    "experiment": "ceiling",
                    "loops": 10,
                    "variant": name,
                    "rep": rep,
                    "seconds": seconds * j,
                    "path": path,
                    "direction": direction,
                    "mode": mode,
                    "workers": 4 if mode == "pool" else 1,
                    "pool_workers": 4,
                    "size_bytes": 10 * MIB,
                    "start_method": "fork",
                    "chunksize": "default",
                    "cache": "warm",
                    "fsync": False,
                    "scratch_fs": "ext4",
                    "resident_before": 1.0,
                    "pool_start_seconds": 0.01 if mode == "pool" else np.nan,
                    "map_seconds": seconds * 0.8 if mode == "pool" else np.nan,
                    "config_hash": "h",
                    "floor_kind": ("read" if direction == "read" else "write") + ("+pool" if mode == "pool" else ""),
                    "sentinel_seconds": 0.01 * (1 + rep / 100),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def summary(tmp_path):
    present.summarize(synthetic(), 0.95).to_csv(tmp_path / "s.csv", index=False)
    return pd.read_csv(tmp_path / "s.csv")  # as the pipeline reads it back


def test_summarize_arithmetic(summary):
    s = summary.set_index("variant")
    assert list(s.index) == list(ceiling.VARIANTS)
    assert s.loc["raw_read_serial", "mib_s"] == pytest.approx(5000)
    assert s.loc["python_read_pool", "mib_s"] == pytest.approx(2000)
    assert s.loc["raw_read_serial", "mib_s_ci_low"] == pytest.approx(100 / 0.0204)
    assert s.loc["python_read_serial", "ratio_to_raw"] == pytest.approx(0.2)
    assert s.loc["python_read_pool", "ratio_to_raw"] == pytest.approx(0.25)
    assert s.loc["python_write_serial", "ratio_to_raw"] == pytest.approx(0.25)
    assert s.loc["python_write_serial", "ratio_to_raw_read_write"] == pytest.approx(0.35)
    assert s.loc["python_read_serial", "ratio_p"] == pytest.approx(2 / 64)
    assert np.isnan(s.loc["raw_read_serial", "ratio_to_raw"]) and s.loc["raw_read_pool", "pool_start_median"] == 0.01


def test_each_cell_is_set_against_the_floor_of_its_own_runs(summary):
    """Reads against the read floor, writes against the write floor, a Pool's with its
    start added, and the point's sentinel for the machine's noise while it ran: without
    them the report held every ceiling cell to the CPU loop's floor."""
    from mpbench.report import experiment_precision_cells

    kinds = dict(zip(summary["variant"], summary["floor_kind"]))
    assert kinds["raw_read_serial"] == "read" and kinds["python_write_pool"] == "write+pool"
    assert summary["sentinel_cv"].between(0.001, 0.05).all()
    cells = {c[0].split("variant ")[1].split(",")[0]: c for c in experiment_precision_cells("ceiling", summary)}
    assert cells["python_read_pool"][5] == "read+pool" and cells["raw_write_serial"][5] == "write"
    assert cells["raw_write_serial"][7] == pytest.approx(summary["sentinel_cv"].iloc[0])


def test_ceiling_seconds_per_op(summary):
    per_op = present.ceiling_seconds_per_op(summary, 40 * MIB)
    assert per_op["read"] == pytest.approx(0.008) and per_op["write"] == pytest.approx(0.02)
    assert per_op["readwrite"] == pytest.approx(0.028)


def test_findings_name_ratios_and_processes(summary):
    text = present.findings(summary, {"usable_cores": 4})
    assert_findings_in_both_languages(present, summary, {"usable_cores": 4})
    assert text[0].startswith(
        "Python's read-and-decode moves 1,000 MiB/s in one process, 20% of the raw read ceiling "
        "(5,000 MiB/s; paired interval 20%–20%, p = 0.031, significantly below it)"
    )
    assert (
        "through a Pool of 4 processes (one per usable core, Pool start-up included) it moves 2,000 MiB/s, "
        "25% of the raw read ceiling (8,000 MiB/s"
    ) in text[0]
    assert text[1].startswith("Python's read-decode-write moves 500 MiB/s in one process, 25% of the raw write ceiling")
    assert "reaches 35% of that ceiling" in text[2]
    assert "memory-copy bandwidth from the page cache" in text[3] and "buffered on ext4" in text[3]


def test_findings_when_python_is_not_distinguishable():
    raw = synthetic()
    same = raw.loc[raw["variant"] == "raw_read_serial", "seconds"].to_numpy()[::-1]
    raw.loc[raw["variant"] == "python_read_serial", "seconds"] = same
    text = present.findings(present.summarize(raw, 0.95), {})
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {})
    assert "100% of the raw read ceiling" in text[0] and "not distinguishable from it" in text[0]
    assert "through a Pool of 4 processes (Pool start-up included) it moves" in text[0]


@pytest.mark.parametrize(
    "language, first", [("zh", "| 操作 | 方式 | 进程数 |"), ("en", "| Operation | Path | Processes |")]
)
def test_table(summary, language, first):
    lines = present.table(summary, language).splitlines()
    assert lines[0].startswith(first) and len([line for line in lines if line.startswith("| ")]) == 2 + 8
    assert "20% [20%, 20%]" in lines[4] and "6" in lines[-1]


@pytest.mark.parametrize("scale", [1.0, 30.0])  # linear and log axes
def test_plot_writes_png_and_svg(summary, tmp_path, scale, monkeypatch):
    figs = capture(monkeypatch)
    summary.loc[summary["path"] == "raw", ["mib_s", "mib_s_ci_low", "mib_s_ci_high"]] *= scale
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    present.plot(summary, 4, [png, svg])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in svg.read_text()[:2000]
    # raw: median line and interval band; Python: point and interval bar; all in MiB/s
    assert len(summary) == len(ceiling.VARIANTS)
    assert_drawn(figs, summary[["mib_s", "mib_s_ci_low", "mib_s_ci_high"]], what="throughput per variant, MiB/s")
    by = summary.set_index("variant")["mib_s"]
    combined = 1 / (1 / by["raw_write_serial"] + 1 / by["raw_read_serial"])
    assert_drawn(figs, [combined], what="raw read + raw write in one process, MiB/s")
