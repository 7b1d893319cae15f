"""The naming rule shared by artifact keys, projects, tags and URIs."""

from __future__ import annotations

import re

from satchel.errors import InvalidNameError

__all__ = ["NAME_PATTERN", "is_valid_name", "validate_name"]

NAME_PATTERN = r"[a-z0-9](?:[-._a-z0-9]*[a-z0-9])?"
_NAME_RE = re.compile(NAME_PATTERN)
_MAX_LENGTH = 200


def is_valid_name(value: object) -> bool:
    """Whether *value* is a name the store accepts."""
    return (
        isinstance(value, str)
        and len(value) <= _MAX_LENGTH
        and _NAME_RE.fullmatch(value) is not None
        and ".." not in value
    )


def validate_name(value: object, what: str = "name") -> str:
    """Return *value* if it is a valid name, else raise an error that says what a name looks like."""
    if is_valid_name(value):
        return value  # type: ignore[return-value]
    raise InvalidNameError(
        f"invalid {what} {value!r}: a {what} is 1-{_MAX_LENGTH} characters of lowercase letters, "
        "digits, '-', '_' and '.', starts and ends with a letter or digit, and has no '..' "
        "(for example 'train-data' or 'model_v2')"
    )
