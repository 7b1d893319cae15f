"""Log hints: the text or dict that says how to store one output, parsed and formatted."""

from __future__ import annotations

import functools
import keyword
import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from satchel.errors import LogHintError
from satchel.names import is_valid_name

__all__ = ["LogHint", "format_log_hint", "parse_log_hint"]

# Grammar (whitespace is allowed between any two tokens):
#
#   hint    := [[count] "*"] key [":" type] [options]
#   count   := [0-9]+, at least 1
#   key     := a store name (satchel.names)
#   type    := [a-z][a-z0-9_]*
#   options := "[" [name "=" value ("," name "=" value)* [","]] "]"
#   name    := [A-Za-z_][A-Za-z0-9_]*, not a Python keyword nor a reserved name
#   value   := string | number | list | dict | word
#   string  := '...' or "..." with Python's backslash escapes
#   number  := [-+] digits [. digits] [e [-+] digits], as Python writes ints and floats
#   list    := "[" [value ("," value)* [","]] "]"
#   dict    := "{" [scalar ":" value ("," scalar ":" value)* [","]] "}"
#   word    := [A-Za-z_][A-Za-z0-9_./-]*; True/true, False/false, None/null are constants,
#              any other word is a string, so `format=jpeg` means `format='jpeg'`
#
# Options may follow the key without a type (`"model[format=jpeg]"`) because the dict form can
# give options and let the packager choose the type, and every LogHint must have a text form.

_KEY_EXPECTED = "a key like 'model' or 'my-data.v2' (lowercase letters, digits, '-', '_', '.')"
_TYPE_EXPECTED = (
    "an artifact type like 'file' or 'dataset' (lowercase letters, digits and '_', starting with a letter)"
)
_VALUE_EXPECTED = "a value: a quoted string, a number, True, False, None, a list, a dict or a word"
_NAME_EXPECTED = "an option name like 'format' (a Python identifier)"
_ESCAPE_EXPECTED = r"an escape like \\, \', \", \n, \t, \xhh, \uhhhh or \Uhhhhhhhh after '\'"

# These are fields of the hint itself in the dict form, so they cannot also be packing options.
_RESERVED_NAMES = frozenset({"key", "artifact_type", "unbundle", "count"})
_CONSTANTS: Mapping[str, Any] = {
    "True": True,
    "true": True,
    "False": False,
    "false": False,
    "None": None,
    "null": None,
}
# Deep enough for any real option, shallow enough that hostile input cannot exhaust the stack.
_MAX_DEPTH = 100
# Python refuses by default to convert ints of more than 4300 digits to or from text.
_MAX_INT_DIGITS = 4_000
_MAX_INT_BITS = 13_000

_SPACE_RE = re.compile(r"\s*")
_DIGITS_RE = re.compile(r"[0-9]+")
_KEY_CHARS_RE = re.compile(r"[A-Za-z0-9._-]*")
_TYPE_CHARS_RE = re.compile(r"[A-Za-z0-9_]*")
_TYPE_RE = re.compile(r"[a-z][a-z0-9_]*")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_WORD_TAIL_RE = re.compile(r"[A-Za-z0-9_./-]+")
_NUMBER_RE = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}
_HEX_ESCAPE_LENGTHS = {"x": 2, "u": 4, "U": 8}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_SCALAR_TYPES = (str, int, float, bool, type(None))

_NO_OPTIONS: Mapping[str, Any] = MappingProxyType({})


def _freeze_options(options: Mapping[str, Any]) -> Mapping[str, Any]:
    # Copy, so that a caller who keeps the dict cannot change the hint behind its back.
    return MappingProxyType(dict(options))


@attrs.frozen
class LogHint:
    """How to store one output: key, artifact type, packing options and whether to unbundle it."""

    key: str
    artifact_type: str | None = None
    # Left out of the hash so that hints with options are hashable; equal hints still hash equal.
    options: Mapping[str, Any] = attrs.field(default=_NO_OPTIONS, converter=_freeze_options, hash=False)
    unbundle: bool = False
    count: int | None = None

    def __attrs_post_init__(self) -> None:
        problem = _hint_problem(self)
        if problem is not None:
            raise ValueError(f"invalid LogHint: expected {problem}")

    def __str__(self) -> str:
        return format_log_hint(self)


