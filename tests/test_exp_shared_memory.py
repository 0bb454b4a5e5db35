"""shared_memory: every way of giving workers the data gives the right checksum,
shared blocks are always freed, and the summary, table, figure and findings
say what the numbers say."""

import multiprocessing
import os

import numpy as np
import pandas as pd
import pytest
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench import experiments
from mpbench.experiments import shared_memory as shm
from mpbench.present import shared_memory as present

SECTION = {"enabled": True, "sizes_mb": [0.01], "workers": [2]}


def _blocks() -> set[str]:
    return {name for name in os.listdir("/dev/shm") if name.startswith("psm_")} if os.path.isdir("/dev/shm") else set()


def test_points_round_to_kib_and_refuse_duplicates():
    assert experiments.points("shared_memory", {"sizes_mb": [100, 0.01, 1], "workers": [2, 3]}) == [
        {"size_kib": 10, "workers": 2},
        {"size_kib": 10, "workers": 3},
        {"size_kib": 1024, "workers": 2},
        {"size_kib": 1024, "workers": 3},
        {"size_kib": 102400, "workers": 2},
        {"size_kib": 102400, "workers": 3},
    ]
    with pytest.raises(ValueError, match=r"shared_memory.sizes_mb \[0.01, 0.0101\] give the same point twice"):
        experiments.points("shared_memory", {"sizes_mb": [0.01, 0.0101], "workers": [2]})


def test_data_slices_and_checksum():
    data = shm.make_data(10)
    assert data.dtype == np.float64 and data.nbytes == 10 * 1024
    assert np.array_equal(data, np.round(data))  # integers: sums are exact
    bounds = shm.bounds(1281, 3)
    assert bounds[0][0] == 0 and bounds[-1][1] == 1281
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert shm.combine(shm.checksum(data[a:b]) for a, b in shm.bounds(len(data), 3)) == shm.checksum(data)


@pytest.mark.parametrize("variant", shm.VARIANTS)
def test_every_variant_gives_the_serial_checksum(variant):
    data = shm.make_data(40)
    before = _blocks()
    times, result = shm.measure(variant, data, 3)
    assert result == shm.checksum(data)
    assert times["seconds"] >= sum(times[p] for p in shm.PHASES) * 0.999
    assert _blocks() == before  # the shared block was unlinked


@pytest.mark.parametrize("variant", ["value_array", "shared_memory"])
def test_shared_variants_work_under_spawn(variant):
    data = shm.make_data(8)
    _, result = shm.measure(variant, data, 2, multiprocessing.get_context("spawn"))
    assert result == shm.checksum(data)


