"""Large buffers for verified reads: mapped memory, in huge pages where the system offers them."""

from __future__ import annotations

import contextlib
import mmap

__all__ = ["allocate"]

# Buffers from this size on are mapped memory.
_MAPPED_FROM = 1 << 20


def allocate(size: int) -> memoryview:
    """A new zeroed, writable buffer of *size* bytes. Large ones are mapped memory (in huge pages
    where the system offers them): its pages are zeroed lazily, as they are first touched, where a
    bytearray writes zeros over all of it, and faulting 4 KiB pages in one by one cost more than
    the read itself (100 MiB: 54 ms vs 10 ms here)."""
    if size >= _MAPPED_FROM and hasattr(mmap, "MAP_PRIVATE"):
        mapped = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        if hasattr(mmap, "MADV_HUGEPAGE"):
            with contextlib.suppress(OSError):  # huge pages off on this system: ordinary pages
                mapped.madvise(mmap.MADV_HUGEPAGE)
        return memoryview(mapped)
    return memoryview(bytearray(size))
