"""What ``Store.verify`` and ``Store.gc`` report back."""

from __future__ import annotations

import attrs

__all__ = ["GcReport", "VerifyProblem"]


@attrs.frozen
class VerifyProblem:
    """One thing wrong with a stored artifact.

    ``problem`` is ``"mismatch"`` (the bytes hash to ``actual``, not ``expected``), ``"missing"``
    (the blob is gone), ``"manifest"`` (the record's ``hash`` does not match its file list) or
    ``"metadata"`` (the metadata file cannot be read; ``uri`` is then its path).
    """

    uri: str
    file: str
    problem: str
    expected: str | None = None
    actual: str | None = None

    def __str__(self) -> str:
        if self.problem == "mismatch":
            return f"{self.uri}: {self.file}: sha256 is {self.actual}, expected {self.expected}"
        if self.problem == "missing":
            return f"{self.uri}: {self.file}: blob {self.expected} is missing"
        if self.problem == "manifest":
            return f"{self.uri}: manifest hash is {self.actual}, the record says {self.expected}"
        return f"{self.uri}: {self.file}: {self.actual or 'unreadable'}"


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
