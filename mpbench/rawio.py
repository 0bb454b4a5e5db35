"""Raw file IO without Python's decoding: the machine's ceiling for the seed's file operations (what it
times, and what a warm or cold file and fsync make of it: docs/experiments/ceiling.md).

Worker-side code of ``ceiling``, so stdlib only (docs/development.md).  Each process owns ONE buffer
(``_BUFFER``, sized to the file), allocated on first use and reused by every later operation in it.
"""

from __future__ import annotations

import os

CHUNK = 8 << 20  # bytes per readv/write call
_BUFFER: bytearray | None = None
_LOADED: tuple[str, int] | None = None  # (path, size) whose bytes _BUFFER holds
ALLOCATIONS = 0  # buffers this process allocated (tests check that one is reused)


def buffer(size: int) -> bytearray:
    """This process's buffer, of exactly ``size`` bytes; allocated on first use only."""
    global _BUFFER, _LOADED, ALLOCATIONS
    if _BUFFER is None or len(_BUFFER) != size:
        _BUFFER = bytearray(size)
        _LOADED = None
        ALLOCATIONS += 1
    return _BUFFER


def _readinto(fd: int, view: memoryview) -> int:
    if hasattr(os, "readv"):
        return os.readv(fd, [view])
    with open(fd, "rb", buffering=0, closefd=False) as fh:  # platforms without readv
        return fh.readinto(view)


def read_raw(src: str, size: int, i: int = 0) -> int:
    """Read ``src`` whole into this process's buffer; return the bytes read.

    ``size`` is the file's size (the buffer's); a short read returns fewer
    bytes, which the caller's check turns into an error.
    """
    global _LOADED
    view = memoryview(buffer(size))
    fd = os.open(src, os.O_RDONLY)
    try:
        pos = 0
        while pos < size:
            n = _readinto(fd, view[pos : pos + CHUNK])
            if n == 0:
                break
            pos += n
    finally:
        os.close(fd)
        view.release()
    _LOADED = (src, size) if pos == size else None
    return pos


def load(src: str, size: int) -> None:
    """Make this process's buffer hold ``src``'s bytes (read once per process).

    A forked worker inherits the parent's loaded buffer and reads nothing;
    a spawned one reads the file here, once.
    """
    if _LOADED != (src, size) or _BUFFER is None or len(_BUFFER) != size:
        if read_raw(src, size) != size:
            raise RuntimeError(f"rawio: {src} is shorter than {size} bytes")


def write_raw(src: str, size: int, out_dir: str, fsync: bool, i: int) -> int:
    """Write this process's buffer (``src``'s bytes) to a new file ``raw_<i>.bin``
    in ``out_dir`` with ``os.write``; fsync before close if asked.  Returns the
    bytes written."""
    load(src, size)
    view = memoryview(_BUFFER)
    fd = os.open(os.path.join(out_dir, f"raw_{i}.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        pos = 0
        while pos < size:
            pos += os.write(fd, view[pos : pos + CHUNK])
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
        view.release()
    return pos
