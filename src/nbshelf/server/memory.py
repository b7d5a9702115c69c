"""Large buffers go back to the operating system when they are freed (glibc only).

glibc serves a large allocation with its own mmap, but once such a block is freed it
raises that threshold to the block's size (up to 32 MB) and serves later ones from its
arenas, one per thread, which keep what is freed for reuse. nbshelf moves files in 8 MB
pieces through its worker threads (kernel files, ranged reads, chunked uploads): with
the store's worker threads all started, each arena kept a piece or two, and streaming a
200 MB file out of the local store raised the server's memory by 109 MB that it never
gave back. A fixed threshold (``mallopt(M_MMAP_THRESHOLD)``, which also stops the
raising) keeps every block of at least ``THRESHOLD`` in its own mapping, unmapped when
freed: the same stream then raised it by 16 MB, and gave it back
(tests/kernels/test_big_and_restart.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: blocks of this size and more get a mapping of their own (the pieces are 8 MB)
THRESHOLD = 4 << 20
_M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>


def release_large_buffers(threshold: int = THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes; False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))


__all__ = ["THRESHOLD", "release_large_buffers"]
