"""Instructions come from the store: a hostile one is satchel's own UnpackingError naming the artifact
(or result) and what was wrong, never a KeyError, LookupError, TypeError or UnicodeDecodeError."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import sys
import uuid
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import strategies as st

import satchel
from satchel.artifacts import ArtifactRecord
from satchel.dataitem import DataItem
from satchel.errors import SatchelError, UnpackingError
from satchel.host import PluginHost
from satchel.packagers.base import Packager
from satchel.packagers.collections import CollectionsPackager
from satchel.packagers.paths import PathPackager
from satchel.packagers.primitives import PrimitivesPackager
from satchel.packagers.structured import StructuredPackager
from satchel.packagers.values import ValuesPackager
from satchel.packing import log_packed, staging
from satchel.store import Store
from satchel.testing import check_hostile_instructions, json_values
from satchel.unpacking import unpack_record

PROJECT = "hostile"


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Store:
    return Store(str(tmp_path / "store") if request.param == "local" else f"memory://hostile-{uuid.uuid4().hex}")


def _log(store: Store, obj: Any, hint: str) -> ArtifactRecord:
    with staging(store):
        packed = satchel.pack(obj, hint)
    return log_packed(store, PROJECT, packed)


def _planted(record: ArtifactRecord, **instructions: Any) -> ArtifactRecord:
    return attrs.evolve(record, instructions={**record.instructions, **instructions})


def _result(host: PluginHost, obj: Any, value: Any = None, **instructions: Any) -> Any:
    packed = satchel.pack(obj, "r")
    planted = {**packed.instructions, **instructions}
    return host.unpack_result(packed.value if value is None else value, producer=packed.producer, instructions=planted)


# -- The cases the issue names -------------------------------------------------------------------


def test_collections_with_a_planted_container_or_format(host: PluginHost, store: Store) -> None:
    with pytest.raises(UnpackingError, match=r"^the result: instruction 'container' is 'nope'; expected one of dict, list, tuple, set, frozenset"):
        _result(host, (1, 2), container="nope")
    with pytest.raises(UnpackingError, match=r"instruction 'container' is \['set'\]"):
        _result(host, (1, 2), container=["set"])
    with pytest.raises(UnpackingError, match=r"its items cannot make a set"):
        _result(host, {1, 2}, value=[[1], [2]])
    with pytest.raises(UnpackingError, match=r"holds a JSON array, but a dict is stored as a JSON object"):
        _result(host, (1, 2), container="dict")
    record = _log(store, {"a": 1}, "d : file")
    with pytest.raises(UnpackingError, match=r"^artifact 'd': instruction 'container' is 'nope'"):
        unpack_record(store, _planted(record, container="nope"))
    with pytest.raises(UnpackingError, match=r"^artifact 'd': instruction 'format' is 'xml'; expected one of json, jsonl, txt"):
        unpack_record(store, _planted(record, format="xml"))
    with pytest.raises(UnpackingError, match=r"^artifact 'd' is not the jsonl file it is recorded as"):
        unpack_record(store, _planted(_log(store, {"a": 1}, "d : file[indent=2]"), format="jsonl", container="list"))


def test_text_that_is_not_utf8_is_an_unpacking_error(store: Store) -> None:
    raw = _log(store, b"\xff\xfe not utf-8 \x80", "blob : file")
    assert raw.producer is not None
    collections = attrs.evolve(raw, producer=attrs.evolve(raw.producer, plugin="collections"), instructions={"format": "json"})
    with pytest.raises(UnpackingError, match=r"^artifact 'blob' is not UTF-8 text, as a json file of a collection is"):
        unpack_record(store, collections)
    with pytest.raises(UnpackingError, match=r"^artifact 'blob' is not utf-8 text, as its instructions say"):
        unpack_record(store, _planted(raw, type="str", encoding="utf-8"))
    structured = attrs.evolve(raw, producer=attrs.evolve(raw.producer, plugin="structured"), instructions={})
    with pytest.raises(UnpackingError, match=r"^artifact 'blob' is not the JSON file it should be"):
        unpack_record(store, structured)


def test_primitives_with_planted_types_values_and_encodings(host: PluginHost, store: Store) -> None:
    with pytest.raises(UnpackingError, match=r"^the result is not the base64 text a bytes result is stored as"):
        _result(host, b"abc", value="not base64!!")
    with pytest.raises(UnpackingError, match=r"not the base64 text .* is not text"):
        _result(host, b"abc", value=[1, 2])
    with pytest.raises(UnpackingError, match=r"^the result: instruction 'type' is 'unknown'; expected float, complex, bytes or bytearray"):
        _result(host, 1.5, type="unknown")
    with pytest.raises(UnpackingError, match=r"^the result is 'abc', not a float"):
        _result(host, 1.5, value="abc")
    with pytest.raises(UnpackingError, match=r"not a float"):
        _result(host, 1.5, value=10**400)
    with pytest.raises(UnpackingError, match=r"a complex result is a pair"):
        _result(host, 1j, value=[1])
    text = _log(store, "hello", "t : file")
    with pytest.raises(UnpackingError, match=r"^artifact 't': instruction 'encoding' is 'no-such-codec', not a text encoding satchel reads; it reads .*utf-8"):
        unpack_record(store, _planted(text, encoding="no-such-codec"))
    with pytest.raises(UnpackingError, match=r"instruction 'encoding' is 5"):
        unpack_record(store, _planted(text, encoding=5))
    with pytest.raises(UnpackingError, match=r"^artifact 't': instruction 'type' is 'weird'; expected str, bytes or bytearray"):
        unpack_record(store, _planted(text, type="weird"))
    assert "hello" == unpack_record(store, _planted(text, encoding="UTF8"))


def test_an_encoding_name_from_the_store_imports_no_codec_module(store: Store) -> None:
    assert "encodings.cp037" not in sys.modules  # a real codec, but not one satchel reads text in
    text = _log(store, "hello", "t : file")
    with pytest.raises(UnpackingError, match="'cp037', not a text encoding satchel reads"):
        unpack_record(store, _planted(text, encoding="cp037"))
    assert "encodings.cp037" not in sys.modules
    with pytest.raises(satchel.errors.PackingError, match=r"encoding 'cp037' is not one satchel writes text in"):
        satchel.pack("hello", "t : file[encoding='cp037']")


def test_values_with_a_planted_type_or_an_unparsable_value(host: PluginHost) -> None:
    with pytest.raises(UnpackingError, match=r"^the result: instruction 'type' is 'unknown'; expected one of datetime, date, time, timedelta"):
        _result(host, dt.date(2026, 1, 2), type="unknown")
    with pytest.raises(UnpackingError, match=r"^the result 'yesterday' is not a date \(ValueError"):
        _result(host, dt.date(2026, 1, 2), value="yesterday")
    with pytest.raises(UnpackingError, match=r"is not a timedelta"):
        _result(host, dt.timedelta(1), value=f"{10**30}d0s0us")
    with pytest.raises(UnpackingError, match=r"is not a timedelta"):
        _result(host, dt.timedelta(1), value="soon")
    with pytest.raises(UnpackingError, match=r"is not a fraction \(ZeroDivisionError"):
        _result(host, __import__("fractions").Fraction(1, 3), value="1/0")
    with pytest.raises(UnpackingError, match=r"is not a decimal"):
        _result(host, __import__("decimal").Decimal("1.5"), value="one and a half")
    with pytest.raises(UnpackingError, match=r"^the result is 5, but a uuid result is stored as text"):
        _result(host, uuid.UUID(int=1), value=5)


def test_instructions_that_are_not_a_json_object_are_an_unpacking_error(store: Store) -> None:
    record = _log(store, {"a": 1}, "d : file")
    for planted in (["format", "json"], "json", {1: "json"}):
        with pytest.raises(UnpackingError, match=r"its instructions are .*; a packager's instructions are a JSON object"):
            unpack_record(store, attrs.evolve(record, instructions=planted))


# -- helper note: conversions through other plugins ----------------------------------------------


class _Table:
    pass


class _BrokenConverter(Packager):
    """Offers to make a _Table from anything, then fails in its own way."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = _Table
    DEFAULT_PACKING_ARTIFACT_TYPE = "result"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"
    failure: ClassVar[BaseException] = RuntimeError("the converter's own bug")

    def can_unpack_item(self, data_item: DataItem, obj_type: type | None, artifact_type: str | None) -> bool:
        return obj_type is _Table

    def unpack_file(self, data_item: DataItem) -> Any:
        raise self.failure


