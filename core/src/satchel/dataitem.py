"""DataItem: what an ``unpack_<type>`` method receives — a stored artifact, readable as local files."""

from __future__ import annotations

import os
import shutil
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from satchel import tempdirs
from satchel.buffers import allocate

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord, Packed

__all__ = ["DataItem"]


def _private_dir(owner: object) -> str:
    """A folder in this process's satchel folder, removed when ``owner`` is garbage-collected (or at exit)."""
    path = tempdirs.make_dir("item-")
    weakref.finalize(owner, tempdirs.forget, path)
    return path


class DataItem:
    """An artifact to unpack, with its files verified before any deserialiser sees them.

    ``buffer()`` reads one file into memory once, verified as it is read: the fastest way in for a
    deserialiser that takes bytes (``np.frombuffer``, ``pyarrow.BufferReader``). ``local()``
    returns a local path: the artifact's only file, or a directory holding all of its files under
    their names, each hashed again before the path is handed out. The files are read-only; copy before changing them. Copies satchel
    made for the item stay while the item is alive and are gone by the time the process exits, so
    an unpacker that hands files to its caller copies them out, as the ``path`` packager does
    (docs/temporary-files.md). A local input's own files are never touched.
    """

    def __init__(
        self,
        key: str,
        *,
        kind: str,
        file_names: list[str],
        materialize: Callable[[], str],
        record: ArtifactRecord | None = None,
        artifact_type: str | None = None,
        reader: Callable[[str], memoryview] | None = None,
    ) -> None:
        self.key = key
        self.kind = kind
        self.file_names = list(file_names)
        self.record = record
        self.artifact_type = artifact_type
        self._materialize = materialize
        self._reader = reader
        self._root: str | None = None

    def local_dir(self) -> str:
        """A local directory holding every file of the artifact under its name (verified)."""
        if self._root is None:
            self._root = self._materialize()
        return self._root

    def local(self) -> str:
        """The local path of the artifact's only file, or of the directory holding its files."""
        root = self.local_dir()
        if len(self.file_names) == 1:
            return os.path.join(root, *self.file_names[0].split("/"))
        return root

    def buffer(self, name: str | None = None) -> memoryview:
        """The bytes of one file (the only one when *name* is not given), read once into a new
        writable buffer that is the caller's to keep.

        A stored file is hashed while it is read and checked before this returns (IntegrityError
        when it does not match its record), with no second read and no copy on disk; large
        buffers are mapped memory, so wrapping them (``np.frombuffer``) costs nothing.
        """
        if self._reader is not None:
            return self._reader(self._name_of(name))
        return _read_plain(self._path_of(name))

    def read_bytes(self, name: str | None = None) -> bytes:
        """The bytes of one file (the only one when *name* is not given), verified like `buffer`."""
        if self._reader is not None:
            return bytes(self._reader(self._name_of(name)))
        with open(self._path_of(name), "rb") as handle:
            return handle.read()

    def read_text(self, name: str | None = None, encoding: str = "utf-8") -> str:
        return self.read_bytes(name).decode(encoding)

    def _path_of(self, name: str | None) -> str:
        return os.path.join(self.local_dir(), *self._name_of(name).split("/"))

    def _name_of(self, name: str | None) -> str:
        if name is None:
            if len(self.file_names) != 1:
                raise ValueError(
                    f"artifact {self.key!r} has {len(self.file_names)} files; name one of "
                    f"{self.file_names}"
                )
            name = self.file_names[0]
        elif name not in self.file_names:
            raise KeyError(f"artifact {self.key!r} has no file {name!r}; it has {self.file_names}")
        return name

    @classmethod
    def from_packed(cls, packed: Packed, directory: str | None = None) -> DataItem:
        """A DataItem over a packed artifact's own files, without a store (tests, local hand-over).

        The files are copied into *directory*, or else into a folder of this process's satchel
        folder that goes when the item is garbage-collected (or at exit).
        """
        assert packed.artifact is not None, "results are values, not files"
        artifact = packed.artifact
        sources = list(artifact.iter_files())

        def materialize() -> str:
            root = directory or _private_dir(item)
            for source in sources:
                target = os.path.join(root, *source.name.split("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if source.path is not None:
                    shutil.copyfile(source.path, target)
                else:
                    with open(target, "wb") as handle:
                        handle.write(source.data or b"")
            return root

        item = cls(
            artifact.key,
            kind=artifact.kind,
            file_names=[s.name for s in sources],
            materialize=materialize,
            artifact_type=packed.artifact_type,
        )
        return item

    @classmethod
    def from_local_path(cls, path: str | os.PathLike[str], key: str | None = None) -> DataItem:
        """A DataItem over a file or directory on local disk (an input given as a path)."""
        path = os.fspath(path)
        if os.path.isdir(path):
            names = sorted(
                os.path.relpath(os.path.join(root, n), path).replace(os.sep, "/")
                for root, _dirs, files in os.walk(path)
                for n in files
            )
            return cls(key or os.path.basename(path.rstrip(os.sep)), kind="dir",
                       file_names=names, materialize=lambda: path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"input path {path!r} does not exist; give a file or directory")
        parent, name = os.path.split(os.path.abspath(path))
        return cls(key or name, kind="file", file_names=[name], materialize=lambda: parent)

    def __repr__(self) -> str:
        return f"DataItem(key={self.key!r}, kind={self.kind!r}, files={self.file_names!r})"

    def describe(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "files": self.file_names}


def _read_plain(path: str) -> memoryview:
    """A local file the caller gave (nothing to verify it against), read once into a new buffer."""
    with open(path, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        buffer = allocate(size)
        filled = 0
        while filled < size and (count := handle.readinto(buffer[filled:])):
            filled += count
        rest = handle.read()
    if rest:  # it grew while it was read
        return memoryview(bytes(buffer[:filled]) + rest)
    return buffer[:filled]
