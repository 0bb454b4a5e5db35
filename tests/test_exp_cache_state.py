"""cache_state: cold runs really start with the file evicted (mincore), warm runs with it resident,
and the findings say whether eviction happened."""

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASE
from figdata import assert_drawn, assert_findings_in_both_languages, capture

from mpbench import cache, experiments
from mpbench.datagen import write_test_file
from mpbench.environment import filesystem_of
from mpbench.experiments import cache_state as cs
from mpbench.present import cache_state as present

SECTION = {"enabled": True, "operations": ["read", "readwrite"], "loops": 2, "workers": 2, "states": ["warm", "cold"]}


@pytest.fixture
def data_file(tmp_path):
    # tmpfs cannot drop a file's pages; put the file on a disk-backed file system then
    folder = tmp_path if filesystem_of(tmp_path) != "tmpfs" else Path(tempfile.mkdtemp(dir=Path.cwd()))
    path = folder / "input.txt"
    write_test_file(path, 256 * 1024, 400, seed=5)
    return str(path)


def test_points_and_states(monkeypatch):
    assert experiments.points("cache_state", SECTION) == [{"operation": "read"}, {"operation": "readwrite"}]
    assert cs.states({"states": ["cold", "warm"]}) == (["warm", "cold"] if cache.EVICTION_SUPPORTED else ["warm"])
    monkeypatch.setattr(cache, "EVICTION_SUPPORTED", False)
    assert cs.states({"states": ["warm", "cold"]}) == ["warm"] and cs.states({"states": ["cold"]}) == ["warm"]


def test_cold_rows_start_evicted_and_warm_rows_resident(data_file, tmp_path):
    if cache.resident_fraction(data_file) is None:
        pytest.skip("mincore is not available here, so residency cannot be checked")
    rows = cs.run(
        {"operation": "readwrite"},
        SECTION,
        repeats=2,
        warmup=1,
        scratch_dir=str(tmp_path / "scratch"),
        data_file=data_file,
        base=BASE,
    )
    raw = pd.DataFrame(rows)
    states = ["warm", "cold"] if cache.EVICTION_SUPPORTED else ["warm"]
    assert sorted(set(raw["variant"])) == sorted(f"{m} {s}" for m in ("serial", "pool") for s in states)
    assert len(raw) == 2 * 2 * len(states) and raw["verified"].all() and raw["config_hash"].nunique() == 1
    assert (raw["experiment"] == "cache_state").all() and (raw["operation"] == "readwrite").all()
    assert (raw.loc[raw["cache"] == "warm", "resident_before"] == 1.0).all()
    if cache.EVICTION_SUPPORTED:
        assert (raw.loc[raw["cache"] == "cold", "resident_before"] == 0.0).all()
        assert (raw.loc[raw["cache"] == "cold", "level_index"] == 1).all()
    assert cache.resident_fraction(data_file) == 1.0  # left warm for the other experiments
    assert not list((tmp_path / "scratch").iterdir())  # written copies removed


def test_without_posix_fadvise_cold_is_skipped_and_said(monkeypatch, data_file, tmp_path):
    monkeypatch.setattr(cache, "EVICTION_SUPPORTED", False)
    rows = cs.run(
        {"operation": "read"}, SECTION, repeats=1, warmup=0, scratch_dir=str(tmp_path), data_file=data_file, base=BASE
    )
    raw = pd.DataFrame(rows)
    assert set(raw["cache"]) == {"warm"} and set(raw["variant"]) == {"serial warm", "pool warm"}
    text = " ".join(present.findings(present.summarize(raw, 0.95), {}))
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {})
    assert "cold not measured: this platform lacks os.posix_fadvise" in text


def test_run_needs_the_data_file():
    with pytest.raises(ValueError, match="cache_state: needs data_file"):
        cs.run({"operation": "read"}, SECTION, repeats=1, warmup=0, base=BASE)


def _raw(times, resident=None, op="read"):
    """Synthetic raw rows: {(mode, state): [seconds per rep]}; resident: {state: fraction}."""
    resident = resident or {"warm": 1.0, "cold": 0.0}
    rows = []
    for (mode, state), values in times.items():
        for rep, seconds in enumerate(values):
            rows.append(
                {
                    "experiment": "cache_state",
                    "operation": op,
                    "mode": mode,
                    "variant": f"{mode} {state}",
                    "cache": state,
                    "level_index": cs.STATES.index(state),
                    "rep": rep,
                    "seconds": seconds,
                    "config_hash": "h",
                    "loops": 20,
                    "workers": 4,
                    "scratch_fs": "ext4",
                    "resident_before": resident[state],
                }
            )
    return pd.DataFrame(rows)


