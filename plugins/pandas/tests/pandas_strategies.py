"""Hypothesis strategies for DataFrames and Series with the dtypes satchel-pandas promises to keep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

__all__ = ["ALL_KINDS", "CSV_SAFE", "frames", "series"]

TIMEZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "+05:30"]
MAX_ROWS = 6

# Text a CSV gives back exactly: not empty (an empty field is a missing value).
CSV_SAFE = "csv"
TextMaker = Callable[[int], st.SearchStrategy[str]]


def _text(mode: str | None, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(min_size=max(min_size, 1 if mode == CSV_SAFE else 0), max_size=6)


def _datetimes(unit: str) -> st.SearchStrategy[Any]:
    stamps = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))
    if unit == "ns":
        return st.builds(lambda d, ns: pd.Timestamp(d).as_unit("ns") + pd.Timedelta(ns, "ns"), stamps,
                         st.integers(0, 999))
    if unit == "s":
        stamps = stamps.map(lambda d: d.replace(microsecond=0))
    return stamps.map(lambda d: pd.Timestamp(d).as_unit(unit))


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | values


def _column(kind: str, n: int, mode: str | None) -> st.SearchStrategy[Any]:
    """A strategy for one column of ``n`` values of the given kind (an array-like)."""
    def lists(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
        return st.lists(values, min_size=n, max_size=n)

    if kind == "int64":
        return lists(st.integers(-(2**63), 2**63 - 1)).map(lambda v: np.array(v, dtype="int64"))
    if kind == "uint8":
        return lists(st.integers(0, 255)).map(lambda v: np.array(v, dtype="uint8"))
    if kind == "float64":
        return lists(st.floats()).map(lambda v: np.array(v, dtype="float64"))
    if kind == "float32":
        return lists(st.floats(width=32)).map(lambda v: np.array(v, dtype="float32"))
    if kind == "bool":
        return lists(st.booleans()).map(lambda v: np.array(v, dtype=bool))
    if kind == "Int64":
        return lists(_maybe(st.integers(-(2**63), 2**63 - 1))).map(lambda v: pd.array(v, dtype="Int64"))
    if kind == "UInt16":
        return lists(_maybe(st.integers(0, 2**16 - 1))).map(lambda v: pd.array(v, dtype="UInt16"))
    if kind == "Float64":
        return lists(_maybe(st.floats(allow_nan=False))).map(lambda v: pd.array(v, dtype="Float64"))
    if kind == "boolean":
        return lists(_maybe(st.booleans())).map(lambda v: pd.array(v, dtype="boolean"))
    if kind == "str":  # pandas 3's default string dtype (NaN for missing)
        return lists(_maybe(_text(mode))).map(lambda v: pd.array(v, dtype="str"))
    if kind == "string":
        return st.tuples(lists(_maybe(_text(mode))), st.sampled_from(["python", "pyarrow"])).map(
            lambda a: pd.array(a[0], dtype=pd.StringDtype(a[1]))
        )
    if kind == "object":
        return lists(_maybe(_text(mode))).map(_object_array)
    if kind in ("category", "category_int"):
        cats = (st.lists(_text(mode), unique=True, max_size=4) if kind == "category"
                else st.lists(st.integers(-1000, 1000), unique=True, max_size=4))

        def categorical(c: list[Any]) -> st.SearchStrategy[Any]:
            values = _maybe(st.sampled_from(c)) if c else st.none()
            return st.tuples(lists(values), st.booleans()).map(
                lambda a: pd.Categorical(a[0], categories=c, ordered=a[1])
            )

        return cats.flatmap(categorical)
    if kind.startswith("datetime64"):
        unit = kind[len("datetime64[") : -1]
        return lists(_maybe(_datetimes(unit))).map(
            lambda v: pd.array([pd.NaT if x is None else x for x in v], dtype=f"datetime64[{unit}]")
        )
    if kind == "datetime_tz":
        return st.tuples(lists(_maybe(_datetimes("ns"))), st.sampled_from(TIMEZONES)).map(
            lambda a: pd.DatetimeIndex([pd.NaT if x is None else x for x in a[0]], dtype="datetime64[ns]")
            .tz_localize("UTC").tz_convert(a[1]).array
        )
    if kind == "timedelta":
        return lists(_maybe(st.integers(-(10**15), 10**15))).map(
            lambda v: pd.array([pd.NaT if x is None else pd.Timedelta(x, "ns") for x in v], dtype="timedelta64[ns]")
        )
    raise ValueError(kind)


def _object_array(values: list[Any]) -> np.ndarray[Any, Any]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _as_series(values: Any) -> pd.Series:
    # The dtype is explicit: pandas 3 would infer `str` for an object array of strings.
    return pd.Series(values, dtype=getattr(values, "dtype", None), copy=False)


ALL_KINDS = (
    "int64", "uint8", "float64", "float32", "bool", "Int64", "UInt16", "Float64", "boolean", "str",
    "string", "object", "category", "category_int", "datetime64[ns]", "datetime64[us]", "datetime64[s]",
    "datetime_tz", "timedelta",
)
INDEX_KINDS = ("default", "range", "int", "str", "object", "datetime_tz", "date_range", "multi", "category")


def _names(mode: str | None) -> st.SearchStrategy[Any]:
    return st.none() | _text(mode, 1) | st.integers(-5, 5)


@st.composite
def _index(draw: st.DrawFn, n: int, mode: str | None) -> pd.Index:
    kind = draw(st.sampled_from(INDEX_KINDS))
    name = draw(_names(mode))
    if kind == "default":
        return pd.RangeIndex(n)
    if kind == "range":
        start, step = draw(st.integers(-50, 50)), draw(st.integers(1, 5) | st.integers(-5, -1))
        return pd.RangeIndex(start, start + n * step, step, name=name)
    if kind == "int":
        return draw(hpd.indexes(elements=st.integers(-(2**63), 2**63 - 1), dtype="int64", min_size=n,
                                max_size=n, unique=False)).rename(name)
    if kind in ("str", "object"):
        values = draw(st.lists(_text(mode), min_size=n, max_size=n))
        return pd.Index(values, dtype="str" if kind == "str" else object, name=name)
    if kind == "datetime_tz":
        return pd.Index(draw(_column("datetime_tz", n, mode)), name=name)
    if kind == "date_range":
        freq = draw(st.sampled_from(["D", "h", "15min", "2D"]))
        return pd.date_range("2020-03-01", periods=n, freq=freq, tz=draw(st.none() | st.sampled_from(TIMEZONES)),
                             name=name)
    if kind == "category":
        return pd.CategoricalIndex(draw(_column("category", n, mode)), name=name)
    first = draw(_column("int64", n, mode))
    second = draw(st.lists(_text(mode), min_size=n, max_size=n))
    names = draw(st.lists(st.none() | _text(mode, 1), min_size=2, max_size=2))
    return pd.MultiIndex.from_arrays([first, pd.Index(second, dtype=object)], names=names)


@st.composite
def frames(draw: st.DrawFn, kinds: tuple[str, ...] = ALL_KINDS, mode: str | None = None,
           max_columns: int = 5) -> pd.DataFrame:
    """DataFrames of up to six rows with columns of ``kinds``; ``mode=CSV_SAFE`` avoids empty strings."""
    n = draw(st.integers(0, MAX_ROWS))
    index = draw(_index(n, mode))
    count = draw(st.integers(0, max_columns))
    labels = draw(
        st.lists(_text(mode, 1), min_size=count, max_size=count, unique=True)
        | st.lists(st.integers(-10, 1000), min_size=count, max_size=count, unique=True)
    )
    # hypothesis.extra.pandas builds the plain numeric part; the extension-dtype columns are added.
    numeric = [label for label in labels if draw(st.booleans()) and "float64" in kinds]
    base = draw(hpd.data_frames(
        columns=[hpd.column(label, dtype="float64", elements=st.floats()) for label in numeric],
        index=st.just(index),
    ))
    data = {}
    for label in labels:
        data[label] = base[label].array if label in numeric else draw(_column(draw(st.sampled_from(kinds)), n, mode))
    frame = pd.DataFrame({i: _as_series(v) for i, v in enumerate(data.values())})
    frame.columns = pd.Index(labels, dtype=None if labels else object)
    frame.index = index
    if draw(st.booleans()):
        frame.columns.name = draw(_names(mode))
    return frame


@st.composite
def series(draw: st.DrawFn, kinds: tuple[str, ...] = ALL_KINDS, mode: str | None = None) -> pd.Series:
    """Series of up to six values of one of ``kinds``, with a name (None, text, int or tuple)."""
    n = draw(st.integers(0, MAX_ROWS))
    index = draw(_index(n, mode))
    values = draw(_column(draw(st.sampled_from(kinds)), n, mode))
    name = draw(_names(mode) | st.tuples(_text(mode, 1), st.integers(0, 3)))
    return _as_series(values).set_axis(index).rename(name)
