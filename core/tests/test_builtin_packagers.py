"""Core's built-in packagers hold to the same contract as every plugin (the test kit)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import fractions
import pathlib
import sys
import uuid
from typing import Any

import attrs
import pytest
from hypothesis import strategies as st

import satchel
import satchel.testing
from satchel.errors import PackingError, PickleNotAllowedError
from satchel.packagers.collections import CollectionsPackager
from satchel.packagers.paths import PathPackager
from satchel.packagers.primitives import PrimitivesPackager
from satchel.packagers.structured import StructuredPackager
from satchel.packagers.values import ValuesPackager
from satchel.testing import PackagerContract, json_values


class TestPrimitives(PackagerContract):
    packager = PrimitivesPackager
    strategy = (
        st.none() | st.booleans() | st.integers() | st.floats() | st.complex_numbers()
        | st.text() | st.binary() | st.binary().map(bytearray)
    )

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        assert type(original) is type(restored)
        # NaN is not equal to itself; compare its spelling instead.
        assert repr(original) == repr(restored)


class TestCollections(PackagerContract):
    packager = CollectionsPackager
    _items = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
    strategy = (
        st.lists(json_values())
        | st.dictionaries(st.text(), json_values())
        | st.lists(_items).map(tuple)
        | st.sets(st.integers() | st.text())
        | st.frozensets(st.integers())
    )
    options = {"file": {"format": "json"}}


class TestCollectionsAsJsonLines(PackagerContract):
    packager = CollectionsPackager
    strategy = st.lists(json_values()) | st.lists(st.integers()).map(tuple) | st.sets(st.text())
    round_trip_types = ["file"]
    options = {"file": {"format": "jsonl"}}


class TestCollectionsAsText(PackagerContract):
    packager = CollectionsPackager
    strategy = st.lists(st.text().filter(lambda s: "\n" not in s))
    round_trip_types = ["file"]
    options = {"file": {"format": "txt"}}


class TestValues(PackagerContract):
    packager = ValuesPackager
    strategy = (
        st.datetimes() | st.datetimes(timezones=st.timezones()) | st.dates() | st.times() | st.timedeltas()
        | st.decimals(allow_nan=False) | st.fractions() | st.uuids()
    )


@attrs.define
class Point:
    x: int
    y: float
    label: str = ""
    tags: list[str] = attrs.field(factory=list)


@dataclasses.dataclass
class Metrics:
    accuracy: float
    counts: dict[str, int]
    point: Point


class TestStructured(PackagerContract):
    packager = StructuredPackager
    _floats = st.floats(allow_nan=False, allow_infinity=False)
    _points = st.builds(Point, st.integers(), _floats, st.text(), st.lists(st.text()))
    strategy = _points | st.builds(Metrics, _floats, st.dictionaries(st.text(), st.integers()), _points)


_FILE_TREES = st.dictionaries(
    st.from_regex(r"[a-z0-9_]{1,8}(/[a-z0-9_]{1,8}){0,2}\.(txt|bin)", fullmatch=True), st.binary(max_size=2048), min_size=1, max_size=5,
)


def _write_tree(files: dict[str, bytes], as_file: bool) -> pathlib.Path:
    import tempfile

    root = pathlib.Path(tempfile.mkdtemp(prefix="satchel-paths-test-")) / "tree"
    if as_file:
        root.parent.joinpath("only.bin").write_bytes(next(iter(files.values())))
        return root.parent / "only.bin"
    for name, data in files.items():
        target = root / name
        if any(parent.is_file() for parent in target.parents):
            continue  # a name that is also a file's folder; skip that one
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_dir():
            target.write_bytes(data)
    return root


def _tree_contents(path: pathlib.Path) -> dict[str, bytes] | bytes:
    if path.is_file():
        return path.read_bytes()
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


class TestPaths(PackagerContract):
    packager = PathPackager
    strategy = st.builds(_write_tree, _FILE_TREES, st.booleans())
    # A plain local file given for a Path hint is that path itself, not a copy of a packed tree.
    local_file_types = ()

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        if artifact_type == "result":
            assert (type(original), original) == (type(restored), restored)  # the path's text only
            return
        # A path unpacks to a private copy elsewhere: same name, same contents.
        assert isinstance(restored, pathlib.Path)
        assert (original.name, _tree_contents(original)) == (restored.name, _tree_contents(restored))

    def snapshot(self, obj: Any) -> Any:
        return obj

    def test_packing_does_not_mutate_the_object(self, round_trip_type: str) -> None:
        # A path's "state" is the files it names; check they are unchanged after packing.
        host = satchel.testing.isolated_host(PathPackager, builtins=False)
        for files, as_file in (({"a.txt": b"x", "sub/b.bin": b"y"}, False), ({"f.bin": b"z"}, True)):
            path = _write_tree(files, as_file)
            before = _tree_contents(path)
            host.pack(path, "p", round_trip_type, {}).clear()
            assert before == _tree_contents(path)


def test_structured_builds_the_class_the_hint_names_and_never_imports_the_recorded_one(host: satchel.PluginHost) -> None:
    packed = satchel.pack(Point(1, 2.5, "a"), "point")
    assert {"class": "test_builtin_packagers.Point"} == packed.instructions
    hinted = host.unpack_result(packed.value, producer=packed.producer, instructions=packed.instructions, obj_type=Point)
    assert Point(1, 2.5, "a") == hinted
    # Without a hint the plain data comes back: the class named in the store is not imported.
    planted = {"class": "satchel_planted_module_xyz.Evil"}
    plain = host.unpack_result(packed.value, producer=packed.producer, instructions=planted)
    assert {"x": 1, "y": 2.5, "label": "a", "tags": []} == plain
    assert "satchel_planted_module_xyz" not in sys.modules


def test_path_packs_a_file_and_restores_a_private_copy(tmp_path: pathlib.Path, host: satchel.PluginHost) -> None:
    from satchel.dataitem import DataItem

    source = tmp_path / "weights.bin"
    source.write_bytes(b"\x00\x01payload")
    packed = satchel.pack(source, "weights")
    restored = host.unpack(DataItem.from_packed(packed), producer=packed.producer, artifact_type=packed.artifact_type, instructions=packed.instructions)
    assert isinstance(restored, pathlib.Path)
    assert ("weights.bin", b"\x00\x01payload") == (restored.name, restored.read_bytes())
    assert restored != source


def test_path_archives_a_directory_and_restores_its_tree(tmp_path: pathlib.Path, host: satchel.PluginHost) -> None:
    from satchel.dataitem import DataItem

    source = tmp_path / "model"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "sub" / "b.txt").write_text("beta")
    for archive_format in ("zip", "tar.gz"):
        packed = satchel.pack(source, f"model : path[archive_format='{archive_format}']")
        assert "dir" == packed.artifact.kind
        restored = host.unpack(DataItem.from_packed(packed), producer=packed.producer, artifact_type=packed.artifact_type, instructions=packed.instructions)
        assert ("alpha", "beta") == ((restored / "a.txt").read_text(), (restored / "sub" / "b.txt").read_text())
        packed.clear()


def test_string_is_text_unless_the_hint_says_path(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hello")
    assert ("builtins", "result") == (satchel.pack(str(source), "notes").producer.plugin, satchel.pack(str(source), "notes").artifact_type)
    as_path = satchel.pack(str(source), "notes : path")
    assert ("paths", "path") == (as_path.producer.plugin, as_path.artifact_type)


class Opaque:
    pass


def test_pickle_fallback_warns_at_pack_time_naming_the_type(host: satchel.PluginHost) -> None:
    with pytest.warns(UserWarning, match=r"test_builtin_packagers\.Opaque is pickled \(no other packager takes it"):
        packed = satchel.pack(Opaque(), "thing")
    assert ("pickle", "object") == (packed.producer.plugin, packed.artifact_type)


def test_unpacking_a_pickle_needs_an_explicit_opt_in(host: satchel.PluginHost) -> None:
    from satchel.dataitem import DataItem

    with pytest.warns(UserWarning):
        packed = satchel.pack(decimal.Context(prec=7), "ctx")
    kwargs = {"producer": packed.producer, "artifact_type": packed.artifact_type, "instructions": packed.instructions}
    with pytest.raises(PickleNotAllowedError, match="allow_pickle=True"):
        host.unpack(DataItem.from_packed(packed), **kwargs)
    assert 7 == host.unpack(DataItem.from_packed(packed), allow_pickle=True, **kwargs).prec


def test_packing_an_unjsonable_value_as_a_result_names_the_alternatives() -> None:
    with pytest.raises(PackingError, match=r"not a JSON value.*log it as one of"):
        satchel.pack({1, object()}, "bag : result")


def test_values_round_trip_keeps_exact_types(host: satchel.PluginHost) -> None:
    originals = [dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), dt.date(2026, 1, 2),
                 decimal.Decimal("1.10"), fractions.Fraction(1, 3), uuid.UUID(int=5), dt.timedelta(days=-1, microseconds=3)]
    for original in originals:
        packed = satchel.pack(original, "v")
        restored = host.unpack_result(packed.value, producer=packed.producer, instructions=packed.instructions)
        assert (type(original), original) == (type(restored), restored)


def test_a_datetime_in_a_zone_comes_back_in_that_zone_even_in_an_hour_that_occurs_twice() -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from satchel import pack
    from satchel.host import get_host

    # 1942-01-01 01:40 happened twice in Accra (the clocks went back); across zones it compares unequal.
    moment = dt.datetime(1942, 1, 1, 1, 40, fold=1, tzinfo=ZoneInfo("Africa/Accra"))
    packed = pack(moment, "when")
    assert {"type": "datetime", "zone": "Africa/Accra"} == packed.instructions
    restored = get_host().unpack_result(packed.value, producer=packed.producer, instructions=packed.instructions, obj_type=dt.datetime)
    assert (moment, "Africa/Accra", moment.utcoffset()) == (restored, restored.tzinfo.key, restored.utcoffset())


@pytest.mark.parametrize("zone", ["../../etc/passwd", "/etc/localtime", 5, "Nowhere/Atlantis"])
def test_a_zone_instruction_that_names_no_known_zone_is_refused(zone: object) -> None:
    from satchel.errors import UnpackingError

    with pytest.raises(UnpackingError, match=r"instruction 'zone' is|is not known on this machine"):
        ValuesPackager().unpack_result("2024-01-01T00:00:00+00:00", type="datetime", zone=zone)
