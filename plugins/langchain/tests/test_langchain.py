"""satchel-langchain: the kit's contract, and the plugin's own promises (metadata, errors, safe loading)."""

from __future__ import annotations

import copy
import inspect
import json
import math
import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.prompts import (
    ChatPromptTemplate,
    FewShotChatMessagePromptTemplate,
    FewShotPromptTemplate,
    HumanMessagePromptTemplate,
    MessagesPlaceholder,
    PromptTemplate,
    SystemMessagePromptTemplate,
)
from langchain_core.prompts.chat import ChatMessagePromptTemplate
from langchain_core.runnables import RunnableLambda
from lc_strategies import chat_templates, messages, templates
from pydantic import BaseModel

from satchel import PickleFallbackWarning, PluginHost, Store
from satchel.errors import PackagerNotFoundError, PackingError, UnknownPackingKwargError, UnpackingError
from satchel.packing import log_packed, staging
from satchel.testing import PackagerContract, isolated_host
from satchel.unpacking import unpack_record
from satchel_langchain import LangChainPackager, _codec

FAKE_SECRET_NAME = "SATCHEL_LC_FAKE_API_KEY"
FAKE_SECRET_VALUE = "sk-fake-4f1c9e0b-never-read"


def faithful_copy(obj: Any) -> Any:
    """A deep copy that shares the ``input_types`` annotations (MessagesPlaceholder's hold a pydantic
    FieldInfo, which compares by identity, so a plain deepcopy of a chat template is never ``==``)."""
    memo: dict[int, Any] = {}

    def seed(value: Any) -> None:
        if isinstance(value, BaseModel):
            for annotation in (getattr(value, "input_types", None) or {}).values():
                memo[id(annotation)] = annotation
            for name in type(value).model_fields:
                seed(getattr(value, name))
        elif isinstance(value, (list, tuple)):
            for item in value:
                seed(item)
        elif isinstance(value, dict):
            for item in value.values():
                seed(item)

    seed(obj)
    return copy.deepcopy(obj, memo)


class TestLangChainPackager(PackagerContract):
    packager = LangChainPackager
    strategy = templates | messages()
    # Templates and messages are not JSON results: the packager declines "result" for them.
    round_trip_types = ["prompt", "file"]

    def strategy_for(self, artifact_type: str) -> st.SearchStrategy[Any]:
        return messages() if artifact_type == "file" else templates

    def snapshot(self, obj: Any) -> Any:
        return faithful_copy(obj)


# -- Helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def host() -> PluginHost:
    """Core's built-ins (pickle included) plus satchel-langchain's packager, nothing else installed."""
    return isolated_host(("langchain", LangChainPackager))


@pytest.fixture
def store(tmp_path: Any) -> Iterator[Store]:
    with Store(tmp_path / "store") as opened:
        yield opened


def store_and_load(host: PluginHost, store: Store, obj: Any, artifact_type: str | None = None, **options: Any) -> tuple[Any, Any]:
    with staging(store):
        packed = host.pack(obj, "item", artifact_type, options)
    record = log_packed(store, "lc", packed)
    return record, unpack_record(store, store.get_artifact(record.uri), type(obj), host=host)


def tampered(host: PluginHost, store: Store, obj: Any, edit: Any, obj_type: type | None = None) -> Any:
    """Store ``obj``'s artifact with its JSON changed by ``edit(tree) -> tree``, then unpack it."""
    packed = host.pack(obj, "item")
    assert packed.artifact is not None
    tree = json.loads(packed.artifact.body)  # type: ignore[arg-type]
    packed.artifact.body = json.dumps(edit(tree)).encode()
    record = log_packed(store, "lc", packed)
    return unpack_record(store, record, obj_type or type(obj), host=host)


