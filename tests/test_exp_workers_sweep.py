"""workers_sweep: one job per operation, serial against Pool(w) for every w, paired; summary, table, figure, findings."""

import pandas as pd
import pytest
from conftest import BASE
from figdata import assert_drawn, assert_findings_in_both_languages, capture, spread_runs

from mpbench import experiments
from mpbench.config import ConfigError, load_schema, validate_config
from mpbench.experiments import point_id
from mpbench.experiments import workers_sweep as ws
from mpbench.present import workers_sweep as present

SCHEMA = load_schema()
SECTION = {"enabled": True, "operations": ["read", "readwrite", "overwrite"], "loops": 3, "workers": [1, 3]}


def test_points_one_per_operation():
    pts = experiments.points("workers_sweep", SECTION)
    assert pts == [{"operation": "read"}, {"operation": "readwrite"}, {"operation": "overwrite"}]
    assert [point_id(p) for p in pts] == ["operationread", "operationreadwrite", "operationoverwrite"]
    spec = experiments.spec("workers_sweep")
    assert spec.sweep == ("operations",) and spec.needs_data and spec.file_conditions


def test_run_rows_conditions_and_cleanup(data_file, tmp_path):
    scratch = tmp_path / "scratch"
    rows = ws.run(
        {"operation": "readwrite"},
        SECTION,
        repeats=2,
        warmup=1,
        scratch_dir=str(scratch),
        data_file=data_file,
        base=BASE,
    )
    raw = pd.DataFrame(rows)
    assert len(raw) == 2 * 3 and set(raw["variant"]) == {"serial", "pool1", "pool3"}
    by = raw.groupby("variant").first()
    assert by.loc["serial", "mode"] == "serial" and by.loc["serial", "workers"] == 1
    assert (by.loc["pool1", "mode"], by.loc["pool1", "workers"]) == ("pool", 1)
    assert (by.loc["pool3", "workers"], by.loc["pool3", "chunksize_effective"]) == (3, 1)
    assert raw["experiment"].eq("workers_sweep").all() and raw["operation"].eq("readwrite").all()
    assert raw["loops"].eq(3).all() and raw["verified"].all() and raw["config_hash"].nunique() == 1
    # every variant holds the top-level conditions
    assert raw["start_method"].eq("fork").all() and raw["chunksize"].eq("default").all()
    assert raw["cache"].eq("warm").all() and not raw["fsync"].any()
    assert raw["usable_cores"].ge(1).all() and raw["resident_before"].notna().all()
    pool = raw[raw["mode"] == "pool"]
    assert pool[["pool_start_seconds", "map_seconds", "pool_close_seconds"]].notna().all().all()
    assert sorted(raw.groupby("rep")["order"].apply(list).apply(tuple)) == [(0, 1, 2), (0, 1, 2)]
    assert list(scratch.iterdir()) == []  # written files and per-call directories are gone


def test_run_passes_the_base_and_hashes_it(data_file, tmp_path):
    section = {**SECTION, "workers": [2]}
    base = {**BASE, "chunksize": 1, "fsync": True}
    raw = pd.DataFrame(
        ws.run(
            {"operation": "overwrite"},
            section,
            repeats=1,
            warmup=0,
            scratch_dir=str(tmp_path),
            data_file=data_file,
            base=base,
        )
    )
    assert raw["fsync"].all() and raw["chunksize"].eq("1").all()
    assert raw.loc[raw["variant"] == "pool2", "chunksize_effective"].eq(1).all()
    other = pd.DataFrame(
        ws.run(
            {"operation": "overwrite"},
            section,
            repeats=1,
            warmup=0,
            scratch_dir=str(tmp_path),
            data_file=data_file,
            base=BASE,
        )
    )
    assert raw["config_hash"].iloc[0] != other["config_hash"].iloc[0]


def test_run_needs_the_data_file():
    with pytest.raises(ValueError, match="needs data_file"):
        ws.run({"operation": "read"}, SECTION, repeats=1, warmup=0, base=BASE)


# --------------------------------------------------------------------------
# synthetic summaries

JITTER = (0.98, 0.99, 1.0, 1.0, 1.01, 1.02)


