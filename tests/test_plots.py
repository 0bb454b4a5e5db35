"""Tests of mpbench.plots on small synthetic summaries built here.

They check that the figures are written in both formats and that the tidy
frames hold what the figures draw; they make no claim about timings.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import matplotlib
import pandas as pd
import pytest
from figdata import assert_drawn, capture

from mpbench.plots import ideal_label, ideal_speedup, long_frame, plot_speedup, plot_time, speedup_frame

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STATS = ("median", "ci_low", "ci_high", "ci_coverage", "cv", "n")


def _block(prefix: str, median: float, n: int = 5) -> dict[str, float]:
    return {
        f"{prefix}_median": median,
        f"{prefix}_ci_low": median * 0.9,
        f"{prefix}_ci_high": median * 1.15,
        f"{prefix}_ci_coverage": 0.94,
        f"{prefix}_cv": 0.05,
        f"{prefix}_n": n,
    }


def make_summary(table: str, loops=(1, 2, 4), workers=(2,)) -> pd.DataFrame:
    """A summary with the columns of the pipeline's summary CSVs."""
    rows = []
    for w in workers:
        for loop in loops:
            serial = 0.005 * loop
            pool = 0.015 + 0.005 * loop / w
            row = {
                "loops": loop,
                "workers": w,
                **_block("serial", serial),
                **_block("pool", pool),
                "pool_start_median": 0.01,
                "pool_map_median": pool - 0.01,
                "per_op_seconds": pool / loop,
                "speedup": serial / pool,
                "speedup_ci_low": serial / pool * 0.9,
                "speedup_ci_high": serial / pool * 1.1,
                "speedup_ci_coverage": 0.94,
                "host": "test",
            }
            if table == "readwrite":
                over_serial, over_pool = serial * 1.2, pool * 1.1
                row |= {
                    **_block("overwrite_serial", over_serial),
                    **_block("overwrite_pool", over_pool),
                    "overwrite_speedup": over_serial / over_pool,
                    "overwrite_speedup_ci_low": over_serial / over_pool * 0.9,
                    "overwrite_speedup_ci_high": over_serial / over_pool * 1.1,
                    "overwrite_speedup_ci_coverage": 0.94,
                }
            rows.append(row)
    return pd.DataFrame(rows)


def summaries(loops=(1, 2, 4), workers=(2,)) -> dict[str, pd.DataFrame]:
    return {"read": make_summary("read", loops, workers), "readwrite": make_summary("readwrite", loops, workers)}


def assert_png(path) -> None:
    assert path.exists() and path.stat().st_size > 0
    assert path.read_bytes()[:8] == PNG_MAGIC


def assert_svg(path) -> None:
    assert path.exists()
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text
    root = ET.fromstring(text)
    assert root.tag.endswith("svg")


@pytest.mark.parametrize("workers", [(2,), (1, 4)])
def test_plot_time_writes_png_and_svg(tmp_path, workers, monkeypatch):
    figs = capture(monkeypatch)
    png, svg = tmp_path / "figs" / "time.png", tmp_path / "figs" / "svg" / "time.svg"
    data = summaries(workers=workers)
    plot_time(data, [str(png), str(svg)])
    assert_png(png)
    assert_svg(svg)
    # every variant's median (seconds) as a point, and its interval's ends as a bar
    drawn = [
        s[f"{v}_{k}"]
        for s in data.values()
        for v in ("serial", "pool", "overwrite_serial", "overwrite_pool")
        if f"{v}_median" in s.columns
        for k in ("median", "ci_low", "ci_high")
    ]
    assert len(drawn) == 3 * (2 + 4)
    assert_drawn(figs, drawn, what="time: medians and interval ends, seconds")


@pytest.mark.parametrize("workers", [(2,), (1, 4)])
def test_plot_speedup_writes_png_and_svg(tmp_path, workers, monkeypatch):
    figs = capture(monkeypatch)
    png, svg = tmp_path / "speedup.png", tmp_path / "nested" / "speedup.svg"
    data = summaries(workers=workers)
    plot_speedup(data, cores=2, out_paths=[png, svg])
    assert_png(png)
    assert_svg(svg)
    # read and read & write speedups, the overwrite speedup, each with its interval (the ideal lines,
    # 1x and 2x here, are not checked: the loop counts 1 and 2 on x draw those numbers anyway)
    drawn = [
        s[f"{prefix}{k}"]
        for s in data.values()
        for prefix in ("speedup", "overwrite_speedup")
        if prefix in s.columns
        for k in ("", "_ci_low", "_ci_high")
    ]
    assert len(drawn) == 3 * 3
    assert_drawn(figs, drawn, what="speedups and interval ends")


def test_plots_leave_no_open_figures_and_no_style_behind(tmp_path):
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    plot_time(summaries(), [tmp_path / "t.png"])
    plot_speedup(summaries(), 4, [tmp_path / "s.png"])
    assert plt.get_fignums() == []
    assert matplotlib.get_backend().lower() == "agg"
    after = dict(matplotlib.rcParams)
    changed = {k for k in before if before[k] != after[k] and k != "backend"}
    assert changed == set()


def test_svg_is_reproducible(tmp_path):
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    plot_speedup(summaries(), 2, [first])
    plot_speedup(summaries(), 2, [second])
    assert first.read_text() == second.read_text()


def test_plots_tolerate_missing_intervals(tmp_path):
    data = summaries(workers=(1, 4))
    data["read"].loc[0, ["serial_ci_low", "serial_ci_high", "speedup_ci_low", "speedup_ci_high"]] = math.nan
    plot_time(data, [tmp_path / "t.png"])
    plot_speedup(data, 8, [tmp_path / "s.png"])
    assert_png(tmp_path / "t.png")
    assert_png(tmp_path / "s.png")


