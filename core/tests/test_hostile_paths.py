"""Finding 2: a path artifact's recorded name, format and flags come from the store, so they are
checked before anything is written; a hostile one is an UnpackingError and nothing lands outside
satchel's own temporary folder."""

from __future__ import annotations

import json
import os
import pathlib
import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import satchel
from satchel.archives import extraction_limits
from satchel.artifacts import ArtifactRecord
from satchel.dataitem import DataItem
from satchel.errors import UnpackingError, UnsafeArchiveError
from satchel.host import PluginHost
from satchel.packing import log_packed, staging
from satchel.store import Store
from satchel.unpacking import unpack_record

PROJECT = "hostile"


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path, digest: str) -> Store:
    url = str(tmp_path / "store") if request.param == "local" else f"memory://hostile-{uuid.uuid4().hex}"
    return Store(url, digest=digest)


def _tree(root: pathlib.Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture
def written_outside(tmp_path: pathlib.Path, temp_dir_in_tmp_path: pathlib.Path) -> Iterator[list[str]]:
    """What appeared under tmp_path outside the store, satchel's temp folder and the test's own inputs
    ('src'); checked empty at the end."""
    def outside() -> set[str]:
        own = ("store", temp_dir_in_tmp_path.name, "src")
        return {name for name in _tree(tmp_path) if not name.startswith(own) and name != "victim"}

    before = outside()
    appeared: list[str] = []
    yield appeared
    appeared.extend(sorted(outside() - before))
    assert [] == appeared


def _log(store: Store, obj: Any, hint: str) -> ArtifactRecord:
    with staging(store):
        packed = satchel.pack(obj, hint)
    return log_packed(store, PROJECT, packed)


@pytest.fixture
def file_record(store: Store, tmp_path: pathlib.Path) -> ArtifactRecord:
    source = tmp_path / "src" / "weights.bin"
    source.parent.mkdir()
    source.write_bytes(b"\x00\x01payload")
    return _log(store, source, "weights")


@pytest.fixture
def dir_record(store: Store, tmp_path: pathlib.Path) -> ArtifactRecord:
    source = tmp_path / "src" / "model"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "sub" / "b.txt").write_text("beta")
    return _log(store, source, "model")


def _hostile(record: ArtifactRecord, **instructions: Any) -> ArtifactRecord:
    return attrs.evolve(record, instructions={**record.instructions, **instructions})


def _names(tmp_path: pathlib.Path) -> list[Any]:
    return [
        str(tmp_path / "victim" / "planted"),  # absolute
        "../../planted", "../planted", "..", ".", "", "a/b", "a/../../planted", "./planted/",
        "x\x00y", "bad\x1b[2Jname", "line\nbreak", "back\\slash", "x" * 300, "\udc80\ud800",
        5, ["planted"], {"name": "planted"}, True,
    ]


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_a_planted_name_never_leads_outside_satchels_temp_folder(
    kind: str, file_record: ArtifactRecord, dir_record: ArtifactRecord, store: Store, tmp_path: pathlib.Path,
    written_outside: list[str],
) -> None:
    (tmp_path / "victim").mkdir()
    record = file_record if kind == "file" else dir_record
    for name in _names(tmp_path):
        with pytest.raises(UnpackingError) as raised:
            unpack_record(store, _hostile(record, name=name))
        message = str(raised.value)
        assert f"artifact {record.key!r}" in message, message
        assert "instruction 'name'" in message and "nothing was written" in message, message
    assert [] == os.listdir(tmp_path / "victim")
    assert not any("planted" in name for name in _tree(tmp_path))


def test_a_name_planted_in_the_stores_own_metadata_file_is_refused(tmp_path: pathlib.Path, written_outside: list[str]) -> None:
    store = Store(str(tmp_path / "store"))
    source = tmp_path / "src" / "weights.bin"
    source.parent.mkdir()
    source.write_bytes(b"payload")
    record = _log(store, source, "weights")
    metadata = tmp_path / "store" / "artifacts" / PROJECT / record.key / f"{record.uid}.json"
    document = json.loads(metadata.read_text())
    victim = tmp_path / "victim.bin"
    document["instructions"]["name"] = str(victim)
    metadata.chmod(0o644)
    metadata.write_text(json.dumps(document))  # what anyone with write access to the store can do
    planted = store.get_artifact(record.uri)
    assert str(victim) == planted.instructions["name"]
    with pytest.raises(UnpackingError, match=r"artifact 'weights': instruction 'name': invalid file name .* it is absolute"):
        unpack_record(store, planted)
    assert not victim.exists()


