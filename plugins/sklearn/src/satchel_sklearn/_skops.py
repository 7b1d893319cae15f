"""skops files: written with ``skops.io.dump``; before loading, the types in the file are audited
(``get_untrusted_types``, which reads the schema and imports nothing) and every one skops does not
trust by default must be in the caller's explicit ``trusted_types``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from satchel.errors import PackingError, UnpackingError

__all__ = ["TYPES_FILE", "load", "trusted_types_option", "untrusted_types", "write", "write_types"]

#: The untrusted types the packager saw at pack time; the standalone predict.py audits against it.
TYPES_FILE = "skops-types.json"


def write(estimator: Any, path: str, key: str) -> None:
    import skops.io

    try:
        skops.io.dump(estimator, path)
    except Exception as error:  # skops refuses what it cannot persist in many ways; say it once
        raise PackingError(
            f"{key!r}: skops cannot store this {type(estimator).__name__} ({type(error).__name__}: {error}); "
            "use format='onnx', or format='joblib' (a pickle)"
        ) from error


def untrusted_types(path: str) -> list[str]:
    import skops.io

    return sorted(skops.io.get_untrusted_types(file=path))


def write_types(types: Sequence[str], path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"untrusted_types": list(types)}, handle, indent=1)
        handle.write("\n")


def trusted_types_option(value: Any, what: str) -> frozenset[str]:
    """The caller's ``trusted_types`` (from ``load_model``) as a set of dotted names."""
    if value is None:
        return frozenset()
    if isinstance(value, str) or not all(isinstance(name, str) for name in value):
        raise UnpackingError(f"{what}: trusted_types must be a list of dotted type names, like ['sklearn.tree._tree.Tree']")
    return frozenset(value)


def load(path: str, trusted: frozenset[str], what: str) -> Any:
    """The estimator in ``path``, if every type skops does not trust by default is in ``trusted``."""
    import skops.io

    try:
        found = untrusted_types(path)
    except Exception as error:  # a schema skops cannot read: never load it
        raise UnpackingError(f"{what}: model.skops is not a skops file skops can audit ({type(error).__name__}: {error})") from error
    refused = [name for name in found if name not in trusted]
    if refused:
        listed = ", ".join(refused)
        raise UnpackingError(
            f"{what}: model.skops holds type(s) skops does not trust by default: {listed}; nothing was loaded. "
            "Loading them may run their code. If you trust this package, name them explicitly: "
            f"satchel.load_model(uri, trusted_types={refused!r})"
        )
    try:
        return skops.io.load(path, trusted=found)
    except Exception as error:  # whatever skops raises, the reader gets satchel's error
        raise UnpackingError(f"{what}: skops could not load model.skops ({type(error).__name__}: {error})") from error
