"""The post's appendix B numbers as data, and the side-by-side comparison."""

import numpy as np
import pandas as pd
from figdata import assert_drawn, capture

from mpbench import post


def test_the_posts_numbers_are_all_there():
    data = post.load()
    assert list(data.groupby("table").size().items()) == [("read", 8), ("readwrite", 8)]
    read = data[data["table"] == "read"].set_index("loops")
    assert read.loc[160, "serial_s"] == 25.38 and read.loc[40, "pool_s"] == 2.22 and read.loc[80, "speedup"] == 3.5
    rw = data[data["table"] == "readwrite"].set_index("loops")
    assert rw.loc[160, "pool_s"] == 19 and rw.loc[160, "overwrite_s"] == 44 and np.isnan(rw.loc[1, "speedup"])


def measured(workers=(2, 4)):
    rows = []
    for w in workers:
        for n in (1, 10, 160, 7):
            rows.append(
                {
                    "loops": n,
                    "workers": w,
                    "serial_median": 0.05 * n,
                    "pool_median": 0.03 * n,
                    "speedup": 5 / 3,
                    "speedup_ci_low": 1.5,
                    "speedup_ci_high": 1.8,
                    "overwrite_pool_median": 0.04 * n,
                }
            )
    return pd.DataFrame(rows)


def test_compare_puts_ours_beside_the_posts():
    cmp = post.compare(post.load(), {"read": measured(), "readwrite": measured()})
    assert len(cmp) == 16 and set(cmp["workers_measured"]) == {4}  # Pool(4) as the post
    row = cmp[(cmp["table"] == "read") & (cmp["loops"] == 160)].iloc[0]
    assert row["measured_serial"] == 8.0 and abs(row["serial_ratio"] - 8.0 / 25.38) < 1e-12
    assert abs(row["seed_speedup_computed"] - 25.38 / 7.33) < 1e-12
    missing = cmp[(cmp["table"] == "read") & (cmp["loops"] == 80)].iloc[0]
    assert np.isnan(missing["measured_serial"])  # 80 loops was not measured here
    rw = cmp[(cmp["table"] == "readwrite") & (cmp["loops"] == 160)].iloc[0]
    assert abs(rw["overwrite_ratio"] - 6.4 / 44) < 1e-12


def test_compare_picks_the_closest_worker_count():
    cmp = post.compare(post.load(), {"read": measured(workers=(2, 8))})
    assert set(cmp.loc[cmp["table"] == "read", "workers_measured"]) == {2}
    assert cmp.loc[cmp["table"] == "readwrite", "measured_serial"].isna().all()


def test_table_and_sentences():
    cmp = post.compare(post.load(), {"read": measured(), "readwrite": measured()})
    text = post.table(cmp, "zh")
    assert "原文串行（秒）" in text and "| 读 | 160 | 25.4 | 8 | 0.32 |" in text
    assert "| Seed serial (s) |" in post.table(cmp, "en")
    lines = post.differences(
        cmp, {"usable_cores": 2, "cpu_model": "Test CPU", "python": "3.11.7", "filesystems": {"data": "ext4"}}
    )
    assert "no more than 2× is possible here" in lines[0] and "expect lower speedups" in lines[0]
    assert "3.11.7" in lines[1] and "ext4" in lines[1]
    assert lines[2].startswith("read: over the 3 loop counts both measured")


def test_plot_writes_png_and_svg(tmp_path, monkeypatch):
    figs = capture(monkeypatch)
    cmp = post.compare(post.load(), {"read": measured(), "readwrite": measured()})
    post.plot(cmp, 2, [tmp_path / "s.png", tmp_path / "s.svg"])
    assert (tmp_path / "s.png").stat().st_size > 10_000 and (tmp_path / "s.svg").exists()
    # top: the post's times and ours (seconds) against loops; bottom: the post's speedup, ours with its interval
    times = ["seed_serial", "measured_serial", "seed_pool", "measured_pool"]
    assert_drawn(figs, cmp[times + ["seed_speedup_computed", "loops"]], what="times, the post's speedups, loops")
    rw = cmp[cmp["table"] == "readwrite"]
    assert_drawn(figs, rw[["seed_overwrite", "measured_overwrite"]], what="overwrite times, seconds")
    assert_drawn(
        figs,
        cmp[["measured_speedup", "measured_speedup_ci_low", "measured_speedup_ci_high"]],
        what="our speedup and its interval",
    )
