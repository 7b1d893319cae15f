"""Artifact classes: what a pack method returns, and the metadata the store keeps for it."""

from __future__ import annotations

import contextlib
import enum
import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import attrs

__all__ = [
    "ARTIFACT_KINDS",
    "URI_KINDS",
    "Artifact",
    "ArtifactRecord",
    "ArtifactType",
    "CodeArtifact",
    "DatasetArtifact",
    "DirArtifact",
    "FileEntry",
    "FileSource",
    "ModelArtifact",
    "ObjectArtifact",
    "Packed",
    "PlotArtifact",
    "Producer",
    "PromptArtifact",
]

# The artifact kinds the store knows; `result` values live in run records, not here.
ARTIFACT_KINDS = ("file", "dir", "plot", "dataset", "model", "code", "object", "prompt")
# The `store://<kind>/...` URI kind each artifact kind is addressed by (MLRun's form).
URI_KINDS = {"dataset": "datasets", "model": "models", "code": "code"}


class ArtifactType(enum.StrEnum):
    """Names of the common artifact types, as MLRun spells them (``ArtifactType.PLOT == "plot"``).

    Packagers may define other types by writing ``pack_<type>`` methods; these are plain strings.
    """

    RESULT = "result"
    OBJECT = "object"
    FILE = "file"
    PATH = "path"
    DIR = "dir"
    PLOT = "plot"
    DATASET = "dataset"
    MODEL = "model"
    CODE = "code"
    PROMPT = "prompt"


@attrs.frozen
class FileSource:
    """One file to store: a local path or bytes, and its name (posix, relative) inside the artifact."""

    name: str
    path: str | None = None
    data: bytes | None = None


