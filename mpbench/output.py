"""Writing results so that a half-written file is never taken for a whole one."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to a temporary name beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv_atomic(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """CSV version of :func:`write_text_atomic`."""
    write_text_atomic(path, df.to_csv(index=False))