def parse_log_hint(hint: str | Mapping[str, Any] | LogHint) -> LogHint:
    """Turn a hint (text, dict or LogHint) into a LogHint; raise LogHintError if it is malformed."""
    if isinstance(hint, str):
        if is_valid_name(hint):
            # A bare key (how runs name most outputs): nothing to parse, and nothing to cache, so
            # 10,000 distinct keys cost what one does.
            return _bare_hint(hint)
        shared = _parse_shareable_text(hint)
        return shared if shared is not None else _Parser(hint).parse()
    if isinstance(hint, LogHint):
        return hint
    if isinstance(hint, Mapping):
        return _parse_mapping(hint)
    kind = type(hint).__name__
    expected = f"a log hint: a str like 'model : file', a dict or a LogHint, not {kind}"
    raise LogHintError(repr(hint), 0, expected)


def _bare_hint(key: str) -> LogHint:
    """``LogHint(key=key)`` for a key already checked to be a valid name, without checking it again."""
    hint: LogHint = object.__new__(LogHint)
    for name, value in (("key", key), ("artifact_type", None), ("options", _NO_OPTIONS), ("unbundle", False), ("count", None)):
        object.__setattr__(hint, name, value)
    return hint


def format_log_hint(hint: LogHint) -> str:
    """Write *hint* as canonical text that parse_log_hint reads back to an equal LogHint."""
    parts = []
    if hint.unbundle:
        parts.append("*" if hint.count is None else f"{hint.count}*")
    parts.append(hint.key)
    if hint.artifact_type is not None:
        parts.append(f" : {hint.artifact_type}")
    if hint.options:
        options = (f"{name}={_format_value(value)}" for name, value in hint.options.items())
        parts.append(f"[{', '.join(options)}]")
    return "".join(parts)


