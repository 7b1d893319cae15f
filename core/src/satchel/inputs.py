"""Resolve a handler's inputs — store URIs, local paths, or lists and dicts of them — into objects
of its type hints, within one project's scope."""

from __future__ import annotations

import os
import pathlib
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from satchel.dataitem import DataItem
from satchel.errors import SatchelError
from satchel.signatures import candidate_types, handler_hints, unwrap_hint
from satchel.unpacking import unpack_local, unpack_record
from satchel.uri import is_store_uri

if TYPE_CHECKING:
    from satchel.scope import Scope

__all__ = ["resolve_input", "resolve_inputs"]


def resolve_inputs(scope: Scope, function: Callable[..., Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Each input as an object of the handler's type hint for it."""
    if not inputs:
        return {}
    hints, _returns = handler_hints(function)
    return {name: resolve_input(scope, name, value, hints.get(name)) for name, value in inputs.items()}


def resolve_input(scope: Scope, name: str, value: Any, hint: Any) -> Any:
    """One input: a URI is unpacked, a local path read, a collection resolved item by item."""
    stripped, _optional = unwrap_hint(hint)
    args = typing.get_args(stripped)
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        sequence = typing.get_origin(stripped) in (list, tuple, set, frozenset, Sequence)
        item_hint = args[0] if args and sequence else None
        return type(value)(resolve_input(scope, name, item, item_hint) for item in value)
    if isinstance(value, Mapping):
        item_hint = args[1] if len(args) == 2 else None
        return {key: resolve_input(scope, name, item, item_hint) for key, item in value.items()}
    candidates = candidate_types(stripped)
    if is_store_uri(value):
        return _from_uri(scope, value, stripped, candidates)
    if isinstance(value, (str, os.PathLike)) and candidates and not any(c in (str, os.PathLike) for c in candidates):
        return _from_path(scope, name, os.fspath(value), stripped, candidates)
    return value  # a plain value: passed as it is


def _from_uri(scope: Scope, uri: str, hint: Any, candidates: list[type]) -> Any:
    """A stored artifact, unpacked by the packager that wrote it, as the hint asks (or as a DataItem)."""
    record = scope.store.get_artifact(uri)
    if DataItem in candidates:
        return scope.store.data_item(record)
    return unpack_record(scope.store, record, hint, allow_pickle=scope.allow_pickle, host=scope.host)


def _from_path(scope: Scope, name: str, path: str, hint: Any, candidates: list[type]) -> Any:
    """A local file or directory, unpacked by the first candidate type a packager can produce."""
    for candidate in candidates:
        if issubclass(candidate, pathlib.PurePath):
            return candidate(path)  # a path hint takes the local path as it is
    if not os.path.exists(path):
        raise SatchelError(
            f"input {name!r}: {path!r} is neither a store:// URI nor an existing local path; "
            "give a URI from `satchel artifacts` or a file that exists"
        )
    item = DataItem.from_local_path(path)
    if DataItem in candidates:
        return item
    return unpack_local(item, hint, allow_pickle=scope.allow_pickle, host=scope.host)
