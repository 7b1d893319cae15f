"""Run records: JSON dicts the runtime owns, each save an atomic replace of ``runs/<project>/<uid>.json``."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from satchel.errors import ArtifactNotFoundError, SignatureError, StoreError
from satchel.names import validate_name
from satchel.store.paths import RUNS, run_path
from satchel.store.records import now

if TYPE_CHECKING:
    from satchel.signing import Signer
    from satchel.store.backend import Backend
    from satchel.store.catalog import Catalog
    from satchel.store.index import RunRow

__all__ = ["MIN_PREFIX", "Runs", "run_rows"]

MIN_PREFIX = 6
_UID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")


class Runs:
    """The run half of a store: save, get (by uid or unique prefix) and list run records."""

    def __init__(self, backend: Backend, index: Callable[[], Catalog], exists: Callable[[], bool],
                 signer: Signer | None = None) -> None:
        self._backend = backend
        self._index = index
        self._exists = exists
        self._signer = signer

    def save(self, project: str, uid: str, data: dict[str, Any]) -> None:
        validate_name(project, "project")
        validate_name(uid, "run uid")
        if not isinstance(data, dict):
            raise StoreError(f"run {uid}: a run record is a dict, not {type(data).__name__}")
        if self._signer is not None:
            self._signer.require_signing(f"run {project}/{uid}")
        try:
            if self._signer is not None:  # signed as it reads back from the file
                data = self._signer.sign_data(json.loads(json.dumps(data)))
            text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"run {uid}: the run record is not JSON-serialisable: {exc}") from exc
        rel = run_path(project, uid)
        self._backend.write_atomic(rel, (text + "\n").encode("utf-8"))
        row = _run_row(project, uid, data, rel)
        self._index().try_write(lambda tx: tx.add_runs([row]), f"run {project}/{uid}")

    def get(self, project: str | None, uid: str) -> dict[str, Any]:
        if project is not None:
            validate_name(project, "project")
        if not isinstance(uid, str) or not uid or not set(uid) <= _UID_CHARACTERS:
            raise StoreError(
                f"invalid run uid {uid!r}: expected a run uid (or a prefix of at least "
                f"{MIN_PREFIX} characters) of lowercase letters, digits, '-', '_' and '.'"
            )
        if project is not None:
            found = self._read(run_path(project, uid))
            if found is not None:
                return found
        matches = self._find(project, uid)
        exact = [(p, u) for p, u in matches if u == uid]
        matches = exact or matches
        where = f" in project {project!r}" if project else ""
        if not matches:
            raise ArtifactNotFoundError(
                f"no run {uid!r}{where} in {self._backend.url}; run `satchel runs` to list runs"
            )
        if len(matches) > 1:
            shown = ", ".join(f"{p}/{u}" for p, u in matches[:5])
            more = ", …" if len(matches) > 5 else ""
            raise StoreError(
                f"the run uid prefix {uid!r}{where} is ambiguous: it matches {len(matches)} runs "
                f"({shown}{more}); give more characters"
            )
        ((match_project, match_uid),) = matches
        found = self._read(run_path(match_project, match_uid))
        if found is None:
            raise ArtifactNotFoundError(
                f"run {match_project}/{match_uid} is in the index but its file is gone; "
                "run `satchel reindex`"
            )
        return found

    def recent(self, project: str | None, limit: int | None) -> list[dict[str, Any]]:
        if project is not None:
            validate_name(project, "project")
        if not self._exists():
            return []
        records = []
        refused: list[str] = []
        for text in self._index().recent_runs(project, limit):
            found = _parse_run(text)
            if isinstance(found, dict):  # else a planted index row: the files are the truth
                try:
                    records.append(self._checked(found, "a run record in the index"))
                except SignatureError as exc:
                    refused.append(str(exc))
        if refused:
            warnings.warn(
                f"not listed: {len(refused)} run record(s) refused by the signature check (the "
                f"first: {refused[0]})",
                RuntimeWarning,
                stacklevel=3,
            )
        return records

    def signature_statuses(self) -> list[tuple[str, str]]:
        """(path, signature status) of every run record file (``signed`` when there is no key
        to check a signature with); files that are not run records are left out."""
        found: list[tuple[str, str]] = []
        for rel, _size, _changed in self._backend.scan(RUNS):
            parts = rel.split("/")
            if len(parts) != 3 or not parts[2].endswith(".json"):
                continue
            try:
                data = _read_run(self._backend, rel)
            except StoreError:
                continue
            if data is None:
                continue
            if self._signer is None:
                found.append((rel, "unsigned" if data.get("signature") is None else "signed"))
            else:
                found.append((rel, self._signer.check_data(data)))
        return found

    def _read(self, rel: str) -> dict[str, Any] | None:
        found = _read_run(self._backend, rel)
        return None if found is None else self._checked(found, f"the run record {rel} in {self._backend.url}")

    def _checked(self, data: dict[str, Any], what: str) -> dict[str, Any]:
        """*data* without its signature; SignatureError when a signer is set and did not sign it."""
        if self._signer is not None:
            status = self._signer.check_data(data)
            if status != "ok":
                name = data.get("uid")
                if isinstance(name, str) and what.startswith("a run record"):
                    what = f"{what} (uid {name[:80]!r})"
                self._signer.refuse(status, what, data.get("signature"))
        data.pop("signature", None)
        return data

    def _find(self, project: str | None, prefix: str) -> list[tuple[str, str]]:
        if self._exists():
            exact = self._index().find_runs(project, prefix, prefix=False)
            if exact:
                return exact
        if len(prefix) < MIN_PREFIX:
            raise StoreError(
                f"run uid prefix {prefix!r} is too short: give at least {MIN_PREFIX} characters"
            )
        matches: list[tuple[str, str]] = []
        if self._exists():
            matches = self._index().find_runs(project, prefix, prefix=True)
        if matches:
            return matches
        # Not in the index (written elsewhere, or the index is behind): ask the files.
        projects = [project] if project is not None else self._backend.listdir(RUNS)
        for name in sorted(projects):
            for file_name in sorted(self._backend.listdir(f"{RUNS}/{name}")):
                if file_name.startswith(prefix) and file_name.endswith(".json"):
                    matches.append((name, file_name[: -len(".json")]))
        return matches


def run_rows(backend: Backend) -> list[RunRow]:
    """Index rows for every run file of a store (unreadable files are skipped)."""
    rows: list[RunRow] = []
    for rel, _size, _changed in backend.scan(RUNS):
        parts = rel.split("/")
        if len(parts) != 3 or not parts[2].endswith(".json"):
            continue
        try:
            data = _read_run(backend, rel)
            if data is not None:
                rows.append(_run_row(parts[1], parts[2][: -len(".json")], data, rel))
        except (StoreError, ValueError, TypeError, RecursionError):
            continue  # not a run record satchel can index; `runs show` says what is wrong with it
    return rows


def _read_run(backend: Backend, rel: str) -> dict[str, Any] | None:
    data = backend.read(rel)
    if data is None:
        return None
    found = _parse_run(data)
    if found is _NOT_JSON:
        raise StoreError(f"the run record {rel} is not JSON (or nests deeper than JSON readers go)")
    if not isinstance(found, dict):
        raise StoreError(f"the run record {rel} is not a JSON object")
    return found


_NOT_JSON = object()


def _parse_run(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return _NOT_JSON


def _run_row(project: str, uid: str, data: dict[str, Any], rel: str) -> RunRow:
    def column(*names: str) -> str | None:
        for name in names:
            value = data.get(name)
            if value is not None:
                return str(value)
        return None

    text = json.dumps(data, separators=(",", ":"))
    return (uid, project, column("name"), column("status"), column("started", "start"),
            now(), rel, text)
