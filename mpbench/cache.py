"""Page-cache state of a file: evict it (``fsync``, so that no dirty page pins it, then
``posix_fadvise(POSIX_FADV_DONTNEED)``, which needs no root), warm it, and measure with ``mincore(2)``
how much is resident, so that eviction is checked, not assumed (docs/experiments/cache_state.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os

EVICTION_SUPPORTED = hasattr(os, "posix_fadvise") and hasattr(os, "POSIX_FADV_DONTNEED")
EVICTION_METHOD = "fsync + posix_fadvise(POSIX_FADV_DONTNEED)"
_CHUNK = 1 << 20


def evict(path: str | os.PathLike) -> None:
    """Drop ``path`` from the page cache (raises OSError where the platform cannot)."""
    if not EVICTION_SUPPORTED:
        raise OSError(f"this platform lacks os.posix_fadvise; cannot evict {path} from the page cache")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def warm(path: str | os.PathLike) -> None:
    """Read ``path`` once so that its pages are in the page cache."""
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(_CHUNK)
        while fh.readinto(buf):
            pass


_libc = None


def _mincore():
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        _libc = ctypes.CDLL(name, use_errno=True) if name else False
    return getattr(_libc, "mincore", None) if _libc else None


def resident_fraction(path: str | os.PathLike) -> float | None:
    """Fraction (0..1) of the pages of ``path`` now in the page cache, or None
    where ``mincore`` is not available.  Mapping a file does not read it, so
    asking does not change the answer."""
    mincore = _mincore()
    size = os.path.getsize(path)
    if mincore is None or size == 0:
        return None
    with open(path, "rb") as fh:
        # ACCESS_COPY gives a writable (private) buffer that ctypes can take
        # the address of; pages are only read on access, which we never do.
        mm = mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY)
    try:
        pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
        vec = (ctypes.c_ubyte * pages)()
        anchor = ctypes.c_char.from_buffer(mm)
        try:
            rc = mincore(ctypes.c_void_p(ctypes.addressof(anchor)), ctypes.c_size_t(size), vec)
        finally:
            del anchor
        if rc != 0:
            return None
        return sum(v & 1 for v in vec) / pages
    finally:
        mm.close()
