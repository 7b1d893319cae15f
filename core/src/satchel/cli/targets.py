"""Parse ``-p``/``-i`` arguments; handlers named ``FILE.py:FUNC`` or ``module:FUNC`` load through
:mod:`satchel.code.loader`."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from satchel.code.loader import TARGET_FORM, load_handler

__all__ = ["TARGET_FORM", "load_handler", "parse_inputs", "parse_params", "parse_value"]


def parse_value(text: str) -> Any:
    """A Python literal (``3``, ``0.5``, ``[1, 2]``, ``'x'``, ``None``…), else the text as it is.

    Parsed by ``ast.literal_eval``: a literal is data, never code, so nothing is evaluated.
    """
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def _split_pair(item: str, option: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"{option} {item!r} is not key=value; write e.g. {option} width=128")
    if not key.isidentifier():
        raise ValueError(f"{option} {item!r}: {key!r} is not a parameter name (a Python identifier)")
    return key, value


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    """``["width=128", "name=demo"]`` -> ``{"width": 128, "name": "demo"}``; a key given twice is an error."""
    params: dict[str, Any] = {}
    for item in items:
        key, value = _split_pair(item, "-p")
        if key in params:
            raise ValueError(f"-p {key}=… is given twice; give each parameter once (or pass a list: {key}=[1, 2])")
        params[key] = parse_value(value)
    return params


def parse_inputs(items: Sequence[str]) -> dict[str, Any]:
    """``-i key=URI_OR_PATH``; the same key given again makes its value a list, in order."""
    inputs: dict[str, Any] = {}
    for item in items:
        key, value = _split_pair(item, "-i")
        value = value.strip()
        if not value:
            raise ValueError(f"-i {item!r} names no input; give a store:// URI or a local path")
        if key not in inputs:
            inputs[key] = value
        elif isinstance(inputs[key], list):
            inputs[key].append(value)
        else:
            inputs[key] = [inputs[key], value]
    return inputs
