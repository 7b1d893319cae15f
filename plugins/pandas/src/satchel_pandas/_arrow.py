"""Parquet and Feather through pyarrow: written in row-group chunks straight from the frame, read back
with pyarrow's pandas metadata and then made exact by the recorded layout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from satchel_pandas._layout import Layout, restore_frame

__all__ = ["ArrowConversionError", "read", "write"]

#: Rows per row group (Parquet) or record batch (Feather) at most; pyarrow's own Parquet default.
MAX_CHUNK_ROWS = 1024 * 1024
#: Rows are converted to Arrow this many bytes (of the frame's memory) at a time, so the Arrow copy
#: alive at once stays small next to a big frame.
CHUNK_BYTES = 256 * 1024 * 1024
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
_STRING_TYPES = (pa.string(), pa.large_string(), pa.binary(), pa.large_binary())


class ArrowConversionError(ValueError):
    """A column holds values Arrow (so Parquet and Feather) cannot store."""


def _chunk_rows(frame: pd.DataFrame) -> int:
    rows = len(frame)
    nbytes = int(frame.memory_usage(index=True, deep=False).sum())
    if rows == 0 or nbytes <= CHUNK_BYTES:
        return max(min(rows, MAX_CHUNK_ROWS), 1)
    return max(min(rows * CHUNK_BYTES // nbytes, MAX_CHUNK_ROWS), 1024)


def _tables(layout: Layout) -> tuple[pa.Schema, Iterator[pa.Table]]:
    frame = layout.frame
    _check_columns(frame)
    step = _chunk_rows(frame)
    try:
        if len(frame) <= step:
            table = pa.Table.from_pandas(frame, preserve_index=None)
            return table.schema, iter([table])
        # One schema for every chunk: a chunk alone could infer another type (e.g. all-null objects).
        schema = pa.Schema.from_pandas(frame, preserve_index=None)
    except _ARROW_ERRORS as error:
        raise ArrowConversionError(str(error)) from error

    def chunks() -> Iterator[pa.Table]:
        for start in range(0, len(frame), step):
            try:
                yield pa.Table.from_pandas(frame.iloc[start : start + step], schema=schema, preserve_index=None)
            except _ARROW_ERRORS as error:
                raise ArrowConversionError(str(error)) from error

    return schema, chunks()


def _check_columns(frame: pd.DataFrame) -> None:
    for header, dtype in frame.dtypes.items():
        if isinstance(dtype, np.dtype) and dtype.kind == "c":
            raise ArrowConversionError(
                f"column {header!r} holds complex numbers ({dtype}), which Arrow cannot store; split it "
                "into real and imaginary columns (np.real/np.imag)"
            )


def write(layout: Layout, path: str, fmt: str, compression: str | None) -> None:
    """Write the layout's frame to ``path`` as Parquet or Feather (Arrow IPC file)."""
    schema, tables = _tables(layout)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetWriter(path, schema, compression=compression or "snappy") as writer:
            for table in tables:
                writer.write_table(table, row_group_size=MAX_CHUNK_ROWS)
    else:
        import pyarrow.ipc as ipc

        codec = None if compression in (None, "uncompressed") else compression
        if compression is None and pa.Codec.is_available("lz4"):
            codec = "lz4"
        options = ipc.IpcWriteOptions(compression=codec)
        with ipc.new_file(path, schema, options=options) as writer:
            for table in tables:
                writer.write_table(table.replace_schema_metadata(schema.metadata), max_chunksize=64 * 1024)


def read(source: str | pa.NativeFile, fmt: str, instructions: dict[str, Any] | None) -> pd.DataFrame:
    """Read a Parquet or Feather file (a path, or a buffer) back into the exact frame the layout
    describes."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(source)
    else:
        import pyarrow.feather as feather

        table = feather.read_table(source, memory_map=False)
    if instructions is None:
        return table.to_pandas()
    # Object columns are rebuilt from Arrow directly: pandas 3 would turn strings into `str`, and
    # integers with nulls into floats.
    objects: dict[int, pa.ChunkedArray] = {}
    for position, entry in enumerate(instructions["columns"]):
        if entry["dtype"]["dtype"] == "object":
            objects[position] = table.column(entry["header"])
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    for position, column in objects.items():
        frame.isetitem(position, pd.Series(_objects(column), index=frame.index, dtype=object))
    return restore_frame(frame, instructions)


def _objects(column: pa.ChunkedArray) -> Any:
    if column.type in _STRING_TYPES:
        return column.to_numpy(zero_copy_only=False)
    values = np.empty(len(column), dtype=object)
    for position, value in enumerate(column.to_pylist()):
        values[position] = value
    return values
