"""The appendix as an experiment: its spec (top-level keys, a table per file operation, two figures),
its rows (those of runner.run_point, hash included), summary, tables and figures."""

import re

import pandas as pd
import pytest
from conftest import BASE

from mpbench import experiments, stats
from mpbench.config import load_schema, validate_config
from mpbench.runner import RAW_COLUMNS, run_point
from mpbench.tables import HEADERS

APPENDIX = experiments.spec("appendix")


def test_its_section_is_the_top_level_keys_and_it_has_none_of_its_own(tmp_path):
    cfg = validate_config({"loops": [1, 5], "workers": [2, 4]}, workdir=tmp_path)
    assert "appendix" not in cfg and "appendix" not in experiments.NAMES and "appendix" in experiments.ALL
    section = experiments.section("appendix", cfg)
    assert section == {"enabled": True, "loops": [1, 5], "workers": [2, 4], "data": cfg["data"]}
    assert APPENDIX.sweep == ("loops", "workers")
    # the experiments a run may choose among: the appendix always runs
    enum = load_schema()["properties"]["experiments"]["anyOf"][1]["items"]["enum"]
    assert "appendix" not in enum and set(enum) == set(experiments.NAMES)


def test_one_table_per_file_operation_with_the_appendix_paths(tmp_path):
    cfg = validate_config({"loops": [1, 5], "workers": [2, 4]}, workdir=tmp_path)
    assert APPENDIX.tables == ("read", "readwrite") and APPENDIX.figure_names == ("time", "speedup")
    assert {t: experiments.TABLES[t] for t in ("read", "readwrite")} == {"read": "appendix", "readwrite": "appendix"}
    assert {f: experiments.FIGURES[f] for f in ("time", "speedup")} == {"time": "appendix", "speedup": "appendix"}
    jobs = experiments.jobs("appendix", experiments.section("appendix", cfg))
    assert sorted(jobs) == sorted(
        (op, f"loops{n}_workers{w}") for op in ("read", "readwrite") for n in (1, 5) for w in (2, 4)
    )
    section = experiments.section("appendix", cfg)
    point = experiments.find_point("appendix", section, "loops5_workers2", "readwrite")
    assert point == {"operation": "readwrite", "loops": 5, "workers": 2}
    with pytest.raises(ValueError, match="no point 'loops3_workers2' in the config of read"):
        experiments.find_point("appendix", section, "loops3_workers2", "read")
    # every other experiment is one table and one figure of its own name
    assert all(experiments.spec(n).tables == (n,) == experiments.spec(n).figure_names for n in experiments.NAMES)


def test_its_rows_are_run_points_rows_with_the_same_hash(tmp_path, data_file):
    data = {"size_mb": 0.04, "lines": 80, "seed": 5}
    point = {"operation": "readwrite", "loops": 2, "workers": 2}
    section = {"enabled": True, "loops": [2], "workers": [2], "data": data}
    rows = experiments.get("appendix").run(
        point, section, repeats=2, warmup=0, scratch_dir=tmp_path, data_file=data_file, base=BASE
    )
    direct = run_point("readwrite", 2, 2, src=data_file, scratch_dir=tmp_path, repeats=2, warmup=0, data=data, **BASE)
    assert set().union(*rows) == set(RAW_COLUMNS) == set().union(*direct)
    # the raw file's columns in runner.RAW_COLUMNS' order, as the appendix's files always had them
    assert all(list(r) == RAW_COLUMNS for r in rows)
    hashes = {r["config_hash"] for r in rows}
    assert hashes == {r["config_hash"] for r in direct} and len(hashes) == 1
    assert sorted((r["experiment"], r["variant"], r["rep"]) for r in rows) == sorted(
        (e, v, rep) for e in ("readwrite", "overwrite") for v in ("serial", "pool") for rep in range(2)
    )
    with pytest.raises(ValueError, match="needs data_file"):
        experiments.get("appendix").run(point, section, repeats=1, warmup=0, scratch_dir=tmp_path)


