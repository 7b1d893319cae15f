"""satchel-pandas: the test kit's contract for both packagers, then each format's specific promises."""

from __future__ import annotations

import json
import pathlib
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal, assert_series_equal
from pandas_strategies import CSV_SAFE, frames, series

from satchel import DataItem, Store
from satchel.errors import PackingError, UnpackingError
from satchel.packing import log_packed, staging
from satchel.testing import PackagerContract, isolated_host
from satchel.unpacking import unpack_record
from satchel_pandas import DataFramePackager, FormatLossWarning, SeriesPackager, _arrow

PROJECT = "pandas-tests"
QUICK = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_same_frame(original: pd.DataFrame, restored: Any) -> None:
    assert type(restored) is pd.DataFrame
    assert_frame_equal(original, restored, check_exact=True)
    # assert_frame_equal compares column labels' values; their dtype and names must match too.
    assert original.columns.dtype == restored.columns.dtype
    assert original.columns.names == restored.columns.names
    assert original.index.names == restored.index.names


class TestDataFramePackager(PackagerContract):
    packager = DataFramePackager
    strategy = frames()
    # dataset: Parquet; file: Feather here (Parquet files are the dataset's format); result: JSON.
    round_trip_types = ("dataset", "file", "result")
    options = {"file": {"format": "feather"}}
    # CSV holds only some frames exactly (it warns about the rest); the CSV_SAFE tests below check it.
    option_values: ClassVar[dict[str, dict[str, tuple[str, ...]]]] = {"dataset": {"format": ("json", "feather")}}

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        assert_same_frame(original, restored)

    def assert_same_from_file(self, original: Any, restored: Any, artifact_type: str) -> None:
        # A plain Parquet or Feather file read without the packer's instructions keeps every value
        # but not every label or dtype detail (column labels come back as text, a string column's
        # storage and a categorical's type as the format keeps them): the values must match, by position.
        assert type(restored) is pd.DataFrame
        if original.shape[1] == 0:  # a table of no columns: its row count is the index's, if written
            assert 0 == restored.shape[1]
            return
        assert original.shape == restored.shape
        for position in range(original.shape[1]):
            assert_series_equal(
                original.iloc[:, position], _in_unit_of(original.iloc[:, position], restored.iloc[:, position]),
                check_names=False, check_index=False, check_exact=True, check_dtype=False, check_categorical=False,
            )


class TestSeriesPackager(PackagerContract):
    packager = SeriesPackager
    strategy = series()
    round_trip_types = ("dataset", "file", "result")
    options = {"file": {"format": "json"}}
    option_values: ClassVar[dict[str, dict[str, tuple[str, ...]]]] = {"dataset": {"format": ("json", "feather")}}
    # A Series' JSON file holds a non-range index as a second column, which only the instructions
    # tell apart from the values; its Parquet file says which column is the index.
    local_file_types = ("dataset",)

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        assert type(restored) is pd.Series
        assert_series_equal(original, restored, check_exact=True)
        assert original.name == restored.name or (original.name != original.name and restored.name != restored.name)

    def assert_same_from_file(self, original: Any, restored: Any, artifact_type: str) -> None:
        # A plain file read without the packer's instructions keeps the values, not the name or every
        # dtype detail (a datetime's unit, a categorical's type, as the format keeps them).
        assert type(restored) is pd.Series
        assert_series_equal(
            original, _in_unit_of(original, restored), check_names=False, check_index=False, check_exact=True,
            check_dtype=False, check_categorical=False,
        )


# -- Helpers ----------------------------------------------------------------------------------------


def _in_unit_of(original: pd.Series, restored: pd.Series) -> pd.Series:
    """``restored`` in ``original``'s datetime or timedelta unit (a plain file keeps its own unit;
    compared without dtypes, pandas would compare the raw counts of different units)."""
    kinds = (getattr(original.dtype, "kind", ""), getattr(restored.dtype, "kind", ""))
    if kinds in (("M", "M"), ("m", "m")) and original.dtype != restored.dtype:
        return restored.astype(original.dtype)
    return restored


@pytest.fixture(scope="module")
def host() -> Any:
    return isolated_host(("pandas", DataFramePackager), ("pandas-series", SeriesPackager))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store(tmp_path_factory.mktemp("store")) as opened:
        yield opened