@functools.lru_cache(maxsize=1024)
def _parse_shareable_text(text: str) -> LogHint | None:
    # A cached hint is handed to every caller, so it is cached only when nothing inside it can be
    # changed: an option that is a list or dict is parsed afresh for each caller instead.
    hint = _Parser(text).parse()
    if any(isinstance(value, (list, dict)) for value in hint.options.values()):
        return None
    return hint


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        if _WORD_RE.fullmatch(value) and value not in _CONSTANTS:
            return value
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{_format_value(k)}: {_format_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return repr(value)


def _hint_problem(hint: LogHint) -> str | None:
    """What is wrong with *hint*'s fields, phrased as what was expected, or None."""
    if not is_valid_name(hint.key):
        return f"{_KEY_EXPECTED} as the key, not {hint.key!r}"
    if hint.artifact_type is not None and not (
        isinstance(hint.artifact_type, str) and _TYPE_RE.fullmatch(hint.artifact_type)
    ):
        return f"{_TYPE_EXPECTED}, not {hint.artifact_type!r}"
    if not isinstance(hint.unbundle, bool):
        return f"True or False for unbundle, not {hint.unbundle!r}"
    if hint.count is not None:
        if type(hint.count) is not int or hint.count < 1:
            return f"a positive int or None for count, not {hint.count!r}"
        if not hint.unbundle:
            return "unbundle=True with a count (only an unbundled output has a count of items)"
    for name, value in hint.options.items():
        problem = _name_problem(name) or _value_problem(value, 0)
        if problem is not None:
            return f"{problem} for option {name!r}"
    return None


def _name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        return f"{_NAME_EXPECTED}, not {name!r}"
    if keyword.iskeyword(name):
        return f"an option name that is not a Python keyword, not {name!r}"
    if name in _RESERVED_NAMES:
        return (
            "an option name other than 'key', 'artifact_type', 'unbundle' and 'count' "
            f"(the hint itself sets those), not {name!r}"
        )
    return None


def _value_problem(value: object, depth: int) -> str | None:
    """Why *value* cannot be an option value (it must survive the text form), or None."""
    value_type = type(value)
    if value_type is float and not math.isfinite(value):  # type: ignore[arg-type]
        return f"a finite float, not {value!r}"
    if value_type is int and value.bit_length() > _MAX_INT_BITS:  # type: ignore[attr-defined]
        return "an int with fewer digits"
    if value_type in _SCALAR_TYPES:
        return None
    if value_type in (list, dict) and depth >= _MAX_DEPTH:
        return f"at most {_MAX_DEPTH} levels of nested lists and dicts"
    if value_type is list:
        for item in value:  # type: ignore[attr-defined]
            problem = _value_problem(item, depth + 1)
            if problem is not None:
                return problem
        return None
    if value_type is dict:
        for k, v in value.items():  # type: ignore[attr-defined]
            if type(k) not in _SCALAR_TYPES:
                return f"a str, int, float, bool or None as a dict key, not {type(k).__name__}"
            problem = _value_problem(k, depth + 1) or _value_problem(v, depth + 1)
            if problem is not None:
                return problem
        return None
    return f"a str, int, float, bool, None, list or dict, not {value_type.__name__}"


def _parse_mapping(hint: Mapping[Any, Any]) -> LogHint:
    def fail(expected: str) -> LogHintError:
        return LogHintError(repr(dict(hint)), 0, expected)

    if "key" not in hint:
        raise fail("a 'key' entry naming the output, like {'key': 'model'}")
    key = hint["key"]
    if not isinstance(key, str):
        raise fail(f"a str for 'key', not {type(key).__name__}")
    if not is_valid_name(key):
        raise fail(f"{_KEY_EXPECTED} for 'key', not {key!r}")
    artifact_type = hint.get("artifact_type")
    if artifact_type is not None and not (
        isinstance(artifact_type, str) and _TYPE_RE.fullmatch(artifact_type)
    ):
        raise fail(f"{_TYPE_EXPECTED} for 'artifact_type', not {artifact_type!r}")
    count = hint.get("count")
    if count is not None and (type(count) is not int or count < 1):
        raise fail(f"a positive int for 'count', not {count!r}")
    # A count only makes sense for an unbundled output, so giving one implies unbundling.
    unbundle = hint.get("unbundle", count is not None)
    if not isinstance(unbundle, bool):
        raise fail(f"True or False for 'unbundle', not {unbundle!r}")
    if count is not None and not unbundle:
        raise fail("'unbundle': True with 'count' (only an unbundled output has a count of items)")
    options = {}
    for name, value in hint.items():
        if name in _RESERVED_NAMES:
            continue
        problem = _name_problem(name) or _value_problem(value, 0)
        if problem is not None:
            raise fail(f"{problem} for option {name!r}")
        options[name] = value
    return LogHint(key, artifact_type, options, unbundle, count)


class _Parser:
    """A recursive-descent parser over one hint's text; every error points at a character."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, expected: str, position: int | None = None) -> LogHintError:
        return LogHintError(self.text, self.pos if position is None else position, expected)

    def next_char(self) -> str:
        """Skip whitespace and return the character after it, '' at the end."""
        text, pos = self.text, self.pos
        if pos < len(text) and text[pos].isspace():
            pos = self.pos = _SPACE_RE.match(text, pos).end()  # type: ignore[union-attr]
        return text[pos : pos + 1]

    def parse(self) -> LogHint:
        self.next_char()
        unbundle, count = self.parse_unbundle()
        key = self.parse_key()
        artifact_type = None
        if self.next_char() == ":":
            self.pos += 1
            self.next_char()
            artifact_type = self.parse_type()
        options: dict[str, Any] = {}
        has_options = self.next_char() == "["
        if has_options:
            options = self.parse_options(artifact_type)
        if self.next_char():
            if has_options:
                raise self.fail("the end of the hint after the options")
            if artifact_type is not None:
                raise self.fail(f"'[' to open the options of {artifact_type!r}, or the end of the hint")
            raise self.fail("':' and an artifact type, '[' and options, or the end of the hint")
        return LogHint(key, artifact_type, options, unbundle, count)

    def parse_unbundle(self) -> tuple[bool, int | None]:
        start = self.pos
        digits = _DIGITS_RE.match(self.text, start)
        if digits is not None:
            # Digits are a count only when a '*' follows; otherwise they begin a key like '3d'.
            self.pos = digits.end()
            if self.next_char() != "*":
                self.pos = start
                return False, None
            try:
                count = int(digits.group())
            except ValueError:
                count = 0
            if count < 1:
                raise self.fail("a positive count of items before '*', like '3*frames'", start)
            self.pos += 1
            self.next_char()
            return True, count
        if self.text.startswith("*", start):
            self.pos += 1
            self.next_char()
            return True, None
        return False, None

    def parse_key(self) -> str:
        start = self.pos
        end = _KEY_CHARS_RE.match(self.text, start).end()  # type: ignore[union-attr]
        key = self.text[start:end]
        if is_valid_name(key):
            self.pos = end
            return key
        if not key:
            raise self.fail(_KEY_EXPECTED)
        for offset, char in enumerate(key):
            if char.isupper():
                raise self.fail(_KEY_EXPECTED, start + offset)
        if key[0] in "-._":
            raise self.fail("a key that starts with a lowercase letter or digit", start)
        if key[-1] in "-._":
            raise self.fail("a key that ends with a lowercase letter or digit", end - 1)
        if ".." in key:
            raise self.fail("a key without '..'", start + key.index(".."))
        raise self.fail("a shorter key", start)

    def parse_type(self) -> str:
        start = self.pos
        end = _TYPE_CHARS_RE.match(self.text, start).end()  # type: ignore[union-attr]
        artifact_type = self.text[start:end]
        if not artifact_type:
            raise self.fail(f"{_TYPE_EXPECTED} after ':'")
        if not _TYPE_RE.fullmatch(artifact_type):
            # Point at the refused character: a first one that is no letter, or an uppercase one.
            bad = 0
            if artifact_type[0].islower():
                bad = next(i for i, char in enumerate(artifact_type) if char.isupper())
            raise self.fail(_TYPE_EXPECTED, start + bad)
        self.pos = end
        return artifact_type

    def parse_options(self, artifact_type: str | None) -> dict[str, Any]:
        of_what = "" if artifact_type is None else f" of {artifact_type!r}"
        options: dict[str, Any] = {}
        self.pos += 1
        char = self.next_char()
        while char != "]":
            if not char:
                raise self.fail(f"']' to close the options{of_what}")
            start = self.pos
            match = _NAME_RE.match(self.text, start)
            if match is None:
                raise self.fail(f"{_NAME_EXPECTED}, or ']' to close the options{of_what}")
            name = match.group()
            problem = _name_problem(name)
            if problem is not None:
                raise self.fail(problem, start)
            if name in options:
                raise self.fail(f"each option only once (duplicate option {name!r})", start)
            self.pos = match.end()
            if self.next_char() != "=":
                raise self.fail(f"'=' after the option name {name!r}")
            self.pos += 1
            if self.next_char() in ("", ",", "]"):
                raise self.fail("a value after '='")
            options[name] = self.parse_value(0)
            char = self.next_char()
            if char == ",":
                self.pos += 1
                char = self.next_char()
            elif not char:
                raise self.fail(f"']' to close the options{of_what}")
            elif char != "]":
                raise self.fail(f"',' between options, or ']' to close the options{of_what}")
        self.pos += 1
        return options

    def parse_value(self, depth: int) -> Any:
        """Parse the value at the current position, which the caller has moved past whitespace."""
        text, start = self.text, self.pos
        char = text[start : start + 1]
        if char == "'" or char == '"':
            return self.parse_string()
        if char == "[":
            return self.parse_list(depth + 1)
        if char == "{":
            return self.parse_dict(depth + 1)
        match = _WORD_RE.match(text, start)
        if match is not None:
            self.pos = match.end()
            word = match.group()
            return _CONSTANTS.get(word, word)
        match = _NUMBER_RE.match(text, start)
        if match is not None:
            return self.parse_number(match.group(), match.end())
        raise self.fail(_VALUE_EXPECTED)

    def parse_number(self, token: str, end: int) -> int | float:
        start = self.pos
        tail = _WORD_TAIL_RE.match(self.text, end)
        if tail is not None:
            word = self.text[start : tail.end()]
            raise self.fail(f"quotes around {word!r} (only words starting with a letter or '_' go unquoted)")
        if "." in token or "e" in token or "E" in token:
            number: int | float = float(token)
            if not math.isfinite(number):
                raise self.fail("a number small enough for a float")
        else:
            if len(token) > _MAX_INT_DIGITS:
                raise self.fail("an int with fewer digits")
            number = int(token)
            if number.bit_length() > _MAX_INT_BITS:
                raise self.fail("an int with fewer digits")
        self.pos = end
        return number

    def parse_string(self) -> str:
        text, start = self.text, self.pos
        quote = text[start]
        close = text.find(quote, start + 1)
        backslash = text.find("\\", start + 1)
        if close != -1 and not start < backslash < close:
            self.pos = close + 1
            return text[start + 1 : close]
        chunks: list[str] = []
        pos = start + 1
        while True:
            if pos >= len(text):
                raise self.fail(f"a closing {quote} to end this string", start)
            char = text[pos]
            if char == quote:
                self.pos = pos + 1
                return "".join(chunks)
            if char != "\\":
                chunks.append(char)
                pos += 1
                continue
            escape = text[pos + 1 : pos + 2]
            if escape in _SIMPLE_ESCAPES:
                chunks.append(_SIMPLE_ESCAPES[escape])
                pos += 2
                continue
            length = _HEX_ESCAPE_LENGTHS.get(escape)
            digits = text[pos + 2 : pos + 2 + length] if length else ""
            if not length or len(digits) != length or not _HEX_DIGITS.issuperset(digits):
                raise self.fail(_ESCAPE_EXPECTED, pos)
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise self.fail("a code point no larger than \\U0010ffff", pos)
            chunks.append(chr(code))
            pos += 2 + length

    def parse_list(self, depth: int) -> list[Any]:
        if depth > _MAX_DEPTH:
            raise self.fail(f"at most {_MAX_DEPTH} levels of nested lists and dicts")
        items = []
        self.pos += 1
        char = self.next_char()
        while char != "]":
            if not char:
                raise self.fail("']' to close the list")
            items.append(self.parse_value(depth))
            char = self.next_char()
            if char == ",":
                self.pos += 1
                char = self.next_char()
            elif char != "]":
                raise self.fail("',' between items, or ']' to close the list")
        self.pos += 1
        return items

    def parse_dict(self, depth: int) -> dict[Any, Any]:
        if depth > _MAX_DEPTH:
            raise self.fail(f"at most {_MAX_DEPTH} levels of nested lists and dicts")
        items: dict[Any, Any] = {}
        self.pos += 1
        char = self.next_char()
        while char != "}":
            if not char:
                raise self.fail("'}' to close the dict")
            if char in ("[", "{"):
                raise self.fail("a str, number, True, False or None as a dict key")
            start = self.pos
            key = self.parse_value(depth)
            if key in items:
                raise self.fail(f"each dict key only once (duplicate key {key!r})", start)
            if self.next_char() != ":":
                raise self.fail("':' after the dict key")
            self.pos += 1
            if self.next_char() in ("", ",", "}"):
                raise self.fail("a value after ':'")
            items[key] = self.parse_value(depth)
            char = self.next_char()
            if char == ",":
                self.pos += 1
                char = self.next_char()
            elif char != "}":
                raise self.fail("',' between items, or '}' to close the dict")
        self.pos += 1
        return items
