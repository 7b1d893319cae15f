"""Dtype descriptors: a pandas dtype recorded as JSON, rebuilt, and values converted to and from JSON."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import pandas_dtype

__all__ = [
    "conform",
    "decode",
    "describe",
    "encode",
    "in_utc",
    "is_string_like",
    "text_restorable",
    "to_dtype",
]

_MASKED = (pd.BooleanDtype, pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype, pd.UInt8Dtype,
           pd.UInt16Dtype, pd.UInt32Dtype, pd.UInt64Dtype, pd.Float32Dtype, pd.Float64Dtype)
_BOOLS = {"True": True, "False": False, "true": True, "false": False}


def describe(dtype: Any) -> dict[str, Any]:
    """A JSON descriptor from which :func:`to_dtype` rebuilds ``dtype`` exactly."""
    if isinstance(dtype, pd.CategoricalDtype):
        return {
            "dtype": "category",
            "ordered": bool(dtype.ordered),
            "categories_dtype": describe(dtype.categories.dtype),
        }
    if isinstance(dtype, pd.StringDtype):
        na_value = getattr(dtype, "na_value", pd.NA)
        return {"dtype": str(dtype), "storage": dtype.storage, "na": "NA" if na_value is pd.NA else "nan"}
    return {"dtype": str(dtype)}


def to_dtype(desc: dict[str, Any], categories: Any = None) -> Any:
    """The dtype a descriptor names (a categorical needs its ``categories``)."""
    if desc["dtype"] == "category":
        return pd.CategoricalDtype(categories, ordered=desc["ordered"])
    if "storage" in desc:
        if desc["na"] == "nan":
            return pd.StringDtype(desc["storage"], na_value=np.nan)
        return pd.StringDtype(desc["storage"])
    return pandas_dtype(desc["dtype"])


def is_string_like(dtype: Any) -> bool:
    """Whether a dtype holds text: object, ``str`` or ``string``."""
    return isinstance(dtype, pd.StringDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "O")


def text_restorable(desc: dict[str, Any]) -> bool:
    """Whether values of this dtype come back exactly from their CSV/JSON text (with the descriptor)."""
    if desc["dtype"] == "category":
        return text_restorable(desc["categories_dtype"])
    if "storage" in desc:
        return True
    dtype = to_dtype(desc)
    if isinstance(dtype, np.dtype):
        return dtype.kind in "biufcMmO"
    return isinstance(dtype, (pd.DatetimeTZDtype, *_MASKED))


# -- Making values match a descriptor ---------------------------------------------------------------


def conform(values: Any, desc: dict[str, Any], categories: Sequence[Any] | None = None) -> Any:
    """``values`` (a Series or Index) with exactly the dtype ``desc`` names; unchanged if it has it."""
    if desc["dtype"] == "category":
        return _conform_categorical(values, desc, categories)
    if describe(values.dtype) == desc:
        return values
    return values.astype(to_dtype(desc))


def _conform_categorical(values: Any, desc: dict[str, Any], categories: Sequence[Any] | None) -> Any:
    is_categorical = isinstance(values.dtype, pd.CategoricalDtype)
    cats_desc = desc["categories_dtype"]
    if categories is not None:
        cats = pd.Index(decode(categories, cats_desc), dtype=to_dtype(cats_desc), tupleize_cols=False)
    elif is_categorical:
        cats = conform(values.dtype.categories, cats_desc)
    else:
        cats = None
    if is_categorical and describe(values.dtype) == desc and (
        categories is None or values.dtype.categories.equals(cats)
    ):
        return values
    if is_categorical and categories is None:
        # Same categories in the same order, only their dtype differs: keep the codes.
        array = pd.Categorical.from_codes(
            np.asarray(values.cat.codes if isinstance(values, pd.Series) else values.codes),
            dtype=pd.CategoricalDtype(cats, ordered=desc["ordered"]),
        )
    else:
        plain = values.astype(object) if is_categorical else values
        array = pd.Categorical(plain, categories=cats, ordered=desc["ordered"])
    if isinstance(values, pd.Index):
        return pd.CategoricalIndex(array, name=values.name)
    return pd.Series(array, index=values.index, name=values.name)


# -- Values to JSON ---------------------------------------------------------------------------------


def encode(values: Any, desc: dict[str, Any]) -> tuple[list[Any], bool]:
    """``(JSON values, exact)`` for a Series/Index/array of the dtype ``desc`` describes."""
    if desc["dtype"] == "category":
        cats, exact = encode(values.dtype.categories, desc["categories_dtype"])
        codes = values.cat.codes if isinstance(values, pd.Series) else values.codes
        return [None if code < 0 else cats[code] for code in np.asarray(codes).tolist()], exact
    dtype = values.dtype
    if isinstance(dtype, np.dtype):
        kind = dtype.kind
        if kind in "biu":
            return np.asarray(values).tolist(), True
        if kind == "f":
            return [_float(v) for v in np.asarray(values).tolist()], True
        if kind == "c":
            return [None if v != v else str(v) for v in np.asarray(values).tolist()], True
        if kind == "M":
            return [None if v is pd.NaT else v.isoformat() for v in values], True
        if kind == "m":
            return [None if v is pd.NaT else str(v) for v in values], True
        if kind == "O":
            encoded = [_object(v) for v in values]
            return [v for v, _ in encoded], all(exact for _, exact in encoded)
    if isinstance(dtype, pd.DatetimeTZDtype):
        # In UTC: a zone's old local mean time has offsets in seconds, which ISO 8601 cannot write.
        return [None if v is pd.NaT else v.isoformat() for v in pd.DatetimeIndex(values).tz_convert("UTC")], True
    if isinstance(dtype, _MASKED):
        return [None if v is pd.NA else _float(v) if isinstance(v, float) else v for v in values.tolist()], True
    if isinstance(dtype, pd.StringDtype):
        return [v if isinstance(v, str) else None for v in values.tolist()], True
    return [None if _is_missing(v) else str(v) for v in values], False


def in_utc(values: Any) -> Any:
    """Time-zone-aware values (or categories) of a Series/Index moved to UTC, others unchanged."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype) and isinstance(dtype.categories.dtype, pd.DatetimeTZDtype):
        utc = pd.CategoricalDtype(dtype.categories.tz_convert("UTC"), ordered=dtype.ordered)
        codes = values.cat.codes if isinstance(values, pd.Series) else values.codes
        array = pd.Categorical.from_codes(np.asarray(codes), dtype=utc)
    elif isinstance(dtype, pd.DatetimeTZDtype):
        array = pd.DatetimeIndex(values).tz_convert("UTC").array
    else:
        return values
    if isinstance(values, pd.Index):
        return pd.Index(array, name=values.name)
    return pd.Series(array, index=values.index, name=values.name)