def _raw(cells: dict[str, dict[int, float]], serial: float = 1.0, loops: int = 40, cores: int = 2) -> pd.DataFrame:
    """{operation: {workers: pool median seconds}}; every repetition is scaled alike, so the pairs agree."""
    rows = []
    for op, pools in cells.items():
        for rep, k in enumerate(JITTER):
            base = {
                "experiment": "workers_sweep",
                "operation": op,
                "rep": rep,
                "config_hash": "h",
                "loops": loops,
                "usable_cores": cores,
                "start_method": "fork",
                "chunksize": "default",
                "cache": "warm",
                "fsync": False,
                "scratch_fs": "ext4",
            }
            rows.append({**base, "variant": "serial", "mode": "serial", "workers": 1, "seconds": serial * k})
            for w, t in pools.items():
                rows.append(
                    {
                        **base,
                        "variant": f"pool{w}",
                        "mode": "pool",
                        "workers": w,
                        "seconds": t * k,
                        "chunksize_effective": 1,
                        "pool_start_seconds": 0.001 * w,
                        "map_seconds": t * k * 0.9,
                    }
                )
    return pd.DataFrame(rows)


BEST_80 = {"readwrite": {1: 1.0, 2: 0.6, 4: 0.55, 80: 0.4}}
BEST_4 = {"read": {1: 1.0, 2: 0.5, 4: 0.45, 80: 0.9}, "overwrite": {1: 1.1, 2: 0.7, 4: 0.6, 80: 0.8}}


def _roundtrip(summary, tmp_path):
    summary.to_csv(tmp_path / "s.csv", index=False)
    return pd.read_csv(tmp_path / "s.csv")


def test_summarize_structure_best_and_comparisons(tmp_path):
    s = _roundtrip(present.summarize(_raw(BEST_4).sample(frac=1, random_state=2), 0.95), tmp_path)
    assert list(s.columns[:4]) == ["operation", "variant", "workers", "median"]  # the cell's name, then numbers
    assert list(s["operation"]) == ["read"] * 5 + ["overwrite"] * 5
    assert list(s["variant"][:5]) == ["serial", "pool1", "pool2", "pool4", "pool80"]
    read = s[s["operation"] == "read"].set_index("variant")
    assert read.loc["pool2", "speedup"] == pytest.approx(2.0) and read.loc["pool4", "speedup"] == pytest.approx(
        1 / 0.45
    )
    assert read.loc["pool4", "speedup_ci_low"] == pytest.approx(1 / 0.45)  # identical pairs: a point interval
    assert read["best_workers"].eq(4).all() and read["runner_up_workers"].eq(2).all()
    assert read["cores_reference_workers"].eq(2).all() and read["cores"].eq(2).all()
    assert read.loc["pool2", "time_vs_best"] == pytest.approx(0.5 / 0.45)
    assert (
        read.loc["pool2", "time_vs_best_p"] == pytest.approx(2 / 2**6) and read.loc["pool2", "time_vs_best_significant"]
    )
    assert pd.isna(read.loc["pool4", "time_vs_best"]) and pd.isna(read.loc["serial", "time_vs_best"])
    assert read.loc["pool80", "time_vs_cores"] == pytest.approx(0.9 / 0.5)
    assert read.loc["pool1", "time_vs_cores"] == pytest.approx(2.0) and pd.isna(read.loc["pool2", "time_vs_cores"])
    assert read.loc["pool80", "pool_start_median"] == pytest.approx(0.08) and read.loc["pool80", "loops"] == 40
    assert read.loc["serial", "scratch_fs"] == "ext4"
    over = s[s["operation"] == "overwrite"]
    assert over["best_workers"].eq(4).all() and over["runner_up_workers"].eq(2).all()


def test_core_reference_is_the_largest_count_not_above_the_cores():
    assert present._core_reference([1, 2, 4, 80], 2) == 2
    assert present._core_reference([1, 3, 8], 4) == 3
    assert present._core_reference([8, 16], 2) == 8  # none at or below: the smallest
    assert present._core_reference([], 2) is None


