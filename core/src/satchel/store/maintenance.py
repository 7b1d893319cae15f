"""Checking a store's bytes against its records (verify) and removing what nothing uses (gc)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import attrs

from satchel.errors import StoreError
from satchel.store.hashing import manifest_hash
from satchel.store.paths import OBJECTS, TMP, blob_folders

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.store.backend import Backend

__all__ = [
    "GcReport",
    "SignatureReport",
    "VerifyProblem",
    "collect_garbage",
    "signature_problem",
    "verify_records",
]


@attrs.frozen
class VerifyProblem:
    """One thing wrong with a stored artifact.

    ``problem`` is ``"mismatch"`` (the bytes hash to ``actual``, not ``expected``: digests, as
    ``<algorithm>:<hex>``), ``"missing"`` (the blob ``expected`` is gone), ``"manifest"`` (the record's ``hash`` does not match its file list),
    ``"metadata"`` (the metadata file cannot be read; ``uri`` is then its path) or ``"index"``
    (the listing index differs from the files: ``actual`` says how, ``expected`` is the uid a
    tag's ref holds; ``satchel reindex`` fixes it) or ``"signature"`` (with a key configured: an
    artifact record, tag or run record that is not signed by it; ``actual`` is ``unsigned``,
    ``bad`` or ``other-key``).
    """

    uri: str
    file: str
    problem: str
    expected: str | None = None
    actual: str | None = None

    def __str__(self) -> str:
        if self.problem == "mismatch":
            algorithm, _sep, expected = str(self.expected).partition(":")
            actual = str(self.actual).partition(":")[2]
            return f"{self.uri}: {self.file}: {algorithm} is {actual}, expected {expected}"
        if self.problem == "missing":
            return f"{self.uri}: {self.file}: blob {self.expected} is missing"
        if self.problem == "manifest":
            return f"{self.uri}: manifest hash is {self.actual}, the record says {self.expected}"
        if self.problem == "index":
            return f"{self.uri}: {self.actual}; run `satchel reindex`"
        if self.problem == "signature":
            said = {"unsigned": "is not signed", "bad": "does not match its signature (changed after signing)",
                    "other-key": "is signed with another key"}.get(self.actual or "", str(self.actual))
            return f"{self.uri}: {self.file}: the {self.expected} {said}"
        return f"{self.uri}: {self.file}: {self.actual or 'unreadable'}"


def signature_problem(uri: str, rel: str, status: str, what: str) -> VerifyProblem:
    """A record, tag or run record (*what*) whose signature check said *status* (not ``ok``)."""
    return VerifyProblem(uri=uri, file=rel, problem="signature", expected=what, actual=status)


@attrs.frozen
class SignatureReport:
    """Signature status of a store's artifact records, tags and run records, counted together.

    With a key (``key_id``): ``ok``, ``unsigned``, ``bad`` (changed after signing, or a malformed
    signature) and ``other_key``. Without one nothing can be checked, so what carries a signature
    is counted in ``signed_unchecked``.
    """

    key_id: str | None
    ok: int
    unsigned: int
    bad: int
    other_key: int
    signed_unchecked: int

    @property
    def problems(self) -> int:
        """With a key, everything not signed-ok by it (a reader with that key refuses it)."""
        return 0 if self.key_id is None else self.unsigned + self.bad + self.other_key

    def __str__(self) -> str:
        if self.key_id is None:
            return (f"signatures: not checked (no key configured): {self.signed_unchecked} signed, "
                    f"{self.unsigned} unsigned")
        return (f"signatures (key id {self.key_id}): {self.ok} signed-ok, {self.unsigned} unsigned, "
                f"{self.bad} bad, {self.other_key} other-key")


@attrs.frozen
class GcReport:
    """What ``gc`` removed (or, with ``dry_run``, would remove)."""

    dry_run: bool
    blobs_removed: int
    blob_bytes_removed: int
    blobs_kept: int
    tmp_removed: int
    tmp_bytes_removed: int

    @property
    def bytes_removed(self) -> int:
        return self.blob_bytes_removed + self.tmp_bytes_removed

    def __str__(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"{verb} {self.blobs_removed} unreferenced blobs ({self.blob_bytes_removed} bytes) "
            f"and {self.tmp_removed} stale temporary entries ({self.tmp_bytes_removed} bytes); "
            f"kept {self.blobs_kept} blobs"
        )


def verify_records(backend: Backend, records: Iterable[ArtifactRecord]) -> list[VerifyProblem]:
    """Hash every blob the records name (each blob once) and report what does not match."""
    problems: list[VerifyProblem] = []
    hashed: dict[str, tuple[str, int] | None] = {}
    for record in records:
        actual_manifest = manifest_hash(record.files)
        if actual_manifest != record.hash:
            problems.append(VerifyProblem(uri=record.uri, file="", problem="manifest",
                                          expected=record.hash, actual=actual_manifest))
        for entry in record.files:
            if entry.digest not in hashed:
                try:
                    hashed[entry.digest] = backend.hash_blob(entry.digest)
                except (FileNotFoundError, StoreError):
                    hashed[entry.digest] = None
            result = hashed[entry.digest]
            if result is None:
                problems.append(VerifyProblem(uri=record.uri, file=entry.name, problem="missing",
                                              expected=entry.digest))
            elif result != (entry.digest, entry.size):
                problems.append(VerifyProblem(uri=record.uri, file=entry.name, problem="mismatch",
                                              expected=entry.digest, actual=result[0]))
    return problems


def collect_garbage(
    backend: Backend,
    referenced: Callable[[], set[str]],
    *,
    dry_run: bool,
    older_than: float,
    in_use: Callable[[str], bool],
) -> GcReport:
    """Remove blobs (digests ``<algorithm>:<hex>``) not in ``referenced()`` and ``tmp/`` entries
    unchanged for *older_than* seconds.

    The grace period protects writers between storing blobs and committing metadata: a blob
    stored or reused by a writer has just changed (rename, link or chmod renew its ctime).
    Before anything is read, ``objects``, each algorithm's folder in it (``objects/blake3``,
    ``objects/sha256``) and ``tmp`` must be real folders of the store; a link inside them is
    removed as a link.
    """
    try:
        has_objects = backend.check_folder(OBJECTS)
        folders = [(algorithm, folder) for algorithm, folder in blob_folders()
                   if has_objects and backend.check_folder(folder)]
        has_tmp = backend.check_folder(TMP)
    except StoreError as exc:
        raise StoreError(f"gc stopped: {exc}; nothing was removed") from exc
    try:
        return _collect(backend, referenced(), folders=folders, has_tmp=has_tmp,
                        dry_run=dry_run, older_than=older_than, in_use=in_use)
    except StoreError as exc:
        if str(exc).startswith("gc stopped: "):
            raise
        raise StoreError(f"gc stopped: {exc}") from exc


def _collect(
    backend: Backend,
    referenced: set[str],
    *,
    folders: list[tuple[str, str]],
    has_tmp: bool,
    dry_run: bool,
    older_than: float,
    in_use: Callable[[str], bool],
) -> GcReport:
    now = time.time()
    removed = removed_bytes = kept = 0
    blobs = [(algorithm, found) for algorithm, folder in folders for found in list(backend.scan(folder))]
    for algorithm, (rel, size, changed) in blobs:
        parts = rel.split("/")  # objects/<algorithm>/ab/cdef…
        digest = f"{algorithm}:{parts[-2]}{parts[-1]}" if len(parts) == 4 else ""
        if digest in referenced or now - changed < older_than:
            kept += 1
            continue
        removed += 1
        removed_bytes += size
        if not dry_run:
            backend.remove(rel)
    tmp_removed = tmp_bytes = 0
    for rel, changed, freed in backend.top_entries(TMP) if has_tmp else []:
        if now - changed < older_than or in_use(rel):
            continue
        tmp_removed += 1
        tmp_bytes += freed
        if not dry_run:
            backend.remove(rel)
    return GcReport(dry_run=dry_run, blobs_removed=removed, blob_bytes_removed=removed_bytes,
                    blobs_kept=kept, tmp_removed=tmp_removed, tmp_bytes_removed=tmp_bytes)
