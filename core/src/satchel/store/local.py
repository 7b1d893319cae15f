"""The local-disk backend: plain os calls on the hot path, hardlinks instead of copies where it can."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterator

from satchel.artifacts import FileEntry, FileSource
from satchel.errors import StoreError
from satchel.store import nofollow
from satchel.store.hashedio import read_hashed, take_written
from satchel.store.hashing import copy_hashing, hash_bytes, hash_file
from satchel.store.paths import TMP, blob_path

__all__ = ["LocalBackend"]

_READ_ONLY = 0o444


class LocalBackend:
    """A store root on a local filesystem.

    Blobs are staged in ``tmp/`` (same filesystem) and renamed into ``objects/``. A source file on
    the same filesystem is hardlinked instead of copied, then hashed once. Linked files share the
    inode with the blob, so the source becomes read-only (0o444) like every blob.

    The store's folders below the root are never links (see `satchel.store.nofollow`): each is
    checked the first time this backend writes into it, and ``gc`` checks them again.
    """

    is_local = True

    def __init__(self, root: str, *, durable: bool = False) -> None:
        _check_root(root)
        self.root = root
        self.url = root
        self.durable = durable
        self._device: int | None = None
        self._folders: set[str] = set()  # folders made or checked to be real folders

    def path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    # -- small files -------------------------------------------------------------------------

    def exists(self, rel: str) -> bool:
        return os.path.exists(self.path(rel))

    def read(self, rel: str) -> bytes | None:
        try:
            fd = nofollow.open_file(self.path(rel))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:  # a name this filesystem cannot hold: not there
                return None
            raise
        with open(fd, "rb") as handle:
            return handle.read()

    def write_atomic(self, rel: str, data: bytes) -> None:
        with self._writing(rel):
            self._write_atomic(rel, data)

    def _stage(self, prefix: str, data: bytes) -> str:
        """``data`` in a new file under tmp/ (flushed to disk for a durable store); its path."""
        staged = self._tmp_path(prefix)
        try:
            _write_exclusive(staged, data, durable=self.durable)
        except BaseException:
            _unlink_quietly(staged)
            raise
        return staged

    def _write_atomic(self, rel: str, data: bytes) -> None:
        self._move_into_place(self._stage("write-", data), rel)

    def write_new(self, rel: str, data: bytes) -> None:
        with self._writing(rel):
            self._write_new(rel, data)

    def _write_new(self, rel: str, data: bytes) -> None:
        staged = self._stage("new-", data)
        try:
            target = self.path(rel)
            self._make_folder(rel.rpartition("/")[0])
            try:
                # A hard link appears whole, like a rename, but never replaces what is there.
                os.link(staged, target)
            except FileExistsError:
                raise
            except OSError:
                # Links refused (some network and FAT filesystems): still an exclusive create, but
                # a reader may see the file before all of it is written (it then reads as corrupt).
                _write_exclusive(target, data, durable=self.durable)
        finally:
            _unlink_quietly(staged)
        if self.durable:
            _fsync_dir(os.path.dirname(target))

    def _move_into_place(self, staged: str, rel: str) -> None:
        """Replace ``rel`` with the complete ``staged`` entry in one rename; readers see old or new."""
        try:
            target = self.path(rel)
            self._make_folder(rel.rpartition("/")[0])
            os.replace(staged, target)
        except BaseException:
            _unlink_quietly(staged)
            raise
        if self.durable:
            _fsync_dir(os.path.dirname(target))

    def read_ref(self, rel: str) -> str | None:
        target = self.path(rel)
        try:
            return os.readlink(target)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:  # a plain file: written where symlinks are not available
            if exc.errno == errno.ENAMETOOLONG:
                return None
            data = self.read(rel)
            return None if data is None else data.decode("utf-8", "replace").strip()

    def write_ref(self, rel: str, value: str) -> None:
        # A symlink holds the uid in its inode: replacing one is a pure metadata operation,
        # where replacing a file makes ext4 flush the new file's data first (auto_da_alloc).
        with self._writing(rel):
            staged = self._tmp_path("ref-")
            try:
                os.symlink(value, staged)
            except (OSError, NotImplementedError):
                self._write_atomic(rel, f"{value}\n".encode())
                return
            self._move_into_place(staged, rel)

    def listdir(self, rel: str) -> list[str]:
        try:
            return os.listdir(self.path(rel))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                return []
            raise

    def scan(self, rel: str) -> Iterator[tuple[str, int, float]]:
        base = self.path(rel)
        for folder, dirs, names in os.walk(base):
            prefix = os.path.relpath(folder, self.root).replace(os.sep, "/")
            # A link to a folder is an entry like any link, never a folder to walk into.
            links = [name for name in dirs if os.path.islink(os.path.join(folder, name))]
            for name in [*names, *links]:
                try:
                    info = os.lstat(os.path.join(folder, name))
                except FileNotFoundError:
                    continue
                yield f"{prefix}/{name}", info.st_size, max(info.st_mtime, info.st_ctime)

    def top_entries(self, rel: str) -> list[tuple[str, float, int]]:
        found: list[tuple[str, float, int]] = []
        try:
            entries = list(os.scandir(self.path(rel)))
        except FileNotFoundError:
            return found
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            freed = _freed(info)
            if stat.S_ISDIR(info.st_mode):
                for folder, _dirs, names in os.walk(entry.path):
                    for name in names:
                        try:
                            freed += _freed(os.lstat(os.path.join(folder, name)))
                        except FileNotFoundError:
                            continue
            found.append((f"{rel}/{entry.name}", max(info.st_mtime, info.st_ctime), freed))
        return found

    def remove(self, rel: str) -> None:
        nofollow.remove(self.root, rel)

    def check_folder(self, rel: str) -> bool:
        return nofollow.check_folder(self.root, rel)

    def local_folder(self, rel: str) -> str | None:
        self._make_folder(rel)
        return self.path(rel)

    # -- blobs -------------------------------------------------------------------------------

    def store_blob(self, source: FileSource, *, link: bool, algorithm: str) -> FileEntry:
        staged = self._tmp_path("stage-")
        try:
            if source.data is not None:
                digits, size = self._stage_bytes(source.data, staged, algorithm)
            else:
                assert source.path is not None
                digits, size = self._stage_file(source.path, staged, link=link, algorithm=algorithm)
            digest = f"{algorithm}:{digits}"
            self._promote(staged, digest, size)
        finally:
            _unlink_quietly(staged)
        return FileEntry(name=source.name, digest=digest, size=size)

    def _stage_bytes(self, data: bytes, staged: str, algorithm: str) -> tuple[str, int]:
        with open(staged, "xb") as handle:
            handle.write(data)
            if self.durable:
                handle.flush()
                os.fsync(handle.fileno())
        return hash_bytes(data, algorithm), len(data)

    def _stage_file(self, source: str, staged: str, *, link: bool, algorithm: str) -> tuple[str, int]:
        try:
            info = os.stat(source)
        except OSError as exc:
            raise StoreError(f"cannot read the file to store {source!r}: {exc.strerror}") from exc
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(f"cannot store {source!r}: it is not a regular file")
        if link and info.st_dev == self._store_device():
            # Taken before linking (a link changes the file's change time): a file a packager
            # wrote through a HashingWriter, unchanged since, is not read a second time.
            known = take_written(source, algorithm)
            try:
                os.link(source, staged)
            except OSError:
                pass  # links refused (permissions, filesystem): copy instead
            else:
                linked = os.stat(staged)
                if known is not None and (linked.st_ino, linked.st_size) == (info.st_ino, known[1]):
                    digits, size = known
                else:
                    digits, size = hash_file(staged, algorithm)
                if self.durable:
                    _fsync_path(staged)
                return digits, size
        return copy_hashing(source, staged, algorithm=algorithm, fsync=self.durable)

    def _promote(self, staged: str, digest: str, size: int) -> None:
        final = self.path(blob_path(digest))
        try:
            existing = os.stat(final)
        except FileNotFoundError:
            existing = None
        if existing is not None and existing.st_size == size:
            try:
                # Same mode, new ctime: gc's grace period restarts for a blob that is in use again.
                os.chmod(final, _READ_ONLY)
                return
            except OSError:
                pass  # not ours to chmod: replace it with our copy instead
        os.chmod(staged, _READ_ONLY)
        self._make_folder(blob_path(digest).rpartition("/")[0])
        os.replace(staged, final)
        if self.durable:
            _fsync_dir(os.path.dirname(final))

    def fetch_blob(
        self, digest: str, target: str, *, link: bool, progress: Callable[[int], object] | None = None
    ) -> tuple[str, int]:
        blob = self.path(blob_path(digest))
        algorithm = digest.partition(":")[0]
        if link:
            try:
                os.link(blob, target)
            except FileNotFoundError:
                raise
            except OSError:
                pass  # another filesystem, or links refused: copy instead
            else:
                return _named(algorithm, hash_file(target, algorithm))
        return _named(algorithm, copy_hashing(blob, target, algorithm=algorithm, progress=progress))

    def hash_blob(self, digest: str) -> tuple[str, int]:
        algorithm = digest.partition(":")[0]
        return _named(algorithm, hash_file(self.path(blob_path(digest)), algorithm))

    def read_blob(self, digest: str) -> bytes:
        with open(self.path(blob_path(digest)), "rb") as handle:
            return handle.read()

    def read_blob_hashed(
        self, digest: str, size: int, progress: Callable[[int], object] | None = None
    ) -> tuple[memoryview, str, int]:
        algorithm = digest.partition(":")[0]
        with open(self.path(blob_path(digest)), "rb", buffering=0) as handle:
            data, digits, total = read_hashed(handle, size, algorithm, progress)
        return data, f"{algorithm}:{digits}", total

    def make_item_dir(self) -> str:
        self._make_folder(TMP)
        return _mkdtemp(self.path(TMP), "item-")

    # -- helpers -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self, rel: str) -> Iterator[None]:
        """Turn a name the filesystem refuses into satchel's error, naming the file."""
        try:
            yield
        except OSError as exc:
            if exc.errno != errno.ENAMETOOLONG:
                raise
            raise StoreError(
                f"cannot write {rel} in the store {self.root}: a name in it is longer than this "
                "filesystem allows; use a shorter project, key, tag or document name"
            ) from exc

    def _tmp_path(self, prefix: str) -> str:
        self._make_folder(TMP)
        return os.path.join(self.path(TMP), prefix + secrets.token_hex(12))

    def _make_folder(self, rel: str) -> None:
        # Checked once per backend: a link planted later is caught by gc, not by every write.
        if rel not in self._folders:
            if rel:
                nofollow.make_folders(self.root, rel)
            elif not os.path.isdir(self.root):
                os.makedirs(self.root, exist_ok=True)
            self._folders.add(rel)

    def _store_device(self) -> int:
        if self._device is None:
            self._make_folder(TMP)
            self._device = os.stat(self.path(TMP)).st_dev
        return self._device


