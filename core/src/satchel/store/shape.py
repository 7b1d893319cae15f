"""What a sound artifact record looks like: every field's type and range, checked before cattrs
builds the record, so a planted metadata file or index row is refused with the field it got wrong."""

from __future__ import annotations

import re
from typing import Any

from satchel.artifacts import ARTIFACT_KINDS
from satchel.errors import StoreError
from satchel.names import is_valid_name
from satchel.store.paths import check_file_names
from satchel.uri import is_uid

__all__ = ["check_record_data", "check_tags"]

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_SIZE = (1 << 63) - 1
_MAX_ITERATION = 999_999_999
_MAX_FORMAT_VERSION = (1 << 31) - 1
_MAX_CREATED = 64
# Text a writer chose: any string is accepted here, as `satchel.store.checks` accepts it when
# written (a listing escapes control characters when it shows them).
_OPTIONAL_TEXT = ("format", "artifact_type", "object_type", "run")


def check_record_data(data: object) -> dict[str, Any]:
    """*data* (parsed JSON) if it has the shape of an artifact record; StoreError naming the first
    field that does not."""
    if not isinstance(data, dict):
        raise StoreError(f"it is a JSON {_json_type(data)}, not an object")
    for field in ("project", "key"):
        if not is_valid_name(data.get(field)):
            raise _bad(field, data.get(field), "a name of lowercase letters, digits, '-', '_' and '.'")
    if not is_uid(data.get("uid")):
        raise _bad("uid", data.get("uid"), "32 lowercase hex digits")
    if data.get("kind") not in ARTIFACT_KINDS:
        raise _bad("kind", data.get("kind"), f"one of {', '.join(ARTIFACT_KINDS)}")
    _whole(data, "iteration", _MAX_ITERATION, default=0)
    check_tags(data.get("tags", []), "tags")
    if not isinstance(data.get("hash"), str) or _SHA256_RE.fullmatch(data["hash"]) is None:
        raise _bad("hash", data.get("hash"), "64 lowercase hex digits")
    _whole(data, "size", _MAX_SIZE)
    files = data.get("files", [])
    if not isinstance(files, list):
        raise _bad("files", files, "a list of {name, sha256, size}")
    for number, entry in enumerate(files):
        where = f"files[{number}]"
        if not isinstance(entry, dict):
            raise _bad(where, entry, "an object with name, sha256 and size")
        if not isinstance(entry.get("name"), str):
            raise _bad(f"{where}.name", entry.get("name"), "a file name")
        if not isinstance(entry.get("sha256"), str) or _SHA256_RE.fullmatch(entry["sha256"]) is None:
            raise _bad(f"{where}.sha256", entry.get("sha256"), "64 lowercase hex digits")
        _whole(entry, "size", _MAX_SIZE, where=f"{where}.")
    check_file_names([entry["name"] for entry in files], "files")
    for field in _OPTIONAL_TEXT:
        if not isinstance(data.get(field), (str, type(None))):
            raise _bad(field, data.get(field), "text or null")
    created = data.get("created")
    if not isinstance(created, str) or len(created) > _MAX_CREATED or _CONTROL_RE.search(created):
        raise _bad("created", created, "a time like 2024-05-01T10:00:00.000+00:00")
    producer = data.get("producer")
    if producer is not None:
        if not isinstance(producer, dict) or not isinstance(producer.get("plugin"), str) or not all(
            isinstance(producer.get(field), (str, type(None))) for field in ("distribution", "version")
        ):
            raise _bad("producer", producer, "an object with plugin, distribution, version (text) and format_version")
        _whole(producer, "format_version", _MAX_FORMAT_VERSION, default=1, where="producer.")
    for field in ("instructions", "extra"):
        if not isinstance(data.get(field, {}), dict):
            raise _bad(field, data.get(field), "an object")
    if not isinstance(data.get("preview"), (dict, type(None))):
        raise _bad("preview", data.get("preview"), "an object or null")
    labels = data.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(value, str) for value in labels.values()):
        raise _bad("labels", labels, "an object of text values")
    return data


def check_tags(tags: object, where: str) -> list[str]:
    if not isinstance(tags, list) or not all(is_valid_name(tag) for tag in tags):
        raise _bad(where, tags, "a list of tag names")
    return tags


def _whole(data: dict[str, Any], field: str, most: int, *, default: int | None = None, where: str = "") -> int:
    value = data.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise _bad(f"{where}{field}", value, f"a whole number from 0 to {most}")
    return value


def _bad(field: str, value: object, expected: str) -> StoreError:
    shown = repr(value)  # repr escapes control characters
    if len(shown) > 80:
        shown = f"{shown[:60]}… ({_json_type(value)}, {len(shown)} characters)"
    return StoreError(f"{field} is {shown}; expected {expected}")


def _json_type(value: object) -> str:
    for kind, name in ((bool, "boolean"), (int, "number"), (float, "number"), (str, "string"),
                       (list, "array"), (dict, "object"), (type(None), "null")):
        if isinstance(value, kind):
            return name
    return type(value).__name__