def sample_chat() -> ChatPromptTemplate:
    few_shot = FewShotChatMessagePromptTemplate(
        examples=[{"q": "2+2", "a": "4"}, {"q": "é?", "a": "ü"}],
        example_prompt=ChatPromptTemplate.from_messages([("human", "{q}"), ("ai", "{a}")]),
    )
    return ChatPromptTemplate.from_messages(
        [
            ("system", "You are {role}. Answer in {{JSON}}."),
            few_shot,
            MessagesPlaceholder("history", optional=True),
            SystemMessage(content="A literal message"),
            ChatMessagePromptTemplate.from_template("{critique}", role="critic"),
            ("human", "{question}"),
        ]
    ).partial(role="a helpful assistant")


# -- Round trips and metadata ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "obj",
    [
        PromptTemplate.from_template("Hello {name}, {{not a variable}} ✓"),
        PromptTemplate.from_template("Hi {{name}}{{#items}}- {{.}}{{/items}}", template_format="mustache"),
        sample_chat(),
        FewShotPromptTemplate(
            examples=[{"word": "happy", "antonym": "sad"}],
            example_prompt=PromptTemplate.from_template("{word} -> {antonym}"),
            prefix="Give antonyms.",
            suffix="{input} ->",
        ),
        SystemMessagePromptTemplate.from_template("Be {tone}"),
        HumanMessagePromptTemplate.from_template([{"text": "{q}"}, {"image_url": {"url": "{img}"}}]),
        MessagesPlaceholder("history", optional=False, n_messages=5),
    ],
    ids=lambda obj: type(obj).__name__,
)
def test_templates_round_trip_through_a_store_as_prompt_artifacts(host: PluginHost, store: Store, obj: Any) -> None:
    record, restored = store_and_load(host, store, obj)
    assert (type(restored), restored) == (type(obj), obj)
    assert (record.kind, record.artifact_type, record.format) == ("prompt", "prompt", "json")
    assert [f.name for f in record.files] == ["item.json"]
    assert record.extra["input_variables"] == list(obj.input_variables)
    assert record.preview["class"] == type(obj).__name__
    assert record.instructions["lc_class"] == f"{type(obj).__module__}.{type(obj).__qualname__}"


def test_preview_shows_the_template_text_variables_and_format(host: PluginHost) -> None:
    prompt = PromptTemplate.from_template("Summarise {text} in {n} words", partial_variables={"n": "10"})
    artifact = host.pack(prompt, "summary").artifact
    assert artifact is not None
    assert artifact.input_variables == ["text"]  # type: ignore[attr-defined]
    assert artifact.preview == {
        "class": "PromptTemplate",
        "template": "Summarise {text} in {n} words",
        "template_format": "f-string",
        "partial_variables": ["n"],
    }


def test_chat_preview_lists_each_message_with_its_role(host: PluginHost) -> None:
    artifact = host.pack(sample_chat(), "chat").artifact
    assert artifact is not None
    preview = artifact.preview
    assert preview is not None
    assert [m["role"] for m in preview["messages"]] == ["system", "examples", "human", "ai", "placeholder", "system", "critic", "human"]
    assert preview["messages"][0]["template"] == "You are {role}. Answer in {{JSON}}."
    assert preview["template"].startswith("system: You are {role}.")
    assert preview["optional_variables"] == ["history"]
    assert artifact.input_variables == ["critique", "question"]  # type: ignore[attr-defined]


def test_previews_stay_small_for_huge_templates(host: PluginHost) -> None:
    chat = ChatPromptTemplate.from_messages([("human", "x" * 5000 + f"{{v{i}}}") for i in range(200)])
    artifact = host.pack(chat, "big").artifact
    assert artifact is not None
    assert artifact.preview is not None
    assert len(json.dumps(artifact.preview)) < 16 * 1024
    assert len(artifact.preview["template"]) == 1000
    assert artifact.preview["template"].endswith("…")
    assert len(artifact.preview["messages"]) == 20
    assert artifact.preview["more_messages"] == 180
    assert len(artifact.input_variables) == 200  # type: ignore[attr-defined]