@pytest.mark.parametrize(
    "language, first, best",
    [
        ("zh", "| 操作 | 进程数 | 串行（秒） | 多进程（秒） |", "4 (最佳)"),
        ("en", "| Operation | Processes | Serial (s) | Pool (s) |", "4 (best)"),
    ],
)
def test_table(language, first, best, tmp_path):
    md = present.table(_roundtrip(present.summarize(_raw(BEST_4), 0.95), tmp_path), language)
    lines = md.splitlines()
    assert lines[0].startswith(first) and len(lines[0].split("|")) == 9
    body = [line for line in lines[2:] if line.startswith("| ")]
    assert len(body) == 8
    read = present.LABELS[language]["read"]
    assert body[2].startswith(f"| {read} | {best} | 1 | 0.45 | 2.22 | 2.22 – 2.22 | 0.031 |")
    bullets = [line for line in lines if line.startswith("- ")]
    assert len(bullets) == 2
    if language == "en":
        assert "read: best worker count 4 (2.22×); runner-up 2 (2.00×), whose time is 1.11× the best's" in bullets[0]
        assert "significantly different" in bullets[0]
        assert "median of 6 repetitions of 40 file operations" in lines[-1] and "2 cores" in lines[-1]
    else:
        assert "读：最佳进程数 4（提升 2.22 倍）" in bullets[0] and "差异显著" in bullets[0]


def test_findings_when_80_is_best_for_writes(tmp_path):
    text = present.findings(_roundtrip(present.summarize(_raw(BEST_80), 0.95), tmp_path), {"usable_cores": 2})
    assert_findings_in_both_languages(
        present, _roundtrip(present.summarize(_raw(BEST_80), 0.95), tmp_path), {"usable_cores": 2}
    )
    joined = " ".join(text)
    assert text[0].startswith(
        "readwrite: the best worker count was 80, speedup 2.50× (interval 2.50–2.50, faster than serial, p = 0.031)"
    )
    assert "the runner-up, Pool(4), took 1.38× the time of the best" in text[0]
    assert (
        "'about 80-way parallel is best for writes' (we count 64–100 workers as about 80) holds here; "
        "it is distinguishable from the runner-up"
    ) in joined
    assert "Pool was fixed at 4 and 80 was the loop count" in joined
    assert "from 1 to 2 workers the median speedup rose step by step, 1.00× to 1.67×" in joined
    assert "the claim holds here" in joined and "significantly faster than Pool(2)" in joined
    assert "start processes that get no task" in joined  # 80 workers > 40 loops
    assert "cannot give p below" not in joined  # 6 pairs reach p = 0.031


def test_findings_when_80_is_not_best(tmp_path):
    text = present.findings(_roundtrip(present.summarize(_raw(BEST_4), 0.95), tmp_path), {"usable_cores": 2})
    assert_findings_in_both_languages(
        present, _roundtrip(present.summarize(_raw(BEST_4), 0.95), tmp_path), {"usable_cores": 2}
    )
    joined = " ".join(text)
    assert "read: the best worker count was 4" in joined
    assert "read:" in joined and "'about 80" not in " ".join(t for t in text if t.startswith("read"))
    over = [t for t in text if t.startswith("overwrite: the seed's 'about 80")]
    assert (
        len(over) == 1
        and "does not hold here: Pool(80) was slower than the best, Pool(4); Pool(80) reached 1.25×" in over[0]
    )
    assert "took 1.33× the time of the best (interval 1.33–1.33, p = 0.031, significant)" in over[0]
    assert "Beyond 2 workers (4: 2.22×, 80: 1.11×) the largest, Pool(80), took 1.80× the time of Pool(2)" in joined
    assert "significantly slower than Pool(2)" in joined


@pytest.mark.parametrize(
    "times, said",
    [
        (BEST_80, "is inconclusive here: Pool(80) had the lowest median but is not distinguishable from the runner-up"),
        (BEST_4, "is inconclusive here: the lowest median is Pool(4)'s, but Pool(80) is not distinguishable from it"),
    ],
)
def test_findings_about_80_writers_are_inconclusive_when_the_test_cannot_tell(times, said):
    """Three pairs cannot reach p < 0.05: the lowest median alone never makes the claim hold or fail."""
    raw = _raw(times)
    text = " ".join(present.findings(present.summarize(raw[raw["rep"] < 3], 0.95), {"usable_cores": 2}))
    assert_findings_in_both_languages(present, present.summarize(raw[raw["rep"] < 3], 0.95), {"usable_cores": 2})
    assert said in text
    assert "holds here" not in text.replace("the claim holds here", "") and "does not hold here" not in text


