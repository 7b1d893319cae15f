"""The LangChain classes this plugin packs and loads, named by dotted strings so discovery imports nothing."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal

from satchel.typenames import import_dotted, resolve_if_imported

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "FEW_SHOT_TYPES",
    "MESSAGE_TYPES",
    "NESTED_ONLY_TYPES",
    "TEMPLATE_TYPES",
    "Kind",
    "import_classes",
    "kind_of",
    "short_names",
]

Kind = Literal["prompt", "message"]

#: Prompt templates packed as a ``prompt`` artifact (exact classes: a subclass would not load back).
TEMPLATE_TYPES: tuple[str, ...] = (
    "langchain_core.prompts.prompt.PromptTemplate",
    "langchain_core.prompts.chat.ChatPromptTemplate",
    "langchain_core.prompts.few_shot.FewShotPromptTemplate",
    "langchain_core.prompts.few_shot.FewShotChatMessagePromptTemplate",
    "langchain_core.prompts.chat.SystemMessagePromptTemplate",
    "langchain_core.prompts.chat.HumanMessagePromptTemplate",
    "langchain_core.prompts.chat.AIMessagePromptTemplate",
    "langchain_core.prompts.chat.ChatMessagePromptTemplate",
    "langchain_core.prompts.chat.MessagesPlaceholder",
)

#: Chat messages, packed as a JSON ``file`` artifact (and allowed inside chat prompt templates).
MESSAGE_TYPES: tuple[str, ...] = (
    "langchain_core.messages.ai.AIMessage",
    "langchain_core.messages.human.HumanMessage",
    "langchain_core.messages.system.SystemMessage",
    "langchain_core.messages.chat.ChatMessage",
    "langchain_core.messages.tool.ToolMessage",
    "langchain_core.messages.function.FunctionMessage",
)

#: Parts of a multimodal message template; loaded inside a template, never packed on their own.
NESTED_ONLY_TYPES: tuple[str, ...] = (
    "langchain_core.prompts.image.ImagePromptTemplate",
    "langchain_core.prompts.dict.DictPromptTemplate",
)

#: Not serialisable by LangChain itself; this plugin writes them in LangChain's constructor format.
FEW_SHOT_TYPES: tuple[str, ...] = TEMPLATE_TYPES[2:4]


_kinds: dict[type, Kind] = {}  # packed class -> its kind, for the classes whose modules are imported


def kind_of(obj_type: type) -> Kind | None:
    """``"prompt"`` or ``"message"`` if ``obj_type`` is exactly one of the packed classes, else None."""
    if "langchain_core" not in sys.modules:
        return None  # no LangChain object can exist yet: answered without resolving any name
    if len(_kinds) < len(TEMPLATE_TYPES) + len(MESSAGE_TYPES):  # some modules not imported yet: look again
        for names, kind in ((TEMPLATE_TYPES, "prompt"), (MESSAGE_TYPES, "message")):
            for name in names:
                found = resolve_if_imported(name)
                if isinstance(found, type):
                    _kinds[found] = kind  # type: ignore[assignment]
    return _kinds.get(obj_type)


def import_classes(names: Iterable[str]) -> list[type]:
    """The classes named, skipping those the installed langchain-core does not have."""
    found = []
    for name in names:
        try:
            obj = import_dotted(name)
        except ImportError:
            continue  # e.g. DictPromptTemplate is missing from older langchain-core releases
        if isinstance(obj, type):
            found.append(obj)
    return found


def short_names(names: Iterable[str]) -> str:
    """``"PromptTemplate, ChatPromptTemplate, …"`` for error messages."""
    return ", ".join(name.rsplit(".", 1)[1] for name in names)