SPREAD = [1.0, 1.02, 0.98, 1.0, 0.99, 1.01]
TIMES = {
    ("serial", "warm"): [1.0 * s for s in SPREAD],
    ("pool", "warm"): [0.5 * s for s in SPREAD],
    ("serial", "cold"): [1.2 * s for s in SPREAD],
    ("pool", "cold"): [0.55 * s for s in SPREAD],
}


def test_summarize_ratios_and_p():
    s = present.summarize(_raw(TIMES).sample(frac=1, random_state=2), 0.95)
    assert list(zip(s["cache"], s["variant"])) == [
        ("warm", "serial"),
        ("warm", "pool"),
        ("cold", "serial"),
        ("cold", "pool"),
    ]
    cold = s[s["cache"] == "cold"].set_index("variant")
    assert cold.loc["serial", "ratio_vs_ref"] == pytest.approx(1.2)
    assert cold.loc["pool", "ratio_vs_ref"] == pytest.approx(1.1)
    assert cold.loc["serial", "p_vs_ref"] == pytest.approx(2 / 64) and cold["significant_vs_ref"].all()
    assert cold.loc["pool", "speedup"] == pytest.approx(1.2 / 0.55)
    assert (s["reference"] == "warm").all() and not s.loc[s["cache"] == "warm", "significant_vs_ref"].any()
    assert cold["resident_before_max"].max() == 0.0


def test_findings_say_eviction_verified():
    (line,) = present.findings(present.summarize(_raw(TIMES), 0.95), {})
    assert_findings_in_both_languages(present, present.summarize(_raw(TIMES), 0.95), {})
    assert line.startswith(
        "read (20 loops, Pool(4)): eviction verified: before every cold run 0% of the file's "
        "pages were resident (mincore), before every warm run 100%."
    )
    assert "serial 1.20× (1.20–1.20×, p = 0.031, significant)" in line and "Pool 1.10×" in line
    assert "cold serial 1.2 s, Pool 0.55 s, warm serial 1 s, Pool 0.5 s" in line


def test_findings_say_when_eviction_did_not_happen():
    (line,) = present.findings(present.summarize(_raw(TIMES, {"warm": 1.0, "cold": 1.0}), 0.95), {})
    assert_findings_in_both_languages(present, present.summarize(_raw(TIMES, {"warm": 1.0, "cold": 1.0}), 0.95), {})
    assert "eviction did NOT happen: before a cold run up to 100% of the file's pages were still resident" in line
    assert present.eviction_verdict(0.04, 1.0).startswith("eviction verified: before every cold run 4%")
    assert present.eviction_verdict(float("nan"), float("nan")).startswith("Eviction could not be checked")


@pytest.mark.parametrize(
    "language, first", [("zh", "| 操作 | 缓存状态 | 串行（秒） |"), ("en", "| Operation | Cache | Serial (s) |")]
)
def test_table(language, first, tmp_path):
    present.summarize(_raw(TIMES), 0.95).to_csv(tmp_path / "s.csv", index=False)
    md = present.table(pd.read_csv(tmp_path / "s.csv"), language)
    lines = md.splitlines()
    assert lines[0].startswith(first) and "warm" in lines[0]
    assert lines[2].startswith("| read | warm | 1 | 0.5 | 2.00 | — | — | 100% / 100% |")
    assert lines[3].startswith("| read | cold | 1.2 | 0.55 | 2.18 | 1.20 (p = 0.031) | 1.10 (p = 0.031) | 0% / 0% |")


def test_plot_writes_png_and_svg(tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    raw = pd.concat([_raw(TIMES), _raw(TIMES, op="readwrite")])
    summary = present.summarize(raw, 0.95)
    present.plot(summary, 2, [tmp_path / "f.png", tmp_path / "f.svg"])
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "f.svg").read_text()[:2000]
    assert len(summary) == 2 * 2 * 2  # operations x states x modes, all drawn
    assert_drawn(figs, summary[["median", "ci_low", "ci_high"]], what="median time per state and mode, seconds")
