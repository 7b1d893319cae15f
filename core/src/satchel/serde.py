"""The one cattrs converter that turns satchel's attrs records into JSON and back."""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

import attrs
from cattrs.errors import BaseValidationError
from cattrs.preconf.json import make_converter

from satchel.artifacts import FileEntry

__all__ = ["ShapeError", "ValidationErrors", "check_shape", "converter", "describe_value", "dumps", "loads"]

#: What structuring raises for data of the wrong shape (besides ValueError, TypeError, KeyError).
ValidationErrors = BaseValidationError

T = TypeVar("T")

converter = make_converter()


def _unstructure_file_entry(entry: FileEntry) -> dict[str, Any]:
    if entry.bare_sha256:
        return {"name": entry.name, "sha256": entry.hex, "size": entry.size}
    return {"name": entry.name, "digest": entry.digest, "size": entry.size}


def _structure_file_entry(data: Any, _cls: type[FileEntry]) -> FileEntry:
    # Records written before digests named their algorithm hold ``"sha256": <hex>``.
    if not isinstance(data, dict):
        raise TypeError(f"a file entry is an object, not {type(data).__name__}")
    if "digest" in data:
        return FileEntry(name=data["name"], digest=data["digest"], size=data["size"])
    return FileEntry(name=data["name"], digest=f"sha256:{data['sha256']}", size=data["size"], bare_sha256=True)


converter.register_unstructure_hook(FileEntry, _unstructure_file_entry)
converter.register_structure_hook(FileEntry, _structure_file_entry)


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


class ShapeError(ValueError):
    """Parsed data whose shape is not the one expected; the message names where and what."""


def check_shape(value: Any, expected: Any, where: str = "") -> None:
    """Raise ShapeError unless *value* (parsed JSON or YAML) has exactly the shape of *expected*:
    an attrs class (no unknown fields, every field without a default present), ``list[...]``,
    ``dict[str, ...]``, ``X | None``, bool, int, str or Any. Nothing is coerced: untrusted input is
    checked before the converter structures it. *where* names the place in messages."""
    if expected is Any:
        return
    if attrs.has(expected):
        _check_fields(value, expected, where)
        return
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return
        (expected,) = (a for a in args if a is not type(None))
        check_shape(value, expected, where)
        return
    if origin is list:
        if not isinstance(value, list):
            raise ShapeError(f"{where} must be a list, not {describe_value(value)}")
        for index, item in enumerate(value):
            check_shape(item, args[0], f"{where}[{index}]")
        return
    if origin is dict:
        if not isinstance(value, dict):
            raise ShapeError(f"{where} must be a mapping, not {describe_value(value)}")
        for key, item in value.items():
            if not isinstance(key, str):
                raise ShapeError(f"{where} has the key {key!r}; its keys are text")
            check_shape(item, args[1], f"{where}.{key}")
        return
    if expected is bool:
        ok = isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected is str:
        ok = isinstance(value, str)
    else:  # pragma: no cover - only the types above appear in these classes
        raise TypeError(f"no shape check for {expected!r}")
    if not ok:
        raise ShapeError(f"{where} must be {_TYPE_NAMES[expected]}, not {describe_value(value)}")


_TYPE_NAMES: dict[Any, str] = {bool: "true or false", int: "an integer", str: "text"}


def _check_fields(value: Any, cls: type[Any], where: str) -> None:
    fields = {field.name: field for field in attrs.fields(cls)}
    if not isinstance(value, dict):
        raise ShapeError(f"{where or 'the spec'} must be a mapping with {', '.join(fields)}, not {describe_value(value)}")
    prefix = f"{where}." if where else ""
    unknown = sorted(str(key) for key in value if key not in fields)
    if unknown:
        raise ShapeError(f"{where or 'the spec'} has the unknown field {unknown[0]!r}; its fields are {', '.join(fields)}")
    hints = typing.get_type_hints(cls)
    for field_name, field in fields.items():
        if field_name not in value:
            if field.default is attrs.NOTHING:
                raise ShapeError(f"{where or 'the spec'} has no {field_name!r}; it needs {field_name}: ...")
            continue
        check_shape(value[field_name], hints[field_name], f"{prefix}{field_name}")


def describe_value(value: Any) -> str:
    """A short description of a parsed value for an error message."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value[:60]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} ({str(value)[:40]})"