@given(messages())
def test_messages_pack_as_json_files(message: Any) -> None:
    host = isolated_host(LangChainPackager)
    packed = host.pack(message, "reply")
    assert packed.artifact_type == "file"
    assert packed.artifact is not None
    assert packed.artifact.kind == "file"
    assert packed.artifact.file_name == "reply.json"
    assert packed.artifact.preview is not None
    assert packed.artifact.preview["type"] == message.type


def test_message_round_trips_with_tool_calls(host: PluginHost, store: Store) -> None:
    message = AIMessage(content="calling", tool_calls=[{"name": "search", "args": {"q": "x"}, "id": "c1"}], id="m1")
    record, restored = store_and_load(host, store, message)
    assert (record.kind, record.artifact_type) == ("file", "file")
    assert restored == message
    assert record.preview == {"class": "AIMessage", "type": "ai", "content": "calling"}


def test_stored_file_is_langchains_own_json(host: PluginHost) -> None:
    """Anyone with langchain-core can read the file back with its own loader and an allow-list."""
    from langchain_core.load import load

    chat = ChatPromptTemplate.from_messages([("system", "Be {tone}"), MessagesPlaceholder("h"), ("human", "{q}")])
    artifact = host.pack(chat, "chat").artifact
    assert artifact is not None
    allowed = [ChatPromptTemplate, PromptTemplate, MessagesPlaceholder, SystemMessagePromptTemplate, HumanMessagePromptTemplate]
    restrict = {"allowed_objects": allowed} if "allowed_objects" in inspect.signature(load).parameters else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load(json.loads(artifact.body), secrets_from_env=False, **restrict) == chat  # type: ignore[arg-type]


def test_unicode_text_and_lone_surrogates_round_trip(host: PluginHost, store: Store) -> None:
    readable = PromptTemplate.from_template("日本語 {名前} — ❤")
    packed = host.pack(readable, "u")
    assert packed.artifact is not None
    assert "日本語" in packed.artifact.body.decode("utf-8")  # type: ignore[union-attr]
    odd = PromptTemplate.from_template("broken \ud800 text {x}")
    _record, restored = store_and_load(host, store, odd)
    assert restored == odd


