"""The one cattrs converter that turns satchel's attrs records into JSON and back."""

from __future__ import annotations

from typing import Any, TypeVar

from cattrs.errors import BaseValidationError
from cattrs.preconf.json import make_converter

__all__ = ["ValidationErrors", "converter", "dumps", "loads"]

#: What structuring raises for data of the wrong shape (besides ValueError, TypeError, KeyError).
ValidationErrors = BaseValidationError

T = TypeVar("T")

converter = make_converter()


def dumps(obj: Any) -> bytes:
    """Human-readable JSON (indented, sorted keys, UTF-8) for an attrs record or plain data."""
    text: str = converter.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate has no UTF-8 form; JSON's \u escapes keep it exactly.
        escaped: str = converter.dumps(obj, indent=1, sort_keys=True, ensure_ascii=True)
        return (escaped + "\n").encode("ascii")


def loads(data: bytes | str, cls: type[T]) -> T:
    """The *cls* instance that `dumps` wrote into *data*."""
    return converter.loads(data, cls)
