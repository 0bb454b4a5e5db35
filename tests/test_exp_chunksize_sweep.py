"""chunksize_sweep: each chunksize reaches Pool.map, the default rule is resolved and recorded, findings follow p."""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import BASE
from figdata import assert_drawn, assert_findings_in_both_languages, capture, spread_runs

from mpbench import experiments, timing
from mpbench.config import ConfigError, validate_config
from mpbench.experiments import chunksize_sweep as cs
from mpbench.present import chunksize_sweep as present

SECTION = {
    "enabled": True,
    "operations": ["read", "square"],
    "loops": 5,
    "items": 50,
    "workers": 2,
    "chunksizes": ["default", 1, 3],
    "square_chunksizes": ["default", 1, 20],
}


def test_points():
    assert experiments.points("chunksize_sweep", SECTION) == [{"operation": "read"}, {"operation": "square"}]


def test_square_rows_resolve_the_default_rule():
    rows = pd.DataFrame(cs.square_rows(50, 2, ["default", 1, 20], "fork", repeats=2, warmup=0))
    assert sorted(rows["variant"].unique()) == ["chunksize_1", "chunksize_20", "chunksize_default", "serial"]
    eff = rows.groupby("variant")["chunksize_effective"].first()
    assert eff["chunksize_default"] == math.ceil(50 / (4 * 2)) == 7 and eff["chunksize_1"] == 1
    assert eff["chunksize_20"] == 20 and np.isnan(eff["serial"])
    assert rows.groupby("variant")["chunksize"].first()["serial"] == "none"
    assert rows["verified"].all() and (rows["tasks"] == 50).all()


@pytest.mark.parametrize("op", ["read", "square"])
def test_run_rows_carry_chunksize_and_base(op, data_file, tmp_path):
    base = {**BASE, "start_method": "spawn"} if op == "square" else BASE
    rows = pd.DataFrame(
        cs.run(
            {"operation": op}, SECTION, repeats=2, warmup=1, scratch_dir=str(tmp_path), data_file=data_file, base=base
        )
    )
    assert rows["experiment"].eq("chunksize_sweep").all() and rows["config_hash"].nunique() == 1
    assert rows["operation"].eq(op).all() and rows["verified"].all() and len(rows) == 2 * 4
    pool = rows[rows["variant"] != "serial"].groupby("chunksize")
    expected = {
        "default": math.ceil((5 if op == "read" else 50) / 8),
        "1": 1,
        "3" if op == "read" else "20": 3 if op == "read" else 20,
    }
    assert pool["chunksize_effective"].first().to_dict() == expected
    assert (pool["start_method"].first() == base["start_method"]).all()  # the base condition reaches the Pool
    assert (rows[rows["variant"] == "serial"]["chunksize"] == "none").all()
    assert list(tmp_path.iterdir()) == []


def test_a_wrong_square_result_is_an_error(monkeypatch):
    def lossy(fn, items, workers, ctx, chunksize=None):
        times, result = timing.time_serial(fn, items)
        return times, result[:-1]

    monkeypatch.setattr(cs.timing, "time_pool", lossy)
    with pytest.raises(
        RuntimeError,
        match=r"chunksize_sweep square chunksize_1: 49 results for 50 items, first "
        r"wrong at index 49",
    ):
        cs.square_rows(50, 2, [1], "fork", repeats=1, warmup=0)


def test_config_refuses_bad_chunksizes_and_takes_numbers_as_text():
    for bad, where in ((["default", 0], r"chunksizes\[1\] = 0"), (["big"], r"chunksizes\[0\] = 'big'")):
        with pytest.raises(
            ConfigError,
            match=rf"^config: chunksize_sweep.{where} is not allowed; allowed: default or "
            r"a whole number >= 1$",
        ):
            validate_config({"chunksize_sweep": {"chunksizes": bad}})
    with pytest.raises(ConfigError, match=r"square_chunksizes = \[1, 1\] has duplicate entries"):
        validate_config({"chunksize_sweep": {"square_chunksizes": [1, 1]}})
    with pytest.raises(ConfigError, match=r"operations\[0\] = 'write' is not allowed"):
        validate_config({"chunksize_sweep": {"operations": ["write"]}})
    cfg = validate_config({"chunksize_sweep": {"chunksizes": ["default", "5"]}})
    assert cfg["chunksize_sweep"]["chunksizes"] == ["default", 5] and cfg["chunksize"] == "default"
    assert cfg["chunksize_sweep"]["square_chunksizes"] == ["default", 1, 10, 100, 1000, 10000]


