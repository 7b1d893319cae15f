"""Built-in packager for dict, list, tuple, set and frozenset: results, or JSON / JSON Lines / text files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from satchel.artifacts import Artifact
from satchel.errors import UnpackingError
from satchel.packagers.base import Packager, is_json_value
from satchel.priorities import BUILTIN_PRIORITY

if TYPE_CHECKING:
    from satchel.dataitem import DataItem

__all__ = ["CollectionsPackager"]

_CONTAINERS: dict[str, type] = {
    "dict": dict, "list": list, "tuple": tuple, "set": set, "frozenset": frozenset,
}
_FORMATS = ("json", "jsonl", "txt")


def _as_json(obj: Any) -> Any:
    """A JSON-shaped copy: sets become sorted lists and tuples lists (the container type is recorded)."""
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=lambda item: (type(item).__name__, repr(item)))
    if isinstance(obj, tuple):
        return list(obj)
    return obj


def _restore(value: Any, container: object, what: str) -> Any:
    """``value`` as the recorded container; a container that does not fit the value is an error."""
    if container is None:
        return value
    if not isinstance(container, str) or container not in _CONTAINERS:
        raise UnpackingError(
            f"{what}: instruction 'container' is {_short(container)}; expected one of {', '.join(_CONTAINERS)}"
        )
    expected = dict if container == "dict" else list
    if not isinstance(value, expected):
        raise UnpackingError(
            f"{what} holds a {_json_type(value)}, but a {container} is stored as a JSON "
            f"{'object' if expected is dict else 'array'}; the instructions do not fit the data"
        )
    if container in ("dict", "list"):
        return value
    try:
        return _CONTAINERS[container](value)
    except TypeError as error:  # a set of lists or objects: JSON items a set cannot hold
        raise UnpackingError(f"{what}: its items cannot make a {container} ({error})") from error


def _json_type(value: Any) -> str:
    names = {dict: "JSON object", list: "JSON array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


class CollectionsPackager(Packager):
    """Collections: a result when JSON holds them, else a JSON file; the container type is restored."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = (dict, list, tuple, set, frozenset)
    DEFAULT_PACKING_ARTIFACT_TYPE = "result"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"
    PRIORITY = BUILTIN_PRIORITY
    OPTION_CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"format": _FORMATS}

    def get_default_packing_artifact_type(self, obj: Any) -> str:
        # A collection JSON cannot hold (images, arrays inside) would be lost as a result.
        return "result" if is_json_value(_as_json(obj)) else "object"

    def pack_result(self, obj: Any, key: str) -> Any:
        value = _as_json(obj)
        if type(obj) is dict or type(obj) is list:
            return {key: value}
        return {key: value}, {"container": type(obj).__name__}

    def unpack_result(self, value: Any, container: str | None = None) -> Any:
        return _restore(value, container, "the result")

    def pack_file(self, obj: Any, key: str, format: str = "json", indent: int | None = None) -> tuple[Artifact, dict[str, Any]]:  # noqa: A002
        """``json`` (any collection), ``jsonl`` (one line per item of a list, tuple or set), ``txt`` (one string per line)."""
        container = type(obj).__name__
        value = _as_json(obj)
        if format == "json":
            body = json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
        elif format == "jsonl":
            if isinstance(obj, dict):
                raise ValueError(f"{key!r}: jsonl holds a sequence of items, not a dict; use format='json'")
            body = "".join(json.dumps(item, ensure_ascii=False, allow_nan=False) + "\n" for item in value)
        elif format == "txt":
            if isinstance(obj, dict) or not all(isinstance(item, str) and "\n" not in item for item in value):
                raise ValueError(
                    f"{key!r}: txt holds one string per line, so it takes a list, tuple or set of "
                    "strings without newlines; use format='json' or 'jsonl'"
                )
            body = "".join(item + "\n" for item in value)
        else:
            raise ValueError(f"{key!r}: unknown format {format!r}; use one of {', '.join(_FORMATS)}")
        artifact = Artifact(key=key, body=body.encode("utf-8"), file_name=f"{key}.{format}", format=format)
        return artifact, {"format": format, "container": container}

    def unpack_file(
        self, data_item: DataItem, format: str | None = None, container: str | None = None, type_hint: Any = None,  # noqa: A002
    ) -> Any:
        what = f"artifact {data_item.key!r}"
        if format is None:  # a plain file, no instructions: its name says the format (JSON by default)
            suffix = data_item.file_names[0].rpartition(".")[2] if len(data_item.file_names) == 1 else ""
            format = suffix if suffix in _FORMATS else "json"  # noqa: A001
        if container is None and type_hint in (tuple, set, frozenset):
            container = type_hint.__name__  # no instructions: the caller's hint says which container
        if not isinstance(format, str) or format not in _FORMATS:
            raise UnpackingError(f"{what}: instruction 'format' is {_short(format)}; expected one of {', '.join(_FORMATS)}")
        try:
            text = data_item.read_text()
        except UnicodeDecodeError as error:
            raise UnpackingError(f"{what} is not UTF-8 text, as a {format} file of a collection is: {error}") from error
        # Split on "\n" only: str.splitlines() also splits on characters JSON and text keep raw (U+0085…).
        lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []
        try:
            if format == "jsonl":
                value: Any = [json.loads(line) for line in lines if line.strip()]
            elif format == "txt":
                value = lines
            else:
                value = json.loads(text)
        except (ValueError, RecursionError) as error:  # JSONDecodeError, too many digits, nested too deep
            raise UnpackingError(f"{what} is not the {format} file it is recorded as: {error}") from error
        return _restore(value, container, what)
