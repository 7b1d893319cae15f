"""The Packager base class: MLRun's DefaultPackager convention, checked where a class is defined."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import pytest

from satchel import Artifact, Packager, PlotArtifact
from satchel.dataitem import DataItem
from satchel.errors import PackagerNotFoundError, UnpackingError
from satchel.packagers.pickle import PicklePackager
from satchel.testing import isolated_host


class Doc:
    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Doc) and other.text == self.text


def test_a_packing_option_without_a_default_is_rejected_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match=r"Bad\.pack_file: parameter 'format' needs a default value"):

        class Bad(Packager):
            PACKABLE_OBJECT_TYPE = Doc
            DEFAULT_PACKING_ARTIFACT_TYPE = "file"

            def pack_file(self, obj: Doc, key: str, format: str) -> Artifact:  # noqa: A002
                raise AssertionError


def test_an_unpacking_instruction_without_a_default_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"unpack_file: parameter 'encoding' needs a default value"):

        class Bad(Packager):
            PACKABLE_OBJECT_TYPE = Doc

            def unpack_file(self, data_item: DataItem, encoding: str) -> Doc:
                raise AssertionError


def test_the_default_artifact_type_must_be_one_the_class_packs() -> None:
    with pytest.raises(TypeError, match=r"DEFAULT_PACKING_ARTIFACT_TYPE is 'plot', but the class packs only \['file', 'result'\]"):

        class Bad(Packager):
            PACKABLE_OBJECT_TYPE = Doc
            DEFAULT_PACKING_ARTIFACT_TYPE = "plot"

            def pack_file(self, obj: Doc, key: str) -> Artifact:
                raise AssertionError


def test_priority_outside_one_to_ten_is_rejected() -> None:
    with pytest.raises(TypeError, match="PRIORITY: priority 0 is not on the scale; use an integer from 1"):

        class Bad(Packager):
            PACKABLE_OBJECT_TYPE = Doc
            PRIORITY = 0


class PackOnly(Packager):
    """The seed's pack-only pattern: file and plot, no unpack methods."""

    PACKABLE_OBJECT_TYPE = Doc
    DEFAULT_PACKING_ARTIFACT_TYPE = "plot"

    def pack_file(self, obj: Doc, key: str, format: str = "txt") -> tuple[Artifact, dict[str, Any]]:  # noqa: A002
        temp_dir = tempfile.mkdtemp()
        path = os.path.join(temp_dir, f"{key}.{format}")
        with open(path, "w") as handle:
            handle.write(obj.text)
        self.add_future_clearing_path(temp_dir)
        return Artifact(key=key, src_path=path), {"format": format}

    def pack_plot(self, obj: Doc, key: str) -> tuple[PlotArtifact, dict[str, Any]]:
        return PlotArtifact(key=key, body=obj.text.encode(), title=key), {}


def test_pack_only_types_pack_but_do_not_unpack() -> None:
    packager = PackOnly()
    assert (["file", "plot", "result"], ["result"]) == (
        packager.packing_artifact_types, packager.unpacking_artifact_types,
    )
    host = isolated_host(PackOnly)
    packed = host.pack(Doc("hi"), "doc")
    assert ("plot", b"hi", "doc") == (packed.artifact_type, packed.artifact.body, packed.artifact.title)
    packed = host.pack(Doc("hi"), "doc", "file", {"format": "md"})
    assert {"format": "md"} == packed.instructions
    with pytest.raises(UnpackingError, match=r"cannot unpack artifact 'doc' of type 'file'; it unpacks \['result'\]"):
        host.unpack(DataItem.from_packed(packed), producer=packed.producer, artifact_type="file")
    folder = os.path.dirname(packed.artifact.src_path)
    packed.clear()
    assert not os.path.exists(folder)


class UnpackOnly(Packager):
    """The seed's unpack-only pattern: reads a legacy v1 format that is no longer written."""

    PACKABLE_OBJECT_TYPE = Doc
    ARTIFACT_TYPES = ("v1", "v2")
    DEFAULT_PACKING_ARTIFACT_TYPE = "v2"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "v2"

    def pack_v2(self, obj: Doc, key: str) -> tuple[Artifact, dict[str, Any]]:
        return Artifact(key=key, body=json.dumps({"text": obj.text}), file_name=f"{key}.json"), {}

    def unpack_v2(self, data_item: DataItem) -> Doc:
        return Doc(json.loads(data_item.read_text())["text"])

    def unpack_v1(self, data_item: DataItem) -> Doc:
        return Doc(data_item.read_text())


def test_unpack_only_types_unpack_but_are_never_written(tmp_path: Any) -> None:
    host = isolated_host(UnpackOnly)
    legacy = tmp_path / "old.txt"
    legacy.write_text("legacy text")
    from satchel.artifacts import Producer

    producer = Producer(plugin="under-test")
    assert Doc("legacy text") == host.unpack(DataItem.from_local_path(legacy), producer=producer, artifact_type="v1")
    with pytest.raises(PackagerNotFoundError):
        host.pack(Doc("x"), "doc", "v1")
    packed = host.pack(Doc("new"), "doc")
    assert Doc("new") == host.unpack(DataItem.from_packed(packed), producer=packed.producer, artifact_type=packed.artifact_type)


def test_result_is_always_packable_and_object_only_by_the_pickle_packager() -> None:
    packager = UnpackOnly()
    assert "result" in packager.packing_artifact_types
    assert "object" not in packager.packing_artifact_types + packager.unpacking_artifact_types
    assert "object" in PicklePackager().packing_artifact_types


def test_value_based_default_artifact_type() -> None:
    class Sized(Packager):
        PACKABLE_OBJECT_TYPE = Doc
        DEFAULT_PACKING_ARTIFACT_TYPE = "file"

        def get_default_packing_artifact_type(self, obj: Doc) -> str:
            return "result" if len(obj.text) <= 10 else "file"

        def pack_result(self, obj: Doc, key: str) -> dict[str, Any]:
            return {key: obj.text}

        def pack_file(self, obj: Doc, key: str) -> Artifact:
            return Artifact(key=key, body=obj.text)

    host = isolated_host(Sized)
    assert ("result", "file") == (host.pack(Doc("short"), "d").artifact_type, host.pack(Doc("x" * 100), "d").artifact_type)


def test_a_missing_library_named_in_requires_is_reported_by_the_listing() -> None:
    class NeedsALibrary(Packager):
        PACKABLE_OBJECT_TYPE = "no_such_library_xyz.Thing"
        REQUIRES = {"no_such_library_xyz": "no-such-library"}

    host = isolated_host(("needs-lib", NeedsALibrary))
    (info,) = [i for i in host.infos() if i.name == "needs-lib"]
    assert "missing dependency: no-such-library (pip install no-such-library)" == info.error