def _optional_path(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else os.fspath(value)


@attrs.define(kw_only=True)
class Artifact:
    """What a ``pack_<type>`` method returns: the content to store and how to describe it.

    Give either ``src_path`` (a file, or a directory whose files are stored under their relative
    names) or ``body`` (bytes or text stored as one file named ``file_name``).
    """

    kind: ClassVar[str] = "file"

    key: str
    src_path: str | None = attrs.field(default=None, converter=_optional_path)
    body: bytes | str | None = None
    file_name: str | None = None
    format: str | None = None
    labels: dict[str, str] = attrs.field(factory=dict)
    preview: dict[str, Any] | None = None

    def __attrs_post_init__(self) -> None:
        if (self.src_path is None) == (self.body is None):
            raise ValueError(
                f"artifact {self.key!r} needs exactly one of src_path (a local file or directory) "
                "or body (bytes or str)"
            )

    def iter_files(self) -> Iterator[FileSource]:
        """The files this artifact consists of, in a stable (sorted) order."""
        if self.body is not None:
            data = self.body.encode("utf-8") if isinstance(self.body, str) else bytes(self.body)
            yield FileSource(name=self.file_name or self._default_file_name(), data=data)
            return
        assert self.src_path is not None
        if os.path.isdir(self.src_path):
            found: list[FileSource] = []
            for root, dirs, names in os.walk(self.src_path):
                dirs.sort()
                for name in names:
                    full = os.path.join(root, name)
                    rel = os.path.relpath(full, self.src_path).replace(os.sep, "/")
                    found.append(FileSource(name=rel, path=full))
            yield from sorted(found, key=lambda f: f.name)
        elif os.path.isfile(self.src_path):
            yield FileSource(
                name=self.file_name or os.path.basename(self.src_path), path=self.src_path
            )
        else:
            raise FileNotFoundError(
                f"artifact {self.key!r}: src_path {self.src_path!r} is neither a file nor a directory"
            )

    def _default_file_name(self) -> str:
        return f"{self.key}.{self.format}" if self.format else self.key

    def extra_metadata(self) -> dict[str, Any]:
        """Kind-specific fields the store records beside the common ones."""
        return {}

    #: Made, when the artifact is stored, from the digests the store computed for its files: more
    #: files and metadata (see ``Store.log_artifact``'s *derive*); None for none.
    derive: Callable[[list[FileEntry]], tuple[list[FileSource], dict[str, Any]]] | None = None
    #: The digest the store hashes this artifact's files with when their format needs that one (a
    #: model package's manifest lists sha256 digests); None for the store's own.
    digest: str | None = None


@attrs.define(kw_only=True)
class DirArtifact(Artifact):
    kind: ClassVar[str] = "dir"


@attrs.define(kw_only=True)
class PlotArtifact(Artifact):
    """An image meant to be looked at; its bytes double as the preview."""

    kind: ClassVar[str] = "plot"
    title: str | None = None

    def _default_file_name(self) -> str:
        # A plot given as PNG bytes without a name (as MLRun's tutorials write it) is stored as key.png.
        if self.format is None and isinstance(self.body, bytes) and self.body.startswith(b"\x89PNG\r\n\x1a\n"):
            return f"{self.key}.png"
        return super()._default_file_name()

    def extra_metadata(self) -> dict[str, Any]:
        return {"title": self.title} if self.title else {}


@attrs.define(kw_only=True)
class DatasetArtifact(Artifact):
    """A table; ``schema``, ``row_count`` and a few rows in ``preview`` describe it without loading it."""

    kind: ClassVar[str] = "dataset"
    schema: list[dict[str, Any]] | None = None
    row_count: int | None = None

    def extra_metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.schema is not None:
            out["schema"] = self.schema
        if self.row_count is not None:
            out["row_count"] = self.row_count
        return out


@attrs.define(kw_only=True)
class ModelArtifact(Artifact):
    kind: ClassVar[str] = "model"
    framework: str | None = None
    requirements: list[str] = attrs.field(factory=list)
    #: What a model package records beside its files (root digest, signature, versions…).
    package: dict[str, Any] = attrs.field(factory=dict)

    def extra_metadata(self) -> dict[str, Any]:
        return {"framework": self.framework, "requirements": list(self.requirements), **self.package}


@attrs.define(kw_only=True)
class CodeArtifact(Artifact):
    kind: ClassVar[str] = "code"
    code_type: str = "function"
    language: str | None = "python"
    requirements: list[str] = attrs.field(factory=list)

    def extra_metadata(self) -> dict[str, Any]:
        return {
            "code_type": self.code_type,
            "language": self.language,
            "requirements": list(self.requirements),
        }


@attrs.define(kw_only=True)
class PromptArtifact(Artifact):
    kind: ClassVar[str] = "prompt"
    input_variables: list[str] = attrs.field(factory=list)

    def extra_metadata(self) -> dict[str, Any]:
        return {"input_variables": list(self.input_variables)}


@attrs.define(kw_only=True)
class ObjectArtifact(Artifact):
    """A pickled object (the declared fallback); unpacking it needs an explicit opt-in."""

    kind: ClassVar[str] = "object"


@attrs.frozen
class Producer:
    """Which packager wrote an artifact; unpacking routes by it."""

    plugin: str
    distribution: str | None = None
    version: str | None = None
    format_version: int = 1


#: The producer of a Packed the host has not stamped yet.
UNSTAMPED = Producer(plugin="")


@attrs.frozen
class FileEntry:
    """One stored file of an artifact: its name inside the artifact, its digest and size.

    ``digest`` is ``<algorithm>:<hex>`` (``blake3:…`` or ``sha256:…``): the algorithm is part of the
    blob's id, so one store holds files hashed either way. *bare_sha256* marks an entry read from a
    record written before digests named their algorithm (``"sha256": <hex>``); it is written back
    in that form, so the record reads back, and its signature checks, exactly as it was.
    """

    name: str
    digest: str
    size: int
    bare_sha256: bool = attrs.field(default=False, kw_only=True, eq=False, repr=False)

    @property
    def algorithm(self) -> str:
        """``blake3`` or ``sha256``."""
        return self.digest.partition(":")[0]

    @property
    def hex(self) -> str:
        """The digest's hex digits, without the algorithm."""
        return self.digest.partition(":")[2]

    @property
    def sha256(self) -> str | None:
        """The sha256 hex of the file when that is its digest; None for another algorithm (a caller
        that needs a sha256 whatever the store used hashes the file itself)."""
        algorithm, _sep, digits = self.digest.partition(":")
        return digits if algorithm == "sha256" else None


@attrs.define(kw_only=True)
class ArtifactRecord:
    """The metadata of a stored artifact, written once; it is the commit point of a write."""

    key: str
    kind: str
    project: str
    uid: str
    iteration: int = 0
    tags: list[str] = attrs.field(factory=list)
    hash: str
    size: int
    files: list[FileEntry] = attrs.field(factory=list)
    format: str | None = None
    artifact_type: str | None = None
    object_type: str | None = None
    producer: Producer | None = None
    instructions: dict[str, Any] = attrs.field(factory=dict)
    labels: dict[str, str] = attrs.field(factory=dict)
    extra: dict[str, Any] = attrs.field(factory=dict)
    preview: dict[str, Any] | None = None
    run: str | None = None
    created: str

    @property
    def uri(self) -> str:
        """The exact ``store://`` URI of this version."""
        kind = URI_KINDS.get(self.kind, "artifacts")
        iteration = f"#{self.iteration}" if self.iteration else ""
        return f"store://{kind}/{self.project}/{self.key}{iteration}@{self.uid}"


@attrs.define(kw_only=True)
class Packed:
    """The outcome of packing one object under one key.

    Exactly one of ``artifact`` (files for the store) or ``value`` (a JSON-able result kept in the
    run record) is meaningful: ``artifact is None`` means a result. ``instructions`` are handed back
    to the packager's ``unpack_<type>`` method as keyword arguments. ``producer`` is stamped by the
    host with the identity the plugin is registered under; a plugin need not set it.
    """

    key: str
    artifact_type: str
    object_type: str
    producer: Producer = attrs.field(factory=lambda: UNSTAMPED)
    artifact: Artifact | None = None
    value: Any = None
    instructions: dict[str, Any] = attrs.field(factory=dict)
    clearing_paths: list[str] = attrs.field(factory=list)

    @property
    def is_result(self) -> bool:
        return self.artifact is None

    def clear(self) -> None:
        """Delete the temporary files the packager asked to have removed once stored."""
        self.clear_paths(self.clearing_paths)

    @staticmethod
    def clear_paths(paths: list[str]) -> None:
        """Delete each path (file or directory tree), emptying the list."""
        while paths:
            path = paths.pop()
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
