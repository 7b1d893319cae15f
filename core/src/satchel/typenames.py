"""Name types by dotted strings, and resolve them without importing anything heavy."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

from satchel.spelling import did_you_mean

__all__ = ["import_dotted", "resolve_if_imported", "type_name", "why_unresolved"]


def type_name(obj_type: type) -> str:
    """The dotted name a type is recorded under, e.g. ``PIL.Image.Image``."""
    return f"{obj_type.__module__}.{obj_type.__qualname__}"


def _split_candidates(dotted: str) -> list[tuple[str, list[str]]]:
    parts = dotted.split(".")
    return [(".".join(parts[:i]), parts[i:]) for i in range(len(parts) - 1, 0, -1)]


def _walk(obj: Any, attributes: list[str]) -> Any:
    for attribute in attributes:
        obj = getattr(obj, attribute)
    return obj


def resolve_if_imported(dotted: str) -> Any | None:
    """The object named ``module.attr…`` if its module is already imported, else None.

    An object of a type can only exist once the type's module is imported, so a packager that
    names its type as a string never makes satchel import that library.
    """
    for module_name, attributes in _split_candidates(dotted):
        module = sys.modules.get(module_name)
        if module is not None:
            try:
                return _walk(module, attributes)
            except AttributeError:
                continue
    return None


def why_unresolved(dotted: str) -> str | None:
    """Why ``dotted`` names nothing although its module is imported (``'polars' has no attribute
    'DataFrme'; did you mean 'DataFrame'?``), or None: it resolves, or its module is not imported
    yet (or is still being imported), so nothing can be said."""
    for module_name, attributes in _split_candidates(dotted):
        module = sys.modules.get(module_name)
        if module is None:
            continue
        if getattr(getattr(module, "__spec__", None), "_initializing", False):
            return None  # importing right now: its attributes are still being defined
        obj: Any = module
        where = module_name
        for attribute in attributes:
            try:
                obj = getattr(obj, attribute)
            except AttributeError:
                if hasattr(obj, "__path__") and importlib.util.find_spec(f"{where}.{attribute}") is not None:
                    return None  # a submodule not imported yet (finding it imports nothing)
                names = [name for name in dir(obj) if not name.startswith("_")]
                return f"{where!r} has no attribute {attribute!r}{did_you_mean(attribute, names)}"
            where = f"{where}.{attribute}"
        return None
    return None


def import_dotted(dotted: str) -> Any:
    """Import and return the object named ``module.attr…`` or ``module:attr``.

    Raises ImportError naming the object when no module prefix of the name can be imported.
    """
    if ":" in dotted:
        module_name, _, attribute_path = dotted.partition(":")
        return _walk(importlib.import_module(module_name), attribute_path.split("."))
    errors: list[str] = []
    for module_name, attributes in _split_candidates(dotted):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is not None and not module_name.startswith(error.name):
                raise  # the module exists but one of its own imports is missing
            errors.append(str(error))
            continue
        try:
            return _walk(module, attributes)
        except AttributeError as error:
            raise ImportError(f"cannot import {dotted!r}: {error}") from error
    raise ImportError(
        f"cannot import {dotted!r}: no module of that name is installed "
        f"(write it as 'package.module.Name' or 'package.module:Name')"
    )