def test_cost_pays_for_the_overwrite_in_the_read_and_write_job():
    from mpbench import plan

    u = plan.Units()
    cost = experiments.get("appendix").cost
    read = cost({"operation": "read", "loops": 10, "workers": 4}, {}, u)
    rw = cost({"operation": "readwrite", "loops": 10, "workers": 4}, {}, u)
    assert read == pytest.approx(plan.file_run("read", 10, u) + plan.file_run("read", 10, u, 4))
    assert rw == pytest.approx(
        sum(plan.file_run(op, 10, u) + plan.file_run(op, 10, u, 4) for op in ("readwrite", "overwrite"))
    )


@pytest.fixture(scope="module")
def raw(tmp_path_factory, data_file):
    scratch = tmp_path_factory.mktemp("scratch")
    frames = {}
    for op in ("read", "readwrite"):
        rows = [
            r
            for loops in (1, 2)
            for r in run_point(op, loops, 2, src=data_file, scratch_dir=scratch, repeats=2, warmup=0, **BASE)
        ]
        frames[op] = pd.DataFrame(rows)
    return frames


def test_summary_table_and_figures(raw, tmp_path):
    present = experiments.present("appendix")
    summaries = {op: present.summarize(frame, 0.95) for op, frame in raw.items()}
    for op, summary in summaries.items():
        pd.testing.assert_frame_equal(summary, stats.summarize(raw[op], op, 0.95))
        text = present.render(summary, "zh", 0.10, 0.05)
        header = [c.strip() for c in text.splitlines()[2].strip("|").split("|")]
        assert header == HEADERS["zh"][op] and "Pool(processes=2)" in text
        assert HEADERS["en"][op][0] in present.table(summary, "en")
    assert "overwrite_pool_median" in summaries["readwrite"] and "overwrite_pool_median" not in summaries["read"]
    for figure in ("time", "speedup"):
        out = [tmp_path / f"{figure}.png", tmp_path / f"{figure}.svg"]
        present.plot(summaries, 2, out, figure=figure)
        assert out[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in out[1].read_text()[:2000]
    with pytest.raises(ValueError, match="unknown figure 'bars'; allowed: time, speedup"):
        present.plot(summaries, 2, [tmp_path / "x.png"], figure="bars")


def test_each_figure_has_its_own_caption():
    time, speedup = (experiments.caption("appendix", figure=f) for f in ("time", "speedup"))
    assert time.startswith("one panel per operation") and "ideal" in speedup and time != speedup
    assert not re.search(r"\n\s", time + speedup)
    with pytest.raises(experiments.SpecError, match=r"no item \*\*bars.png\*\*"):
        experiments.caption("appendix", figure="bars")


SPLIT = """x-experiment:
  title: A test
  group: post
  order: 1
  axes:
    - {field: kind, values: [a, b], files: true}
    - {key: workers}
"""


def test_a_split_axis_names_the_tables_and_leaves_the_point_id(tmp_path):
    from test_experiments import _fragment

    spec = experiments.collect(*_fragment(tmp_path, "demo", SPLIT))["demo"]
    assert spec.tables == ("a", "b") and spec.sweep == ("workers",)
    assert [spec.job(p) for p in spec.points({"workers": [1, 2]})] == [
        ("a", "workers1"),
        ("a", "workers2"),
        ("b", "workers1"),
        ("b", "workers2"),
    ]


@pytest.mark.parametrize(
    "axes, message",
    [
        ("    - {values: [a, b]}\n", "allowed: a mapping with key (and field, convert), or with field and values"),
        (
            "    - {field: x, values: [a], files: true}\n    - {field: y, values: [b], files: true}\n",
            "at most one axis has files: true",
        ),
    ],
)
def test_a_faulty_split_axis_is_refused(tmp_path, axes, message):
    from test_experiments import _fragment

    text = SPLIT.split("  axes:\n")[0] + "  axes:\n" + axes
    with pytest.raises(experiments.SpecError, match=re.escape(message)):
        experiments.collect(*_fragment(tmp_path, "demo", text))
