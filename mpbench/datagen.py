"""The test file: a text file of an exact size and an exact number of lines.

The seed timed "a 40M txt file of 20000 lines".  We make one from a seed,
vectorised with NumPy, so 40 MiB takes a fraction of a second and the same
(size, lines, seed) always gives the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# 64 printable ASCII characters: 256 is a multiple of 64, so mapping random
# bytes through a 256-entry table picks every character with equal chance.
ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,"
assert len(ALPHABET) == 64
_TABLE = np.resize(np.frombuffer(ALPHABET, dtype=np.uint8), 256)


def line_lengths(size_bytes: int, lines: int, rng: np.random.Generator) -> np.ndarray:
    """Lengths (newline included) of ``lines`` lines that add up to ``size_bytes``.

    Lengths vary by up to +-50% around the mean, like real text, and every
    line has at least one character before its newline.
    """
    if lines < 1 or size_bytes < 2 * lines:
        raise ValueError(f"{lines} lines do not fit in {size_bytes} bytes")
    weights = rng.uniform(0.5, 1.5, lines)
    lengths = np.floor(weights / weights.sum() * size_bytes).astype(np.int64)
    lengths = np.maximum(lengths, 2)
    # Spread the rounding remainder (positive or negative) over the lines.
    diff = size_bytes - int(lengths.sum())
    while diff != 0:
        step = 1 if diff > 0 else -1
        candidates = np.flatnonzero(lengths > 2) if step < 0 else np.arange(lines)
        take = candidates[: min(abs(diff), len(candidates))]
        lengths[take] += step
        diff -= step * len(take)
    assert lengths.min() >= 2 and int(lengths.sum()) == size_bytes
    return lengths


def generate_bytes(size_bytes: int, lines: int, seed: int) -> np.ndarray:
    """The file's content as a uint8 array: random printable text, ``lines`` newlines."""
    rng = np.random.default_rng(seed)
    lengths = line_lengths(size_bytes, lines, rng)
    buf = _TABLE[np.frombuffer(rng.bytes(size_bytes), dtype=np.uint8)]
    buf[np.cumsum(lengths) - 1] = ord("\n")
    return buf


def write_test_file(path: str | os.PathLike, size_bytes: int, lines: int, seed: int) -> int:
    """Write the test file atomically (temporary name, then rename); return its size."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    buf = generate_bytes(size_bytes, lines, seed)
    tmp.write_bytes(buf.tobytes())
    os.replace(tmp, path)
    return int(buf.size)
