"""sha256 in one pass: hash a file, copy-while-hashing, and the manifest hash of an artifact."""

from __future__ import annotations

import hashlib
import mmap
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from satchel.artifacts import FileEntry

__all__ = [
    "CHUNK_SIZE",
    "copy_hashing",
    "hash_bytes",
    "hash_file",
    "manifest_hash",
    "manifest_text",
    "stream_hashing",
]

# Big enough to amortise syscalls, small enough to stay in cache and keep memory flat.
CHUNK_SIZE = 1 << 20
# mmap windows let sha256 read the page cache directly (no copy into a buffer).
_WINDOW = 8 << 20


def hash_bytes(data: bytes | bytearray | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def hash_file(path: str) -> tuple[str, int]:
    """(sha256 hex, size) of a local file, read once."""
    with open(path, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        try:
            return _hash_mapped(handle, size), size
        except (OSError, ValueError):  # not mappable (pipes, some network filesystems)
            handle.seek(0)
            return stream_hashing(handle, None)


def _hash_mapped(handle: BinaryIO, size: int) -> str:
    digest = hashlib.sha256()
    offset = 0
    fd = handle.fileno()
    while offset < size:
        length = min(_WINDOW, size - offset)
        with mmap.mmap(fd, length, access=mmap.ACCESS_READ, offset=offset) as window:
            digest.update(window)
        offset += length
    if os.fstat(fd).st_size != size:
        raise OSError("file changed size while it was hashed")
    return digest.hexdigest()


def stream_hashing(
    source: BinaryIO, sink: BinaryIO | None, progress: Callable[[int], object] | None = None
) -> tuple[str, int]:
    """Read *source* to its end in chunks, hashing each chunk and writing it to *sink*; *progress*
    is told each chunk's size.

    Returns (sha256 hex, size). Memory stays at one chunk.
    """
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    total = 0
    readinto = getattr(source, "readinto", None)
    while True:
        if readinto is not None:
            count = readinto(buffer)
            if not count:
                break
            chunk: bytes | memoryview = view[:count]
        else:
            chunk = source.read(CHUNK_SIZE)
            if not chunk:
                break
            count = len(chunk)
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
        total += count
        if progress is not None:
            progress(count)
    return digest.hexdigest(), total


def copy_hashing(
    source_path: str, target_path: str, *, fsync: bool = False, progress: Callable[[int], object] | None = None
) -> tuple[str, int]:
    """Copy a local file to a new local file, hashing the bytes as they pass: (sha256 hex, size)."""
    with open(source_path, "rb", buffering=0) as source, open(
        target_path, "xb", buffering=0
    ) as target:
        digest, size = stream_hashing(source, target, progress)
        if fsync:
            os.fsync(target.fileno())
    return digest, size


def manifest_text(entries: Iterable[FileEntry]) -> str:
    """The text an artifact's ``hash`` is the sha256 of.

    One line per file, sorted by name (code point order): ``<name>\\t<sha256 hex>\\t<size>\\n``.
    Names never contain tabs or newlines (control characters are refused).
    """
    lines = sorted((e.name, e.sha256, e.size) for e in entries)
    return "".join(f"{name}\t{sha}\t{size}\n" for name, sha, size in lines)


def manifest_hash(entries: Iterable[FileEntry]) -> str:
    """sha256 hex of `manifest_text` encoded as UTF-8."""
    return hashlib.sha256(manifest_text(entries).encode("utf-8")).hexdigest()
