"""The seed's file operations, as module-level functions a Pool can pickle.

Each function does one operation and returns the number of characters it
handled, so the runner can check that every operation really did its work.
The ``i`` argument is the element of ``range(loops)`` that ``Pool.map``
hands out, exactly as the seed's ``p.map(worker, list(range(length)))``.
"""

from __future__ import annotations

import os


def read_once(src: str, i: int) -> int:
    """read: open the file and read it whole (text mode, as the seed)."""
    with open(src, encoding="utf-8") as fh:
        return len(fh.read())


def _write(path: str, text: str, fsync: bool) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        if fsync:
            # The data reaches the disk before close: "write" then measures
            # the device, not only a copy into the page cache.
            fh.flush()
            os.fsync(fh.fileno())


def readwrite_once(src: str, out_dir: str, i: int, fsync: bool = False) -> int:
    """readwrite: read the file, write its content to a new file of its own."""
    with open(src, encoding="utf-8") as fh:
        text = fh.read()
    _write(os.path.join(out_dir, f"copy_{i}.txt"), text, fsync)
    return len(text)


def overwrite_once(src: str, out_dir: str, i: int, fsync: bool = False) -> int:
    """overwrite (写覆盖): read the file and write it over one shared file."""
    with open(src, encoding="utf-8") as fh:
        text = fh.read()
    _write(os.path.join(out_dir, "overwrite.txt"), text, fsync)
    return len(text)


#: How far before a run's start a file it wrote may be stamped (coarse file timestamps).
MTIME_SLACK_S = 0.01


def written_names(op: str, loops: int) -> list[str]:
    """The files a run of ``op`` done ``loops`` times writes in its directory."""
    return [f"copy_{i}.txt" for i in range(loops)] if op == "readwrite" else ["overwrite.txt"]


def written_problem(op: str, out_dir: str, loops: int, size_bytes: int, since: float) -> str | None:
    """Why the files a write run left in ``out_dir`` are not what it should have written (None when they
    are): each of :func:`written_names`, ``size_bytes`` long and written since ``since`` (epoch seconds;
    docs/method.md)."""
    for name in written_names(op, loops):
        path = os.path.join(out_dir, name)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return f"{name} was not written"
        if st.st_size != size_bytes:
            return f"{name} has {st.st_size:,} bytes, expected {size_bytes:,}"
        if st.st_mtime < since - MTIME_SLACK_S:
            return f"{name} was not written by this run (last written {since - st.st_mtime:.3f} s before it began)"
    return None


OPERATIONS = {"read": read_once, "readwrite": readwrite_once, "overwrite": overwrite_once}
WRITES = {"readwrite", "overwrite"}
