"""The appendix tables: the seed's exact headers, the arithmetic, every row filled."""

import pandas as pd
import pytest

from mpbench.tables import HEADERS, MARK, fmt_seconds, render

# Copied character for character from appendix B of the blog post.
SEED_READ = "| 循环读取次数（次） |	串行执行耗时（秒）	|	多进程（秒） | 平均单次耗时（秒） |	提升（倍） |"
SEED_READWRITE = "| 循环读&写次数（次） |	串行执行耗时（秒）	|	多进程（秒） | 平均单次耗时（秒） |	提升（倍） | **写覆盖**耗时（秒） |"


def seed_headers(line):
    return [cell.strip().replace("**", "") for cell in line.strip("|").split("|")]


def test_headers_are_the_seeds():
    assert HEADERS["zh"]["read"] == seed_headers(SEED_READ)
    assert HEADERS["zh"]["readwrite"] == seed_headers(SEED_READWRITE)


def summary(workers=(4,), cv=0.01):
    rows = []
    for w in workers:
        for loops, serial, pool in [(1, 0.158, 0.216), (5, 0.798, 0.413), (160, 25.38, 7.33)]:
            rows.append(
                {
                    "loops": loops,
                    "workers": w,
                    "serial_median": serial,
                    "pool_median": pool,
                    "per_op_seconds": pool / loops,
                    "speedup": serial / pool,
                    "serial_cv": cv,
                    "pool_cv": 0.01,
                    "serial_n": 3,
                    "overwrite_pool_median": 2 * pool,
                    "overwrite_pool_cv": 0.02,
                }
            )
    return pd.DataFrame(rows)


def parse(markdown):
    """Tables of a rendered file as lists of rows (header first)."""
    tables, current = [], None
    for line in markdown.splitlines():
        if line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            if "---" not in line:
                current.append([c.strip() for c in line.strip("|").split("|")])
        else:
            current = None
    return tables


@pytest.mark.parametrize("table", ["read", "readwrite"])
def test_rendered_table(table):
    md = render(summary(), table, "zh", 0.10)
    (rows,) = parse(md)
    assert rows[0] == HEADERS["zh"][table]
    body = rows[1:]
    assert [r[0] for r in body] == ["1", "5", "160"]
    for r in body:
        assert all(cell and cell != "n/a" for cell in r), "every row filled"
        loops, serial, pool, per_op, speedup = int(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4])
        assert per_op == pytest.approx(pool / loops, rel=1e-3)
        assert speedup == pytest.approx(serial / pool, abs=0.006)
    assert body[2][1:3] == ["25.38", "7.33"]
    if table == "readwrite":
        assert [r[5] for r in body] == [fmt_seconds(2 * p) for p in (0.216, 0.413, 7.33)]
    assert "### " in md and "4" in md.splitlines()[0]
    assert MARK not in md


def test_one_table_per_worker_count_and_english():
    md = render(summary(workers=(2, 8)), "read", "en", 0.10)
    tables = parse(md)
    assert len(tables) == 2
    assert tables[0][0] == HEADERS["en"]["read"]
    headings = [line for line in md.splitlines() if line.startswith("### ")]
    assert "2 workers" in headings[0] and "8 workers" in headings[1]


def test_unstable_cells_are_marked_and_explained():
    md = render(summary(cv=0.25), "read", "zh", 0.10)
    (rows,) = parse(md)
    assert all(r[1].endswith(MARK) for r in rows[1:])
    assert not any(r[2].endswith(MARK) for r in rows[1:])
    assert f"{MARK} 变异系数（CV）高于 10%" in md


@pytest.mark.parametrize(
    "value, text", [(25.38, "25.38"), (0.158, "0.158"), (0.0451234, "0.04512"), (12.0, "12"), (0.00005, "5.00e-05")]
)
def test_seconds_format(value, text):
    assert fmt_seconds(value) == text
