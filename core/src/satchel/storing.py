"""Move packed objects into a store and stored artifacts back into objects."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from satchel.packager import staging_directory
from satchel.plugins import PluginHost, get_host

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.packed import Packed
    from satchel.store import Store

__all__ = ["log_packed", "staging", "unpack_record"]


@contextmanager
def staging(store: Store) -> Iterator[None]:
    """While packing for ``store``, packagers' temporary files go where the store can move them."""
    directory = store.staging_dir()
    token = staging_directory().set(directory)
    try:
        yield
    finally:
        staging_directory().reset(token)


def log_packed(
    store: Store,
    project: str,
    packed: Packed,
    *,
    run: str | None = None,
    iteration: int = 0,
    tags: Sequence[str] = ("latest",),
    labels: dict[str, str] | None = None,
) -> ArtifactRecord:
    """Store a packed artifact (not a result) and clear the packager's temporary files, whatever happens."""
    artifact = packed.artifact
    if artifact is None:
        raise ValueError(f"{packed.key!r} is a result; results are kept in the run record, not the store")
    try:
        files = list(artifact.iter_files())
        return store.log_artifact(
            project=project,
            key=packed.key,
            kind=artifact.kind,
            files=files,
            # Hardlinking makes the source share the read-only blob's inode: only for the packager's
            # own temporary files, never for a file of the caller's that it may edit later.
            link=all(f.path is None or _is_within(f.path, packed.clearing_paths) for f in files),
            iteration=iteration,
            tags=tags,
            format=artifact.format,
            artifact_type=packed.artifact_type,
            object_type=packed.object_type,
            producer=packed.producer,
            instructions=packed.instructions,
            labels={**artifact.labels, **(labels or {})},
            extra=artifact.extra_metadata(),
            preview=artifact.preview,
            run=run,
        )
    finally:
        packed.clear()


def _is_within(path: str, roots: Sequence[str]) -> bool:
    absolute = os.path.abspath(path)
    for root in roots:
        top = os.path.abspath(root)
        if absolute == top or absolute.startswith(top + os.sep):
            return True
    return False


def unpack_record(
    store: Store,
    record: ArtifactRecord,
    obj_type: type | None = None,
    *,
    allow_pickle: bool = False,
    host: PluginHost | None = None,
) -> Any:
    """The object a stored artifact holds, unpacked by the packager that wrote it (files verified first)."""
    return (host or get_host()).unpack(
        store.data_item(record),
        producer=record.producer,
        artifact_type=record.artifact_type,
        instructions=record.instructions,
        obj_type=obj_type,
        allow_pickle=allow_pickle,
    )
