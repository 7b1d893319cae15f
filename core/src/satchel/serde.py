"""The one cattrs converter that turns satchel's attrs records into JSON and back."""

from __future__ import annotations

from typing import Any, TypeVar

from cattrs.errors import BaseValidationError
from cattrs.preconf.json import make_converter

from satchel.artifacts import FileEntry

__all__ = ["ValidationErrors", "converter", "dumps", "loads"]

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