def _float(value: float) -> float | str | None:
    if math.isfinite(value):
        return value
    return None if value != value else ("inf" if value > 0 else "-inf")


def _object(value: Any) -> tuple[Any, bool]:
    if value is None or isinstance(value, (str, bool)):
        return value, True
    if isinstance(value, int):
        return int(value), True
    if isinstance(value, float):
        return (value, True) if math.isfinite(value) else (_float(value), value != value)
    if value is pd.NA or value is pd.NaT:
        return None, True
    item = getattr(value, "item", None)  # numpy scalars stored in an object column
    if callable(item) and type(value).__module__ == "numpy":
        plain, _exact = _object(item())
        return plain, False
    return str(value), False


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes
        return False


# -- JSON or CSV text back to values ----------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def decode(values: Sequence[Any], desc: dict[str, Any], categories: Sequence[Any] | None = None) -> Any:
    """An array of the dtype ``desc`` names from JSON values or CSV strings (None/NaN for missing)."""
    if desc["dtype"] == "category":
        cats_desc = desc["categories_dtype"]
        present = [v for v in values if not _missing(v)]
        parsed = pd.Index(decode(present, cats_desc), dtype=to_dtype(cats_desc), tupleize_cols=False)
        if categories is not None:
            cats = pd.Index(decode(categories, cats_desc), dtype=to_dtype(cats_desc), tupleize_cols=False)
        else:
            cats = parsed.unique().sort_values()
        found = iter(cats.get_indexer(parsed).tolist())
        codes = [-1 if _missing(v) else next(found) for v in values]
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(cats, ordered=desc["ordered"]))
    dtype = to_dtype(desc)
    if isinstance(dtype, pd.StringDtype):
        return pd.array([None if _missing(v) else str(v) for v in values], dtype=dtype)
    if isinstance(dtype, np.dtype):
        kind = dtype.kind
        if kind == "b":
            return np.array([_bool(v) for v in values], dtype=dtype)
        if kind in "iu":
            return np.array([int(v) for v in values], dtype=dtype)
        if kind == "f":
            return np.array([math.nan if _missing(v) else float(v) for v in values], dtype=dtype)
        if kind == "c":
            return np.array([complex(math.nan, math.nan) if _missing(v) else complex(v) for v in values], dtype=dtype)
        if kind == "M":
            stamps = pd.to_datetime([None if _missing(v) else v for v in values], format="ISO8601")
            return stamps.as_unit(np.datetime_data(dtype)[0]).array
        if kind == "m":
            deltas = pd.to_timedelta([None if _missing(v) else v for v in values])
            return deltas.as_unit(np.datetime_data(dtype)[0]).array
        return _object_array(values)
    if isinstance(dtype, pd.DatetimeTZDtype):
        stamps = pd.to_datetime([None if _missing(v) else v for v in values], format="ISO8601", utc=True)
        return stamps.tz_convert(dtype.tz).as_unit(dtype.unit).array
    if isinstance(dtype, _MASKED):
        kind = dtype.numpy_dtype.kind
        convert: Any = _bool if kind == "b" else int if kind in "iu" else float
        return pd.array([None if _missing(v) else convert(v) for v in values], dtype=dtype)
    try:
        return pd.array([None if _missing(v) else v for v in values], dtype=dtype)
    except (TypeError, ValueError):
        return _object_array(values)


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else _BOOLS[value]


def _object_array(values: Sequence[Any]) -> np.ndarray[Any, Any]:
    array = np.empty(len(values), dtype=object)
    for position, value in enumerate(values):
        array[position] = value
    return array
