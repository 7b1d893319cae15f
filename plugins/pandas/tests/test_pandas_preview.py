"""The table preview `satchel ui` shows for a frame stored as a plain file (a dataset's record carries
its own schema and first rows, which core's generic preview shows)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from satchel import PluginHost, Store
from satchel.packing import log_packed, staging
from satchel.previews import Facts, Table
from satchel.testing import isolated_host
from satchel_pandas import DataFramePackager, SeriesPackager

FRAME = pd.DataFrame({"id": range(1000), "city": ["Oslo", "Quito"] * 500, "note": ["<script>x</script>", None] * 500})


@pytest.fixture
def host() -> PluginHost:
    return isolated_host(("pandas", DataFramePackager), ("pandas-series", SeriesPackager))


@pytest.mark.parametrize("fmt", ["parquet", "feather"])
def test_a_frame_stored_as_a_file_shows_its_schema_row_count_and_first_rows(host: PluginHost, tmp_path: Path, fmt: str) -> None:
    with Store(tmp_path / "store") as store:
        with staging(store):
            packed = host.pack(FRAME, "t", "file", {"format": fmt})
        record = log_packed(store, "p", packed)
        plugin, preview, problems = host.render_preview(record, lambda name: store.read_bytes(record, name))
    assert ("pandas", []) == (plugin, problems)
    assert preview is not None and preview.summary is not None and preview.summary.startswith("1000 rows x ")
    facts, schema, head = preview.blocks
    assert isinstance(facts, Facts) and ("rows", "1000") in facts.items
    assert isinstance(schema, Table) and ["id", "int64"] == schema.rows[0]
    assert isinstance(head, Table) and ["0", "Oslo", "<script>x</script>"] == head.rows[0][:3]
    assert 5 == len(head.rows) and None is head.rows[1][2]


def test_a_dataset_is_left_to_its_record(host: PluginHost, tmp_path: Path) -> None:
    with Store(tmp_path / "store") as store:
        with staging(store):
            packed = host.pack(FRAME, "t", "dataset", {})
        record = log_packed(store, "p", packed)
        assert (None, None, []) == host.render_preview(record, lambda name: store.read_bytes(record, name))
