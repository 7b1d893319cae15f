"""``satchel.load_model(uri)``: a stored model package, verified, as a :class:`LoadedModel` whose
``predict`` checks every payload against the signature."""

from __future__ import annotations

import os
from collections.abc import Sequence

from satchel.errors import UnpackingError
from satchel.models.package import LoadedModel, loading_options
from satchel.project import default_store_url, get_or_create_project
from satchel.store import Store
from satchel.unpacking import unpack_record
from satchel.uri import parse_uri

__all__ = ["load_model"]


def load_model(
    uri: str,
    *,
    store: Store | str | os.PathLike[str] | None = None,
    allow_pickle: bool | None = None,
    trusted_types: Sequence[str] | None = None,
) -> LoadedModel:
    """The model package ``uri`` names (``store://models/<project>/<key>``), every file verified
    before the framework's loader reads any. ``trusted_types`` are the caller's explicit trust for
    types a secure format (skops) does not trust by default; ``allow_pickle`` the opt-in a
    pickle or joblib package needs."""
    parsed = parse_uri(uri)
    project = get_or_create_project(parsed.project, store if store is not None else default_store_url())
    scope = project.scope(allow_pickle)
    record = scope.store.get_artifact(parsed)
    if record.kind != "model":
        raise UnpackingError(f"{record.uri} is a {record.kind} artifact, not a model package; load it with project.get_artifact(uri).unpack()")
    with loading_options(trusted_types=tuple(trusted_types or ())):
        loaded = unpack_record(scope.store, record, LoadedModel, allow_pickle=scope.allow_pickle, host=scope.host)
    if not isinstance(loaded, LoadedModel):
        raise UnpackingError(f"{record.uri}: its packager gave a {type(loaded).__name__}, not a LoadedModel")
    return loaded
