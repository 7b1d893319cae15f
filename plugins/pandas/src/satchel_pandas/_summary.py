"""What a dataset's metadata shows without loading it: its schema and a small preview of its first rows."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from satchel_pandas._layout import Layout

__all__ = ["preview", "schema"]

PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 64
CELL_CHARS = 48
#: The preview's JSON is kept under this many characters, dropping rows (then cells) to fit.
PREVIEW_CHARS = 16 * 1024


def schema(layout: Layout) -> list[dict[str, Any]]:
    """Index levels (marked ``"index": true``) then columns, each with its header and dtype as text."""
    frame = layout.frame
    fields: list[dict[str, Any]] = [
        {"name": header, "type": str(frame.index.get_level_values(i).dtype), "index": True}
        for i, header in enumerate(layout.index_headers)
    ]
    fields += [{"name": header, "type": str(dtype)} for header, dtype in zip(layout.headers, frame.dtypes, strict=True)]
    return fields


def _cell(value: Any) -> str | None:
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass  # list-likes are shown as text
    text = str(value)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def preview(layout: Layout) -> dict[str, Any]:
    """``{"columns": [...], "rows": [[...]...]}``: the first rows as JSON-safe strings (None for missing)."""
    head = layout.frame.iloc[:PREVIEW_ROWS]
    index_columns = [head.index.get_level_values(i) for i in range(len(layout.index_headers))]
    shown = min(len(layout.headers), max(PREVIEW_COLUMNS - len(index_columns), 0))
    columns = index_columns + [head.iloc[:, i] for i in range(shown)]
    headers = layout.index_headers + layout.headers[:shown]
    rows = [[_cell(value) for value in row] for row in zip(*columns, strict=True)] if columns else []
    out: dict[str, Any] = {"columns": headers, "rows": rows}
    if shown < len(layout.headers):
        out["more_columns"] = len(layout.headers) - shown
    while rows and len(json.dumps(out, ensure_ascii=False)) > PREVIEW_CHARS:
        rows.pop()
    if len(json.dumps(out, ensure_ascii=False)) > PREVIEW_CHARS:  # very long headers
        out = {"columns": [h[:CELL_CHARS] for h in headers][: PREVIEW_CHARS // (CELL_CHARS * 4)], "rows": []}
    return out
