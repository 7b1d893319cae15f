"""store:// URIs: parse, validate and print ``store://<kind>/<project>/<key>[#<iteration>][:<tag>][@<uid>]``."""

from __future__ import annotations

import re
from typing import NoReturn
from urllib.parse import unquote

import attrs

from satchel.errors import InvalidNameError, InvalidURIError
from satchel.names import validate_name

__all__ = [
    "DEFAULT_TAG",
    "SCHEME",
    "UID_LENGTH",
    "UID_PATTERN",
    "URI_FORM",
    "URI_KIND_NAMES",
    "ArtifactURI",
    "is_store_uri",
    "is_uid",
    "parse_uri",
]

SCHEME = "store://"
URI_KIND_NAMES = ("artifacts", "models", "datasets", "code")
DEFAULT_TAG = "latest"
UID_LENGTH = 32
UID_PATTERN = rf"[0-9a-f]{{{UID_LENGTH}}}"
URI_FORM = (
    "store://<kind>/<project>/<key>[#<iteration>][:<tag>][@<uid>] with kind one of "
    + ", ".join(URI_KIND_NAMES)
)

_UID_RE = re.compile(UID_PATTERN)
_ITERATION_RE = re.compile(r"0|[1-9][0-9]{0,8}")
# The key part keeps its delimiters in a fixed order: key, then #iteration, :tag, @uid.
_KEY_PART_RE = re.compile(
    r"(?P<key>[^#:@]*)(?:#(?P<iteration>[^:@]*))?(?::(?P<tag>[^@]*))?(?:@(?P<uid>.*))?",
    re.DOTALL,
)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def is_uid(value: object) -> bool:
    """Whether *value* is a version uid: 32 lowercase hex characters."""
    return isinstance(value, str) and _UID_RE.fullmatch(value) is not None


@attrs.frozen
class ArtifactURI:
    """A parsed ``store://`` URI; ``str()`` gives its canonical form."""

    kind: str
    project: str
    key: str
    iteration: int | None = None
    tag: str | None = None
    uid: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_fields(
            str(self), self.kind, self.project, self.key, self.iteration, self.tag, self.uid
        )

    @property
    def effective_tag(self) -> str | None:
        """The tag to resolve: the given one, ``latest`` when neither tag nor uid is given."""
        if self.tag is None and self.uid is None:
            return DEFAULT_TAG
        return self.tag

    def __str__(self) -> str:
        text = f"{SCHEME}{self.kind}/{self.project}/{self.key}"
        if self.iteration is not None:
            text += f"#{self.iteration}"
        if self.tag is not None:
            text += f":{self.tag}"
        if self.uid is not None:
            text += f"@{self.uid}"
        return text


def is_store_uri(text: object) -> bool:
    """Whether *text* looks like a store URI (a cheap prefix test; `parse_uri` validates)."""
    return isinstance(text, str) and text.startswith(SCHEME)


def parse_uri(text: str) -> ArtifactURI:
    """Parse and validate a ``store://`` URI; raise InvalidURIError saying what is wrong."""
    if not isinstance(text, str):
        raise InvalidURIError(f"a store URI is a string like {URI_FORM}; got {text!r}")
    try:
        decoded = unquote(text, errors="strict") if "%" in text else text
    except UnicodeDecodeError:
        _fail(text, "its percent-escapes do not decode to UTF-8 text")
    if not decoded.startswith(SCHEME):
        _fail(text, "it does not start with 'store://'")
    control = _CONTROL_RE.search(decoded)
    if control is not None:
        _fail(text, f"it contains the control character {control.group()!r}")
    if "\\" in decoded:
        _fail(text, "it contains a backslash; parts are separated by '/'")
    rest = decoded[len(SCHEME):]
    if rest.startswith("/"):
        _fail(text, "it is an absolute path; the kind comes right after 'store://'")
    parts = rest.split("/")
    if any(part in (".", "..") for part in parts):
        _fail(text, "it contains a '.' or '..' path segment; kind, project and key are plain names")
    if len(parts) < 3:
        _fail(text, f"it has {len(parts)} of the 3 parts kind/project/key")
    if len(parts) > 3:
        _fail(text, f"it has {len(parts) - 1} '/' separators after 'store://'; a key has none")
    kind, project, key_part = parts
    match = _KEY_PART_RE.fullmatch(key_part)
    assert match is not None  # every string matches: each group accepts anything but delimiters
    iteration_text = match.group("iteration")
    if iteration_text is not None and _ITERATION_RE.fullmatch(iteration_text) is None:
        _fail(
            text,
            f"the iteration {iteration_text!r} is not a whole number "
            "(0-999999999, no sign or leading zeros)",
        )
    iteration = None if iteration_text is None else int(iteration_text)
    key, tag, uid = match.group("key"), match.group("tag"), match.group("uid")
    _check_fields(text, kind, project, key, iteration, tag, uid)
    return ArtifactURI(kind, project, key, iteration, tag, uid)


def _check_fields(
    shown: str,
    kind: object,
    project: object,
    key: object,
    iteration: object,
    tag: object,
    uid: object,
) -> None:
    if kind not in URI_KIND_NAMES:
        _fail(shown, f"the kind {kind!r} is not one of {', '.join(URI_KIND_NAMES)}")
    _check_name(shown, "project", project)
    _check_name(shown, "key", key)
    if tag is not None:
        _check_name(shown, "tag", tag)
    if iteration is not None and (
        not isinstance(iteration, int)
        or isinstance(iteration, bool)
        or not 0 <= iteration <= 999_999_999
    ):
        _fail(shown, f"the iteration {iteration!r} is not a whole number 0-999999999")
    if uid is not None and not is_uid(uid):
        _fail(shown, f"the uid {uid!r} is not {UID_LENGTH} lowercase hex characters")


def _check_name(shown: str, what: str, value: object) -> None:
    if value == "":
        _fail(shown, f"the {what} is empty")
    try:
        validate_name(value, what)
    except InvalidNameError as exc:
        _fail(shown, str(exc))


def _fail(text: str, problem: str) -> NoReturn:
    raise InvalidURIError(f"invalid store URI {text!r}: {problem}; expected {URI_FORM}")
