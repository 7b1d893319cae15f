"""Artifact records on disk and in the index: (de)serialising them, and checking them before reads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from satchel.artifacts import ArtifactRecord, FileEntry
from satchel.errors import IntegrityError, StoreError
from satchel.store.hashing import manifest_hash
from satchel.store.paths import ARTIFACTS, check_file_names, metadata_path
from satchel.store.shape import check_record_data, check_tags

if TYPE_CHECKING:
    from satchel.store.backend import Backend
    from satchel.store.index import ArtifactRow

__all__ = [
    "artifact_row",
    "check_readable",
    "corrupt_message",
    "dump_record",
    "load_record",
    "missing_blob_message",
    "now",
    "pick_file",
    "read_record",
    "record_from_row",
    "scan_records",
]

_HEX = frozenset("0123456789abcdef")


def now() -> str:
    """The current UTC time as ISO 8601 with milliseconds (the ``created`` field)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _serde() -> Any:
    from satchel import serde  # cattrs loads on first use, not on `import satchel.store`

    return serde


def dump_record(record: ArtifactRecord) -> bytes:
    data: bytes = _serde().dumps(record)
    return data


def load_record(data: bytes) -> ArtifactRecord:
    """Parse a metadata file; StoreError saying what is wrong when it is not a sound record."""
    return _build(_parse(data))


def _parse(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise StoreError(f"not an artifact record: it is not JSON ({exc})") from None


def _build(data: Any) -> ArtifactRecord:
    try:
        check_record_data(data)
    except StoreError as exc:
        raise StoreError(f"not an artifact record: {exc}") from None
    serde = _serde()
    try:
        record: ArtifactRecord = serde.converter.structure(data, ArtifactRecord)
    except (ValueError, TypeError, KeyError, RecursionError, serde.ValidationErrors) as exc:
        raise StoreError(f"not an artifact record: {exc}") from None
    return record


def artifact_row(record: ArtifactRecord) -> ArtifactRow:
    """The index row of a record; the compact record JSON rides along so listing reads no files."""
    text = json.dumps(_serde().converter.unstructure(record), separators=(",", ":"))
    rel = metadata_path(record.project, record.key, record.uid)
    return (record.uid, record.project, record.key, record.iteration, record.kind,
            record.created, record.uri, rel, text)


def record_from_row(text: str, tags: str | None) -> ArtifactRecord:
    """A record from its index JSON, with the tags that point at it now; StoreError when the
    index holds something that is not a sound record (the index file is in the store too)."""
    data = _parse(text)
    if isinstance(data, dict):
        data["tags"] = check_tags(sorted(tags.split(" ")) if tags else [], "its tags in the index")
    return _build(data)


def scan_records(backend: Backend) -> Iterator[tuple[str, ArtifactRecord | None, str]]:
    """(metadata path, record or None, what is wrong) for every metadata file of a store."""
    for rel, _size, _changed in backend.scan(ARTIFACTS):
        if not rel.endswith(".json") or rel.count("/") != 3:
            continue
        record, error = read_record(backend, rel)
        if record is not None or error:  # neither: removed while scanning
            yield rel, record, error


def read_record(backend: Backend, rel: str) -> tuple[ArtifactRecord | None, str]:
    """(record, "") for the metadata file *rel*; (None, what is wrong) when it cannot be used;
    (None, "") when it does not exist."""
    try:
        data = backend.read(rel)
    except StoreError as exc:
        return None, str(exc)
    if data is None:
        return None, ""
    try:
        record = load_record(data)
    except StoreError as exc:
        return None, f"unreadable metadata: {exc}"
    if rel != metadata_path(record.project, record.key, record.uid):
        return None, f"the metadata describes {record.uri}, which belongs elsewhere"
    return record, ""


def check_readable(record: object) -> ArtifactRecord:
    """Refuse a record whose file list is unsafe or does not match its ``hash``."""
    if not isinstance(record, ArtifactRecord):
        raise StoreError(f"expected an ArtifactRecord (see Store.get_artifact), got {record!r}")
    check_file_names([entry.name for entry in record.files], f"artifact {record.uri}")
    for entry in record.files:
        if not (isinstance(entry.sha256, str) and len(entry.sha256) == 64
                and set(entry.sha256) <= _HEX and isinstance(entry.size, int)):
            raise IntegrityError(
                f"artifact {record.uri}: file {entry.name!r} has an invalid sha256 or size in its "
                "metadata; nothing was read"
            )
    actual = manifest_hash(record.files)
    if actual != record.hash:
        raise IntegrityError(
            f"artifact {record.uri}: its file list hashes to {actual}, but the record says "
            f"{record.hash}; the metadata was changed, nothing was read"
        )
    return record


def pick_file(record: ArtifactRecord, name: str | None) -> FileEntry:
    """The file called *name*, or the only file when *name* is None."""
    names = [entry.name for entry in record.files]
    if name is None:
        if len(record.files) != 1:
            raise StoreError(f"artifact {record.uri} has {len(names)} files; name one of {names}")
        return record.files[0]
    for entry in record.files:
        if entry.name == name:
            return entry
    raise StoreError(f"artifact {record.uri} has no file {name!r}; it has {names}")


def missing_blob_message(record: ArtifactRecord, entry: FileEntry) -> str:
    return (
        f"artifact {record.uri}: file {entry.name!r} is missing from the store (blob "
        f"{entry.sha256}); nothing was read. Run `satchel verify` to check the whole store"
    )


def corrupt_message(record: ArtifactRecord, entry: FileEntry, actual: str) -> str:
    return (
        f"artifact {record.uri}: file {entry.name!r} is corrupt: its sha256 is {actual}, "
        f"expected {entry.sha256}; nothing was read. Run `satchel verify` to check the whole store"
    )
