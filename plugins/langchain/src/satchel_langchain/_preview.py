"""Small previews of templates and messages for listings: the template text, truncated, and what it takes."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["message_preview", "prompt_preview"]

TEXT_LIMIT = 1000
PART_LIMIT = 200
MAX_MESSAGES = 20
MAX_NAMES = 50
SIZE_LIMIT = 16 * 1024


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def truncate(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, lone surrogates shown as U+FFFD (metadata is UTF-8)."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def prompt_preview(obj: Any) -> dict[str, Any]:
    """``{"class", "template", "template_format", …}`` for any packed template."""
    preview: dict[str, Any] = {"class": type(obj).__name__}
    messages = _messages(obj)
    if messages is not None:
        preview["template"] = truncate("\n".join(f"{role}: {text}" for role, text in messages))
        preview["messages"] = [{"role": role, "template": truncate(text, PART_LIMIT)} for role, text in messages[:MAX_MESSAGES]]
        if len(messages) > MAX_MESSAGES:
            preview["more_messages"] = len(messages) - MAX_MESSAGES
    else:
        preview["template"] = truncate(_text(obj))
    template_format = getattr(obj, "template_format", None)
    if isinstance(template_format, str):
        preview["template_format"] = template_format
    for field in ("optional_variables", "partial_variables"):
        names = sorted(getattr(obj, field, None) or ())
        if names:
            preview[field] = [truncate(name, PART_LIMIT) for name in names[:MAX_NAMES]]
    examples = getattr(obj, "examples", None)
    if isinstance(examples, list):
        preview["examples"] = len(examples)
    if len(json.dumps(preview)) > SIZE_LIMIT:  # only with very many long variable names
        preview = {key: value for key, value in preview.items() if key in ("class", "template", "template_format")}
    return preview


def message_preview(message: Any) -> dict[str, Any]:
    """``{"class", "type", "content"}`` for a chat message (multimodal parts shown as their text)."""
    preview: dict[str, Any] = {"class": type(message).__name__, "type": message.type}
    for attribute in ("name", "role", "tool_call_id"):
        value = getattr(message, attribute, None)
        if isinstance(value, str):
            preview[attribute] = truncate(value, PART_LIMIT)
    preview["content"] = truncate(_content_text(message.content))
    return preview


def _messages(obj: Any) -> list[tuple[str, str]] | None:
    """(role, text) per message of a chat template or few-shot chat template, else None."""
    from langchain_core.prompts.chat import ChatPromptTemplate
    from langchain_core.prompts.few_shot import FewShotChatMessagePromptTemplate

    if isinstance(obj, FewShotChatMessagePromptTemplate):
        return [("examples", f"[{len(obj.examples or [])} example(s), each as:]"), *(_messages(obj.example_prompt) or [_part(obj.example_prompt)])]
    if isinstance(obj, ChatPromptTemplate):
        found: list[tuple[str, str]] = []
        for message in obj.messages:
            nested = _messages(message) if isinstance(message, FewShotChatMessagePromptTemplate) else None
            found.extend(nested if nested is not None else [_part(message)])
        return found
    return None


def _part(message: Any) -> tuple[str, str]:
    """(role, text) for one entry of a chat template: a message template, a placeholder or a message."""
    from langchain_core.messages import BaseMessage
    from langchain_core.prompts.chat import ChatMessagePromptTemplate, MessagesPlaceholder

    if isinstance(message, MessagesPlaceholder):
        optional = ", optional" if message.optional else ""
        return "placeholder", f"{{{message.variable_name}}} (messages{optional})"
    if isinstance(message, BaseMessage):
        return message.type, _content_text(message.content)
    if isinstance(message, ChatMessagePromptTemplate):
        return message.role, _text(message)
    role = type(message).__name__.removesuffix("MessagePromptTemplate").lower() or "message"
    return role, _text(message)


def _text(obj: Any) -> str:
    """The template text of a string template, message template or few-shot string template."""
    from langchain_core.prompts.chat import MessagesPlaceholder
    from langchain_core.prompts.few_shot import FewShotPromptTemplate

    if isinstance(obj, FewShotPromptTemplate):
        examples = f"[{len(obj.examples or [])} example(s), each as: {obj.example_prompt.template}]"
        return obj.example_separator.join(part for part in (obj.prefix, examples, obj.suffix) if part)
    if isinstance(obj, MessagesPlaceholder):
        return _part(obj)[1]
    prompt = getattr(obj, "prompt", None)
    if prompt is not None:  # a message template: its string template, or the parts of a multimodal one
        parts = prompt if isinstance(prompt, list) else [prompt]
        return "".join(_text(part) for part in parts)
    template = getattr(obj, "template", None)
    if isinstance(template, str):
        return template
    if isinstance(template, dict):  # image and dict templates
        return json.dumps(template, ensure_ascii=False)
    return ""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content if isinstance(content, list) else [content]:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
        elif isinstance(part, dict):
            parts.append(f"[{part.get('type', 'part')}]")
    return "".join(parts)
