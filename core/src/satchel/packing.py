"""Pack objects by their log hints, explain which packager would, and store what was packed."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from satchel.artifacts import Packed
from satchel.callcontext import pickling_forbidden, staging_digest, staging_directory
from satchel.errors import PackingError
from satchel.host import PluginHost, get_host
from satchel.loghints import LogHint, parse_log_hint

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.diagnostics import Explanation
    from satchel.scope import Scope
    from satchel.store import Store

__all__ = ["explain", "log_packed", "pack", "pack_for", "pack_outputs", "staging", "unbundle"]


def unbundle(obj: Any, hint: LogHint) -> list[tuple[str, Any]]:
    """Split a collection for a ``*key`` hint into ``(key-<i or dict key>, item)`` pairs."""
    if isinstance(obj, Mapping):
        items = [(f"{hint.key}-{str(name).lower()}", value) for name, value in obj.items()]
    elif isinstance(obj, (list, tuple)):
        items = [(f"{hint.key}-{index}", value) for index, value in enumerate(obj)]
    else:
        raise PackingError(
            f"log hint {str(hint)!r} unbundles a collection, but the output is a "
            f"{type(obj).__name__}; return a list, tuple or dict, or drop the '*'"
        )
    if hint.count is not None and len(items) != hint.count:
        raise PackingError(
            f"log hint {str(hint)!r} expects exactly {hint.count} items, the output has {len(items)}"
        )
    return items


def pack(obj: Any, hint: str | Mapping[str, Any] | LogHint = "result", *, host: PluginHost | None = None) -> Packed:
    """Pack ``obj`` as its log hint says (``"key"``, ``"key : type[option=value]"``, …), without storing it."""
    parsed = parse_log_hint(hint)
    if parsed.unbundle:
        raise PackingError(f"log hint {str(parsed)!r} unbundles into several artifacts; use pack_outputs()")
    return (host or get_host()).pack(obj, parsed.key, parsed.artifact_type, parsed.options)


def pack_outputs(obj: Any, hint: str | Mapping[str, Any] | LogHint, *, host: PluginHost | None = None) -> list[Packed]:
    """Pack one output, unbundling it into one artifact per item for a ``*key`` hint."""
    parsed = parse_log_hint(hint)
    active = host or get_host()
    pairs = unbundle(obj, parsed) if parsed.unbundle else [(parsed.key, obj)]
    return [active.pack(item, key, parsed.artifact_type, parsed.options) for key, item in pairs]


def pack_for(scope: Scope, obj: Any, hint: str | Mapping[str, Any] | LogHint) -> list[Packed]:
    """Pack one output for a project: with its plugins, its pickle policy, staged on its store."""
    token = pickling_forbidden().set(scope.forbid_pickle)
    try:
        with staging(scope.store):
            return pack_outputs(obj, hint, host=scope.host)
    finally:
        pickling_forbidden().reset(token)


def explain(obj: Any, artifact_type: str | None = None, *, host: PluginHost | None = None) -> Explanation:
    """Every packager that could pack ``obj``, its priority, and why it won or lost."""
    return (host or get_host()).explain(obj, artifact_type)


@contextmanager
def staging(store: Store) -> Iterator[None]:
    """While packing for ``store``, packagers' temporary files go where the store can move them."""
    directory = store.staging_dir()
    token = staging_directory().set(directory)
    digest_token = staging_digest().set(store.digest)
    try:
        yield
    finally:
        staging_digest().reset(digest_token)
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
            derive=artifact.derive,
            digest=artifact.digest,
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