def test_a_planted_key_is_checked_when_no_name_is_recorded(host: PluginHost, tmp_path: pathlib.Path, written_outside: list[str]) -> None:
    source = tmp_path / "src" / "model"
    source.mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    packed = satchel.pack(source, "model")
    item = DataItem.from_packed(packed)
    hostile = DataItem("../../planted", kind=item.kind, file_names=item.file_names, materialize=item.local_dir)
    with pytest.raises(UnpackingError, match=r"artifact '\.\./\.\./planted': its key"):
        host.unpack(hostile, producer=packed.producer, artifact_type="path", instructions={"is_dir": True, "archive_format": "zip"})
    packed.clear()


def test_a_good_name_still_restores_under_it(file_record: ArtifactRecord, dir_record: ArtifactRecord, store: Store) -> None:
    restored = unpack_record(store, _hostile(file_record, name="Renamed Weights.BIN"))
    assert ("Renamed Weights.BIN", b"\x00\x01payload") == (restored.name, restored.read_bytes())
    folder = unpack_record(store, dir_record)
    assert ("model", "beta") == (folder.name, (folder / "sub" / "b.txt").read_text())


@pytest.mark.parametrize(
    ("instructions", "expected"),
    [
        ({"archive_format": "rar"}, r"instruction 'archive_format' is 'rar'; satchel extracts zip, tar, tar\.gz"),
        ({"archive_format": ["zip"]}, r"instruction 'archive_format' is \['zip'\]"),
        ({"is_dir": "yes"}, r"instruction 'is_dir' is 'yes'; expected true or false"),
        ({"as_str": 1}, r"instruction 'as_str' is 1; expected true or false"),
    ],
)
def test_planted_formats_and_flags_are_unpacking_errors(
    dir_record: ArtifactRecord, store: Store, instructions: dict[str, Any], expected: str, written_outside: list[str],
) -> None:
    with pytest.raises(UnpackingError, match=expected):
        unpack_record(store, _hostile(dir_record, **instructions))


def test_a_file_recorded_as_a_folder_or_a_folder_as_a_file_is_an_unpacking_error(
    file_record: ArtifactRecord, dir_record: ArtifactRecord, store: Store,
) -> None:
    with pytest.raises(UnsafeArchiveError, match=r"^artifact 'weights' is not a readable tar archive"):
        unpack_record(store, _hostile(file_record, is_dir=True))
    with pytest.raises(UnsafeArchiveError, match=r"^artifact 'weights' is not a readable zip archive"):
        unpack_record(store, _hostile(file_record, is_dir=True, archive_format="zip"))


def test_a_multi_file_artifact_recorded_as_one_file_is_an_unpacking_error(host: PluginHost, tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (folder / "b.txt").write_text("b")
    item = DataItem.from_local_path(folder)
    producer = satchel.pack(tmp_path / "two" / "a.txt", "x").producer
    with pytest.raises(UnpackingError, match=r"has 2 files, but its instructions say it is one file"):
        host.unpack(item, producer=producer, artifact_type="path", instructions={"is_dir": False})


def test_path_results_with_planted_instructions_are_unpacking_errors(host: PluginHost, tmp_path: pathlib.Path) -> None:
    packed = satchel.pack(tmp_path, "where : result")
    for value, instructions, expected in [
        (123, packed.instructions, r"the path result is 123, not the text of a path"),
        (packed.value, {"as_str": "no"}, r"instruction 'as_str' is 'no'"),
        (packed.value, {"path_type": ["Path"]}, r"instruction 'path_type' is \['Path'\]"),
    ]:
        with pytest.raises(UnpackingError, match=expected):
            host.unpack_result(value, producer=packed.producer, instructions=instructions)
    # An unknown class name (a subclass the reader does not have) still gives a path.
    restored = host.unpack_result(packed.value, producer=packed.producer, instructions={"path_type": "SomeonesPath"})
    assert pathlib.Path(str(tmp_path)) == restored


def test_a_directory_bomb_is_refused_and_instructions_cannot_raise_the_limits(
    store: Store, tmp_path: pathlib.Path, written_outside: list[str],
) -> None:
    source = tmp_path / "src" / "zeros"
    source.mkdir(parents=True)
    (source / "zeros.bin").write_bytes(bytes(24 * 1024**2))
    record = _log(store, source, "zeros")
    planted = _hostile(record, max_ratio=1e12, max_bytes=2**62, max_entries=2**62, limits={"max_ratio": 1e12})
    for hostile in (record, planted):
        with pytest.raises(UnsafeArchiveError, match=r"^artifact 'zeros' expands to at least .* compression ratio of 200:1"):
            unpack_record(store, hostile)
    with extraction_limits(max_ratio=100_000):  # only the caller can let it through
        restored = unpack_record(store, record)
    assert 24 * 1024**2 == (restored / "zeros.bin").stat().st_size