def _raw() -> pd.DataFrame:
    """square, 6 reps: chunksize 1 takes 40x the default rule; 1000 is fastest (0.9x default, within noise)."""
    rows = []
    factors = {"1": [40.0] * 6, "100": [1.2] * 6, "default": [1.0] * 6, "1000": [0.9, 0.95, 0.85, 1.05, 0.9, 0.88]}
    eff = {"1": 1, "100": 100, "default": 6250, "1000": 1000}
    for rep in range(6):
        common = {
            "experiment": "chunksize_sweep",
            "operation": "square",
            "rep": rep,
            "config_hash": "h",
            "tasks": 100000,
            "workers": 4,
        }
        rows.append(
            {
                **common,
                "variant": "serial",
                "chunksize": "none",
                "chunksize_effective": np.nan,
                "start_method": "none",
                "seconds": 0.01,
            }
        )
        for c, f in factors.items():
            rows.append(
                {
                    **common,
                    "variant": f"chunksize_{c}",
                    "chunksize": c,
                    "chunksize_effective": eff[c],
                    "start_method": "fork",
                    "seconds": 0.05 * f[rep] * (1 + rep / 100),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture()
def summary(tmp_path):
    s = present.summarize(_raw(), 0.95)
    s.to_csv(tmp_path / "s.csv", index=False)
    return pd.read_csv(tmp_path / "s.csv")


def test_summary_best_and_ratios_to_the_default_rule(summary):
    assert list(summary["variant"]) == ["serial", "chunksize_1", "chunksize_100", "chunksize_1000", "chunksize_default"]
    s = summary.set_index("variant")
    assert s["is_best"].sum() == 1 and bool(s.loc["chunksize_1000", "is_best"])
    assert bool(s.loc["chunksize_default", "is_reference"])
    assert s.loc["chunksize_1", "ratio"] == pytest.approx(40.0) and s.loc["chunksize_1", "p_value"] == pytest.approx(
        1 / 32
    )
    assert bool(s.loc["chunksize_1", "significant"]) and not bool(s.loc["chunksize_1000", "significant"])
    assert np.isnan(s.loc["chunksize_default", "ratio"]) and s.loc["chunksize_default", "chunksize_effective"] == 6250


def test_findings(summary):
    text = present.findings(summary, {})
    assert_findings_in_both_languages(present, summary, {})
    assert len(text) == 3
    assert text[0].startswith(
        "id**2 over 100,000 numbers with Pool(4): the fastest chunksize was 1000 at 0.0465 s (interval 0.04335–0.05408)"
    )
    assert "(every chunksize was slower than serial)" in text[0]
    assert "the default rule (chunksize 6250) took 0.05125 s, inside the fastest chunksize's interval" in text[1]
    # ratios 0.9, 0.95, 0.85, 1.05, 0.9, 0.88: median 0.90; five below 1, one above: p = 2 x 7 / 64 = 0.219
    assert (
        "the fastest took 0.90× the default rule's time (paired interval 0.85–1.05×, p = 0.219, not significant)"
        in text[1]
    )
    assert text[2].startswith(
        "id**2 over 100,000 numbers: chunksize 1 (one trip per task) took 40.00× the default "
        "rule's time (paired interval 40.00–40.00×, p = 0.031, significant)"
    )


@pytest.mark.parametrize("language, first", [("zh", "| 操作 | chunksize |"), ("en", "| Operation | chunksize |")])
def test_table(summary, language, first):
    md = present.table(summary, language)
    assert md.startswith(first)
    assert "| square ×100,000 | default (=6250) | 0.05125 |" in md and "| square ×100,000 | 1000 ★ |" in md
    assert "| 40.00 | 40.00 – 40.00 | 0.031 |" in md


@pytest.mark.parametrize("spread", [False, True], ids=["as-measured", "spread-runs"])
def test_plot_writes_png_and_svg(summary, tmp_path, monkeypatch, spread):
    figs = capture(monkeypatch)
    if spread:  # the serial runs (and the others) with a spread: a serial band that is not a line
        present.summarize(spread_runs(_raw()), 0.95).to_csv(tmp_path / "spread.csv", index=False)
        summary = pd.read_csv(tmp_path / "spread.csv")
    two = pd.concat(
        [
            summary,
            summary.assign(
                operation="read",
                tasks=40,
                chunksize_effective=summary["chunksize_effective"].where(summary["chunksize"] != "default", 3),
            ),
        ]
    )
    out = [tmp_path / "cs.png", tmp_path / "cs.svg"]
    present.plot(two, 2, out)
    assert out[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in out[1].read_text()[:2000]
    # Pool: median and interval per chunksize (at the chunksize used); serial: its median line and interval band
    assert_drawn(figs, two[["median", "ci_low", "ci_high"]], what="median time and interval ends, seconds")
    pool = two[two["variant"] != "serial"]
    assert_drawn(figs, pool["chunksize_effective"], what="chunksize Pool.map used, on x")
