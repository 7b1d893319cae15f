"""The fsspec backend: the same store on memory://, object storage or any other fsspec filesystem."""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from satchel import tempdirs
from satchel.artifacts import FileEntry, FileSource
from satchel.errors import StoreError
from satchel.store.hashedio import read_hashed
from satchel.store.hashing import hash_bytes, stream_hashing
from satchel.store.paths import TMP, blob_path

__all__ = ["FsspecBackend"]


class FsspecBackend:
    """A store root on an fsspec filesystem.

    Single-object writes (``pipe_file``, ``mv`` into place) are the commit points: object stores
    make an object visible whole or not at all. Blobs are uploaded to ``tmp/`` while hashed, then
    moved to their content address.
    """

    is_local = False

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        from fsspec.core import url_to_fs

        self.url = url
        try:
            self.fs, root = url_to_fs(url, **(storage_options or {}))
        except ImportError as exc:  # fsspec names the package the protocol needs
            raise StoreError(f"cannot open the store {url}: {exc}") from exc
        self.root = root.rstrip("/")
        # fsspec 2024.12 gave pipe_file a mode="create": each filesystem's own exclusive create.
        self._can_create = "mode" in inspect.signature(self.fs.pipe_file).parameters
        if self.fs.isfile(self.root):
            raise StoreError(
                f"the store {url} is a file, not a folder; give the URL of a folder (or of one to create)"
            )

    def path(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def _rel(self, path: str) -> str:
        path = self.fs._strip_protocol(path)
        return path[len(self.root) + 1:] if path.startswith(self.root + "/") else path

    # -- small files -------------------------------------------------------------------------

    def exists(self, rel: str) -> bool:
        return bool(self.fs.exists(self.path(rel)))

    def read(self, rel: str) -> bytes | None:
        try:
            data: bytes = self.fs.cat_file(self.path(rel))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        return data

    def write_atomic(self, rel: str, data: bytes) -> None:
        target = self.path(rel)
        self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        self.fs.pipe_file(target, data)

    def write_new(self, rel: str, data: bytes) -> None:
        # The guarantee is the filesystem's: S3 and memory:// refuse an existing object in the
        # write itself (If-None-Match, "xb"); others check just before writing, which catches a
        # repeated uid but not two writers racing on the same one within that moment.
        target = self.path(rel)
        self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        if self._can_create:
            self.fs.pipe_file(target, data, mode="create")
            return
        if self.fs.exists(target):
            raise FileExistsError(target)
        self.fs.pipe_file(target, data)

    def read_ref(self, rel: str) -> str | None:
        data = self.read(rel)
        return None if data is None else data.decode("utf-8", "replace").strip()

    def write_ref(self, rel: str, value: str) -> None:
        self.write_atomic(rel, f"{value}\n".encode())

    def listdir(self, rel: str) -> list[str]:
        try:
            names = self.fs.ls(self.path(rel), detail=False)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [str(name).rstrip("/").rsplit("/", 1)[-1] for name in names]

    def scan(self, rel: str) -> Iterator[tuple[str, int, float]]:
        try:
            found = self.fs.find(self.path(rel), detail=True)
        except FileNotFoundError:
            return
        for name, info in found.items():
            yield self._rel(name), int(info.get("size") or 0), _changed(info)

    def top_entries(self, rel: str) -> list[tuple[str, float, int]]:
        try:
            found = self.fs.ls(self.path(rel), detail=True)
        except FileNotFoundError:
            return []
        entries = []
        for info in found:
            name = self._rel(str(info["name"]).rstrip("/"))
            changed, size = _changed(info), int(info.get("size") or 0)
            if info.get("type") == "directory":
                inside = list(self.scan(name))
                changed = max((t for _p, _s, t in inside), default=changed)
                size = sum(s for _p, s, _t in inside)
            entries.append((name, changed, size))
        return entries

    def remove(self, rel: str) -> None:
        target = self.path(rel)
        try:
            if self.fs.isdir(target):
                self.fs.rm(target, recursive=True)
            else:
                self.fs.rm_file(target)
        except FileNotFoundError:
            pass

    def check_folder(self, rel: str) -> bool:
        path = self.path(rel)
        if self.fs.isfile(path):
            raise StoreError(
                f"{self.url}/{rel} is a file, not a folder; the store keeps its own folders there, "
                "so move the file away"
            )
        return bool(self.fs.isdir(path))

    def local_folder(self, rel: str) -> str | None:
        return None

    # -- blobs -------------------------------------------------------------------------------

    def store_blob(self, source: FileSource, *, link: bool, algorithm: str) -> FileEntry:
        del link  # nothing to link to on a remote filesystem
        staged = self.path(f"{TMP}/stage-{secrets.token_hex(12)}")
        self.fs.makedirs(self.path(TMP), exist_ok=True)
        try:
            with self.fs.open(staged, "wb") as out:
                if source.data is not None:
                    out.write(source.data)
                    digits, size = hash_bytes(source.data, algorithm), len(source.data)
                else:
                    assert source.path is not None
                    with _open_source(source.path) as handle:
                        digits, size = stream_hashing(handle, out, algorithm=algorithm)
            digest = f"{algorithm}:{digits}"
            final = self.path(blob_path(digest))
            self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
            # Always move, even over an identical blob: it renews the blob's time for gc.
            self.fs.mv(staged, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(staged)
        return FileEntry(name=source.name, digest=digest, size=size)

    def fetch_blob(
        self, digest: str, target: str, *, link: bool, progress: Callable[[int], object] | None = None
    ) -> tuple[str, int]:
        del link
        algorithm = digest.partition(":")[0]
        with self.fs.open(self.path(blob_path(digest)), "rb") as handle, open(
            target, "xb"
        ) as out:
            digits, size = stream_hashing(handle, out, progress, algorithm=algorithm)
        return f"{algorithm}:{digits}", size

    def hash_blob(self, digest: str) -> tuple[str, int]:
        algorithm = digest.partition(":")[0]
        with self.fs.open(self.path(blob_path(digest)), "rb") as handle:
            digits, size = stream_hashing(handle, None, algorithm=algorithm)
        return f"{algorithm}:{digits}", size

    def read_blob(self, digest: str) -> bytes:
        data: bytes = self.fs.cat_file(self.path(blob_path(digest)))
        return data

    def read_blob_hashed(
        self, digest: str, size: int, progress: Callable[[int], object] | None = None
    ) -> tuple[memoryview, str, int]:
        algorithm = digest.partition(":")[0]
        with self.fs.open(self.path(blob_path(digest)), "rb") as handle:
            data, digits, total = read_hashed(handle, size, algorithm, progress)
        return data, f"{algorithm}:{digits}", total

    def make_item_dir(self) -> str:
        return tempdirs.make_dir("item-")


def _open_source(path: str) -> BinaryIO:
    try:
        return open(path, "rb", buffering=0)
    except OSError as exc:
        raise StoreError(f"cannot read the file to store {path!r}: {exc.strerror}") from exc


def _changed(info: dict[str, Any]) -> float:
    """The last-change time an fsspec ``info`` reports (names differ between filesystems)."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "created", "modified"):
        value = info.get(key)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)
            return value.timestamp()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return time.time()  # unknown: treat as new, so gc keeps it
