"""CSV and JSON: the frame as text, with the layout recording what the text cannot say."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from satchel_pandas import _dtypes
from satchel_pandas._layout import Layout, apply_index, build_columns

__all__ = ["csv_losses", "from_document", "json_document", "read_csv", "read_json", "write_csv", "write_json"]


def _format_losses(layout: Layout) -> list[str]:
    """Columns whose dtype has no exact text form in either format."""
    losses = []
    entries = [(f"column {e['header']!r}", e["dtype"]) for e in layout.instructions["columns"]]
    index = layout.instructions["index"]
    if index["kind"] != "range":
        entries += [(f"index level {i}", level["dtype"]) for i, level in enumerate(index["levels"])]
    for where, desc in entries:
        if not _dtypes.text_restorable(desc):
            losses.append(f"{where} ({desc['dtype']}) comes back as text in an object column")
    return losses


def _text_columns(layout: Layout) -> list[tuple[str, Any]]:
    frame = layout.frame
    found = []
    if layout.index_headers:
        for position in range(len(layout.index_headers)):
            found.append((f"index level {position}", frame.index.get_level_values(position)))
    for position, header in enumerate(layout.headers):
        found.append((f"column {header!r}", frame.iloc[:, position]))
    return found


def csv_losses(layout: Layout) -> list[str]:
    """What a CSV file of this frame cannot give back."""
    losses = _format_losses(layout)
    for where, values in _text_columns(layout):
        dtype = values.dtype
        strings = values.dtype.categories if isinstance(dtype, pd.CategoricalDtype) else values
        if not _dtypes.is_string_like(strings.dtype):
            continue
        kind = pd.api.types.infer_dtype(strings, skipna=True)
        if kind not in ("string", "empty"):
            losses.append(f"{where} holds {kind} objects, which come back as strings")
        elif (pd.Series(strings, dtype=object) == "").any():
            losses.append(f"{where} holds empty strings, which come back as missing values")
    return losses


def write_csv(layout: Layout, path: str) -> None:
    """Write the index levels then the columns, under the layout's headers, missing values empty.

    Lines end in CRLF as RFC 4180 says; it also makes the writer quote any field holding a bare
    carriage return, which a reader would otherwise take for a line break.
    """
    _utc_frame(layout.frame).to_csv(
        path, index=bool(layout.index_headers), na_rep="", encoding="utf-8", lineterminator="\r\n"
    )


def _utc_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with time-zone-aware columns and index levels in UTC (the zone is in the layout):
    a zone's old local mean time has offsets in seconds, which ISO 8601 cannot write."""
    moved = [position for position, dtype in enumerate(frame.dtypes) if _aware(dtype)]
    index_aware = any(_aware(frame.index.get_level_values(i).dtype) for i in range(frame.index.nlevels))
    if not moved and not index_aware:
        return frame
    frame = frame.copy(deep=False)  # new axes over the same data; the caller's frame is not touched
    for position in moved:
        frame.isetitem(position, _dtypes.in_utc(frame.iloc[:, position]))
    if index_aware:
        levels = [_dtypes.in_utc(frame.index.get_level_values(i)) for i in range(frame.index.nlevels)]
        frame.index = pd.MultiIndex.from_arrays(levels, names=frame.index.names) if len(levels) > 1 else levels[0]
    return frame


def _aware(dtype: Any) -> bool:
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return isinstance(dtype, pd.DatetimeTZDtype)


def read_csv(path: str, instructions: dict[str, Any] | None) -> pd.DataFrame:
    """Read a CSV file written by :func:`write_csv` back, restoring what the layout recorded."""
    if instructions is None:
        return pd.read_csv(path)
    width = len(instructions["columns"]) + _index_width(instructions)
    if width == 0:
        return _assemble([], instructions)
    raw = pd.read_csv(
        path, dtype=object, keep_default_na=False, na_values=[""], skip_blank_lines=False, encoding="utf-8"
    )
    return _assemble([raw.iloc[:, i].tolist() for i in range(width)], instructions)


def json_document(layout: Layout) -> tuple[dict[str, Any], list[str]]:
    """``({"columns": [...], "data": [[row]...]}, losses)``: pandas' "split" form, index levels first."""
    losses = _format_losses(layout)
    instructions = layout.instructions
    columns: list[list[Any]] = []
    for (where, values), desc in zip(_text_columns(layout), _descs(instructions), strict=True):
        encoded, exact = _dtypes.encode(values, desc)
        if not exact and _dtypes.text_restorable(desc):
            losses.append(f"{where} holds values that are not JSON (kept as their text)")
        columns.append(encoded)
    rows = [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in range(len(layout.frame))]
    return {"columns": [*layout.index_headers, *layout.headers], "data": rows}, losses


def write_json(document: dict[str, Any], path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def read_json(path: str, instructions: dict[str, Any] | None) -> pd.DataFrame:
    """Read a JSON file written by :func:`write_json` back, restoring what the layout recorded
    (``instructions`` None: a foreign file, in pandas' "split" form, a list of records or a dict of columns)."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    if instructions is None:
        if isinstance(document, dict) and {"columns", "data"} <= set(document):  # pandas' "split" form
            return pd.DataFrame(document["data"], columns=document["columns"])
        return pd.DataFrame(document)  # a list of records, or a dict of columns
    return from_document(document, instructions)


def from_document(document: dict[str, Any], instructions: dict[str, Any]) -> pd.DataFrame:
    width = len(document["columns"])
    rows = document["data"]
    columns = [list(column) for column in zip(*rows, strict=True)] if rows and width else [[] for _ in range(width)]
    return _assemble(columns, instructions)


def _series(array: Any) -> pd.Series:
    # An explicit dtype: pandas 3 would otherwise infer `str` for an object array of strings.
    return pd.Series(array, dtype=array.dtype, copy=False)


def _index_width(instructions: dict[str, Any]) -> int:
    index = instructions["index"]
    return 0 if index["kind"] == "range" else len(index["levels"])


def _descs(instructions: dict[str, Any]) -> list[dict[str, Any]]:
    index = instructions["index"]
    levels = [] if index["kind"] == "range" else index["levels"]
    return [level["dtype"] for level in levels] + [entry["dtype"] for entry in instructions["columns"]]


def _assemble(columns: list[list[Any]], instructions: dict[str, Any]) -> pd.DataFrame:
    index_desc = instructions["index"]
    width = _index_width(instructions)
    if width:
        levels = [
            pd.Index(_dtypes.decode(values, level["dtype"], level.get("categories")), tupleize_cols=False)
            for values, level in zip(columns[:width], index_desc["levels"], strict=True)
        ]
        current: pd.Index | None = pd.MultiIndex.from_arrays(levels) if width > 1 else levels[0]
    else:
        current = None
    index = apply_index(current, index_desc)
    data = {
        position: _series(_dtypes.decode(values, entry["dtype"], entry.get("categories")))
        for position, (values, entry) in enumerate(zip(columns[width:], instructions["columns"], strict=True))
    }
    frame = pd.DataFrame(data) if data else pd.DataFrame(index=pd.RangeIndex(len(index)))
    frame.index = index
    frame.columns = build_columns(instructions["column_index"])
    if "attrs" in instructions:
        frame.attrs = dict(instructions["attrs"])
    return frame
