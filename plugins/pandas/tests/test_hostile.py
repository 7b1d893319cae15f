"""Hostile instructions on tables: a planted format, layout or Series name, or a table that does not
fit its layout, is satchel's own UnpackingError, never pandas' KeyError, TypeError or ParserError."""

from __future__ import annotations

import copy
import pathlib
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas_strategies import frames, series

from satchel import Artifact, Store
from satchel.artifacts import ArtifactRecord, Packed
from satchel.errors import SatchelError, UnpackingError
from satchel.packing import log_packed, staging
from satchel.testing import PackagerContract, check_hostile_instructions, hostile_values, isolated_host
from satchel.unpacking import unpack_record
from satchel_pandas import DataFramePackager, FormatLossWarning, SeriesPackager

FRAME = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})


@pytest.fixture(scope="module")
def host() -> Any:
    return isolated_host(("pandas", DataFramePackager), ("pandas-series", SeriesPackager))


@pytest.fixture
def store(tmp_path: pathlib.Path) -> Iterator[Store]:
    with Store(str(tmp_path / "store")) as opened:
        yield opened


def _logged(host: Any, store: Store, obj: Any, artifact_type: str, **options: Any) -> ArtifactRecord:
    with staging(store):
        return log_packed(store, "hostile", host.pack(obj, "table", artifact_type, options))


def _planted(record: ArtifactRecord, **instructions: Any) -> ArtifactRecord:
    return attrs.evolve(record, instructions={**record.instructions, **instructions})


@pytest.mark.parametrize(
    ("planted", "expected"),
    [
        ({"format": "xlsx"}, r"instruction 'format' is 'xlsx'; expected one of parquet, csv, json, feather"),
        ({"format": ["csv"]}, r"instruction 'format' is \['csv'\]"),
        ({"layout": "columns"}, r"instruction 'layout' is 'columns'; expected the JSON object satchel-pandas records"),
        ({"layout": {}}, r"does not fit the layout recorded for it \(KeyError"),
        ({"layout": {"columns": 5, "index": {}, "column_index": {}}}, r"does not fit the layout recorded for it \(TypeError"),
        ({"series": {"nom": "x"}}, r"instruction 'series' is \{'nom': 'x'\}; expected an object like"),
        ({"format": "parquet"}, r"does not fit the layout recorded for it"),
    ],
)
def test_planted_table_instructions_are_unpacking_errors(
    host: Any, store: Store, planted: dict[str, Any], expected: str,
) -> None:
    record = _logged(host, store, FRAME, "file", format="csv")
    with pytest.raises(UnpackingError, match=rf"^artifact 'table'.*{expected}"):
        unpack_record(store, _planted(record, **planted), pd.DataFrame, host=host)


def test_a_csv_that_does_not_parse_is_an_unpacking_error_not_a_parser_error(host: Any, store: Store) -> None:
    producer = host.pack(FRAME, "x", "file", {"format": "csv"}).producer
    for body, layout in ((b'a,b\n"unclosed,1\n2,3,4,5\n', None), (b"\xff\xfe\x00garbage", None),
                         (b"a,b\n1,2\n", host.pack(FRAME, "x", "file", {"format": "csv"}).instructions["layout"])):
        packed = Packed(
            key="table", artifact_type="file", object_type="pandas.DataFrame", producer=producer,
            artifact=Artifact(key="table", body=body, file_name="table.csv", format="csv"),
            instructions={"format": "csv", **({"layout": layout} if layout else {})},
        )
        with staging(store):
            record = log_packed(store, "hostile", packed)
        with pytest.raises(UnpackingError, match=r"^artifact 'table'"):
            unpack_record(store, record, pd.DataFrame, host=host)