def round_trip(host: Any, store: Store, obj: Any, artifact_type: str | None = "file",
               options: dict[str, Any] | None = None, obj_type: Any = None) -> tuple[Any, Any]:
    with staging(store):
        packed = host.pack(obj, "table", artifact_type, options or {})
    if packed.is_result:
        return packed, host.unpack_result(packed.value, producer=packed.producer,
                                          instructions=packed.instructions, obj_type=obj_type or type(obj))
    record = log_packed(store, PROJECT, packed)
    return record, unpack_record(store, record, obj_type or type(obj), host=host)


def quiet_round_trip(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FormatLossWarning)
        return round_trip(*args, **kwargs)


def sample_frame() -> pd.DataFrame:
    index = pd.MultiIndex.from_arrays(
        [[1, 1, 2, 2], pd.Index(["a", "b", "a", "b"], dtype=object)], names=["group", None]
    )
    frame = pd.DataFrame({
        "int": [1, 2, 3, 4],
        "float": [1.5, np.nan, np.inf, -0.0],
        "object": pd.Series(["x", None, "y", "é"], dtype=object).array,
        "str": pd.array(["x", None, "y", "z"], dtype="str"),
        "Int64": pd.array([1, None, 3, 2**62], dtype="Int64"),
        "boolean": pd.array([True, None, False, True], dtype="boolean"),
        "ordered": pd.Categorical(["b", "a", None, "b"], categories=["c", "b", "a"], ordered=True),
        "when": pd.date_range("2021-03-28 00:30", periods=4, freq="30min", tz="Europe/Paris"),
        "naive_s": pd.date_range("2020", periods=4).as_unit("s"),
        "delta": pd.to_timedelta([1, 2, None, 4], unit="ns"),
        7: [1.0, 2, 3, 4],
    })
    frame.index = index
    frame.columns.name = "fields"
    return frame


# -- Every format -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "feather", "csv", "json"])
def test_sample_frame_round_trips_exactly_in_every_format(host: Any, store: Store, fmt: str) -> None:
    frame = sample_frame()
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": fmt})
    assert_same_frame(frame, restored)


@pytest.mark.parametrize("fmt", ["parquet", "feather", "csv", "json"])
def test_int_column_names_and_named_column_index_are_restored(host: Any, store: Store, fmt: str) -> None:
    frame = pd.DataFrame({0: [1, 2], 1: ["a", "b"], 10: [0.5, 1.5]}).rename_axis(columns="n")
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": fmt})
    assert_same_frame(frame, restored)
    assert list(restored.columns) == [0, 1, 10]


@pytest.mark.parametrize("fmt", ["parquet", "feather", "csv", "json"])
def test_multiindex_columns_and_index_frequency_are_restored(host: Any, store: Store, fmt: str) -> None:
    columns = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)], names=["outer", "inner"])
    index = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC", name="day")
    frame = pd.DataFrame(np.arange(9.0).reshape(3, 3), index=index, columns=columns)
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": fmt})
    assert_same_frame(frame, restored)
    assert restored.index.freq == pd.offsets.Day()


@pytest.mark.parametrize("fmt", ["parquet", "feather", "csv", "json"])
@pytest.mark.parametrize("frame", [
    pd.DataFrame(),
    pd.DataFrame(index=pd.RangeIndex(3)),
    pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="str")}),
    pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], name="a")),  # index name = a column name
], ids=["empty", "rows-no-columns", "columns-no-rows", "index-name-clash"])
def test_empty_and_edge_frames_round_trip(host: Any, store: Store, fmt: str, frame: pd.DataFrame) -> None:
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": fmt})
    assert_same_frame(frame, restored)


@pytest.mark.parametrize("fmt", ["parquet", "feather", "csv", "json"])
def test_attrs_are_kept(host: Any, store: Store, fmt: str) -> None:
    frame = pd.DataFrame({"a": [1]})
    frame.attrs = {"source": "sensor-7", "version": 2}
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": fmt})
    assert restored.attrs == {"source": "sensor-7", "version": 2}


# -- Hypothesis per format --------------------------------------------------------------------------


@QUICK
@given(frames())
def test_any_frame_round_trips_as_parquet_file(host: Any, store: Store, frame: pd.DataFrame) -> None:
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": "parquet"})
    assert_same_frame(frame, restored)


@QUICK
@given(frames())
def test_any_frame_round_trips_as_json_file(host: Any, store: Store, frame: pd.DataFrame) -> None:
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": "json"})
    assert_same_frame(frame, restored)