def test_findings_when_80_is_not_measured_and_few_repeats(tmp_path):
    raw = _raw({"overwrite": {2: 0.6, 8: 0.7}}, loops=80)
    raw = raw[raw["rep"] < 3]
    text = present.findings(present.summarize(raw, 0.95), {"usable_cores": 2})
    assert_findings_in_both_languages(present, present.summarize(raw, 0.95), {"usable_cores": 2})
    joined = " ".join(text)
    assert (
        "'about 80-way parallel is best for writes' was not measured here (no worker count within 64–100; "
        "measured 2, 8)"
    ) in joined
    assert "no worker count below 2 was measured" in joined
    assert "cannot give p below 0.25" in joined and "no task" not in joined


@pytest.mark.parametrize("spread", [False, True], ids=["as-measured", "spread-runs"])
def test_plot_writes_png_and_svg(tmp_path, monkeypatch, spread):
    figs = capture(monkeypatch)
    raw = _raw({**BEST_4, **BEST_80})
    raw = spread_runs(raw) if spread else raw  # spread: intervals that are not points
    summary = _roundtrip(present.summarize(raw, 0.95), tmp_path)
    out = [tmp_path / "workers_sweep.png", tmp_path / "workers_sweep.svg"]
    present.plot(summary, 2, out)
    assert out[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in out[1].read_text()[:2000]
    # every Pool(w)'s speedup over serial, with its interval, one line per operation
    pool = summary[summary["variant"] != "serial"]
    assert len(pool) == 4 + 4 + 4
    assert_drawn(figs, pool[["speedup", "speedup_ci_low", "speedup_ci_high"]], what="speedups and interval ends")


# --------------------------------------------------------------------------
# config


def test_config_defaults(tmp_path):
    cfg = validate_config({}, SCHEMA, workdir=tmp_path)["workers_sweep"]
    assert cfg == {
        "enabled": True,
        "operations": ["read", "readwrite", "overwrite"],
        "loops": 40,
        "workers": [1, 2, 4, 8, 16, 32, 80],
    }
    assert validate_config({"workers_sweep": {"workers": ["2", "80"]}}, SCHEMA, workdir=tmp_path)["workers_sweep"][
        "workers"
    ] == [2, 80]


@pytest.mark.parametrize(
    "section, message",
    [
        (
            {"operations": ["write"]},
            r"config: workers_sweep.operations\[0\] = 'write' is not allowed; allowed: one of "
            r"read, readwrite, overwrite",
        ),
        ({"workers": [0, 2]}, r"config: workers_sweep.workers\[0\] = 0 is not allowed; allowed: a whole number >= 1"),
        ({"workers": [2, 2]}, r"config: workers_sweep.workers = \[2, 2\] has duplicate entries"),
        ({"operations": []}, r"config: workers_sweep.operations = \[\] is not allowed"),
        ({"loops": 0}, r"config: workers_sweep.loops = 0 is not allowed; allowed: a whole number >= 1"),
        ({"speed": 1}, r"config: unknown key 'workers_sweep.speed'"),
    ],
)
def test_config_errors(section, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        validate_config({"workers_sweep": section}, SCHEMA, workdir=tmp_path)


def test_config_refuses_loops_the_scratch_cannot_hold(tmp_path):
    cfg = {"data": {"size_mb": 100}, "loops": [1], "workers_sweep": {"loops": 10000}}
    with pytest.raises(ConfigError, match=r"config: workers_sweep.loops = 10000 is not allowed; allowed: at most"):
        validate_config(cfg, SCHEMA, workdir=tmp_path)
    # without readwrite nothing piles up, and a disabled section is not checked
    validate_config({**cfg, "workers_sweep": {"loops": 10000, "operations": ["read"]}}, SCHEMA, workdir=tmp_path)
    validate_config({**cfg, "workers_sweep": {"loops": 10000, "enabled": False}}, SCHEMA, workdir=tmp_path)