def test_user_data_that_looks_like_langchain_json_stays_data(host: PluginHost, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Metadata and examples shaped like secrets or constructors are escaped, never revived."""
    monkeypatch.setenv(FAKE_SECRET_NAME, FAKE_SECRET_VALUE)
    lookalikes = {
        "secret": {"lc": 1, "type": "secret", "id": [FAKE_SECRET_NAME]},
        "model": {"lc": 1, "type": "constructor", "id": ["langchain", "llms", "openai", "OpenAI"], "kwargs": {}},
    }
    prompt = PromptTemplate.from_template("{x}").model_copy(update={"metadata": lookalikes})
    few_shot = FewShotPromptTemplate(
        examples=[{"a": "x", "extra": lookalikes}, {"a": "plain"}], example_prompt=PromptTemplate.from_template("{a}"), suffix="{q}"
    )
    # The route of CVE-2025-68664: model output (additional_kwargs) shaped like LangChain JSON.
    message = AIMessage(content="hi", additional_kwargs=lookalikes, response_metadata={"nested": [lookalikes]})
    for obj in (prompt, few_shot, message):
        _record, restored = store_and_load(host, store, obj)
        assert restored == obj
    assert FAKE_SECRET_VALUE not in repr(restored)


def test_hint_option_indent_controls_the_layout(host: PluginHost) -> None:
    prompt = PromptTemplate.from_template("{a}")
    compact = host.pack(prompt, "p", "prompt", {"indent": None}).artifact
    assert compact is not None
    assert isinstance(compact.body, bytes)
    assert b"\n" not in compact.body
    with pytest.raises(PackingError, match="indent must be None"):
        host.pack(prompt, "p", "prompt", {"indent": -1})
    with pytest.raises(UnknownPackingKwargError, match="indent"):
        host.pack(prompt, "p", "prompt", {"format": "yaml"})


# -- What is refused at packing time ---------------------------------------------------------------


def test_callable_partial_variable_is_refused_with_its_path(host: PluginHost) -> None:
    prompt = PromptTemplate.from_template("{a} {today}", partial_variables={"today": lambda: "Monday"})
    with pytest.raises(PackingError, match=r"partial_variables\.today is a .*cannot serialise.*Bind partial variables to strings"):
        host.pack(prompt, "p")


def test_values_json_would_change_are_refused_by_name(host: PluginHost) -> None:
    typed = PromptTemplate(template="{a}", input_variables=["a"], input_types={"a": int})
    with pytest.raises(PackingError, match=r"input_types=\{'a': <class 'int'>\} loads back as \{\}"):
        host.pack(typed, "p")
    tupled = PromptTemplate.from_template("{a}").model_copy(update={"metadata": {"pair": (1, 2)}})
    with pytest.raises(PackingError, match=r"metadata=.*loads back as"):
        host.pack(tupled, "p")
    not_a_number = PromptTemplate.from_template("{a}").model_copy(update={"metadata": {"x": math.nan}})
    with pytest.raises(PackingError, match="NaN and infinity are not allowed"):
        host.pack(not_a_number, "p")


def test_example_selector_is_refused(host: PluginHost) -> None:
    from langchain_core.example_selectors import LengthBasedExampleSelector

    example_prompt = PromptTemplate.from_template("{a}")
    selector = LengthBasedExampleSelector(examples=[{"a": "x"}], example_prompt=example_prompt)
    few_shot = FewShotPromptTemplate(example_selector=selector, example_prompt=example_prompt, suffix="{q}")
    with pytest.raises(PackingError, match=r"example_selector is a .*LengthBasedExampleSelector"):
        host.pack(few_shot, "p")


def test_jinja2_templates_are_refused(host: PluginHost) -> None:
    prompt = PromptTemplate.from_template("Hi {{ name }}", template_format="jinja2")
    with pytest.raises(PackingError, match=r"jinja2.*can run code.*'f-string' or 'mustache'"):
        host.pack(prompt, "p")
    chat = ChatPromptTemplate.from_messages([("system", "ok"), ("human", "{{ q }}")], template_format="jinja2")
    with pytest.raises(PackingError, match=r"messages\[0\]\.prompt is a jinja2 template"):
        host.pack(chat, "c")


def test_artifact_types_are_fixed_per_kind(host: PluginHost) -> None:
    prompt, message = PromptTemplate.from_template("{a}"), HumanMessage(content="hi")
    assert host.pack(prompt, "p").artifact_type == "prompt"
    assert host.pack(message, "m").artifact_type == "file"
    with pytest.raises(PackagerNotFoundError):
        host.pack(prompt, "p", "file")
    with pytest.raises(PackagerNotFoundError):
        host.pack(message, "m", "prompt")
    packer = LangChainPackager()
    assert packer.is_unpackable(ChatPromptTemplate, "prompt")
    assert packer.is_unpackable(AIMessage, "file")
    assert not packer.is_unpackable(AIMessage, "prompt")
    assert not packer.is_unpackable(ChatPromptTemplate, "file")
    assert not packer.is_unpackable(ChatPromptTemplate, "object")


def test_explicit_object_hint_goes_to_the_pickle_fallback_with_its_warning(host: PluginHost) -> None:
    with pytest.warns(PickleFallbackWarning):
        packed = host.pack(PromptTemplate.from_template("{a}"), "p", "object")
    assert packed.producer.plugin == "pickle"


def test_packing_leaves_the_template_unchanged(host: PluginHost) -> None:
    chat = sample_chat()
    before = faithful_copy(chat)
    assert chat == before
    host.pack(chat, "c")
    assert chat == before


# -- Refusing other LangChain objects --------------------------------------------------------------


def _identity(value: Any) -> Any:
    return value


class MyPrompt(PromptTemplate):
    """A user subclass: it would not load back by class name, so it is refused."""


@pytest.mark.parametrize(
    ("obj", "named"),
    [
        (RunnableLambda(_identity), "a langchain_core.runnables.base.RunnableLambda is not one of them"),
        (Document(page_content="x"), "a langchain_core.documents.base.Document is not one of them"),
        (PromptTemplate.from_template("{a}") | RunnableLambda(_identity), "RunnableSequence is not one of them"),
        (MyPrompt(template="{a}", input_variables=["a"]), "(a subclass of PromptTemplate; only the exact LangChain classes"),
        (AIMessageChunk(content="x"), "turn it into a message first with langchain_core.messages.message_chunk_to_message"),
    ],
    ids=["runnable", "document", "chain", "subclass", "chunk"],
)
def test_other_langchain_objects_are_refused_not_pickled(host: PluginHost, obj: Any, named: str) -> None:
    winner = host.explain(obj).winner
    assert winner is not None
    assert ("langchain", LangChainPackager.REFUSAL_PRIORITY) == (winner.plugin, winner.priority)
    assert winner.refusal is not None and named in winner.refusal
    with warnings.catch_warnings():
        warnings.simplefilter("error", PickleFallbackWarning)
        with pytest.raises(PackingError) as raised:
            host.pack(obj, "thing")
    message = str(raised.value)
    assert message.startswith("'thing': satchel-langchain packs prompt templates (PromptTemplate, ChatPromptTemplate")
    assert named in message
    assert "chat messages (AIMessage, HumanMessage" in message
    assert "not pickled silently" in message
    assert "may carry API keys" in message
    assert "'<key> : object'" in message
    assert "allow_pickle" in message


def test_refused_objects_can_still_be_pickled_on_request(host: PluginHost) -> None:
    with pytest.warns(PickleFallbackWarning):
        packed = host.pack(RunnableLambda(_identity), "r", "object")
    assert packed.producer.plugin == "pickle"


def test_refusal_is_per_type_and_only_without_an_artifact_type() -> None:
    packer = LangChainPackager()
    refused = packer.satchel_can_pack(obj_type=RunnableLambda, artifact_type=None)
    assert refused is not None and refused.refusal == packer.refusal(RunnableLambda, None)
    assert LangChainPackager.REFUSAL_PRIORITY == refused.priority
    # Its own templates and messages are offered, not refused; an explicit artifact type is never refused.
    assert packer.satchel_can_pack(obj_type=ChatPromptTemplate, artifact_type=None).refusal is None
    assert packer.satchel_can_pack(obj_type=AIMessage, artifact_type=None).refusal is None
    assert packer.satchel_can_pack(obj_type=RunnableLambda, artifact_type="object") is None
    assert packer.satchel_can_pack(obj_type=RunnableLambda, artifact_type="file") is None
    # Anything that is not a LangChain object is none of its business.
    assert packer.satchel_can_pack(obj_type=dict, artifact_type=None) is None
    assert not packer.is_unpackable(RunnableLambda, None)


def test_a_real_packager_for_a_refused_type_outranks_the_refusal(host: PluginHost) -> None:
    from satchel import Packager

    class RunnablePackager(Packager):
        PACKABLE_OBJECT_TYPE = RunnableLambda
        PRIORITY = 8

        def pack_result(self, obj: Any, key: str) -> dict[str, Any]:
            return {key: "a runnable"}

    host.register(RunnablePackager, name="runnables")
    packed = host.pack(RunnableLambda(_identity), "r")
    assert ("runnables", "a runnable") == (packed.producer.plugin, packed.value)


# -- What is refused at loading time ---------------------------------------------------------------


def _set_root(tree: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**tree, **changes}


def _replace_partial(tree: dict[str, Any], value: Any) -> dict[str, Any]:
    tree["kwargs"]["partial_variables"] = {"x": value}
    return tree


LLM = {
    "lc": 1,
    "type": "constructor",
    "id": ["langchain", "llms", "openai", "OpenAI"],
    "kwargs": {"openai_api_key": {"lc": 1, "type": "secret", "id": [FAKE_SECRET_NAME]}},
}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda tree: LLM, r"names langchain\.llms\.openai\.OpenAI, which satchel-langchain does not load"),
        (
            lambda tree: _replace_partial(tree, {"lc": 1, "type": "secret", "id": [FAKE_SECRET_NAME]}),
            rf"partial_variables\.x asks for the secret '{FAKE_SECRET_NAME}'; satchel-langchain never reads secrets",
        ),
        (lambda tree: _replace_partial(tree, LLM), r"partial_variables\.x names langchain\.llms\.openai\.OpenAI"),
        (
            lambda tree: _replace_partial(
                tree, {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "document", "Document"], "kwargs": {"page_content": "x"}}
            ),
            r"names langchain\.schema\.document\.Document, which satchel-langchain does not load",
        ),
        (
            lambda tree: _replace_partial(tree, {"lc": 1, "type": "not_implemented", "id": ["os", "system"], "repr": "x"}),
            r"partial_variables\.x is a os\.system that LangChain cannot serialise",
        ),
        (lambda tree: _set_root(tree, name=LLM), r"name names langchain\.llms\.openai\.OpenAI"),
        (lambda tree: _set_root(tree, kwargs={**tree["kwargs"], "template_format": "jinja2"}), "is a jinja2 template"),
        (lambda tree: _set_root(tree, lc=2), r"is not a LangChain constructor entry"),
        (
            lambda tree: {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "AIMessage"], "kwargs": {"content": "x"}},
            r"it is a AIMessage; a prompt artifact holds one of PromptTemplate",
        ),
        (
            lambda tree: {"lc": 1, "type": "constructor", "id": ["langchain", "prompts", "chat", "ChatPromptTemplate"], "kwargs": {"messages": []}},
            r"it is a ChatPromptTemplate, but the artifact was recorded as a PromptTemplate",
        ),
        (lambda tree: [tree], r"it is not a LangChain object"),
    ],
    ids=[
        "llm-at-root", "secret", "llm-nested", "document", "not-implemented", "llm-in-other-key", "jinja2",
        "bad-lc", "message-as-prompt", "other-template-class", "not-an-object",
    ],
)
def test_tampered_prompt_files_are_refused(
    host: PluginHost, store: Store, monkeypatch: pytest.MonkeyPatch, edit: Any, expected: str
) -> None:
    monkeypatch.setenv(FAKE_SECRET_NAME, FAKE_SECRET_VALUE)
    with pytest.raises(UnpackingError, match=expected) as raised:
        tampered(host, store, PromptTemplate.from_template("{a}"), edit)
    assert "refusing to load it" in str(raised.value)
    assert FAKE_SECRET_VALUE not in str(raised.value)


def test_not_json_is_refused(host: PluginHost, store: Store) -> None:
    packed = host.pack(PromptTemplate.from_template("{a}"), "item")
    assert packed.artifact is not None
    packed.artifact.body = b"\x80 not json"
    record = log_packed(store, "lc", packed)
    with pytest.raises(UnpackingError, match="is not JSON"):
        unpack_record(store, record, PromptTemplate, host=host)


def test_message_file_may_not_hold_a_template(host: PluginHost, store: Store) -> None:
    prompt_tree = _codec.encode(PromptTemplate.from_template("{a}"))
    with pytest.raises(UnpackingError, match=r"names langchain\.prompts\.prompt\.PromptTemplate, which satchel-langchain does not load"):
        tampered(host, store, HumanMessage(content="hi"), lambda tree: prompt_tree)


def test_type_hint_that_does_not_match_is_an_error(host: PluginHost, store: Store) -> None:
    with staging(store):
        packed = host.pack(PromptTemplate.from_template("{a}"), "item")
    record = log_packed(store, "lc", packed)
    with pytest.raises(UnpackingError, match=r"not the langchain_core\.prompts\.chat\.ChatPromptTemplate the parameter asks for"):
        unpack_record(store, record, ChatPromptTemplate, host=host)


def test_older_spellings_of_class_ids_still_load(host: PluginHost, store: Store) -> None:
    """Ids written as the class path (or a legacy alias) load as the same allowed class."""

    def respell(tree: dict[str, Any]) -> dict[str, Any]:
        tree["id"] = ["langchain_core", "prompts", "prompt", "PromptTemplate"]
        return tree

    prompt = PromptTemplate.from_template("{a}")
    assert tampered(host, store, prompt, respell) == prompt


class _EnvironSpy(dict):  # type: ignore[type-arg]
    """``os.environ`` stand-in that records which names were looked up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.looked_up: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.looked_up.add(name)
        return str(super().__getitem__(name))

    def __contains__(self, name: object) -> bool:
        self.looked_up.add(str(name))
        return super().__contains__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self.looked_up.add(name)
        return super().get(name, default)


def test_environment_is_never_read_for_secrets(host: PluginHost, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither a real load nor LangChain's reviver on its own (our checks bypassed) reads the variable."""
    spy = _EnvironSpy({**os.environ, FAKE_SECRET_NAME: FAKE_SECRET_VALUE})
    monkeypatch.setattr(os, "environ", spy)
    secret = {"lc": 1, "type": "secret", "id": [FAKE_SECRET_NAME]}
    with pytest.raises(UnpackingError):
        tampered(host, store, PromptTemplate.from_template("{a}"), lambda tree: _replace_partial(tree, secret))
    tree = _codec.encode(PromptTemplate.from_template("{a}"))
    tree["kwargs"]["partial_variables"] = {"x": {"lc": 1, "type": "secret", "id": [FAKE_SECRET_NAME]}}
    revived = _codec._langchain_load(tree, "prompt")  # the second lock alone: the secret becomes None
    assert revived.partial_variables == {"x": None}
    assert FAKE_SECRET_VALUE not in repr(revived)
    assert FAKE_SECRET_NAME not in spy.looked_up


def test_langchain_load_gets_only_the_classes_in_the_file_and_no_secrets(
    host: PluginHost, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import langchain_core.load

    seen: list[dict[str, Any]] = []
    real_load = langchain_core.load.load

    def spy(obj: Any, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return real_load(obj, **kwargs)

    monkeypatch.setattr(langchain_core.load, "load", spy)
    chat = ChatPromptTemplate.from_messages([("system", "Be {tone}"), MessagesPlaceholder("h")])
    _record, restored = store_and_load(host, store, chat)
    assert restored == chat
    assert len(seen) == 2  # once to verify while packing, once to unpack
    for kwargs in seen:
        assert kwargs["secrets_from_env"] is False
        assert kwargs["secrets_map"] == {}
        assert set(kwargs["allowed_objects"]) == {ChatPromptTemplate, SystemMessagePromptTemplate, PromptTemplate, MessagesPlaceholder}


def test_langchain_allow_list_alone_refuses_other_classes() -> None:
    """The second lock: LangChain's own loader, given our allow-list, refuses a model even unchecked."""
    with pytest.raises(_codec.FormatProblem, match=r"could not be rebuilt by langchain_core\.load"):
        _codec._langchain_load(LLM, "prompt")


@given(chat_templates())
def test_generated_chat_files_pass_the_checks_unchanged(chat: ChatPromptTemplate) -> None:
    """The checker accepts everything the writer writes, and only renames ids to the installed lc_id()."""
    tree = _codec.encode(chat)
    assert _codec.decode(json.loads(json.dumps(tree)), "prompt") == chat
