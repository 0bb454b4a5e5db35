"""Writing results so that a half-written file is never taken for a whole one."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path


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


def write_csv_atomic(df, path: str | os.PathLike) -> None:
    """CSV version of :func:`write_text_atomic` for a DataFrame."""
    write_text_atomic(path, df.to_csv(index=False))


def write_rows_atomic(rows: list[dict], path: str | os.PathLike, columns: list[str] | None = None) -> None:
    """Rows (dicts) as CSV, atomically, with the standard library only (docs/method.md, "Imports"): ``columns``
    first, in order; any other key after them."""
    names = list(columns or [])
    for row in rows:
        names += [key for key in row if key not in names]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    write_text_atomic(path, buf.getvalue())
