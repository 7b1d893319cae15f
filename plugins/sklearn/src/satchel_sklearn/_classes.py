"""The modules an estimator's classes come from (its steps, parameters and fitted attributes), and
the distributions that provide them, which a package pins."""

from __future__ import annotations

import functools
import importlib.metadata
import sys
import types
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["class_modules", "distributions"]

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


@functools.cache
def _distributions_by_package() -> Mapping[str, list[str]]:
    # Scanning every installed distribution takes ~0.1 s; the answer does not change while we run.
    return importlib.metadata.packages_distributions()


def distributions(modules: Iterable[str]) -> list[str]:
    """The installed distributions that provide ``modules`` (standard library and unknown ones left out)."""
    found: set[str] = set()
    for module in modules:
        top = module.partition(".")[0]
        if top in sys.stdlib_module_names or top in ("builtins", "__main__"):
            continue
        names = _distributions_by_package().get(top) or []
        if names:
            found.add(names[0])
    return sorted(found)