@QUICK
@given(frames(mode=CSV_SAFE))
def test_frames_without_empty_strings_round_trip_as_csv(host: Any, store: Store, frame: pd.DataFrame) -> None:
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": "csv"})
    assert_same_frame(frame, restored)


@QUICK
@given(series(mode=CSV_SAFE), st.sampled_from(["csv", "parquet", "feather"]))
def test_series_round_trip_as_csv_parquet_and_feather(host: Any, store: Store, values: pd.Series, fmt: str) -> None:
    _record, restored = quiet_round_trip(host, store, values, "file", {"format": fmt})
    assert_series_equal(values, restored, check_exact=True)


# -- What CSV and JSON cannot keep ------------------------------------------------------------------


def test_csv_turns_empty_strings_into_missing_values_and_says_so(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"text": pd.Series(["a", "", None], dtype=object).array})
    with pytest.warns(FormatLossWarning, match="'text' holds empty strings, which come back as missing"):
        _record, restored = round_trip(host, store, frame, "file", {"format": "csv"})
    assert restored["text"].tolist()[0] == "a"
    assert restored["text"].isna().tolist() == [False, True, True]


def test_csv_gives_objects_back_as_strings_and_says_so(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"mixed": pd.Series([1, "two", 3.5], dtype=object).array})
    with pytest.warns(FormatLossWarning, match="'mixed' holds mixed-integer objects, which come back as strings"):
        _record, restored = round_trip(host, store, frame, "file", {"format": "csv"})
    assert restored["mixed"].tolist() == ["1", "two", "3.5"]


def test_json_keeps_empty_strings_and_json_objects(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"mixed": pd.Series([1, "", None, True, 2.5], dtype=object).array})
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": "json"})
    assert restored["mixed"].tolist() == [1, "", None, True, 2.5]


def test_text_formats_give_other_dtypes_back_as_text_and_say_so(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"period": pd.period_range("2020-01", periods=2, freq="M")})
    with pytest.warns(FormatLossWarning, match=r"column 'period' \(period\[M\]\) comes back as text"):
        round_trip(host, store, frame, "file", {"format": "csv"})
    # Parquet keeps it.
    _record, restored = quiet_round_trip(host, store, frame, "dataset")
    assert_same_frame(frame, restored)


def test_too_many_categories_are_not_recorded_for_csv(host: Any, store: Store, monkeypatch: Any) -> None:
    from satchel_pandas import _layout

    monkeypatch.setattr(_layout, "MAX_RECORDED_CATEGORIES", 2)
    frame = pd.DataFrame({"c": pd.Categorical(["b", "a"], categories=["z", "b", "a"], ordered=True)})
    with pytest.warns(FormatLossWarning, match="3 categories are too many to record"):
        _record, restored = round_trip(host, store, frame, "file", {"format": "csv"})
    assert restored["c"].tolist() == ["b", "a"]
    assert list(restored["c"].cat.categories) == ["a", "b"]  # unused "z" and the order are lost
    assert restored["c"].cat.ordered


def test_csv_keeps_timezone_and_category_order_that_plain_pandas_loses(host: Any, store: Store) -> None:
    frame = pd.DataFrame({
        "when": pd.date_range("2024-03-31 00:00", periods=3, freq="h", tz="Europe/Paris"),
        "size": pd.Categorical(["small", "large", "small"], categories=["small", "medium", "large"], ordered=True),
    })
    record, restored = quiet_round_trip(host, store, frame, "file", {"format": "csv"})
    assert_same_frame(frame, restored)
    plain = pd.read_csv(store.data_item(record).local())
    assert plain["when"].dtype == object or str(plain["when"].dtype) == "str"  # pandas alone: text
    assert plain["size"].tolist() == ["small", "large", "small"]


# -- Metadata ---------------------------------------------------------------------------------------


def test_dataset_metadata_has_schema_row_count_and_preview(host: Any, store: Store) -> None:
    frame = pd.DataFrame(
        {"id": range(10), "name": [f"n{i}" for i in range(10)], "score": [0.5] * 10},
        index=pd.Index(np.arange(100, 110), name="row"),  # not a RangeIndex: stored as a column
    )
    record, _restored = quiet_round_trip(host, store, frame, None)
    assert record.kind == "dataset"
    assert record.format == "parquet"
    assert record.files[0].name == "table.parquet"
    assert record.extra["row_count"] == 10
    assert record.extra["schema"] == [
        {"name": "row", "type": "int64", "index": True},
        {"name": "id", "type": "int64"},
        {"name": "name", "type": "str" if pd.__version__ >= "3" else "object"},
        {"name": "score", "type": "float64"},
    ]
    assert record.preview["columns"] == ["row", "id", "name", "score"]
    assert record.preview["rows"][0] == ["100", "0", "n0", "0.5"]
    assert len(record.preview["rows"]) == 5


