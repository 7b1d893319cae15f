"""Write a frame in one of the supported formats and read it back: what the packagers call."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import attrs
import pandas as pd

from satchel_pandas import _arrow, _layout, _summary, _text

if TYPE_CHECKING:
    from satchel import DataItem

__all__ = ["Written", "from_result", "read", "to_result", "write"]

#: How each format records categoricals' categories (Feather keeps them all itself).
_CATEGORIES = {"parquet": "non-string", "feather": "none", "csv": "all", "json": "all"}


@attrs.define
class Written:
    """A frame written to ``path``, with its instructions and what the format could not keep."""

    path: str
    instructions: dict[str, Any]
    losses: list[str]
    schema: list[dict[str, Any]]
    preview: dict[str, Any]
    rows: int


def write(frame: pd.DataFrame, directory: str, key: str, fmt: str, compression: str | None,
          summary: bool) -> Written:
    """Write ``frame`` as ``<directory>/<key>.<fmt>``; ``summary`` adds its schema and preview."""
    # Arrow writes a dictionary only with a batch of rows: an empty frame's categories are recorded.
    layout = _layout.plan(frame, _CATEGORIES[fmt] if len(frame) else "all")
    path = os.path.join(directory, f"{key}.{fmt}")
    losses = list(layout.losses)
    if fmt in ("parquet", "feather"):
        _arrow.write(layout, path, fmt, compression)
    elif fmt == "csv":
        losses += _text.csv_losses(layout)
        _text.write_csv(layout, path)
    else:
        document, json_losses = _text.json_document(layout)
        losses += json_losses
        _text.write_json(document, path)
    return Written(
        path=path,
        instructions=layout.instructions,
        losses=losses,
        schema=_summary.schema(layout) if summary else [],
        preview=_summary.preview(layout) if summary else {},
        rows=len(frame),
    )


def read(item: DataItem, fmt: str, layout: dict[str, Any] | None) -> pd.DataFrame:
    """Read a file :func:`write` wrote (``layout`` None: a foreign file, read with pandas' defaults).

    Arrow reads a single Parquet or Feather file from the item's verified buffer: the file is read
    once, hashed as it is read, with no second read from disk."""
    if fmt in ("parquet", "feather"):
        if len(item.file_names) == 1:
            import pyarrow as pa

            return _arrow.read(pa.BufferReader(pa.py_buffer(item.buffer())), fmt, layout)
        return _arrow.read(item.local(), fmt, layout)
    if fmt == "csv":
        return _text.read_csv(item.local(), layout)
    return _text.read_json(item.local(), layout)


def to_result(frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """``(document, layout, losses)``: the frame as the JSON document a result holds."""
    layout = _layout.plan(frame, "all")
    document, losses = _text.json_document(layout)
    return document, layout.instructions, layout.losses + losses


def from_result(document: dict[str, Any], layout: dict[str, Any] | None) -> pd.DataFrame:
    if layout is None:
        return pd.DataFrame(document["data"], columns=document["columns"])
    return _text.from_document(document, layout)
