"""Built-in packager for datetime, date, time, timedelta, Decimal, Fraction and UUID: typed results."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
_ZONE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,3}")
_BY_NAME = {name: decode for name, _encode, decode in _CODECS.values()}
# What the decoders raise for text that does not spell a value (decimal.InvalidOperation is an
# ArithmeticError, Fraction('1/0') a ZeroDivisionError, a huge number an OverflowError).
_PARSE_ERRORS = (ValueError, TypeError, ArithmeticError, IndexError)


def _zone(name: object) -> ZoneInfo:
    """The time zone an instruction names: an IANA key from the system's zone data, nothing else."""
    if not isinstance(name, str) or not _ZONE_RE.fullmatch(name):
        raise UnpackingError(f"the result: instruction 'zone' is {_short(name)}; expected an IANA zone name such as 'Europe/Paris'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise UnpackingError(f"the result: time zone {name!r} is not known on this machine ({error}); install tzdata") from None


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
        instructions = {"type": name}
        if name == "datetime" and isinstance(obj.tzinfo, ZoneInfo) and obj.tzinfo.key:
            # The text keeps the offset only; the zone makes it the same value again (an hour that
            # occurs twice in the zone compares unequal across zones).
            instructions["zone"] = obj.tzinfo.key
        return {key: encode(obj)}, instructions

    def unpack_result(self, value: Any, type: str | None = None, zone: str | None = None) -> Any:  # noqa: A002 - instruction name
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
            decoded = decode(value)
        except _PARSE_ERRORS as error:
            raise UnpackingError(f"the result {_short(value)} is not a {type} ({error.__class__.__name__}: {error})") from error
        if zone is None:
            return decoded
        if type != "datetime" or decoded.tzinfo is None:
            raise UnpackingError(f"the result {_short(value)}: instruction 'zone' applies to a datetime with an offset")
        return decoded.astimezone(_zone(zone))
