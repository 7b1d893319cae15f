"""A stored model package verified in place, or exported to the seed's portable layout
``DIR/<name>/<version>/`` — the files as packaged, each checked on the way out — to run where
satchel is not installed (``python -c "from predict import predict; ..."``)."""

from __future__ import annotations

import os
import secrets
import shutil

from satchel import tempdirs
from satchel.artifacts import ArtifactRecord
from satchel.errors import SatchelError
from satchel.models.package import ModelPackage, open_package
from satchel.names import is_valid_name
from satchel.store import Store

__all__ = ["export_model", "model_version", "verify_model"]


def model_version(record: ArtifactRecord) -> str:
    """The version folder an export uses: the version given when it was logged, else its uid."""
    version = record.extra.get("version")
    return version if isinstance(version, str) and is_valid_name(version) else record.uid


def verify_model(store: Store, record: ArtifactRecord) -> ModelPackage:
    """Every file of the package checked (bytes against the store, the list against the manifest)."""
    item = store.data_item(record)
    try:
        return open_package(item.local_dir(), record)
    finally:
        tempdirs.forget(item.local_dir())


def export_model(store: Store, record: ArtifactRecord, dest: str | os.PathLike[str]) -> str:
    """Write the package to ``dest/<key>/<version>/``, verified; returns that folder. An existing
    one is never overwritten: export to another place, or remove it first."""
    target = os.path.join(os.fspath(dest), record.key, model_version(record))
    if os.path.exists(target):
        raise SatchelError(f"{target} already exists; nothing was overwritten: remove it, or export to another folder")
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    partial = os.path.join(parent, f".{os.path.basename(target)}.{secrets.token_hex(6)}.part")
    try:
        store.export(record, partial + os.sep)
        open_package(partial, record)
        os.rename(partial, target)
    finally:
        if os.path.exists(partial):
            shutil.rmtree(partial, ignore_errors=True)
    return target