def test_read_only_summary_is_plotted(tmp_path):
    data = {"read": make_summary("read")}
    plot_time(data, [tmp_path / "t.png"])
    plot_speedup(data, 2, [tmp_path / "s.png"])
    assert_png(tmp_path / "t.png")
    assert_png(tmp_path / "s.png")


def test_long_frame_rows_and_variants():
    frame = long_frame(summaries(loops=(1, 2, 4), workers=(1, 4)))
    assert list(frame.columns) == ["operation", "variant", "loops", "workers", "median", "ci_low", "ci_high"]
    # read: serial + pool; readwrite: serial, pool, overwrite serial, overwrite pool; 3 loops x 2 workers each
    assert len(frame) == (2 + 4) * 3 * 2
    variants = frame.groupby("operation")["variant"].unique().map(list).to_dict()
    assert variants == {
        "read": ["serial", "pool"],
        "readwrite": ["serial", "pool", "overwrite_serial", "overwrite_pool"],
    }
    assert sorted(frame["loops"].unique()) == [1, 2, 4]
    assert sorted(frame["workers"].unique()) == [1, 4]
    assert (frame["ci_low"] <= frame["median"]).all() and (frame["median"] <= frame["ci_high"]).all()


def test_long_frame_values_come_from_the_right_columns():
    data = summaries(workers=(2,))
    frame = long_frame(data)
    row = frame[(frame.operation == "readwrite") & (frame.variant == "overwrite_pool") & (frame.loops == 4)]
    source = data["readwrite"].set_index("loops").loc[4]
    assert len(row) == 1
    assert row["median"].iloc[0] == pytest.approx(source["overwrite_pool_median"])
    assert row["ci_low"].iloc[0] == pytest.approx(source["overwrite_pool_ci_low"])
    assert row["ci_high"].iloc[0] == pytest.approx(source["overwrite_pool_ci_high"])


def test_speedup_frame_series():
    data = summaries(workers=(1, 4))
    frame = speedup_frame(data)
    assert list(frame["variant"].unique()) == ["read", "readwrite", "overwrite"]
    assert len(frame) == 3 * 3 * 2
    over = frame[(frame.variant == "overwrite") & (frame.workers == 4) & (frame.loops == 2)]
    source = data["readwrite"].set_index(["workers", "loops"]).loc[(4, 2)]
    assert over["median"].iloc[0] == pytest.approx(source["overwrite_speedup"])
    assert over["ci_high"].iloc[0] == pytest.approx(source["overwrite_speedup_ci_high"])


@pytest.mark.parametrize(("workers", "cores", "expected"), [(4, 2, 2), (2, 8, 2), (4, 4, 4), (1, 16, 1)])
def test_ideal_speedup_is_min_of_workers_and_cores(workers, cores, expected):
    assert ideal_speedup(workers, cores) == expected == min(workers, cores)


def test_ideal_label():
    assert ideal_label(4, 2) == "ideal: min(4 workers, 2 cores) = 2×"
    assert ideal_label(1, 1) == "ideal: min(1 worker, 1 core) = 1×"


def test_empty_summaries_raise(tmp_path):
    empty = {"read": make_summary("read").iloc[0:0]}
    with pytest.raises(ValueError):
        plot_time(empty, [tmp_path / "t.png"])
    with pytest.raises(ValueError):
        plot_speedup(empty, 2, [tmp_path / "s.png"])


def test_time_figure_draws_the_raw_ceiling_when_given(tmp_path):
    """The ceiling experiment's raw seconds per operation become a reference line."""
    import matplotlib.pyplot as plt

    from mpbench import plots as P

    captured = {}
    real_save = P.save

    def keep(fig, paths):
        captured["fig"] = fig
        real_save(fig, paths)

    summaries = {"read": _summary_for_ceiling(), "readwrite": _summary_for_ceiling(overwrite=True)}
    P.save, saved = keep, P.save
    try:
        P.plot_time(summaries, [tmp_path / "t.png"], ceiling={"read": 0.01, "readwrite": 0.03})
    finally:
        P.save = saved
    texts = [t.get_text() for legend in captured["fig"].legends for t in legend.get_texts()]
    assert any(t.startswith("raw ceiling, 1 process") for t in texts)
    ax = captured["fig"].axes[0]
    ys = [list(line.get_ydata()) for line in ax.get_lines() if line.get_linestyle() not in ("None", "")]
    assert [0.01 * 1, 0.01 * 8] in [[round(v, 6) for v in y] for y in ys]
    plt.close("all")


def _summary_for_ceiling(overwrite=False):
    import pandas as pd

    rows = []
    for loops in (1, 8):
        row = {"loops": loops, "workers": 2}
        for v in ("serial", "pool") + (("overwrite_serial", "overwrite_pool") if overwrite else ()):
            row.update(
                {
                    f"{v}_median": 0.1 * loops,
                    f"{v}_ci_low": 0.09 * loops,
                    f"{v}_ci_high": 0.11 * loops,
                    f"{v}_ci_coverage": 0.97,
                    f"{v}_cv": 0.01,
                    f"{v}_n": 6,
                }
            )
        row.update({"speedup": 1.0, "speedup_ci_low": 0.9, "speedup_ci_high": 1.1, "speedup_ci_coverage": 0.97})
        rows.append(row)
    return pd.DataFrame(rows)
