"""``satchel.load_model(uri)``: a stored model package, verified, as a :class:`LoadedModel` whose
``predict`` checks every payload against the signature."""

from __future__ import annotations

import os
from collections.abc import Sequence

from satchel.models.package import LoadedModel
from satchel.project import default_store_url, get_or_create_project
from satchel.store import Store
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
    before the framework's loader reads any (see :meth:`satchel.project.Project.load_model`)."""
    parsed = parse_uri(uri)
    project = get_or_create_project(parsed.project, store if store is not None else default_store_url())
    return project.load_model(uri, allow_pickle=allow_pickle, trusted_types=trusted_types)
