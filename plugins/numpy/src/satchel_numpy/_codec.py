"""Exact JSON encodings of NumPy dtypes and array elements, for results (imported only when packing).

Every element is written so that decoding gives back the same bits: integers and finite floats as
JSON numbers (a float64 holds every float16/32/64 value exactly), non-finite floats as strings
(``"nan"``, ``"-inf"``, ``"nan:0x7ff0000000000001"`` for a NaN with a payload), complex numbers as
``[real, imag]``, datetimes as ISO text where that is exact, text as strings, bytes as latin-1 text,
and structured/void data as base64 of the raw bytes.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

__all__ = [
    "RESULT_KINDS",
    "decode_array",
    "decode_scalar",
    "dtype_from_spec",
    "dtype_spec",
    "encode_array",
    "encode_scalar",
    "head",
    "layout",
]

#: dtype kinds a result can hold (everything but Python objects).
RESULT_KINDS = frozenset("biufcmMUSV")
_BASE64 = "base64"


# -- dtypes ----------------------------------------------------------------------------------------


def dtype_spec(dtype: np.dtype[Any]) -> str | list[Any]:
    """A JSON form of ``dtype`` that :func:`dtype_from_spec` turns back into the same dtype and type."""
    if dtype.names is not None:
        described: list[Any] = _descr_to_json(np.lib.format.dtype_to_descr(dtype))
        return described
    spec: str = dtype.str
    found = np.dtype(spec)
    if found == dtype and found.type is dtype.type:
        return spec
    # Aliases such as longlong share '<i8' with int64; the character code keeps the exact type.
    return str(dtype.char)


def dtype_from_spec(spec: Any) -> np.dtype[Any]:
    """The dtype a :func:`dtype_spec` value names."""
    if isinstance(spec, str):
        return np.dtype(spec)
    return np.lib.format.descr_to_dtype(_descr_from_json(spec))


def _descr_to_json(descr: Any) -> Any:
    if isinstance(descr, str):
        return descr
    return [[list(f[0]) if isinstance(f[0], tuple) else f[0], _descr_to_json(f[1]), *([list(f[2])] if len(f) > 2 else [])]
            for f in descr]


def _descr_from_json(descr: Any) -> Any:
    if isinstance(descr, str):
        return descr
    fields = []
    for field in descr:
        name = tuple(field[0]) if isinstance(field[0], list) else field[0]
        entry: tuple[Any, ...] = (name, _descr_from_json(field[1]))
        if len(field) > 2:
            entry += (tuple(field[2]),)
        fields.append(entry)
    return fields


def layout(array: np.ndarray[Any, Any]) -> str:
    """``"F"`` for an array only Fortran-contiguous (``np.save`` keeps that order), else ``"C"``."""
    flags = array.flags
    return "F" if flags.f_contiguous and not flags.c_contiguous else "C"


# -- floats ----------------------------------------------------------------------------------------


def _uint_for(dtype: np.dtype[Any]) -> np.dtype[Any] | None:
    return np.dtype(f"u{dtype.itemsize}") if dtype.itemsize in (2, 4, 8) else None


def _encode_floats(values: np.ndarray[Any, Any]) -> list[Any]:
    """Native-order floats as JSON numbers, or strings where JSON has no number for them."""
    dtype = values.dtype
    uint = _uint_for(dtype)
    if uint is None:  # long double: text keeps all its digits, a float64 would not
        return [_long_float_text(x) for x in values]
    out: list[Any] = values.tolist()
    if bool(np.isfinite(values).all()):
        return out
    canonical = int(np.array(np.nan, dtype=dtype).view(uint))
    sign = 1 << (8 * dtype.itemsize - 1)
    bits = values.view(uint)
    for index in np.flatnonzero(~np.isfinite(values)).tolist():
        x = out[index]
        if math.isinf(x):
            out[index] = "inf" if x > 0 else "-inf"
            continue
        b = int(bits[index])
        out[index] = "nan" if b == canonical else "-nan" if b == canonical | sign else f"nan:{b:#x}"
    return out


def _long_float_text(x: Any) -> str:
    if np.isnan(x):
        return "-nan" if np.signbit(x) else "nan"
    if np.isinf(x):
        return "-inf" if x < 0 else "inf"
    return np.format_float_scientific(x, unique=True)


def _decode_floats(items: list[Any], dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    if not any(isinstance(item, str) for item in items):
        return np.array(items, dtype=dtype).reshape(len(items))
    out = np.empty(len(items), dtype=dtype)
    uint = _uint_for(dtype)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            out[index] = item
        elif item in ("nan", "-nan"):
            out[index] = np.copysign(np.nan, -1.0 if item == "-nan" else 1.0)
            if uint is not None:  # the canonical quiet NaN of this width, whatever the cast did
                canonical = int(np.array(np.nan, dtype=dtype).view(uint))
                sign = 1 << (8 * dtype.itemsize - 1)
                out.view(uint)[index] = canonical | (sign if item == "-nan" else 0)
        elif item.startswith("nan:") and uint is not None:
            out.view(uint)[index] = int(item[4:], 16)
        else:
            out[index] = dtype.type(item)
    return out


# -- arrays ----------------------------------------------------------------------------------------


def _encode_flat(flat: np.ndarray[Any, Any]) -> list[Any]:
    """The elements of a 1-D native-order array as JSON values (not for void/object dtypes)."""
    kind = flat.dtype.kind
    if kind in "biu":
        return list(flat.tolist())
    if kind == "f":
        return _encode_floats(flat)
    if kind == "c":
        return [list(pair) for pair in zip(_encode_floats(flat.real), _encode_floats(flat.imag), strict=True)]
    if kind == "M":
        return _encode_datetimes(flat)
    if kind == "m":
        return list(flat.view("i8").tolist())
    if kind == "U":
        return list(flat.tolist())
    if kind == "S":
        return [item.decode("latin-1") for item in flat.tolist()]
    raise TypeError(f"no JSON encoding for dtype {flat.dtype}")


def _encode_datetimes(flat: np.ndarray[Any, Any]) -> list[Any]:
    ticks = flat.view("i8")
    try:
        text = np.datetime_as_string(flat)
        if np.array_equal(np.array(text, dtype=flat.dtype).view("i8"), ticks):
            return list(text.tolist())
    except (ValueError, OverflowError, TypeError):
        pass
    # Outside what ISO text can spell back exactly: the tick count in the dtype's unit.
    return list(ticks.tolist())


def _decode_flat(items: list[Any], dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    """A 1-D native-order array of ``dtype`` from :func:`_encode_flat`'s values."""
    kind = dtype.kind
    count = len(items)
    if kind == "f":
        return _decode_floats(items, dtype)
    if kind == "c":
        part = np.dtype(f"f{dtype.itemsize // 2}")
        reals = _decode_floats([pair[0] for pair in items], part)
        imags = _decode_floats([pair[1] for pair in items], part)
        both = np.empty((count, 2), dtype=part)
        both[:, 0], both[:, 1] = reals, imags
        return both.view(dtype).reshape(count)
    if kind in "Mm":
        if items and all(isinstance(item, str) for item in items):
            return np.array(items, dtype=dtype).reshape(count)
        return np.array(items, dtype="i8").reshape(count).view(dtype)
    if kind == "S":
        return np.array([item.encode("latin-1") for item in items], dtype=dtype).reshape(count)
    return np.array(items, dtype=dtype).reshape(count)


