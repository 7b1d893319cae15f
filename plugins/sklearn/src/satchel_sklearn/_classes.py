"""The modules an estimator's classes come from (its steps, parameters and fitted attributes), so
a package pins the distributions that define them."""

from __future__ import annotations

import types
from typing import Any

__all__ = ["class_modules"]

_MAX_DEPTH = 12


def class_modules(estimator: Any) -> list[str]:
    """Every module a class (or function) inside ``estimator`` is defined in, sorted."""
    found: set[str] = set()
    seen: set[int] = set()

    def visit(value: Any, depth: int) -> None:
        if depth > _MAX_DEPTH or id(value) in seen or value is None:
            return
        seen.add(id(value))
        if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
            found.add(getattr(value, "__module__", None) or "builtins")
            return
        found.add(type(value).__module__)
        if isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                visit(item, depth + 1)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item, depth + 1)
        elif hasattr(value, "get_params") and hasattr(value, "__dict__"):
            # Pipeline steps and nested estimators are parameters; trees, arrays and sparse
            # matrices are fitted attributes.
            for item in value.get_params(deep=False).values():
                visit(item, depth + 1)
            for item in vars(value).values():
                visit(item, depth + 1)

    visit(estimator, 0)
    return sorted(found)
