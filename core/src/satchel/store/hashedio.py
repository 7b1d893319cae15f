"""Files hashed as they are written and read: the digest is computed on a helper thread over the
same buffers the I/O moves, so verified I/O costs about the larger of the two passes, not their sum.

`HashingWriter` is what a packager writes a new file through (`Packager.create_file`): when the
store later takes that file, it trusts the digest only if the file is the very one written (same
inode, size, modification and change times), and hashes it again otherwise. `read_hashed` reads a
whole file into a fresh buffer while hashing it; the store compares the digest before anyone sees
the bytes (`Store.read_buffer`, `DataItem.buffer`).
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import BinaryIO

from satchel.buffers import allocate
from satchel.store.hashing import THREADED_FROM, Hasher, hash_beside, new_hasher

__all__ = ["HashingWriter", "read_hashed", "take_written"]

# A file read in windows this big is hashed one window behind the read (2 MiB measured best on 2
# cores: 12 ms per 100 MiB with blake3, 15 ms with 8 MiB windows, np.load alone 9 ms).
_READ_WINDOW = 2 << 20
# Digests of files written through a HashingWriter and not yet taken, newest last.
_WRITTEN_LIMIT = 4096
_written: OrderedDict[str, tuple[str, str, int, tuple[int, ...]]] = OrderedDict()
_written_lock = threading.Lock()


def _signature(info: os.stat_result) -> tuple[int, ...]:
    """What changes when a file's bytes could have: its identity, size, and both times."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def take_written(path: str, algorithm: str) -> tuple[str, int] | None:
    """(hex digest, size) of *path* as a HashingWriter wrote it, if it is still exactly that file
    and was hashed by *algorithm*; None otherwise (the caller hashes it). Each record is taken once."""
    key = os.path.abspath(path)
    with _written_lock:
        found = _written.pop(key, None)
    if found is None or found[0] != algorithm:
        return None
    try:
        info = os.stat(key, follow_symlinks=False)
    except OSError:
        return None
    if _signature(info) != found[3]:
        return None  # changed after it was written: its bytes must be hashed again
    return found[1], found[2]


def _remember(path: str, algorithm: str, digest: str, size: int, info: os.stat_result) -> None:
    with _written_lock:
        _written[path] = (algorithm, digest, size, _signature(info))
        _written.move_to_end(path)
        while len(_written) > _WRITTEN_LIMIT:
            _written.popitem(last=False)


class HashingWriter(io.RawIOBase):
    """A new file (never one that exists) whose digest is computed while it is written.

    Writes of 1 MiB or more are hashed on a helper thread while they go to disk, and their disk
    space is reserved first (as ``ndarray.tofile`` does: a large write into reserved extents is
    faster). After ``close()``, `digest` and `size` describe the file, and a store taking it
    uses them instead of reading it again.
    """

    def __init__(self, path: str | os.PathLike[str], algorithm: str) -> None:
        super().__init__()
        self.path = os.path.abspath(os.fspath(path))
        self.algorithm = algorithm
        self._hasher: Hasher = new_hasher(algorithm)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        self._size = 0
        self._digest: str | None = None

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        raise io.UnsupportedOperation("a HashingWriter hashes what passes through write(); write to it")

    def tell(self) -> int:
        return self._size

    def write(self, data: bytes | bytearray | memoryview, /) -> int:  # type: ignore[override]
        if self.closed:
            raise ValueError(f"write to closed file {self.path}")
        view = memoryview(data)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
        count = view.nbytes
        if count >= THREADED_FROM:
            _reserve(self._fd, self._size, count)
            pending = hash_beside(self._hasher, view)
            try:
                _write_all(self._fd, view)
            finally:
                pending.result()
        elif count:
            self._hasher.update(view)
            _write_all(self._fd, view)
        self._size += count
        return count

    def close(self) -> None:
        if self.closed:
            return
        try:
            os.close(self._fd)
        finally:
            super().close()
        self._digest = self._hasher.hexdigest()
        _remember(self.path, self.algorithm, self._digest, self._size, os.stat(self.path))

    @property
    def size(self) -> int:
        return self._size

    @property
    def digest(self) -> str:
        """``<algorithm>:<hex>`` of the file written (once closed)."""
        if self._digest is None:
            raise ValueError(f"{self.path} is still being written; its digest is known once it is closed")
        return f"{self.algorithm}:{self._digest}"


def _reserve(fd: int, offset: int, length: int) -> None:
    fallocate = getattr(os, "posix_fallocate", None)
    if fallocate is not None:
        with contextlib.suppress(OSError):  # not offered by this filesystem: writes allocate
            fallocate(fd, offset, length)


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_hashed(
    handle: BinaryIO, size: int, algorithm: str, progress: Callable[[int], object] | None = None
) -> tuple[memoryview, str, int]:
    """Read *handle* to its end into a new buffer of the *size* it is expected to have, hashing as
    it reads: (the bytes, hex digest, the true size).

    Each window is hashed on a helper thread while the next is read. A file longer than *size*
    is hashed to its end too (so the digest says what is there) but only *size* bytes are kept; a
    shorter one yields the bytes there are. The caller compares digest and size before it uses the
    bytes.
    """
    buffer = allocate(size)
    hasher = new_hasher(algorithm, size)
    readinto: Callable[[memoryview], int | None] = handle.readinto  # type: ignore[attr-defined]
    filled = 0
    pending = None
    try:
        while filled < size:
            window = buffer[filled : filled + _READ_WINDOW]
            count = readinto(window) or 0
            if not count:
                break
            if pending is not None:
                pending.result()
            if size >= THREADED_FROM:
                pending = hash_beside(hasher, window[:count])
            else:
                hasher.update(window[:count])
            filled += count
            if progress is not None:
                progress(count)
    finally:
        if pending is not None:
            pending.result()
    total = filled
    if filled == size:  # anything after the recorded end is hashed too, so the digest tells
        while extra := handle.read(1 << 20):
            hasher.update(extra)
            total += len(extra)
    return buffer[:filled], hasher.hexdigest(), total