class _WrongConverter(_BrokenConverter):
    def unpack_file(self, data_item: DataItem) -> Any:
        return "not a table"


def test_a_failed_conversion_names_each_plugins_reason_and_nothing_escapes_raw(host: PluginHost, store: Store) -> None:
    host.register(_BrokenConverter, name="broken", distribution="broken-dist", version="1")
    host.register(_WrongConverter, name="wrong", distribution="wrong-dist", version="1")
    record = _log(store, {"a": 1}, "d : file")
    with pytest.raises(UnpackingError) as raised:
        unpack_record(store, record, _Table, host=host)
    message = str(raised.value)
    assert "'broken': RuntimeError: the converter's own bug" in message
    assert "'wrong': gave a builtins.str" in message
    _BrokenConverter.failure = KeyError("lookup inside the plugin")
    try:
        with pytest.raises(UnpackingError, match=r"'broken': KeyError: 'lookup inside the plugin'"):
            unpack_record(store, record, _Table, host=host)
    finally:
        _BrokenConverter.failure = RuntimeError("the converter's own bug")


# -- Hypothesis: every recorded instruction, fuzzed ----------------------------------------------




@dataclasses.dataclass
class Reading:
    sensor: str
    value: float


@attrs.define
class Point:
    x: int
    y: float = 0.0