def test_planted_result_instructions_are_unpacking_errors(host: Any) -> None:
    packed = host.pack(FRAME, "r", "result", {})
    for value, planted, expected in [
        ("not a table", {}, r"^the table result is 'not a table'; a table result is an object of 'columns' and 'data'"),
        ({"columns": ["a"]}, {}, r"^the table result does not fit the layout recorded for it \(KeyError"),
        (packed.value, {"layout": []}, r"^the table result: instruction 'layout' is \[\]"),
        (packed.value, {"layout": {"rows": "many"}}, r"^the table result does not fit the layout recorded for it"),
    ]:
        with pytest.raises(UnpackingError, match=expected):
            host.unpack_result(value, producer=packed.producer, instructions={**packed.instructions, **planted})
    named = host.pack(FRAME["a"], "r", "result", {})
    with pytest.raises(UnpackingError, match=r"does not fit the layout recorded for it \(TypeError"):
        host.unpack_result(named.value, producer=named.producer, instructions={**named.instructions, "series": {"name": {"tuple": 5}}})


def test_a_record_whose_format_is_not_text_is_no_table_anyone_offers_to_read(host: Any, store: Store) -> None:
    record = _logged(host, store, FRAME, "file", format="csv")
    assert record.producer is not None
    # As if another plugin had written it: pandas offers to read a table only by its recorded format.
    foreign = attrs.evolve(record, format=["csv"], producer=attrs.evolve(record.producer, plugin="paths"))
    assert [] == [name for name in host.unpackers(store.data_item(foreign), pd.DataFrame, None) if name.startswith("pandas")]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _replace(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    tree = copy.copy(tree)
    tree[path[0]] = _replace(tree[path[0]], path[1:], value)
    return tree


@pytest.mark.parametrize(("packager", "objects"), [(DataFramePackager, frames()), (SeriesPackager, series())], ids=["frame", "series"])
@pytest.mark.parametrize(("artifact_type", "fmt"), [("dataset", None), ("file", "csv"), ("file", "json"), ("file", "feather"), ("result", None)])
def test_a_planted_value_anywhere_in_the_layout_is_an_unpacking_error(
    packager: Any, objects: Any, artifact_type: str, fmt: str | None, tmp_path: pathlib.Path,
) -> None:
    """Every leaf and branch of the recorded layout, replaced by a hostile value: satchel's errors only."""
    options = {artifact_type: {"format": fmt}} if fmt else {}
    kit = type("Kit", (PackagerContract,), {"packager": packager, "strategy": st.nothing(), "options": options})()
    kit_host = isolated_host(packager, builtins=False)
    store = Store(str(tmp_path / "store")) if artifact_type != "result" else Store(f"memory://pandas-{uuid.uuid4().hex}")
    hostile = hostile_values(str(tmp_path / "planted"))

    @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(objects, st.data())
    def check(obj: Any, data: st.DataObject) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FormatLossWarning)  # what a format drops is not this test's concern
            stored, _ = kit._round_trip(kit_host, store, obj, artifact_type)
        instructions = dict(stored.instructions)
        path = data.draw(st.sampled_from(list(_paths(instructions))[1:]), label="path")
        planted = _replace(instructions, path, data.draw(hostile, label="value"))
        try:
            if artifact_type == "result":
                kit_host.unpack_result(stored.value, producer=stored.producer, instructions=planted, obj_type=type(obj))
            else:
                unpack_record(store, attrs.evolve(stored, instructions=planted), type(obj), host=kit_host)
        except SatchelError:
            pass

    check()
    assert not (tmp_path / "planted").exists()


@pytest.mark.parametrize(("packager", "objects"), [(DataFramePackager, frames()), (SeriesPackager, series())], ids=["frame", "series"])
@pytest.mark.parametrize("artifact_type", ["dataset", "file", "result"])
@pytest.mark.filterwarnings("ignore::satchel_pandas.FormatLossWarning")  # what CSV drops is not this test's concern
def test_fuzzed_instructions_raise_only_satchels_errors(packager: Any, objects: Any, artifact_type: str, tmp_path: pathlib.Path) -> None:
    store = Store(str(tmp_path / "store")) if artifact_type != "result" else Store(f"memory://pandas-{uuid.uuid4().hex}")
    check_hostile_instructions(packager, objects, artifact_type, store, str(tmp_path / "planted"), {"file": {"format": "csv"}})
    assert not (tmp_path / "planted").exists()
