"""The filesystem operations the store needs, and the choice between local disk and fsspec."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from satchel.errors import StoreError

if TYPE_CHECKING:
    from satchel.artifacts import FileEntry, FileSource

__all__ = ["Backend", "open_backend", "split_url"]


class Backend(Protocol):
    """Paths are posix paths relative to the store root (``objects/blake3/ab/…``). A blob is named
    by its digest, ``<algorithm>:<hex>``, and hashed by that algorithm whenever it is read."""

    url: str
    is_local: bool

    def exists(self, rel: str) -> bool: ...

    def read(self, rel: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""

    def write_atomic(self, rel: str, data: bytes) -> None:
        """Write a whole file so that readers see the old content or the new, never a part."""

    def write_new(self, rel: str, data: bytes) -> None:
        """Create a file that must not exist yet (FileExistsError when it does; nothing is replaced)."""

    def read_ref(self, rel: str) -> str | None:
        """The text a ref holds (a uid), or None when it does not exist."""

    def write_ref(self, rel: str, value: str) -> None:
        """Point a ref at *value*, replacing it atomically."""

    def listdir(self, rel: str) -> list[str]:
        """Names in a folder; empty when the folder does not exist."""

    def scan(self, rel: str) -> Iterator[tuple[str, int, float]]:
        """(relative path, size, last change as Unix time) of every file under a folder."""

    def top_entries(self, rel: str) -> list[tuple[str, float, int]]:
        """(relative path, last change, bytes freed by removing it) of each entry in a folder."""

    def remove(self, rel: str) -> None:
        """Remove a file or a whole folder; missing is fine. A link is removed as a link, and
        nothing is reached through one (StoreError when a folder on the way is a link)."""

    def check_folder(self, rel: str) -> bool:
        """Whether the store's own folder *rel* exists; StoreError when it (or a folder on the way
        to it) is a link or a file."""

    def local_folder(self, rel: str) -> str | None:
        """The local path of the store's folder *rel*, made if needed; None on non-local stores."""

    def store_blob(self, source: FileSource, *, link: bool, algorithm: str) -> FileEntry:
        """Stream *source* into ``objects/<algorithm>/``, hashing by *algorithm* as it goes;
        identical content is kept once (per algorithm)."""

    def fetch_blob(
        self, digest: str, target: str, *, link: bool, progress: Callable[[int], object] | None = None
    ) -> tuple[str, int]:
        """Put a blob's content at the new local path *target*; return (digest, size) of what was
        put there, by the algorithm *digest* names. *progress* is told the size of each chunk copied."""

    def hash_blob(self, digest: str) -> tuple[str, int]:
        """(digest, size) of a stored blob, by the algorithm *digest* names, read once;
        FileNotFoundError when it is missing."""

    def read_blob(self, digest: str) -> bytes:
        """A blob's bytes (not yet verified); FileNotFoundError when it is missing."""

    def read_blob_hashed(
        self, digest: str, size: int, progress: Callable[[int], object] | None = None
    ) -> tuple[memoryview, str, int]:
        """A blob read once into a new buffer of the recorded *size*, hashed by the algorithm
        *digest* names as it is read: (bytes, ``<algorithm>:<hex>`` of what is there, its true
        size). Not yet verified: the caller compares. FileNotFoundError when it is missing."""

    def make_item_dir(self) -> str:
        """A new local folder for a data item's files (near the blobs, so links work)."""


def split_url(url: str | os.PathLike[str]) -> tuple[str, str]:
    """(protocol, path): ``file`` with an absolute local path, or an fsspec protocol and URL."""
    text = os.fspath(url)
    if not isinstance(text, str) or not text:
        raise ValueError(f"a store URL is a local path or an fsspec URL; got {url!r}")
    protocol, sep, rest = text.partition("://")
    if not sep or len(protocol) == 1:  # a plain path (or a Windows drive letter)
        return "file", os.path.abspath(text)
    if protocol in ("file", "local"):
        return "file", os.path.abspath(rest)
    return protocol, text.rstrip("/")


def open_backend(
    url: str | os.PathLike[str], *, durable: bool = False, storage_options: dict[str, Any] | None = None
) -> Backend:
    protocol, location = split_url(url)
    if protocol == "file":
        from satchel.store.local import LocalBackend

        return LocalBackend(location, durable=durable)
    if protocol in ("s3", "s3a"):
        try:
            import s3fs  # noqa: F401 - only to say what to install
        except ImportError:
            raise StoreError(
                f"the store {location} is on S3, which needs s3fs: pip install 'satchel[s3]'"
            ) from None
        from satchel.store.s3 import S3Backend

        return S3Backend(location, storage_options)
    from satchel.store.remote import FsspecBackend

    return FsspecBackend(location, storage_options)
