"""Content digests in one pass, by blake3 or sha256: hash bytes or a file, copy-while-hashing, and
the manifest hash of an artifact.

Large buffers are hashed on a helper thread beside the read or write that moves them (hashlib and
blake3 release the GIL while they hash), so a copy costs about the larger of the two passes, not
their sum.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, BinaryIO, Protocol

import blake3

from satchel.buffers import allocate
from satchel.errors import StoreError

if TYPE_CHECKING:
    from satchel.artifacts import FileEntry

__all__ = [
    "ALGORITHMS",
    "CHUNK_SIZE",
    "DEFAULT_ALGORITHM",
    "DIGEST_ENV",
    "THREADED_FROM",
    "Hasher",
    "check_algorithm",
    "copy_hashing",
    "digest_problem",
    "hash_beside",
    "hash_bytes",
    "hash_file",
    "manifest_hash",
    "manifest_text",
    "new_hasher",
    "stream_hashing",
]

#: The digests a store names its blobs by; new blobs use the store's (blake3 unless told).
ALGORITHMS = ("blake3", "sha256")
DEFAULT_ALGORITHM = "blake3"
#: The environment variable that picks the digest of a Store opened without ``digest=``.
DIGEST_ENV = "SATCHEL_DIGEST"
_DIGEST_RE = re.compile(r"(?:blake3|sha256):[0-9a-f]{64}")
_HEX_RE = re.compile(r"[0-9a-f]{64}")

# Big enough to amortise syscalls, small enough to stay in cache and keep memory flat.
CHUNK_SIZE = 1 << 20
#: Buffers from this size on are hashed on a helper thread beside their I/O; below it handing one
#: over costs more than the overlap saves.
THREADED_FROM = 1 << 20
# mmap windows let the hash read the page cache directly (no copy into a buffer).
_WINDOW = 8 << 20
# blake3 spreads an input over threads from here on; below it starting them costs more than
# they save (100 KB: 14 us on one thread, 41 us with AUTO).
_THREADED_FROM = 1 << 20


class Hasher(Protocol):
    """What hashlib's and blake3's hashers have in common."""

    def update(self, data: bytes | bytearray | memoryview | mmap.mmap, /) -> object: ...

    def hexdigest(self) -> str: ...


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _helpers() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                workers = min(4, os.cpu_count() or 1)
                _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="satchel-hash")
    return _pool


def _forget_helpers() -> None:
    """In a forked child the parent's threads do not exist: start a pool of its own when needed."""
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers)


def hash_beside(hasher: Hasher, data: bytes | bytearray | memoryview | mmap.mmap) -> Future[object]:
    """Start ``hasher.update(data)`` on a helper thread; the caller moves *data* meanwhile and must
    wait for the future before changing *data* or updating *hasher* again."""
    return _helpers().submit(hasher.update, data)


def check_algorithm(name: object, where: str = "") -> str:
    """*name* if it is a digest the store knows; StoreError naming the known ones otherwise
    (*where*, such as " in $SATCHEL_DIGEST", says where the name came from)."""
    if name not in ALGORITHMS:
        raise StoreError(
            f"unknown digest {name!r}{where}: a store hashes its files with "
            f"{' or '.join(ALGORITHMS)} (the default is {DEFAULT_ALGORITHM})"
        )
    return str(name)


def digest_problem(value: object) -> str | None:
    """None for a sound digest (``<algorithm>:<64 lowercase hex digits>``); else what was expected,
    naming the known algorithms."""
    if type(value) is str and _DIGEST_RE.fullmatch(value):
        return None
    known = " or ".join(ALGORITHMS)
    algorithm, sep, digits = value.partition(":") if isinstance(value, str) else ("", "", "")
    if sep and _HEX_RE.fullmatch(digits) and algorithm not in ALGORITHMS:
        shown = algorithm if len(algorithm) <= 40 else f"{algorithm[:30]}…"
        return f"a digest by {known}, the algorithms the store knows ({shown!r} is not one)"
    return f"'<algorithm>:<64 lowercase hex digits>', the algorithm {known}"


def new_hasher(algorithm: str, size: int = 0) -> Hasher:
    """A fresh hasher for updates of about *size* bytes; blake3 uses several threads for updates of
    1 MiB or more."""
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm != "blake3":
        check_algorithm(algorithm)  # raises, naming the known ones
    if size >= _THREADED_FROM:
        return blake3.blake3(max_threads=blake3.blake3.AUTO)
    return blake3.blake3()


