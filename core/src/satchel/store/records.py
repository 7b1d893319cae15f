"""Artifact records on disk and in the index: (de)serialising them, and checking them before reads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from satchel.artifacts import ArtifactRecord, FileEntry
from satchel.errors import IntegrityError, StoreError
from satchel.store.hashing import digest_problem, manifest_hash
from satchel.store.paths import ARTIFACTS, check_file_names, metadata_path
from satchel.store.shape import check_record_data, check_tags

if TYPE_CHECKING:
    from satchel.signing import Signer
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
    "read_signed",
    "record_from_row",
    "scan_records",
    "scan_signed",
    "signature_status",
]

def now() -> str:
    """The current UTC time as ISO 8601 with milliseconds (the ``created`` field)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _serde() -> Any:
    from satchel import serde  # cattrs loads on first use, not on `import satchel.store`

    return serde


def dump_record(record: ArtifactRecord, signer: Signer | None = None) -> tuple[bytes, object]:
    """The metadata file's bytes, and the signature in it (None unsigned).

    A *signer* signs the canonical JSON of every field of the record (as it reads back from the
    file) and adds it as the ``signature`` field.
    """
    serde = _serde()
    if signer is None:
        data: bytes = serde.dumps(record)
        return data, None
    body = json.loads(json.dumps(serde.converter.unstructure(record)))
    signed = signer.sign_data(body)
    text: bytes = serde.dumps(signed)
    return text, signed["signature"]


def load_record(data: bytes, signer: Signer | None = None, what: str = "the metadata") -> ArtifactRecord:
    """Parse a metadata file; StoreError saying what is wrong when it is not a sound record, and
    SignatureError naming *what* when a *signer* is given and the record is not signed by it."""
    record, _signature = _load_signed(_parse(data), signer, what)
    return record


def _load_signed(data: Any, signer: Signer | None, what: str) -> tuple[ArtifactRecord, object]:
    signature = data.pop("signature", None) if isinstance(data, dict) else None
    if signer is not None:
        from satchel.signing import canonical_json

        signer.refuse(signer.check(canonical_json(data), signature), what, signature)
    return _build(data), signature


def signature_status(data: bytes, signer: Signer | None) -> str:
    """``ok``, ``unsigned``, ``bad``, ``other-key``, or ``signed`` (there is a signature, but no
    *signer* to check it with) for a metadata file's bytes."""
    parsed = _parse(data)
    if not isinstance(parsed, dict):
        return "bad"
    if signer is None:
        return "unsigned" if parsed.get("signature") is None else "signed"
    return signer.check_data(parsed)


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


def artifact_row(record: ArtifactRecord, signature: object = None) -> ArtifactRow:
    """The index row of a record; the compact record JSON rides along so listing reads no files
    (with the record's *signature*, so a reader with a key checks listings too)."""
    data = _serde().converter.unstructure(record)
    if signature is not None:
        data["signature"] = signature
    text = json.dumps(data, separators=(",", ":"))
    rel = metadata_path(record.project, record.key, record.uid)
    return (record.uid, record.project, record.key, record.iteration, record.kind,
            record.created, record.uri, rel, text)


def record_from_row(text: str, tags: str | None, signer: Signer | None = None,
                    what: str = "an index row") -> ArtifactRecord:
    """A record from its index JSON, with the tags that point at it now; StoreError when the
    index holds something that is not a sound record (the index file is in the store too), and
    SignatureError when a *signer* is given and the row is not signed by it."""
    data = _parse(text)
    signature = data.pop("signature", None) if isinstance(data, dict) else None
    if signer is not None:
        from satchel.signing import canonical_json

        signer.refuse(signer.check(canonical_json(data), signature), what, signature)
    if isinstance(data, dict):
        data["tags"] = check_tags(sorted(tags.split(" ")) if tags else [], "its tags in the index")
    return _build(data)


def scan_records(backend: Backend) -> Iterator[tuple[str, ArtifactRecord | None, str]]:
    """(metadata path, record or None, what is wrong) for every metadata file of a store."""
    for rel, record, _signature, error in scan_signed(backend):
        yield rel, record, error


def scan_signed(backend: Backend) -> Iterator[tuple[str, ArtifactRecord | None, object, str]]:
    """(metadata path, record or None, its signature or None, what is wrong) for every metadata
    file of a store; signatures are not checked here."""
    for rel, _size, _changed in backend.scan(ARTIFACTS):
        if not rel.endswith(".json") or rel.count("/") != 3:
            continue
        record, signature, error = read_signed(backend, rel)
        if record is not None or error:  # neither: removed while scanning
            yield rel, record, signature, error


def read_record(backend: Backend, rel: str) -> tuple[ArtifactRecord | None, str]:
    """(record, "") for the metadata file *rel*; (None, what is wrong) when it cannot be used;
    (None, "") when it does not exist."""
    record, _signature, error = read_signed(backend, rel)
    return record, error


def read_signed(backend: Backend, rel: str) -> tuple[ArtifactRecord | None, object, str]:
    """`read_record`, with the record's signature (unchecked; None when unsigned)."""
    try:
        data = backend.read(rel)
    except StoreError as exc:
        return None, None, str(exc)
    if data is None:
        return None, None, ""
    try:
        body = _parse(data)
        record, signature = _load_signed(body, None, rel)
    except StoreError as exc:
        return None, None, f"unreadable metadata: {exc}"
    if isinstance(signature, dict) and _serde().converter.unstructure(record) != body:
        # The file holds more (or other) than the record built from it, so its signature cannot
        # cover what an index row of the record would hold: carry a signature that fails.
        signature = {"alg": signature.get("alg"), "key_id": signature.get("key_id"), "value": "altered"}
    if rel != metadata_path(record.project, record.key, record.uid):
        return None, None, f"the metadata describes {record.uri}, which belongs elsewhere"
    return record, signature, ""


def check_readable(record: object) -> ArtifactRecord:
    """Refuse a record whose file list is unsafe or does not match its ``hash``."""
    if not isinstance(record, ArtifactRecord):
        raise StoreError(f"expected an ArtifactRecord (see Store.get_artifact), got {record!r}")
    check_file_names([entry.name for entry in record.files], f"artifact {record.uri}")
    for entry in record.files:
        if digest_problem(entry.digest) is not None or not isinstance(entry.size, int):
            raise IntegrityError(
                f"artifact {record.uri}: file {entry.name!r} has an invalid digest or size in its "
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
        f"{entry.digest}); nothing was read. Run `satchel verify` to check the whole store"
    )


def corrupt_message(record: ArtifactRecord, entry: FileEntry, actual: str) -> str:
    """*actual* is the digest the file's bytes have now, by the entry's algorithm."""
    return (
        f"artifact {record.uri}: file {entry.name!r} is corrupt: its {entry.algorithm} is "
        f"{actual.partition(':')[2]}, expected {entry.hex}; nothing was read. Run `satchel verify` "
        "to check the whole store"
    )
