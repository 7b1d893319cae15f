"""Hypothesis strategies for LangChain prompt templates and chat messages."""

from __future__ import annotations

from typing import Any, Literal

from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.prompts import (
    AIMessagePromptTemplate,
    ChatPromptTemplate,
    FewShotChatMessagePromptTemplate,
    FewShotPromptTemplate,
    HumanMessagePromptTemplate,
    MessagesPlaceholder,
    PromptTemplate,
    SystemMessagePromptTemplate,
)
from langchain_core.prompts.chat import ChatMessagePromptTemplate

from satchel.testing import json_values

__all__ = [
    "chat_templates",
    "few_shot_chat_templates",
    "few_shot_templates",
    "message_templates",
    "messages",
    "prompt_templates",
    "templates",
    "variable_names",
]

Format = Literal["f-string", "mustache"]
FORMATS: tuple[Format, ...] = ("f-string", "mustache")  # jinja2 is refused on purpose (rendering it can run code)

# Letters from any script, digits and underscores; LangChain rejects '.', '[', all-digit names.
variable_names = st.text(
    st.characters(categories=["L", "Nd"], include_characters="_"), min_size=1, max_size=8
).filter(lambda name: not name.isdigit())

text = st.text(max_size=40)
short_text = st.text(max_size=12)
metadata = st.dictionaries(st.text(max_size=6), json_values(max_leaves=6), max_size=3)


def _literal(raw: str, template_format: Format) -> str:
    if template_format == "f-string":
        return raw.replace("{", "{{").replace("}", "}}")
    return raw.replace("{", "").replace("}", "")  # mustache has no escape for its delimiters


@st.composite
def template_texts(draw: st.DrawFn, template_format: Format, names: st.SearchStrategy[str] = variable_names) -> tuple[str, list[str]]:
    """A template string mixing literal text (braces escaped) and variables, and the variables it uses."""
    parts = draw(st.lists(st.one_of(text.map(lambda raw: ("text", raw)), names.map(lambda n: ("var", n))), max_size=6))
    out, used = [], []
    for kind, value in parts:
        if kind == "text":
            out.append(_literal(value, template_format))
        else:
            out.append("{" + value + "}" if template_format == "f-string" else "{{" + value + "}}")
            used.append(value)
    return "".join(out), sorted(set(used))


@st.composite
def prompt_templates(draw: st.DrawFn, formats: tuple[Format, ...] = FORMATS) -> PromptTemplate:
    template_format = draw(st.sampled_from(formats))
    template, used = draw(template_texts(template_format))
    partial_names = draw(st.lists(st.sampled_from(used), unique=True)) if used else []
    partials = {name: draw(short_text) for name in partial_names}
    extra: dict[str, Any] = {}
    if draw(st.booleans()):
        extra["metadata"] = draw(metadata)
        extra["tags"] = draw(st.lists(short_text, max_size=3))
        extra["name"] = draw(st.none() | short_text)
    prompt = PromptTemplate.from_template(template, template_format=template_format, partial_variables=partials)
    return prompt.model_copy(update=extra) if extra else prompt


@st.composite
def message_templates(draw: st.DrawFn, template_format: Format | None = None) -> Any:
    """A message template or a messages placeholder, as it stands alone or inside a chat template."""
    chosen: Format = draw(st.sampled_from(FORMATS)) if template_format is None else template_format
    choice = draw(st.sampled_from(["system", "human", "ai", "chat", "placeholder"]))
    if choice == "placeholder":
        return MessagesPlaceholder(
            variable_name="h_" + draw(variable_names),
            optional=draw(st.booleans()),
            n_messages=draw(st.none() | st.integers(min_value=1, max_value=50)),
        )
    template, _used = draw(template_texts(chosen))
    if choice == "chat":
        return ChatMessagePromptTemplate.from_template(template, role=draw(short_text), template_format=chosen)
    cls = {"system": SystemMessagePromptTemplate, "human": HumanMessagePromptTemplate, "ai": AIMessagePromptTemplate}[choice]
    return cls.from_template(template, template_format=chosen)