def hash_bytes(data: bytes | bytearray | memoryview, algorithm: str) -> str:
    """The hex digest of *data* by *algorithm*."""
    hasher = new_hasher(algorithm, len(data))
    hasher.update(data)
    return hasher.hexdigest()


def hash_file(path: str, algorithm: str) -> tuple[str, int]:
    """(hex digest by *algorithm*, size) of a local file, read once."""
    with open(path, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        try:
            return _hash_mapped(handle, size, algorithm), size
        except (OSError, ValueError):  # not mappable (pipes, some network filesystems)
            handle.seek(0)
            return stream_hashing(handle, None, algorithm=algorithm)


def _hash_mapped(handle: BinaryIO, size: int, algorithm: str) -> str:
    digest = new_hasher(algorithm, min(size, _WINDOW))
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
    source: BinaryIO,
    sink: BinaryIO | None,
    progress: Callable[[int], object] | None = None,
    *,
    algorithm: str,
) -> tuple[str, int]:
    """Read *source* to its end in chunks, hashing each chunk and writing it to *sink*; *progress*
    is told each chunk's size.

    Returns (hex digest by *algorithm*, size). Once a stream fills its first chunk, each chunk is
    hashed on a helper thread while it is written and the next one is read, so memory stays at two
    chunks and the hash adds little to the copy's time.
    """
    digest = new_hasher(algorithm)
    chunk_size = CHUNK_SIZE
    first = source.read(chunk_size)
    readinto = getattr(source, "readinto", None)
    if len(first) == chunk_size and readinto is not None:
        return _stream_beside(readinto, memoryview(first), chunk_size, sink, progress, digest)
    total = 0
    chunk = first
    while chunk:  # a short stream, or one without readinto: hashed here, chunk by chunk
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
        total += len(chunk)
        if progress is not None:
            progress(len(chunk))
        chunk = source.read(chunk_size)
    return digest.hexdigest(), total


def _stream_beside(
    readinto: Callable[[memoryview], int | None],
    first: memoryview,
    chunk_size: int,
    sink: BinaryIO | None,
    progress: Callable[[int], object] | None,
    digest: Hasher,
) -> tuple[str, int]:
    buffers = (allocate(chunk_size), allocate(chunk_size))
    chunk: memoryview = first
    turn = 0
    total = 0
    pending: Future[object] | None = None
    try:
        while True:
            if pending is not None:
                pending.result()  # the chunk before, hashed in order, before this one starts
            pending = hash_beside(digest, chunk)
            if sink is not None:
                sink.write(chunk)
            total += len(chunk)
            if progress is not None:
                progress(len(chunk))
            # The buffer read into now was last hashed two chunks ago, and that hash is done.
            count = readinto(buffers[turn]) or 0
            if not count:
                break
            chunk = buffers[turn][:count]
            turn ^= 1
    finally:
        if pending is not None:
            pending.result()
    return digest.hexdigest(), total


def copy_hashing(
    source_path: str,
    target_path: str,
    *,
    algorithm: str,
    fsync: bool = False,
    progress: Callable[[int], object] | None = None,
) -> tuple[str, int]:
    """Copy a local file to a new local file, hashing the bytes as they pass: (hex digest, size)."""
    with open(source_path, "rb", buffering=0) as source, open(
        target_path, "xb", buffering=0
    ) as target:
        digest, size = stream_hashing(source, target, progress, algorithm=algorithm)
        if fsync:
            os.fsync(target.fileno())
    return digest, size


def manifest_text(entries: Iterable[FileEntry]) -> str:
    """The text an artifact's ``hash`` is the sha256 of.

    One line per file, sorted by name (code point order): ``<name>\\t<digest>\\t<size>\\n``, the
    digest a bare hex for sha256 (as every record written before blake3 has it, so their hash stays
    the same) and ``blake3:<hex>`` for blake3. Names never contain tabs or newlines (control
    characters are refused).
    """
    lines = sorted((e.name, e.hex if e.algorithm == "sha256" else e.digest, e.size) for e in entries)
    return "".join(f"{name}\t{digest}\t{size}\n" for name, digest, size in lines)


def manifest_hash(entries: Iterable[FileEntry]) -> str:
    """sha256 hex of `manifest_text` encoded as UTF-8 (the manifest is small: sha256 costs nothing)."""
    return hashlib.sha256(manifest_text(entries).encode("utf-8")).hexdigest()
