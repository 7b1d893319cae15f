"""What a sound artifact record looks like: every field's type and range, checked before cattrs
builds the record, so a planted metadata file or index row is refused with the field it got wrong."""

from __future__ import annotations

import re
from typing import Any

from satchel.artifacts import ARTIFACT_KINDS
from satchel.errors import StoreError
from satchel.names import is_valid_name
from satchel.store.hashing import digest_problem
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
_TEXT_OR_NULL = (str, type(None))
_OBJECT_OR_NULL = (dict, type(None))
_EMPTY: dict[str, Any] = {}


def check_record_data(data: object) -> dict[str, Any]:
    """*data* (parsed JSON) if it has the shape of an artifact record; StoreError naming the first
    field that does not."""
    # Listing checks every row it returns, so this runs often: exact type tests (a bool is not a
    # number here), one lookup per field.
    if type(data) is not dict:
        raise StoreError(f"it is a JSON {_json_type(data)}, not an object")
    get = data.get
    for field in ("project", "key"):
        if not is_valid_name(get(field)):
            raise _bad(field, get(field), "a name of lowercase letters, digits, '-', '_' and '.'")
    if not is_uid(get("uid")):
        raise _bad("uid", get("uid"), "32 lowercase hex digits")
    if get("kind") not in ARTIFACT_KINDS:
        raise _bad("kind", get("kind"), f"one of {', '.join(ARTIFACT_KINDS)}")
    _whole(get("iteration", 0), "iteration", _MAX_ITERATION)
    check_tags(get("tags", []), "tags")
    _sha256(get("hash"), "hash")
    _whole(get("size"), "size", _MAX_SIZE)
    files = get("files", [])
    if type(files) is not list:
        raise _bad("files", files, "a list of {name, digest, size}")
    for number, entry in enumerate(files):
        if type(entry) is not dict:
            raise _bad(f"files[{number}]", entry, "an object with name, digest and size")
        if type(entry.get("name")) is not str:
            raise _bad(f"files[{number}].name", entry.get("name"), "a file name")
        _file_digest(entry, f"files[{number}]")
        _whole(entry.get("size"), f"files[{number}].size", _MAX_SIZE)
    check_file_names([entry["name"] for entry in files], "files")
    for field in _OPTIONAL_TEXT:
        if type(get(field)) not in _TEXT_OR_NULL:
            raise _bad(field, get(field), "text or null")
    created = get("created")
    if type(created) is not str or len(created) > _MAX_CREATED or _CONTROL_RE.search(created):
        raise _bad("created", created, "a time like 2024-05-01T10:00:00.000+00:00")
    producer = get("producer")
    if producer is not None:
        if type(producer) is not dict or type(producer.get("plugin")) is not str or not (
            type(producer.get("distribution")) in _TEXT_OR_NULL and type(producer.get("version")) in _TEXT_OR_NULL
        ):
            raise _bad("producer", producer, "an object with plugin, distribution, version (text) and format_version")
        _whole(producer.get("format_version", 1), "producer.format_version", _MAX_FORMAT_VERSION)
    for field in ("instructions", "extra"):
        if type(get(field, _EMPTY)) is not dict:
            raise _bad(field, get(field), "an object")
    if type(get("preview")) not in _OBJECT_OR_NULL:
        raise _bad("preview", get("preview"), "an object or null")
    labels = get("labels", _EMPTY)
    if type(labels) is not dict or not all(type(value) is str for value in labels.values()):
        raise _bad("labels", labels, "an object of text values")
    return data


def check_tags(tags: object, where: str) -> list[str]:
    if not isinstance(tags, list) or not all(is_valid_name(tag) for tag in tags):
        raise _bad(where, tags, "a list of tag names")
    return tags


def _whole(value: object, field: str, most: int) -> None:
    if type(value) is not int or not 0 <= value <= most:
        raise _bad(field, value, f"a whole number from 0 to {most}")


def _file_digest(entry: dict[str, Any], field: str) -> None:
    """``digest`` (``<algorithm>:<hex>``), or ``sha256`` (a bare hex) as records written before
    digests named their algorithm have it; not both."""
    if "digest" not in entry and "sha256" in entry:
        _sha256(entry["sha256"], f"{field}.sha256")
        return
    if "sha256" in entry:
        raise _bad(field, entry, "a digest, or a sha256 (an older record's), not both")
    problem = digest_problem(entry.get("digest"))
    if problem is not None:
        raise _bad(f"{field}.digest", entry.get("digest"), problem)


def _sha256(value: object, field: str) -> None:
    if type(value) is not str or _SHA256_RE.fullmatch(value) is None:
        raise _bad(field, value, "64 lowercase hex digits")


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