def _check_root(root: str) -> None:
    """Refuse a root that is a file (or lies under one): a store is a folder, made on first write."""
    try:
        info = os.stat(root)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        parent = os.path.dirname(root)
        while parent != os.path.dirname(parent) and not os.path.lexists(parent):
            parent = os.path.dirname(parent)
        raise StoreError(
            f"the store {root} cannot be a folder: {parent} is a file; give the path of a folder "
            "(or of one to create)"
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot open the store {root}: {exc.strerror}") from exc
    if not stat.S_ISDIR(info.st_mode):
        raise StoreError(
            f"the store {root} is a file, not a folder; give the path of a folder (or of one to create)"
        )


def _named(algorithm: str, hashed: tuple[str, int]) -> tuple[str, int]:
    """(``<algorithm>:<hex>``, size) from (hex, size)."""
    return f"{algorithm}:{hashed[0]}", hashed[1]


def _mkdtemp(parent: str, prefix: str) -> str:
    return tempfile.mkdtemp(prefix=prefix, dir=parent)


def _freed(info: os.stat_result) -> int:
    """Bytes removing this entry frees: none for folders, or for files linked elsewhere too."""
    return info.st_size if stat.S_ISREG(info.st_mode) and info.st_nlink == 1 else 0


def _write_exclusive(path: str, data: bytes, *, durable: bool) -> None:
    """Create ``path`` (never replacing one) holding ``data``; fsync it when ``durable``."""
    with open(path, "xb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: str) -> None:
    # Some platforms cannot open folders; the data itself is synced either way.
    with contextlib.suppress(OSError):
        _fsync_path(folder)