_PRIMITIVES = st.none() | st.booleans() | st.integers() | st.floats() | st.complex_numbers() | st.text() | st.binary() | st.binary().map(bytearray)
_COLLECTIONS = (
    st.lists(json_values(max_leaves=5), max_size=4) | st.dictionaries(st.text(max_size=5), json_values(max_leaves=5), max_size=4)
    | st.lists(st.integers(), max_size=4).map(tuple) | st.sets(st.integers() | st.text(max_size=5), max_size=4)
    | st.frozensets(st.integers(), max_size=4)
)
_VALUES = (
    st.datetimes() | st.datetimes(timezones=st.timezones()) | st.dates() | st.times() | st.timedeltas()
    | st.decimals(allow_nan=False) | st.fractions() | st.uuids()
)
_STRUCTURED = st.builds(Reading, st.text(max_size=5), st.floats(allow_nan=False, allow_infinity=False)) | st.builds(Point, st.integers())


@pytest.mark.parametrize(
    ("packager", "objects", "artifact_type", "options"),
    [
        (PrimitivesPackager, _PRIMITIVES, "result", None),
        (PrimitivesPackager, st.text() | st.binary(), "file", None),
        (CollectionsPackager, _COLLECTIONS, "result", None),
        (CollectionsPackager, _COLLECTIONS, "file", None),
        (CollectionsPackager, st.lists(st.text().filter(lambda s: "\n" not in s), max_size=4), "file", {"file": {"format": "txt"}}),
        (CollectionsPackager, st.lists(json_values(max_leaves=4), max_size=4), "file", {"file": {"format": "jsonl"}}),
        (ValuesPackager, _VALUES, "result", None),
        (StructuredPackager, _STRUCTURED, "result", None),
        (StructuredPackager, _STRUCTURED, "file", None),
    ],
    ids=["primitives-result", "primitives-file", "collections-result", "collections-file", "collections-txt",
         "collections-jsonl", "values-result", "structured-result", "structured-file"],
)
def test_fuzzed_instructions_raise_only_satchels_errors(
    packager: type[Packager], objects: st.SearchStrategy[Any], artifact_type: str, options: Any, store: Store, tmp_path: pathlib.Path,
) -> None:
    check_hostile_instructions(packager, objects, artifact_type, store, str(tmp_path / "planted"), options)
    assert not (tmp_path / "planted").exists()


def _path_objects(root: pathlib.Path) -> st.SearchStrategy[Any]:
    def make(files: dict[str, bytes], as_dir: bool) -> pathlib.Path:
        folder = root / "src" / uuid.uuid4().hex / "tree"
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        return folder if as_dir else folder / sorted(files)[0]

    names = st.from_regex(r"[a-z0-9_]{1,8}\.(txt|bin)", fullmatch=True)
    return st.builds(make, st.dictionaries(names, st.binary(max_size=64), min_size=1, max_size=3), st.booleans())


@pytest.mark.parametrize("artifact_type", ["path", "result"])
def test_fuzzed_path_instructions_raise_only_satchels_errors_and_write_nothing_outside(
    artifact_type: str, store: Store, tmp_path: pathlib.Path, temp_dir_in_tmp_path: pathlib.Path,
) -> None:
    (tmp_path / "src").mkdir()
    before = {p.name for p in tmp_path.iterdir()}
    check_hostile_instructions(PathPackager, _path_objects(tmp_path), artifact_type, store, str(tmp_path / "planted"))
    assert before | {"store"} >= {p.name for p in tmp_path.iterdir()}
    assert [] == [p for p in tmp_path.rglob("*planted*")]


def test_the_fuzz_finds_what_a_raw_error_would_be() -> None:
    """The check itself fails on a packager that lets a raw error escape, so its passing means something."""

    class Leaky(ValuesPackager):
        def unpack_result(self, value: Any, type: str | None = None) -> Any:  # noqa: A002
            return {"date": dt.date.fromisoformat}[type or "date"](value)  # KeyError for any other type

    with pytest.raises(Exception) as raised:  # whatever the leak is, it must surface
        check_hostile_instructions(Leaky, st.dates(), "result", Store("memory://leaky-" + uuid.uuid4().hex), "/nonexistent/planted",
                                   shrink=False)  # any failure will do: making it the smallest takes seconds
    assert not isinstance(raised.value, SatchelError)


class _Leaky(Packager):
    """A third-party packager that lets its own errors through."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = _Table
    DEFAULT_PACKING_ARTIFACT_TYPE = "file"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"

    def pack_file(self, obj: Any, key: str) -> Any:
        from satchel.artifacts import Artifact

        return Artifact(key=key, body=b"{}", file_name=f"{key}.json"), {"shape": "square"}

    def unpack_file(self, data_item: DataItem, shape: str = "square") -> Any:
        return {"square": _Table}[shape]()


def test_a_plugins_raw_error_on_planted_instructions_reaches_the_reader_as_an_unpacking_error(host: PluginHost, store: Store) -> None:
    host.register(_Leaky, name="leaky", distribution="leaky-dist", version="1")
    with staging(store):
        record = log_packed(store, PROJECT, host.pack(_Table(), "t", None, {}))
    assert isinstance(unpack_record(store, record, _Table, host=host), _Table)
    with pytest.raises(UnpackingError, match=r"plugin 'leaky' could not unpack it \(KeyError: 'circle'\); the artifact was altered"):
        unpack_record(store, _planted(record, shape="circle"), _Table, host=host)
