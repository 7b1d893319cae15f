"""The packager for NumPy scalars (np.float32(1.5), np.int64, np.bool_, np.datetime64, …): typed results."""

from __future__ import annotations

from typing import Any, ClassVar

from satchel.errors import PackingError
from satchel.packagers.base import Packager

__all__ = ["NumpyScalarPackager"]


class NumpyScalarPackager(Packager):
    """NumPy scalars as results that restore the same NumPy type, bit for bit."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = "numpy.generic"
    PACK_SUBCLASSES = True
    DEFAULT_PACKING_ARTIFACT_TYPE = "result"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "result"
    FORMAT_VERSION = 1
    REQUIRES: ClassVar[dict[str, str]] = {"numpy": "numpy"}

    def pack_result(self, obj: Any, key: str) -> Any:
        """The value as JSON (numbers, or text where JSON has none), its dtype in the instructions."""
        from satchel_numpy import _codec

        if obj.dtype.hasobject:
            raise PackingError(
                f"cannot log {key!r} as a result: a {type(obj).__name__} of dtype {obj.dtype} holds "
                "Python objects, which a JSON result cannot; log it as 'object'"
            )
        value, instructions = _codec.encode_scalar(obj)
        return {key: value}, instructions

    def unpack_result(self, value: Any, dtype: Any = None, encoding: str | None = None) -> Any:
        from satchel_numpy import _codec

        return _codec.decode_scalar(value, dtype, encoding)
