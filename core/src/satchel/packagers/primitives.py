"""Built-in packager for None, bool, int, float, complex, str, bytes and bytearray."""

from __future__ import annotations

import base64
import binascii
import encodings
import encodings.aliases
import math
from typing import TYPE_CHECKING, Any, ClassVar

from satchel.artifacts import Artifact
from satchel.errors import PackingError, UnpackingError
from satchel.packagers.base import Packager
from satchel.priorities import BUILTIN_PRIORITY

if TYPE_CHECKING:
    from satchel.dataitem import DataItem

__all__ = ["PrimitivesPackager"]

# Types JSON holds as they are; the others are recorded with a type instruction to restore them.
_NATIVE = frozenset({type(None), bool, int, str})
_TYPE_NAMES = {float: "float", complex: "complex", bytes: "bytes", bytearray: "bytearray"}


_NON_FINITE = ("nan", "inf", "-inf")
# Text files are written and read in one of these codecs only: an encoding name from the store
# would otherwise choose which module of the `encodings` package is imported.
_TEXT_ENCODINGS = frozenset({
    "utf_8", "utf_8_sig", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be",
    "ascii", "latin_1", "iso8859_15", "cp1252", "cp1251", "koi8_r", "shift_jis", "euc_jp", "gb18030",
    "big5", "euc_kr",
})


def _float_value(value: float) -> float | str:
    # JSON has no NaN or infinities; keep them as their Python spelling.
    return value if math.isfinite(value) else repr(value)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _codec_name(encoding: object) -> str | None:
    """The canonical name of a text encoding satchel writes, or None; looked up without importing anything."""
    if not isinstance(encoding, str):
        return None
    normalized = encodings.normalize_encoding(encoding).lower()
    name = encodings.aliases.aliases.get(normalized, normalized)
    return name if name in _TEXT_ENCODINGS else None


def _encodings_named() -> str:
    return ", ".join(sorted(name.replace("_", "-") for name in _TEXT_ENCODINGS))


def _restore_float(value: Any, what: str) -> float:
    if isinstance(value, str) and value in _NON_FINITE:
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            pass
    raise UnpackingError(
        f"{what} is {_short(value)}, not a float; a float result is a JSON number or one of "
        f"{', '.join(map(repr, _NON_FINITE))}"
    )


class PrimitivesPackager(Packager):
    """Scalars, text and bytes: results by default; text and bytes also as files."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = (type(None), bool, int, float, complex, str, bytes, bytearray)
    DEFAULT_PACKING_ARTIFACT_TYPE = "result"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"
    PRIORITY = BUILTIN_PRIORITY

    def can_pack_type(self, obj_type: type, artifact_type: str | None) -> bool:
        if artifact_type == "file" and obj_type not in (str, bytes, bytearray):
            return False
        return super().can_pack_type(obj_type, artifact_type)

    def pack_result(self, obj: Any, key: str) -> Any:
        obj_type = type(obj)
        if obj_type in _NATIVE:
            return {key: obj}
        if obj_type is float:
            return {key: _float_value(obj)}, {"type": "float"}
        if obj_type is complex:
            return {key: [_float_value(obj.real), _float_value(obj.imag)]}, {"type": "complex"}
        return {key: base64.b64encode(bytes(obj)).decode("ascii")}, {"type": _TYPE_NAMES[obj_type]}

    def unpack_result(self, value: Any, type: str | None = None) -> Any:  # noqa: A002 - instruction name
        what = "the result"
        if type is None:
            return value
        if type == "float":
            return _restore_float(value, what)
        if type == "complex":
            if not (isinstance(value, list) and len(value) == 2):
                raise UnpackingError(f"{what} is {_short(value)}; a complex result is a pair [real, imaginary]")
            return complex(_restore_float(value[0], f"{what}'s real part"), _restore_float(value[1], f"{what}'s imaginary part"))
        if type in ("bytes", "bytearray"):
            try:
                if not isinstance(value, str):
                    raise TypeError(f"a {_short(value)} is not text")
                data = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError, TypeError) as error:
                raise UnpackingError(f"{what} is not the base64 text a {type} result is stored as ({error})") from error
            return data if type == "bytes" else bytearray(data)
        raise UnpackingError(
            f"{what}: instruction 'type' is {_short(type)}; expected float, complex, bytes or bytearray "
            "(or none, for a value JSON holds as it is)"
        )

    def pack_file(self, obj: Any, key: str, encoding: str = "utf-8") -> tuple[Artifact, dict[str, Any]]:
        """Text as a ``.txt`` file in ``encoding``; bytes as a ``.bin`` file."""
        if _codec_name(encoding) is None:
            raise PackingError(f"{key!r}: encoding {encoding!r} is not one satchel writes text in; use one of {_encodings_named()}")
        if isinstance(obj, str):
            artifact = Artifact(key=key, body=obj.encode(encoding), file_name=f"{key}.txt", format="txt")
            return artifact, {"type": "str", "encoding": encoding}
        if isinstance(obj, (bytes, bytearray)):
            artifact = Artifact(key=key, body=bytes(obj), file_name=f"{key}.bin", format="bin")
            return artifact, {"type": _TYPE_NAMES[type(obj)]}
        raise TypeError(
            f"{key!r}: a {type(obj).__name__} is logged as a result, not a file; log str or bytes "
            "as a file, or leave the artifact type out"
        )

    def unpack_file(
        self, data_item: DataItem, type: str | None = None, encoding: str = "utf-8", type_hint: Any = None,  # noqa: A002
    ) -> Any:
        what = f"artifact {data_item.key!r}"
        if type not in (None, "str", "bytes", "bytearray"):
            raise UnpackingError(f"{what}: instruction 'type' is {_short(type)}; expected str, bytes or bytearray")
        if type is None and type_hint in (bytes, bytearray):
            type = type_hint.__name__  # noqa: A001 - a plain file, no instructions: the hint says bytes
        data = data_item.read_bytes()
        if type == "bytes":
            return data
        if type == "bytearray":
            return bytearray(data)
        codec = _codec_name(encoding)
        if codec is None:
            raise UnpackingError(
                f"{what}: instruction 'encoding' is {_short(encoding)}, not a text encoding satchel reads; "
                f"it reads {_encodings_named()}"
            )
        try:
            return data.decode(codec)
        except UnicodeDecodeError as error:
            raise UnpackingError(f"{what} is not {encoding} text, as its instructions say: {error}") from error
