"""Hostile instructions and files on LangChain artifacts: satchel's own UnpackingError; a planted
class name imports nothing beyond the allow-list."""

from __future__ import annotations

import pathlib
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from langchain_core.messages import HumanMessage
from langchain_core.prompts import PromptTemplate
from lc_strategies import messages, templates

from satchel import Artifact, PluginHost, Store
from satchel.artifacts import ArtifactRecord, Packed
from satchel.errors import UnpackingError
from satchel.packing import log_packed, staging
from satchel.testing import check_hostile_instructions, isolated_host
from satchel.unpacking import unpack_record
from satchel_langchain import LangChainPackager


@pytest.fixture
def host() -> PluginHost:
    return isolated_host(("langchain", LangChainPackager))


@pytest.fixture
def store(tmp_path: pathlib.Path) -> Iterator[Store]:
    with Store(str(tmp_path / "store")) as opened:
        yield opened


def _logged(host: PluginHost, store: Store, obj: Any) -> ArtifactRecord:
    with staging(store):
        return log_packed(store, "hostile", host.pack(obj, "item", None, {}))


@pytest.mark.parametrize(
    "lc_class",
    ["satchel_planted_module_xyz.Evil", "os.system", ["langchain_core.prompts.prompt.PromptTemplate"], {"a": 1}, 5, "", "\x1b[2J"],
)
def test_a_planted_class_name_imports_nothing_and_still_loads_by_the_allow_list(
    host: PluginHost, store: Store, lc_class: Any,
) -> None:
    record = _logged(host, store, PromptTemplate.from_template("Hi {name}"))
    restored = unpack_record(store, attrs.evolve(record, instructions={**record.instructions, "lc_class": lc_class}), host=host)
    assert PromptTemplate.from_template("Hi {name}") == restored
    assert "satchel_planted_module_xyz" not in sys.modules


def test_a_planted_class_of_the_other_allowed_kind_is_an_unpacking_error(host: PluginHost, store: Store) -> None:
    record = _logged(host, store, PromptTemplate.from_template("Hi {name}"))
    planted = attrs.evolve(record, instructions={**record.instructions, "lc_class": "langchain_core.prompts.chat.ChatPromptTemplate"})
    with pytest.raises(UnpackingError, match=r"^artifact 'item': refusing to load it: it is a PromptTemplate, but the artifact was recorded as a ChatPromptTemplate"):
        unpack_record(store, planted, host=host)


def _planted_file(host: PluginHost, store: Store, body: bytes) -> ArtifactRecord:
    producer = host.pack(HumanMessage("hi"), "x", "file", {}).producer
    artifact = Artifact(key="item", body=body, file_name="item.json", format="json")
    packed = Packed(key="item", artifact_type="file", object_type="langchain_core.messages.human.HumanMessage",
                    producer=producer, artifact=artifact, instructions={})
    with staging(store):
        return log_packed(store, "hostile", packed)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"\xff\xfe not utf-8", r"is not JSON \(UnicodeDecodeError"),
        (b"[" * 100_000 + b"]" * 100_000, r"is not JSON \(RecursionError|nested too deeply"),
        (b'{"a": ' * 5000 + b"1" + b"}" * 5000, r"is not JSON|nested too deeply"),
        (b'{"lc": 1, "type": "constructor", "id": ["os", "system"], "kwargs": {}}', r"names os\.system, which satchel-langchain does not load"),
        (b'{"lc": 1, "type": "secret", "id": ["OPENAI_API_KEY"]}', r"asks for the secret 'OPENAI_API_KEY'"),
    ],
)
def test_a_planted_file_is_an_unpacking_error(host: PluginHost, store: Store, body: bytes, expected: str) -> None:
    record = _planted_file(host, store, body)
    with pytest.raises(UnpackingError, match=rf"^artifact 'item': refusing to load it: .*({expected})"):
        unpack_record(store, record, host=host)


def test_fuzzed_prompt_instructions_raise_only_satchels_errors(tmp_path: pathlib.Path) -> None:
    store = Store(str(tmp_path / "store"))
    check_hostile_instructions(LangChainPackager, templates, "prompt", store, str(tmp_path / "planted"))
    assert not (tmp_path / "planted").exists()


def test_fuzzed_message_instructions_raise_only_satchels_errors(tmp_path: pathlib.Path) -> None:
    store = Store(f"memory://langchain-{uuid.uuid4().hex}")
    check_hostile_instructions(LangChainPackager, messages(), "file", store, str(tmp_path / "planted"))
    assert not (tmp_path / "planted").exists()


def test_an_artifact_of_several_files_is_an_unpacking_error(host: PluginHost, tmp_path: pathlib.Path) -> None:
    from satchel import DataItem

    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "a.json").write_text("{}")
    (folder / "b.json").write_text("{}")
    producer = host.pack(HumanMessage("hi"), "x", "file", {}).producer
    with pytest.raises(UnpackingError, match=r"^artifact 'two' has files \['a.json', 'b.json'\]; a satchel-langchain 'file' artifact is one JSON file"):
        host.unpack(DataItem.from_local_path(folder), producer=producer, artifact_type="file", instructions={})