def test_preview_stays_small_for_wide_frames_with_long_text(host: Any, store: Store) -> None:
    frame = pd.DataFrame({f"column-{i}": ["x" * 5000] * 10 for i in range(300)})
    record, _restored = quiet_round_trip(host, store, frame, "dataset")
    assert len(json.dumps(record.preview)) <= 16 * 1024
    assert record.preview["more_columns"] == 300 - len(record.preview["columns"])
    assert all(len(cell) <= 48 for row in record.preview["rows"] for cell in row)


def test_preview_shows_missing_values_as_null(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan], "b": pd.array([None, "x"], dtype="string")})
    record, _restored = quiet_round_trip(host, store, frame, "dataset")
    assert record.preview["rows"] == [["1.0", None], [None, "x"]]


def test_file_artifact_is_plain_file_named_after_the_format(host: Any, store: Store) -> None:
    record, _ = quiet_round_trip(host, store, pd.DataFrame({"a": [1]}), "file", {"format": "feather"})
    assert (record.kind, record.format, record.files[0].name) == ("file", "feather", "table.feather")


# -- Interoperability: the files are ordinary ones ---------------------------------------------------


def test_parquet_file_reads_with_plain_pandas(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"a": [1, 2], "c": pd.Categorical(["x", "y"])}, index=pd.Index([5, 6], name="k"))
    record, _ = quiet_round_trip(host, store, frame, "dataset")
    assert_frame_equal(pd.read_parquet(store.data_item(record).local()), frame)


