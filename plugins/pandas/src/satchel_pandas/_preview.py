"""A table's preview for the UI when its record holds none (a frame logged as a plain file): the row
count and schema from the Parquet or Feather metadata and the first rows, without building a frame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from satchel.previews import MAX_READ_BYTES, Facts, Preview, Table

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.previews import Reader

__all__ = ["table_preview"]

HEAD_ROWS = 5
MAX_COLUMNS = 64
_CELL = 48


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def table_preview(record: ArtifactRecord, read: Reader) -> Preview | None:
    """None when the record already describes the table (core's generic preview shows it) or the
    file is not one table in Parquet or Feather, or larger than a preview reads."""
    preview = record.preview if isinstance(record.preview, dict) else {}
    if preview.get("columns") or record.format not in ("parquet", "feather") or len(record.files) != 1:
        return None
    entry = record.files[0]
    if entry.size > MAX_READ_BYTES:
        return None
    import pyarrow as pa

    source = pa.BufferReader(read(entry.name))  # verified bytes; only the metadata and first rows are decoded
    if record.format == "parquet":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(source)
        rows, schema = parquet.metadata.num_rows, parquet.schema_arrow
        head = next(parquet.iter_batches(batch_size=HEAD_ROWS), None)
    else:
        reader = pa.ipc.open_file(source)
        schema = reader.schema
        batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]
        rows = sum(batch.num_rows for batch in batches)
        head = batches[0].slice(0, HEAD_ROWS) if batches else None
    names = schema.names[:MAX_COLUMNS]
    first = head.to_pylist() if head is not None else []
    blocks = [
        Facts([("rows", str(rows)), ("columns", str(len(schema.names))), ("format", record.format)]),
        Table(["column", "type"], [[name, str(schema.field(name).type)] for name in names], title="Schema"),
        Table(names, [[_cell(row.get(name)) for name in names] for row in first[:HEAD_ROWS]], title="First rows",
              note=f"and {len(schema.names) - len(names)} more column(s)" if len(schema.names) > len(names) else None),
    ]
    return Preview(blocks, summary=f"{rows} rows x {len(schema.names)} columns")
