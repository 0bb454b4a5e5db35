import numpy as np
import pytest

from mpbench.datagen import ALPHABET, generate_bytes, line_lengths, write_test_file


@pytest.mark.parametrize("size, lines", [(40 * 2**20, 20000), (2**20, 1000), (100, 50), (1001, 7), (2, 1)])
def test_exact_size_and_line_count(tmp_path, size, lines):
    path = tmp_path / "input.txt"
    assert write_test_file(path, size, lines, seed=1) == size
    data = path.read_bytes()
    assert len(data) == size
    assert data.count(b"\n") == lines
    assert data.endswith(b"\n")
    assert all(line for line in data.split(b"\n")[:-1]), "every line has a character"
    assert set(data) <= set(ALPHABET) | {ord("\n")}
    data.decode("utf-8")  # the workloads read it as text


def test_deterministic_per_seed():
    a = generate_bytes(10_000, 20, seed=3)
    b = generate_bytes(10_000, 20, seed=3)
    c = generate_bytes(10_000, 20, seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_line_lengths_vary_like_text():
    lengths = line_lengths(2**20, 1000, np.random.default_rng(0))
    assert lengths.sum() == 2**20
    assert lengths.min() >= 2
    assert lengths.max() > 1.2 * lengths.mean()  # not all lines the same length


def test_too_many_lines_is_an_error():
    with pytest.raises(ValueError):
        line_lengths(10, 6, np.random.default_rng(0))


def test_no_temporary_file_left(tmp_path):
    write_test_file(tmp_path / "input.txt", 1000, 10, seed=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.txt"]
