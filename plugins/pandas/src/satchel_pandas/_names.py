"""Record axis and Series names (any hashable pandas allows) as JSON, and read them back."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["decode_name", "encode_name"]


def encode_name(name: Any) -> tuple[Any, bool]:
    """``(JSON value, exact)`` for a label name; strings, numbers, booleans, None and tuples are exact."""
    if name is None or isinstance(name, (str, bool)):
        return name, True
    if isinstance(name, int):
        return int(name), True
    if isinstance(name, float):
        return (float(name), True) if math.isfinite(name) else ({"float": repr(float(name))}, True)
    if isinstance(name, tuple):
        parts = [encode_name(part) for part in name]
        return {"tuple": [value for value, _ in parts]}, all(exact for _, exact in parts)
    item = getattr(name, "item", None)  # numpy scalars
    if callable(item) and type(name).__module__ == "numpy":
        return encode_name(item())
    return {"text": str(name)}, False


def decode_name(value: Any) -> Any:
    """The name :func:`encode_name` recorded."""
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(decode_name(part) for part in value["tuple"])
        if "float" in value:
            return float(value["float"])
        return value.get("text")
    return value
