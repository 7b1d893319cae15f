"""Built-in packager for None, bool, int, float, complex, str, bytes and bytearray."""

from __future__ import annotations

import base64
import math
from typing import TYPE_CHECKING, Any, ClassVar

from satchel.artifacts import Artifact
from satchel.packagers.base import Packager
from satchel.priorities import BUILTIN_PRIORITY

if TYPE_CHECKING:
    from satchel.dataitem import DataItem

__all__ = ["PrimitivesPackager"]

# Types JSON holds as they are; the others are recorded with a type instruction to restore them.
_NATIVE = frozenset({type(None), bool, int, str})
_TYPE_NAMES = {float: "float", complex: "complex", bytes: "bytes", bytearray: "bytearray"}


def _float_value(value: float) -> float | str:
    # JSON has no NaN or infinities; keep them as their Python spelling.
    return value if math.isfinite(value) else repr(value)


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
        if type == "float":
            return float(value)
        if type == "complex":
            return complex(float(value[0]), float(value[1]))
        if type in ("bytes", "bytearray"):
            data = base64.b64decode(value)
            return data if type == "bytes" else bytearray(data)
        return value

    def pack_file(self, obj: Any, key: str, encoding: str = "utf-8") -> tuple[Artifact, dict[str, Any]]:
        """Text as a ``.txt`` file in ``encoding``; bytes as a ``.bin`` file."""
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

    def unpack_file(self, data_item: DataItem, type: str | None = None, encoding: str = "utf-8") -> Any:  # noqa: A002
        data = data_item.read_bytes()
        if type == "bytes":
            return data
        if type == "bytearray":
            return bytearray(data)
        return data.decode(encoding)