def test_shared_block_is_unlinked_when_the_pool_fails(monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("no pool")

    monkeypatch.setattr(shm, "_pool_map", boom)
    before = _blocks()
    with pytest.raises(OSError, match="no pool"):
        shm.measure("shared_memory", shm.make_data(8), 2)
    with pytest.raises(OSError, match="no pool"):
        shm.measure("value_array", shm.make_data(8), 2)
    assert _blocks() == before


def test_a_block_larger_than_dev_shm_is_refused():
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm")
    with pytest.raises(RuntimeError, match="do not fit in /dev/shm"):
        shm._check_shm_space(2**62)


def test_run_rows():
    rows = shm.run({"size_kib": 10, "workers": 2}, SECTION, repeats=2, warmup=0)
    raw = pd.DataFrame(rows)
    assert len(raw) == 2 * len(shm.VARIANTS) and set(raw["variant"]) == set(shm.VARIANTS)
    assert raw["verified"].all() and (raw["size_kib"] == 10).all() and (raw["workers"] == 2).all()
    assert (raw["elements"] == 1280).all() and (raw["nbytes"] == 10240).all() and (raw["count"] == 1280).all()
    assert raw["checksum"].nunique() == 1
    for column in ("seconds", "started_at", "ended_at", "config_hash", *shm.PHASES):
        assert column in raw.columns
    pickle = raw[raw["variant"].isin(["serial", "pickle"])]
    assert (pickle["copy_seconds"] == 0).all()


@pytest.mark.parametrize("variant", shm.VARIANTS)
@pytest.mark.parametrize("wrong", ["sum", "count"])
def test_a_wrong_checksum_is_an_error(monkeypatch, variant, wrong):
    real = shm.measure

    def broken(name, data, workers, ctx=None, inner=1):
        times, (count, total) = real("serial", data, workers)
        if name == variant:
            count, total = (count, total + 1.0) if wrong == "sum" else (count - 1, total)
        return times, (count, total)

    monkeypatch.setattr(shm, "measure", broken)
    with pytest.raises(RuntimeError, match=f"shared_memory {variant} size_kib=10 workers=2: checksum"):
        shm.run({"size_kib": 10, "workers": 2}, SECTION, repeats=1, warmup=0)


# --------------------------------------------------------------------------
# summary, table, figure, findings on synthetic rows


def synthetic(times: dict[int, dict[str, list[float]]], workers: int = 2) -> pd.DataFrame:
    rows = []
    for kib, by_variant in times.items():
        for variant, seconds in by_variant.items():
            for rep, s in enumerate(seconds):
                copy = s / 2 if variant in ("value_array", "shared_memory") else 0.0
                rows.append(
                    {
                        "experiment": "shared_memory",
                        "size_kib": kib,
                        "workers": workers,
                        "variant": variant,
                        "rep": rep,
                        "seconds": s,
                        "config_hash": "h",
                        "copy_seconds": copy,
                        "pool_start_seconds": 0.02 if variant != "serial" else 0.0,
                        "map_seconds": s - copy,
                        "close_seconds": 0.0,
                        "elements": kib * 128,
                        "nbytes": kib * 1024,
                        "verified": True,
                    }
                )
    return pd.DataFrame(rows)


def crossing() -> pd.DataFrame:
    """Shared memory ties pickle at 10 KiB, is faster from 1 MiB on (2x at 100 MiB)."""
    return synthetic(
        {
            10: {
                "serial": [1e-5] * 3,
                "pickle": [0.05, 0.06, 0.04],
                "value_array": [0.06, 0.04, 0.05],
                "shared_memory": [0.04, 0.06, 0.05],
            },
            1024: {
                "serial": [1e-4] * 3,
                "pickle": [0.10, 0.10, 0.10],
                "value_array": [0.05, 0.05, 0.05],
                "shared_memory": [0.04, 0.04, 0.04],
            },
            102400: {
                "serial": [0.01] * 3,
                "pickle": [1.0, 1.2, 0.8],
                "value_array": [0.5, 0.6, 0.4],
                "shared_memory": [0.5, 0.6, 0.4],
            },
        }
    )


def test_summarize_arithmetic():
    summary = present.summarize(crossing(), 0.95)
    assert list(summary["variant"].astype(str)) == list(shm.VARIANTS) * 3
    top = summary[summary["size_kib"] == 102400].set_index("variant")
    assert top.loc["pickle", "median"] == pytest.approx(1.0)
    assert top.loc["shared_memory", "vs_pickle"] == pytest.approx(2.0)
    assert top.loc["shared_memory", "vs_pickle_ci_low"] == pytest.approx(2.0)  # paired ratios are all 2
    assert top.loc["pickle", "vs_pickle"] == pytest.approx(1.0)
    assert top.loc["serial", "speedup"] == pytest.approx(1.0)
    assert top.loc["pickle", "speedup"] == pytest.approx(0.01)
    assert top.loc["shared_memory", "copy_median"] == pytest.approx(0.25)
    assert top.loc["shared_memory", "size_mib"] == pytest.approx(100.0)
    assert int(top.loc["shared_memory", "n"]) == 3


@pytest.mark.parametrize(
    "language, head", [("en", "| Data size | Processes | Variant |"), ("zh", "| 数据量 | 进程数 | 方式 |")]
)
def test_table_headers_and_rows(language, head, tmp_path):
    path = tmp_path / "s.csv"
    present.summarize(crossing(), 0.95).to_csv(path, index=False)
    md = present.table(pd.read_csv(path), language)  # a summary read back from CSV
    lines = md.strip().splitlines()
    assert lines[0].startswith(head) and len(lines) == 2 + 12
    assert lines[2].startswith("| 10 KiB | 2 |") and lines[-1].startswith("| 100 MiB | 2 |")
    assert "SharedMemory" in lines[-1] and lines[-1].endswith("| 2.00 |")


def test_plot_writes_png_and_svg(tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    assert present._plain(1e-5) == "0.00001" and present._plain(0.25) == "0.25" and present._plain(100.0) == "100"
    summary = present.summarize(crossing(), 0.95)
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    present.plot(summary, 2, [png, svg])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()[:2000]
    # left: every variant's median time and interval, seconds; right: the shared variants' speedup over pickle
    assert_drawn(figs, summary[["median", "ci_low", "ci_high"]], what="median time and interval, seconds")
    shared = summary[summary["variant"].astype(str).isin(["value_array", "shared_memory"])]
    assert len(shared) == 2 * 3
    assert_drawn(
        figs, shared[["vs_pickle", "vs_pickle_ci_low", "vs_pickle_ci_high"]], what="speedup over pickle and interval"
    )


def test_findings_when_shared_memory_wins_from_a_size_on():
    text = present.findings(present.summarize(crossing(), 0.95), {"usable_cores": 2})
    assert_findings_in_both_languages(present, present.summarize(crossing(), 0.95), {"usable_cores": 2})
    assert len(text) == 2
    assert "beat pickling from 1 MiB on" in text[0] and "not distinguishable at 10 KiB" in text[0]
    assert "At 100 MiB" in text[1] and "2.00× faster than pickling" in text[1]


def test_findings_when_shared_memory_wins_everywhere():
    raw = crossing()
    raw.loc[(raw["size_kib"] == 10) & (raw["variant"] == "shared_memory"), "seconds"] = 0.01
    text = present.findings(present.summarize(raw, 0.95), {})
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {})
    assert "at every size measured, from 10 KiB to 100 MiB" in text[0]


def test_findings_when_shared_memory_does_not_win():
    raw = crossing()
    top = raw["size_kib"] == 102400
    raw.loc[top & (raw["variant"] == "shared_memory"), "seconds"] = [1.5, 1.5, 1.5]
    raw.loc[top & (raw["variant"] == "value_array"), "seconds"] = [1.1, 1.1, 0.9]
    text = present.findings(present.summarize(raw, 0.95), {})
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {})
    assert "did not beat pickling at the largest size (100 MiB)" in text[0]
    assert "1.50× slower than pickling" in text[1]
    assert "RawArray took 1.1 s, not distinguishable from pickling" in text[1]
