"""Keeping the index level with the files: versions whose writer died before the index heard of
them are indexed on the next read, and ``verify`` reports whatever else differs."""

# A writer announces a version in the index (`IndexWriter.announce`) before it writes the
# metadata file, the commit point, and settles it in the same transaction that indexes the
# version. A writer killed in between leaves the announcement behind: the next reader finds the
# metadata and indexes the version with the tags its refs hold, so a committed version is always
# listed. An announcement without metadata is a writer that is still busy, or died before its
# commit point; it is dropped once it is older than any write takes.

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from satchel.store.maintenance import VerifyProblem
from satchel.store.paths import REFS, parse_metadata_path, ref_dir
from satchel.store.records import artifact_row, read_signed
from satchel.store.signedrefs import ref_uid

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.store.backend import Backend
    from satchel.store.catalog import Catalog, CatalogWriter

__all__ = ["STALE_ANNOUNCEMENT", "index_problems", "index_tags", "repair_announced"]

#: Seconds after which an announcement without metadata is taken for a writer that died.
STALE_ANNOUNCEMENT = 3600.0


def repair_announced(index: Catalog, backend: Backend) -> None:
    """Index every announced version whose metadata exists; drop stale announcements."""
    if not index.has_pending():
        return
    unreadable: list[str] = []

    def settle_all(tx: CatalogWriter) -> None:
        now = time.time()
        for uid, rel, since in tx.announced():
            parsed = parse_metadata_path(rel)
            if parsed is None or parsed[2] != uid:  # not a row satchel wrote: never read its path
                tx.settle(uid)
                continue
            record, signature, error = read_signed(backend, rel)
            if record is not None:
                tx.add_artifacts([artifact_row(record, signature)])
                index_tags(tx, backend, record.project, record.key, record.iteration)
            elif error:
                unreadable.append(f"{rel}: {error}")
            elif now - since < STALE_ANNOUNCEMENT:
                continue  # its writer may still be on its way to the commit point
            tx.settle(uid)

    index.try_write(settle_all, "a version whose writer stopped early")
    if unreadable:
        warnings.warn(
            f"not listed: {'; '.join(unreadable[:3])}; run `satchel verify` to see every problem",
            RuntimeWarning,
            stacklevel=3,
        )


def index_tags(tx: CatalogWriter, backend: Backend, project: str, key: str, iteration: int) -> None:
    """Copy the tags the refs of one key's iteration hold into the index (indexed versions only)."""
    folder = ref_dir(project, key, iteration)
    for tag in backend.listdir(folder):
        uid = ref_uid(backend.read_ref(f"{folder}/{tag}"))
        if uid is not None and tx.is_indexed(uid):
            tx.set_tag(project, key, iteration, tag, uid)


def index_problems(
    index: Catalog, backend: Backend, records: Iterable[ArtifactRecord], unreadable: set[str],
    signatures: Mapping[str, object] | None = None,
) -> list[VerifyProblem]:
    """What the index says that the files do not: versions missing from it or gone from the
    files, copies that differ, and tags that point elsewhere. *unreadable* metadata paths are
    reported by verify already and left out here."""
    problems: list[VerifyProblem] = []
    on_disk = {record.uid: record for record in records}
    indexed = {uid: (uri, rel, text) for uid, uri, rel, text in index.artifact_copies()}
    for uid, record in sorted(on_disk.items()):
        row = artifact_row(record, (signatures or {}).get(uid))
        rel = row[7]
        if uid not in indexed:
            problems.append(_index_problem(record.uri, rel, f"not in the index, so listings miss it (its metadata {rel} exists)"))
        elif not _same_json(indexed[uid][2], row[8]):
            problems.append(_index_problem(record.uri, rel, f"the index holds a copy that differs from its metadata {rel}"))
    for uid, (uri, rel, _text) in sorted(indexed.items()):
        if uid not in on_disk and rel not in unreadable:
            problems.append(_index_problem(uri, rel, f"listed in the index, but its metadata {rel} is gone"))

    on_refs: dict[tuple[str, str, int, str], str] = {}
    for rel, _size, _changed in backend.scan(REFS):
        parts = rel.split("/")  # refs/<project>/<key>/<iteration>/<tag>
        if len(parts) == 5 and parts[3].isdigit():
            held = ref_uid(backend.read_ref(rel))
            if held is not None and held in on_disk:
                on_refs[(parts[1], parts[2], int(parts[3]), parts[4])] = held
    in_index = {(p, k, i, t): u for p, k, i, t, u in index.tag_rows()}
    for where in sorted(on_refs.keys() | in_index.keys()):
        expected, actual = on_refs.get(where), in_index.get(where)
        if expected != actual:
            project, key, iteration, tag = where
            uri = f"store://artifacts/{project}/{key}{f'#{iteration}' if iteration else ''}:{tag}"
            says = f"points at {expected}" if expected else "is not set (or points at no version)"
            problems.append(VerifyProblem(
                uri=uri, file=f"{REFS}/{project}/{key}/{iteration}/{tag}", problem="index",
                expected=expected, actual=f"the tag {says}, but the index says {actual or 'it is not set'}",
            ))
    return problems


def _same_json(indexed: str, expected: str) -> bool:
    try:
        return bool(json.loads(indexed) == json.loads(expected))
    except (ValueError, RecursionError):
        return False


def _index_problem(uri: str, rel: str, what: str) -> VerifyProblem:
    return VerifyProblem(uri=uri, file=rel, problem="index", actual=what)