def test_csv_and_json_files_read_with_plain_pandas(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x, y", "line\r\nbreak"]})
    record, _ = quiet_round_trip(host, store, frame, "file", {"format": "csv"})
    plain = pd.read_csv(store.data_item(record).local())
    assert plain["a"].tolist() == [1, 2]
    assert plain["b"].tolist() == ["x, y", "line\r\nbreak"]
    record, _ = quiet_round_trip(host, store, frame, "file", {"format": "json"})
    assert_frame_equal(pd.read_json(store.data_item(record).local(), orient="split"), frame, check_dtype=False)


def test_artifact_without_instructions_is_read_with_pandas_defaults(tmp_path: Any) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    path = tmp_path / "outside.parquet"
    frame.to_parquet(path)
    restored = DataFramePackager().unpack_dataset(DataItem.from_local_path(path))
    assert_frame_equal(restored, frame)
    (tmp_path / "notes.txt").write_text("a,b\n")
    with pytest.raises(UnpackingError, match="cannot tell the format"):
        DataFramePackager().unpack_file(DataItem.from_local_path(tmp_path / "notes.txt"))


# -- Tables another plugin stored ------------------------------------------------------------------

FOREIGN_WRITERS = {
    "csv": lambda frame, path: frame.to_csv(path, index=False),
    "parquet": lambda frame, path: frame.to_parquet(path, index=False),
    "json": lambda frame, path: frame.to_json(path, orient="records"),
    "feather": lambda frame, path: frame.to_feather(path),
}


def log_path(host: Any, store: Store, path: Any) -> Any:
    """``path`` stored by core's ``paths`` packager, as ``"key : path"`` logs it."""
    with staging(store):
        packed = host.pack(path, "data", "path", {})
    return log_packed(store, PROJECT, packed)


@pytest.mark.parametrize("fmt", sorted(FOREIGN_WRITERS))
def test_a_table_file_stored_by_the_paths_packager_unpacks_as_a_frame(
    host: Any, store: Store, tmp_path: Any, fmt: str
) -> None:
    frame = pd.DataFrame({"city": ["Oslo", "Lima"], "rows": [3, 1], "share": [0.75, 0.25]})
    FOREIGN_WRITERS[fmt](frame, tmp_path / f"cities.{fmt}")
    record = log_path(host, store, tmp_path / f"cities.{fmt}")
    assert ("paths", fmt) == (record.producer.plugin, record.format)
    restored = unpack_record(store, record, pd.DataFrame, host=host)
    assert pd.DataFrame is type(restored)
    assert_frame_equal(frame, restored)
    # Asked for a path, it is still the path the paths packager gives back.
    assert (tmp_path / f"cities.{fmt}").read_bytes() == unpack_record(store, record, pathlib.Path, host=host).read_bytes()


def test_a_recorded_format_wins_over_the_file_suffix(host: Any, store: Store, tmp_path: Any) -> None:
    """A record that says csv is read as CSV; one that names no table format is no table, whatever its name."""
    path = tmp_path / "cities.csv"
    pd.DataFrame({"a": [1, 2]}).to_csv(path, index=False)
    item = store.data_item(log_path(host, store, path))
    assert DataFramePackager().can_unpack_item(item, pd.DataFrame, "path")
    assert not DataFramePackager().can_unpack_item(item, pd.Series, "path")
    item.record.format = "txt"
    assert not DataFramePackager().can_unpack_item(item, pd.DataFrame, "path")


def test_a_file_that_is_no_table_stays_an_error_naming_the_artifact(host: Any, store: Store, tmp_path: Any) -> None:
    (tmp_path / "notes.txt").write_text("a,b\n1,2\n")
    (tmp_path / "broken.json").write_text('"just a string"')
    # Where pandas offered and failed, its reason is part of the error.
    reason = "; tried converting with 'pandas': UnpackingError: artifact 'data' (broken.json) is not a json table pandas can read"
    for name, tried in (("notes.txt", ";"), ("broken.json", reason)):
        record = log_path(host, store, tmp_path / name)
        with pytest.raises(UnpackingError) as raised:
            unpack_record(store, record, pd.DataFrame, host=host)
        assert record.uri in str(raised.value)
        assert f"packed by 'paths', but the type hint asks for pandas.DataFrame, and no installed plugin makes one from it{tried}" in str(raised.value)


def test_an_unreadable_table_file_names_the_file_and_its_format(host: Any, store: Store, tmp_path: Any) -> None:
    (tmp_path / "broken.json").write_text('"just a string"')
    item = store.data_item(log_path(host, store, tmp_path / "broken.json"))
    with pytest.raises(UnpackingError, match=r"artifact 'data' \(broken.json\) is not a json table pandas can read"):
        DataFramePackager().unpack_file(item)


# -- Large frames -----------------------------------------------------------------------------------


def test_big_frames_are_written_in_chunks_and_come_back_exact(host: Any, store: Store, monkeypatch: Any) -> None:
    monkeypatch.setattr(_arrow, "CHUNK_BYTES", 4096)
    rows = 5000
    rng = np.random.default_rng(0)
    labels = np.array(["red", "green", "blue"], dtype=object)
    objects = np.empty(rows, dtype=object)
    objects[rows // 2 :] = "late"  # all-null first chunks: one schema for every chunk
    frame = pd.DataFrame({
        "x": rng.normal(size=rows),
        "c": pd.Categorical(labels[rng.integers(0, 3, rows)], categories=["blue", "green", "red", "unused"], ordered=True),
        "ci": pd.Categorical(rng.integers(0, 3, rows), categories=[2, 1, 0, 9]),
        "o": objects,
        "t": pd.date_range("2020", periods=rows, freq="s", tz="UTC"),
    }, index=pd.RangeIndex(10, 10 + 2 * rows, 2, name="r"))
    for fmt in ("parquet", "feather"):
        record, restored = quiet_round_trip(host, store, frame, "file", {"format": fmt})
        assert_same_frame(frame, restored)
        if fmt == "parquet":
            assert pq.ParquetFile(store.data_item(record).local()).num_row_groups > 1


def test_packing_does_not_copy_the_frame(host: Any, store: Store, monkeypatch: Any) -> None:
    frame = pd.DataFrame({"x": np.arange(1000.0)})
    shallow_copy = pd.DataFrame.copy

    def copy(self: pd.DataFrame, deep: bool = True) -> pd.DataFrame:
        # A shallow copy (new axes over the same data) is how set_axis renames; a deep one is not.
        assert deep is False, "packing copied the frame's data"
        return shallow_copy(self, deep=False)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("packing reset the index")

    monkeypatch.setattr(pd.DataFrame, "copy", copy)
    monkeypatch.setattr(pd.DataFrame, "reset_index", refuse)
    for fmt in ("parquet", "feather", "csv", "json"):
        with staging(store):
            host.pack(frame, "table", "file", {"format": fmt}).clear()


def test_packing_leaves_the_frame_attrs_and_axes_alone(host: Any, store: Store) -> None:
    frame = sample_frame()
    frame.attrs = {"note": "keep me"}
    before = frame.copy(deep=True)
    columns, index = frame.columns, frame.index
    for fmt in ("parquet", "feather", "csv", "json"):
        quiet_round_trip(host, store, frame, "file", {"format": fmt})
    assert frame.attrs == {"note": "keep me"}
    assert frame.columns is columns and frame.index is index
    assert_frame_equal(frame, before, check_exact=True)


# -- Errors -----------------------------------------------------------------------------------------


def test_duplicate_column_names_are_refused_with_the_names(host: Any) -> None:
    frame = pd.DataFrame([[1, 2, 3]], columns=["a", "a", "b"])
    with pytest.raises(PackingError, match=r"duplicate column names \['a'\]; give each column a unique name"):
        host.pack(frame, "table", None, {})


def test_mixed_object_column_names_the_column_for_parquet(host: Any) -> None:
    frame = pd.DataFrame({"mixed": pd.Series([1, "two"], dtype=object).array})
    with pytest.raises(PackingError, match="'table' cannot be written as parquet: .*column mixed"):
        host.pack(frame, "table", None, {})


def test_complex_columns_are_refused_by_arrow_formats_but_kept_by_text(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"z": np.array([1 + 2j, -0.5j])})
    with pytest.raises(PackingError, match="complex numbers .* split it into real and imaginary"):
        host.pack(frame, "table", "file", {"format": "feather"})
    for fmt in ("csv", "json"):
        _record, restored = quiet_round_trip(host, store, frame, "file", {"format": fmt})
        assert_same_frame(frame, restored)


def test_unknown_format_and_compression_are_refused_naming_the_valid_ones(host: Any) -> None:
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(PackingError, match="does not take format='xlsx' for artifact type 'file'; format is one of 'parquet', 'csv', 'json', 'feather'"):
        host.pack(frame, "table", "file", {"format": "xlsx"})
    with pytest.raises(PackingError, match="unknown parquet compression 'rar'; use one of snappy"):
        host.pack(frame, "table", "dataset", {"compression": "rar"})
    with pytest.raises(PackingError, match="compression applies to parquet and feather"):
        host.pack(frame, "table", "file", {"format": "csv", "compression": "gzip"})


@pytest.mark.parametrize(("fmt", "compression"), [("parquet", "zstd"), ("parquet", "none"), ("feather", "uncompressed")])
def test_compression_options(host: Any, store: Store, fmt: str, compression: str) -> None:
    frame = sample_frame()
    _record, restored = quiet_round_trip(host, store, frame, "file", {"format": fmt, "compression": compression})
    assert_same_frame(frame, restored)


def test_result_is_a_small_json_table(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"metric": ["acc", "f1"], "value": [0.9, 0.8]})
    packed, restored = quiet_round_trip(host, store, frame, "result")
    assert packed.value == {"columns": ["metric", "value"], "data": [["acc", 0.9], ["f1", 0.8]]}
    assert_same_frame(frame, restored)
    with pytest.raises(PackingError, match="too big for a result .* log it as 'dataset' or 'file'"):
        host.pack(pd.DataFrame(np.zeros((10_001, 1))), "table", "result", {})


# -- Series and type hints --------------------------------------------------------------------------


@pytest.mark.parametrize("name", [None, "price", 3, ("a", 1), ""])
def test_series_name_survives(host: Any, store: Store, name: Any) -> None:
    values = pd.Series([1.5, 2.5], name=name, index=pd.Index(["x", "y"], name="price"))
    for artifact_type, options in (("dataset", {}), ("file", {"format": "csv"}), ("result", {})):
        _record, restored = quiet_round_trip(host, store, values, artifact_type, options)
        assert_series_equal(values, restored, check_exact=True)


def test_type_hints_convert_between_one_column_frames_and_series(host: Any, store: Store) -> None:
    frame = pd.DataFrame({"only": [1, 2]})
    _record, restored = quiet_round_trip(host, store, frame, "dataset", obj_type=pd.Series)
    assert_series_equal(restored, frame["only"])
    values = pd.Series([1, 2], name="s")
    _record, restored = quiet_round_trip(host, store, values, "dataset", obj_type=pd.DataFrame)
    assert_frame_equal(restored, values.to_frame())
    with pytest.raises(UnpackingError, match="has 2 columns"):
        quiet_round_trip(host, store, pd.DataFrame({"a": [1], "b": [2]}), "dataset", obj_type=pd.Series)

