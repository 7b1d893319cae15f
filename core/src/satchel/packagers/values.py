"""Built-in packager for datetime, date, time, timedelta, Decimal, Fraction and UUID: typed results."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from satchel.errors import UnpackingError
from satchel.packagers.base import Packager
from satchel.priorities import BUILTIN_PRIORITY

__all__ = ["ValuesPackager"]


def _timedelta_text(value: dt.timedelta) -> str:
    return f"{value.days}d{value.seconds}s{value.microseconds}us"


def _parse_timedelta(text: str) -> dt.timedelta:
    days, rest = text.split("d")
    seconds, rest = rest.split("s", 1)
    return dt.timedelta(days=int(days), seconds=int(seconds), microseconds=int(rest.removesuffix("us")))


# type -> (name, to text, from text); exact types only: a datetime is not packed as a date.
_CODECS: dict[type, tuple[str, Any, Any]] = {
    dt.datetime: ("datetime", dt.datetime.isoformat, dt.datetime.fromisoformat),
    dt.date: ("date", dt.date.isoformat, dt.date.fromisoformat),
    dt.time: ("time", dt.time.isoformat, dt.time.fromisoformat),
    dt.timedelta: ("timedelta", _timedelta_text, _parse_timedelta),
    Decimal: ("decimal", str, Decimal),
    Fraction: ("fraction", str, Fraction),
    uuid.UUID: ("uuid", str, uuid.UUID),
}
_BY_NAME = {name: decode for name, _encode, decode in _CODECS.values()}
# What the decoders raise for text that does not spell a value (decimal.InvalidOperation is an
# ArithmeticError, Fraction('1/0') a ZeroDivisionError, a huge number an OverflowError).
_PARSE_ERRORS = (ValueError, TypeError, ArithmeticError, IndexError)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


class ValuesPackager(Packager):
    """Dates, times, durations, decimals, fractions and UUIDs as readable results of the same type."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = tuple(_CODECS)
    DEFAULT_PACKING_ARTIFACT_TYPE = "result"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "result"
    PRIORITY = BUILTIN_PRIORITY

    def pack_result(self, obj: Any, key: str) -> Any:
        name, encode, _decode = _CODECS[type(obj)]
        return {key: encode(obj)}, {"type": name}

    def unpack_result(self, value: Any, type: str | None = None) -> Any:  # noqa: A002 - instruction name
        if type is None:
            return value
        decode = _BY_NAME.get(type) if isinstance(type, str) else None
        if decode is None:
            raise UnpackingError(
                f"the result: instruction 'type' is {_short(type)}; expected one of {', '.join(_BY_NAME)}"
            )
        if not isinstance(value, str):
            raise UnpackingError(f"the result is {_short(value)}, but a {type} result is stored as text")
        try:
            return decode(value)
        except _PARSE_ERRORS as error:
            raise UnpackingError(f"the result {_short(value)} is not a {type} ({error.__class__.__name__}: {error})") from error
