"""A frame's layout: the unique string headers its file uses, and what restores labels and dtypes.

The layout is recorded in the artifact's instructions. Every format writes the index levels (unless
it is a RangeIndex, which is recorded instead) followed by the columns, under string headers; the
layout maps them back to the original labels, names, dtypes, categories and index frequency.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import attrs
import pandas as pd

from satchel_pandas import _dtypes
from satchel_pandas._names import decode_name, encode_name

__all__ = ["Layout", "apply_index", "build_columns", "plan", "restore_frame"]

#: Categoricals with more categories than this are not recorded in the instructions.
MAX_RECORDED_CATEGORIES = 10_000
_PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3
# Before pandas 3 (copy-on-write), set_axis/rename_axis copy the data unless told not to.
_NO_COPY: dict[str, Any] = {} if _PANDAS_3 else {"copy": False}


@attrs.define
class Layout:
    """What to write (``frame`` with string headers, sharing the caller's data) and how to restore it."""

    frame: pd.DataFrame
    headers: list[str]
    index_headers: list[str]
    instructions: dict[str, Any]
    losses: list[str]


def _unique(candidate: str, used: set[str], fallback: str) -> str:
    header = candidate if candidate and not candidate.startswith("__index_level_") else fallback
    base, suffix = header, 1
    while header in used:
        header, suffix = f"{base}__{suffix}", suffix + 1
    used.add(header)
    return header


def _header(label: Any) -> str:
    if isinstance(label, str):
        return label
    if isinstance(label, tuple):
        return "/".join(map(str, label))
    return str(label)


def _categories(
    dtype: Any, need: str, where: str, losses: list[str]
) -> list[Any] | None:
    """The categories to record for ``need`` ("all", "non-string" or "none"), or None."""
    if not isinstance(dtype, pd.CategoricalDtype) or need == "none":
        return None
    cats = dtype.categories
    if need == "non-string" and _dtypes.is_string_like(cats.dtype) and pd.api.types.infer_dtype(cats) in (
        "string", "empty",
    ):
        return None
    if len(cats) > MAX_RECORDED_CATEGORIES:
        losses.append(
            f"{where}: its {len(cats)} categories are too many to record, so it comes back with the "
            "categories present in the data, sorted (unused ones and their order are lost)"
        )
        return None
    encoded, exact = _dtypes.encode(cats, _dtypes.describe(cats.dtype))
    if not exact:
        losses.append(f"{where}: its categories are not all JSON values and come back as text")
    return encoded


def _describe_axis(
    axis: pd.Index, kind: str, record_values: bool, categories: str, losses: list[str]
) -> dict[str, Any]:
    names = [encode_name(name)[0] for name in axis.names]
    if isinstance(axis, pd.RangeIndex):
        return {"kind": "range", "start": axis.start, "stop": axis.stop, "step": axis.step, "names": names}
    levels: list[dict[str, Any]] = []
    for position in range(axis.nlevels):
        values = axis.get_level_values(position) if axis.nlevels > 1 else axis
        desc = _dtypes.describe(values.dtype)
        where = f"{kind} level {position}"
        level: dict[str, Any] = {"dtype": desc}
        cats = _categories(values.dtype, "all" if record_values else categories, where, losses)
        if cats is not None:
            level["categories"] = cats
        if record_values:
            encoded, exact = _dtypes.encode(values, desc)
            if not exact:
                losses.append(f"{where}: labels that are not JSON values come back as text")
            level["values"] = encoded
        levels.append(level)
    out: dict[str, Any] = {"kind": "labels", "names": names, "levels": levels}
    freq = getattr(axis, "freqstr", None) if isinstance(axis, (pd.DatetimeIndex, pd.TimedeltaIndex)) else None
    if freq:
        out["freq"] = freq
    return out


def plan(frame: pd.DataFrame, categories: str) -> Layout:
    """The layout for writing ``frame``; ``categories`` says which categoricals' categories to record
    ("all" for text formats, "non-string" for Parquet, "none" for Feather)."""
    if not frame.columns.is_unique:
        duplicated = sorted({_header(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ValueError(
            f"the frame has duplicate column names {duplicated}; give each column a unique name "
            "(e.g. df.columns = [...]) before logging it"
        )
    losses: list[str] = []
    used: set[str] = set()
    headers = [_unique(_header(label), used, f"__column_{i}__") for i, label in enumerate(frame.columns)]
    index = frame.index
    if isinstance(index, pd.RangeIndex):
        index_headers: list[str] = []
    else:
        index_headers = [
            _unique(name if isinstance(name, str) else "", used, f"__index_level_{i}__")
            for i, name in enumerate(index.names)
        ]
    columns: list[dict[str, Any]] = []
    for header, (label, dtype) in zip(headers, frame.dtypes.items(), strict=True):
        entry: dict[str, Any] = {"header": header, "dtype": _dtypes.describe(dtype)}
        cats = _categories(dtype, categories, f"column {_header(label)!r}", losses)
        if cats is not None:
            entry["categories"] = cats
        columns.append(entry)
    instructions: dict[str, Any] = {
        "rows": len(frame),
        "columns": columns,
        "index": _describe_axis(index, "index", False, categories, losses),
        "column_index": _describe_axis(frame.columns, "column labels", True, categories, losses),
    }
    for name in (*index.names, *frame.columns.names):
        if not encode_name(name)[1]:
            losses.append(f"axis name {name!r} is not a JSON value and comes back as text")
    if frame.attrs:
        try:
            instructions["attrs"] = json.loads(json.dumps(frame.attrs, allow_nan=False))
        except (TypeError, ValueError):
            losses.append("df.attrs holds values that are not JSON, so it is not kept")
    flat = frame.set_axis(headers, axis=1, **_NO_COPY)
    if index_headers:
        flat = flat.rename_axis(index=index_headers if index.nlevels > 1 else index_headers[0], **_NO_COPY)
    return Layout(flat, headers, index_headers, instructions, losses)


# -- Restoring --------------------------------------------------------------------------------------


def build_columns(desc: dict[str, Any]) -> pd.Index:
    """The column labels a layout recorded."""
    names = [decode_name(name) for name in desc["names"]]
    if desc["kind"] == "range":
        return pd.RangeIndex(desc["start"], desc["stop"], desc["step"], name=names[0])
    arrays = [
        _index_from(_dtypes.decode(level["values"], level["dtype"], level.get("categories")), level)
        for level in desc["levels"]
    ]
    return _assemble(arrays, names, desc)


def apply_index(current: pd.Index | None, desc: dict[str, Any]) -> pd.Index:
    """The row index a layout recorded, from ``current`` (what the file gave back) if it is not a range."""
    names = [decode_name(name) for name in desc["names"]]
    if desc["kind"] == "range":
        return pd.RangeIndex(desc["start"], desc["stop"], desc["step"], name=names[0])
    assert current is not None
    levels = [current.get_level_values(i) if current.nlevels > 1 else current for i in range(current.nlevels)]
    arrays = [
        _dtypes.conform(values, level["dtype"], level.get("categories"))
        for values, level in zip(levels, desc["levels"], strict=True)
    ]
    return _assemble(arrays, names, desc)


def _index_from(array: Any, level: dict[str, Any]) -> pd.Index:
    return pd.Index(array, dtype=_dtypes.to_dtype(level["dtype"], getattr(array, "categories", None)),
                    tupleize_cols=False)


def _assemble(arrays: list[Any], names: list[Any], desc: dict[str, Any]) -> pd.Index:
    if len(arrays) > 1:
        return pd.MultiIndex.from_arrays(arrays, names=names)
    index = pd.Index(arrays[0], name=names[0], tupleize_cols=False)
    freq = desc.get("freq")
    if freq and isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        # Values that no longer conform to the frequency are kept without it.
        with contextlib.suppress(ValueError):
            index = type(index)(index, freq=freq)
    return index


def restore_frame(frame: pd.DataFrame, instructions: dict[str, Any]) -> pd.DataFrame:
    """Put recorded dtypes, labels, index and attrs back on ``frame`` (a frame this plugin just read)."""
    for position, entry in enumerate(instructions["columns"]):
        current = frame.dtypes.iloc[position]
        desc = entry["dtype"]
        if _dtypes.describe(current) == desc and "categories" not in entry:
            continue
        conformed = _dtypes.conform(frame.iloc[:, position], desc, entry.get("categories"))
        frame.isetitem(position, conformed)
    frame.index = apply_index(frame.index, instructions["index"])
    frame.columns = build_columns(instructions["column_index"])
    if "attrs" in instructions:
        frame.attrs = dict(instructions["attrs"])
    return frame