@st.composite
def messages(draw: st.DrawFn) -> Any:
    """A chat message with text or text-part content, and the fields each kind carries."""
    content = draw(text | st.lists(text.map(lambda t: {"type": "text", "text": t}), max_size=3))
    common: dict[str, Any] = {"content": content}
    if draw(st.booleans()):
        common["id"] = draw(short_text)
        common["additional_kwargs"] = draw(metadata)
        common["response_metadata"] = draw(metadata)
    kind = draw(st.sampled_from(["ai", "human", "system", "chat", "tool", "function"]))
    if kind == "ai":
        calls = draw(
            st.lists(
                st.builds(
                    lambda name, args, ident: {"name": name, "args": args, "id": ident, "type": "tool_call"},
                    short_text, metadata, short_text,
                ),
                max_size=2,
            )
        )
        return AIMessage(**common, tool_calls=calls, name=draw(st.none() | short_text))
    if kind == "human":
        return HumanMessage(**common, name=draw(st.none() | short_text))
    if kind == "system":
        return SystemMessage(**common)
    if kind == "chat":
        return ChatMessage(**common, role=draw(short_text))
    if kind == "tool":
        return ToolMessage(**common, tool_call_id=draw(short_text), status=draw(st.sampled_from(["success", "error"])))
    return FunctionMessage(**common, name=draw(short_text))


literal_messages = st.builds(SystemMessage, content=text) | st.builds(HumanMessage, content=text) | st.builds(AIMessage, content=text)


@st.composite
def few_shot_chat_templates(draw: st.DrawFn) -> FewShotChatMessagePromptTemplate:
    names = draw(st.lists(variable_names, min_size=1, max_size=3, unique=True))
    example_prompt = ChatPromptTemplate.from_messages(
        [("human", "{" + names[0] + "}"), ("ai", "".join("{" + n + "}" for n in names[1:]) or "ok")]
    )
    examples = draw(st.lists(st.fixed_dictionaries({name: short_text for name in names}), max_size=3))
    return FewShotChatMessagePromptTemplate(examples=examples, example_prompt=example_prompt)


@st.composite
def chat_templates(draw: st.DrawFn) -> ChatPromptTemplate:
    """Chat templates mixing role tuples, message templates, placeholders, literal messages and few-shot parts."""
    template_format = draw(st.sampled_from(FORMATS))
    entries: list[Any] = []
    for choice in draw(st.lists(st.sampled_from(["tuple", "template", "message", "few_shot"]), min_size=1, max_size=5)):
        if choice == "tuple":
            template, _used = draw(template_texts(template_format))
            entries.append((draw(st.sampled_from(["system", "human", "ai", "user", "assistant"])), template))
        elif choice == "template":
            entries.append(draw(message_templates(template_format)))
        elif choice == "message":
            entries.append(draw(literal_messages))
        else:
            entries.append(draw(few_shot_chat_templates()))
    chat = ChatPromptTemplate.from_messages(entries, template_format=template_format)
    partial_names = draw(st.lists(st.sampled_from(chat.input_variables), unique=True, max_size=2)) if chat.input_variables else []
    return chat.partial(**{name: draw(short_text) for name in partial_names}) if partial_names else chat


@st.composite
def few_shot_templates(draw: st.DrawFn) -> FewShotPromptTemplate:
    names = draw(st.lists(variable_names, min_size=1, max_size=3, unique=True))
    example_prompt = PromptTemplate.from_template(" / ".join("{" + n + "}" for n in names))
    examples = draw(st.lists(st.fixed_dictionaries({name: short_text for name in names}), max_size=3))
    prefix, _ = draw(template_texts("f-string"))
    suffix, _ = draw(template_texts("f-string"))
    return FewShotPromptTemplate(
        examples=examples,
        example_prompt=example_prompt,
        prefix=prefix,
        suffix=suffix,
        example_separator=draw(st.sampled_from(["\n\n", "\n", " | "])),
    )


templates = st.one_of(
    prompt_templates(), chat_templates(), few_shot_templates(), few_shot_chat_templates(), message_templates()
)