def _nest(items: list[Any], shape: tuple[int, ...]) -> Any:
    if not shape:
        return items[0]
    if len(shape) == 1:
        return items
    step = math.prod(shape[1:])
    return [_nest(items[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _flatten(value: Any, depth: int) -> list[Any]:
    if depth == 0:
        return [value]
    if not isinstance(value, list):
        raise ValueError(f"expected a list {depth} level(s) deep, found {type(value).__name__}")
    if depth == 1:
        return value
    return [item for child in value for item in _flatten(child, depth - 1)]


def encode_array(array: np.ndarray[Any, Any]) -> tuple[Any, dict[str, Any]]:
    """A JSON value (nested lists in C order) and the instructions that restore ``array`` exactly."""
    dtype = array.dtype
    if dtype.kind not in RESULT_KINDS:
        raise TypeError(f"an array of dtype {dtype} holds Python objects, which JSON cannot")
    instructions: dict[str, Any] = {"dtype": dtype_spec(dtype), "shape": list(array.shape)}
    if layout(array) == "F" and array.ndim > 1:
        instructions["order"] = "F"
    if dtype.kind == "V":
        instructions["encoding"] = _BASE64
        return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii"), instructions
    native = array.astype(dtype.newbyteorder("="), copy=False)
    return _nest(_encode_flat(native.reshape(-1)), array.shape), instructions


def decode_array(
    value: Any, dtype: Any = None, shape: list[int] | None = None, order: str = "C", encoding: str | None = None
) -> np.ndarray[Any, Any]:
    """The array :func:`encode_array` described; without a dtype, whatever NumPy makes of ``value``."""
    if dtype is None:
        return np.asarray(value)
    wanted = dtype_from_spec(dtype)
    dims = tuple(shape) if shape is not None else np.shape(value)
    if encoding == _BASE64:
        flat = np.frombuffer(base64.b64decode(value), dtype=wanted).copy()
    else:
        items = _flatten(value, len(dims))
        flat = _decode_flat(items, wanted.newbyteorder("=")).astype(wanted, copy=False)
    if flat.size != math.prod(dims):
        raise ValueError(f"the result holds {flat.size} element(s), but its shape {list(dims)} needs {math.prod(dims)}")
    restored = flat.reshape(dims)
    # A fresh reshape is C-ordered already (np.ascontiguousarray would turn 0-d into 1-d).
    return np.asfortranarray(restored) if order == "F" and restored.ndim > 1 else restored


def head(array: np.ndarray[Any, Any], count: int = 5) -> list[Any] | None:
    """The first ``count`` elements in C order as JSON values, for a preview (None for text, records, objects)."""
    if array.dtype.kind not in "biufcmM":
        return None
    first = np.asarray(array.flat[:count])
    return _encode_flat(first.astype(first.dtype.newbyteorder("="), copy=False))


# -- scalars ---------------------------------------------------------------------------------------


def encode_scalar(scalar: np.generic) -> tuple[Any, dict[str, Any]]:
    """A JSON value and instructions that restore ``scalar`` as the same NumPy type, bit for bit."""
    dtype = scalar.dtype
    instructions: dict[str, Any] = {"dtype": dtype_spec(dtype)}
    # Text and bytes keep trailing NULs, which a 0-d array of them would drop.
    if isinstance(scalar, np.str_):
        return scalar[:], instructions  # str() of an np.str_ drops trailing NULs; a slice keeps them
    if isinstance(scalar, np.bytes_):
        return bytes(scalar).decode("latin-1"), instructions
    value, array_instructions = encode_array(np.asarray(scalar))
    if "encoding" in array_instructions:
        instructions["encoding"] = array_instructions["encoding"]
    return value, instructions


def decode_scalar(value: Any, dtype: Any = None, encoding: str | None = None) -> Any:
    """The NumPy scalar :func:`encode_scalar` described."""
    if dtype is None:
        return value
    wanted = dtype_from_spec(dtype)
    if wanted.kind == "U":
        return np.str_(value)
    if wanted.kind == "S":
        return np.bytes_(value.encode("latin-1"))
    return decode_array(value, dtype, [], encoding=encoding)[()]
