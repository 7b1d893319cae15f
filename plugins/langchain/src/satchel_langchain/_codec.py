"""LangChain's JSON for templates and messages: written with ``dumpd``, read back only through an allow-list.

Reading is two locks deep. First this module walks the parsed JSON itself: every LangChain entry must
be a constructor of an allowed class; secrets, unserialisable entries, other classes and jinja2
templates are refused before anything is imported or built. Then ``langchain_core.load.load`` rebuilds
the objects with the same explicit allow-list, no secrets and ``secrets_from_env=False``.
"""

from __future__ import annotations

import functools
import inspect
import json
import warnings
from collections.abc import Mapping
from typing import Any

from satchel_langchain._classes import (
    FEW_SHOT_TYPES,
    MESSAGE_TYPES,
    NESTED_ONLY_TYPES,
    TEMPLATE_TYPES,
    Kind,
    import_classes,
    short_names,
)

__all__ = ["FormatProblem", "allowed_names", "decode", "dump_bytes", "encode", "load_bytes", "verify_round_trip"]

_ESCAPED = "__lc_escaped__"
_REPR_LIMIT = 120


class FormatProblem(ValueError):
    """What in an object or a stored file cannot be written or read safely, and where."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path} {message}" if path else f"it {message}")


# -- Writing -------------------------------------------------------------------------------------


def _class_path(cls: type) -> list[str]:
    return [*cls.__module__.split("."), cls.__name__]


def encode(obj: Any) -> Any:
    """``dumpd(obj)``, with the few-shot templates (which LangChain does not serialise) written in its format."""
    from langchain_core.load import dumpd
    from langchain_core.load.serializable import Serializable
    from langchain_core.prompts.chat import ChatPromptTemplate

    if type(obj) in _few_shot_classes():
        return _encode_few_shot(obj)
    tree = dumpd(obj)
    if type(obj) is ChatPromptTemplate and isinstance(tree, dict):
        nodes = tree.get("kwargs", {}).get("messages")
        if isinstance(nodes, list) and len(nodes) == len(obj.messages):
            # dumpd marks a few-shot template inside a chat template "not_implemented"; write it ourselves.
            tree["kwargs"]["messages"] = [
                encode(message)
                if isinstance(message, Serializable) and type(message) in _few_shot_classes()
                else node
                for node, message in zip(nodes, obj.messages, strict=True)
            ]
    return tree


def _encode_few_shot(obj: Any) -> dict[str, Any]:
    from langchain_core.load import dumpd
    from langchain_core.load.serializable import Serializable

    kwargs: dict[str, Any] = {}
    for name, field in type(obj).model_fields.items():
        if field.exclude:
            continue
        value = getattr(obj, name)
        if not field.is_required() and _same(value, field.get_default(call_default_factory=True)):
            continue
        kwargs[name] = encode(value) if isinstance(value, Serializable) else dumpd(value)
    # The class path, not lc_id(): few-shot lc_ids are inherited namespaces that differ between releases.
    return {"lc": 1, "type": "constructor", "id": _class_path(type(obj)), "kwargs": kwargs}


def _same(value: Any, default: Any) -> bool:
    try:
        return type(value) is type(default) and bool(value == default)
    except Exception:  # noqa: BLE001 - an uncomparable value is simply written out
        return False


def dump_bytes(tree: Any, indent: int | None) -> bytes:
    """The JSON file's bytes: UTF-8, readable non-ASCII text (escaped only if it holds lone surrogates)."""
    try:
        try:
            return json.dumps(tree, indent=indent, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(tree, indent=indent, ensure_ascii=True, allow_nan=False).encode("ascii")
    except ValueError as error:
        raise FormatProblem("", f"holds a value JSON cannot carry ({error}); NaN and infinity are not allowed") from error


def verify_round_trip(obj: Any, data: bytes, kind: Kind) -> None:
    """Load ``data`` back the way unpacking will and require an equal object; raise FormatProblem if not."""
    restored = load_bytes(data, kind, expected=type(obj))
    if type(restored) is type(obj) and restored == obj:
        return
    raise FormatProblem("", _difference(obj, restored))


def _difference(obj: Any, restored: Any) -> str:
    if type(restored) is not type(obj):
        return f"loads back as a {type(restored).__name__}, not a {type(obj).__name__}"
    changed = []
    for name in type(obj).model_fields:
        before, after = getattr(obj, name, None), getattr(restored, name, None)
        if not _same(before, after):
            changed.append(f"{name}={_short(before)} loads back as {_short(after)}")
    detail = "; ".join(changed) or "the loaded object differs"
    return (
        f"would not load back equal from LangChain's JSON: {detail} (JSON keeps strings, numbers, "
        "booleans, None, lists and string-keyed dicts; Python types, tuples and other objects are lost)"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 1] + "…"


# -- Reading -------------------------------------------------------------------------------------


def load_bytes(data: bytes, kind: Kind, expected: type | None = None) -> Any:
    """The object a stored file holds, after checking every LangChain entry in it against the allow-list."""
    try:
        tree = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, too many digits, nested too deep
        raise FormatProblem("", f"is not JSON ({type(error).__name__}: {error})") from error
    try:
        return decode(tree, kind, expected)
    except RecursionError as error:
        raise FormatProblem("", "is nested too deeply to be a template or message LangChain wrote") from error


def decode(tree: Any, kind: Kind, expected: type | None = None) -> Any:
    """Check ``tree`` (LangChain's JSON, parsed), then rebuild it with ``langchain_core.load.load``."""
    allowed = _allowed_ids(kind)
    roots = _root_classes(kind)
    found: set[type] = set()
    tree = _checked(tree, "", allowed, found, escaping=_supports_escaping())
    root = allowed[tuple(tree["id"])] if isinstance(tree, dict) and "id" in tree else None
    if root is None or root not in roots:
        what = f"a {root.__name__}" if root is not None else "not a LangChain object"
        raise FormatProblem("", f"is {what}; a {kind} artifact holds one of {', '.join(c.__name__ for c in roots)}")
    if expected is not None and root is not expected:
        raise FormatProblem("", f"is a {root.__name__}, but the artifact was recorded as a {expected.__name__}")
    return _langchain_load(tree, kind, found)


def _langchain_load(tree: Any, kind: Kind, classes: set[type] | None = None) -> Any:
    """``langchain_core.load.load`` allowing only ``classes`` (default: this kind's allow-list), with no
    secrets and nothing from the environment."""
    from langchain_core.load import load

    kwargs: dict[str, Any] = {"secrets_map": {}, "secrets_from_env": False}
    parameters = _load_parameters()
    if "allowed_objects" in parameters:
        # Only the classes the checked file uses: least privilege, and LangChain's set-up cost is per class.
        allowed = _allowed_classes(kind) if classes is None else sorted(classes, key=lambda cls: cls.__qualname__)
        kwargs["allowed_objects"] = allowed
    if "additional_import_mappings" in parameters:
        kwargs["additional_import_mappings"] = _few_shot_import_mappings()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*`load` is in beta")
        try:
            return load(tree, **kwargs)
        except Exception as error:
            raise FormatProblem("", f"could not be rebuilt by langchain_core.load: {type(error).__name__}: {error}") from error


def _checked(node: Any, path: str, allowed: Mapping[tuple[str, ...], type], found: set[type], *, escaping: bool) -> Any:
    """A copy of ``node`` whose LangChain entries are all allowed constructors (added to ``found``), ids
    made canonical."""
    if isinstance(node, list):
        return [_checked(item, f"{path}[{index}]", allowed, found, escaping=escaping) for index, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    if escaping and len(node) == 1 and _ESCAPED in node:
        return node  # plain user data: load() unwraps it and never builds anything from it
    if "lc" not in node:
        return {key: _checked(value, _join(path, key), allowed, found, escaping=escaping) for key, value in node.items()}
    cls = _check_entry(node, path, allowed)
    found.add(cls)
    kwargs = node.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise FormatProblem(path, "has kwargs that are not a JSON object")
    if kwargs.get("template_format") == "jinja2":
        raise FormatProblem(
            path,
            "is a jinja2 template; rendering jinja2 can run code, so LangChain and satchel-langchain "
            "refuse to load it (use template_format='f-string' or 'mustache')",
        )
    # load() revives every value of an entry, not only its kwargs, so every value is checked.
    checked = {
        key: _checked(value, _join(path, key), allowed, found, escaping=escaping)
        for key, value in node.items()
        if key not in ("kwargs", "id")
    }
    checked["kwargs"] = {key: _checked(value, _join(path, key), allowed, found, escaping=escaping) for key, value in kwargs.items()}
    # LangChain's own allow-list matches the installed release's lc_id(); older spellings map onto it.
    checked["id"] = list(cls.lc_id())  # type: ignore[attr-defined]
    return checked


def _check_entry(node: dict[str, Any], path: str, allowed: Mapping[tuple[str, ...], type]) -> type:
    entry_type = node.get("type")
    ident = node.get("id")
    named = ".".join(map(str, ident)) if isinstance(ident, list) else repr(ident)
    if entry_type == "secret":
        raise FormatProblem(
            path,
            f"asks for the secret {named!r}; satchel-langchain never reads secrets (templates and "
            "messages carry none), so this file was not written by it or was altered",
        )
    if entry_type == "not_implemented":
        raise FormatProblem(path, f"is a {named} that LangChain cannot serialise ({_short(node.get('repr'))})")
    if node.get("lc") != 1 or entry_type != "constructor" or not (
        isinstance(ident, list) and ident and all(isinstance(part, str) for part in ident)
    ):
        raise FormatProblem(path, "is not a LangChain constructor entry ({'lc': 1, 'type': 'constructor', 'id': [...]})")
    cls = allowed.get(tuple(ident))
    if cls is None:
        names = sorted({c.__name__ for c in allowed.values()})
        raise FormatProblem(path, f"names {named}, which satchel-langchain does not load; it loads only {', '.join(names)}")
    return cls


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# -- The allow-lists -----------------------------------------------------------------------------


@functools.cache
def _load_parameters() -> frozenset[str]:
    from langchain_core.load import load

    return frozenset(inspect.signature(load).parameters)


@functools.cache
def _few_shot_classes() -> frozenset[type]:
    return frozenset(import_classes(FEW_SHOT_TYPES))


@functools.cache
def _root_classes(kind: Kind) -> tuple[type, ...]:
    return tuple(import_classes(TEMPLATE_TYPES if kind == "prompt" else MESSAGE_TYPES))


@functools.cache
def _allowed_classes(kind: Kind) -> list[type]:
    names = TEMPLATE_TYPES + NESTED_ONLY_TYPES + MESSAGE_TYPES if kind == "prompt" else MESSAGE_TYPES
    return import_classes(names)


@functools.cache
def _few_shot_import_mappings() -> dict[tuple[str, ...], tuple[str, ...]]:
    return {tuple(cls.lc_id()): tuple(_class_path(cls)) for cls in _few_shot_classes()}  # type: ignore[attr-defined]


@functools.cache
def _allowed_ids(kind: Kind) -> dict[tuple[str, ...], type]:
    """Every id an allowed class may be written under: its lc_id, its class path, and their legacy aliases."""
    from langchain_core.load import mapping

    aliases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for name in ("SERIALIZABLE_MAPPING", "OLD_CORE_NAMESPACES_MAPPING", "_OG_SERIALIZABLE_MAPPING", "_JS_SERIALIZABLE_MAPPING"):
        aliases.update(getattr(mapping, name, {}))
    ids: dict[tuple[str, ...], type] = {}
    for cls in _allowed_classes(kind):
        own = {tuple(cls.lc_id()), tuple(_class_path(cls))}  # type: ignore[attr-defined]
        for ident in own:
            ids[ident] = cls
        for alias, target in aliases.items():
            if tuple(target) in own:
                ids[tuple(alias)] = cls
    return ids


@functools.cache
def _supports_escaping() -> bool:
    """Whether the installed ``load`` unwraps ``__lc_escaped__`` user data (langchain-core >= 0.3.81)."""
    try:
        from langchain_core.load import _validation  # noqa: F401
    except ImportError:
        return False
    return True


def allowed_names(kind: Kind) -> str:
    return short_names(TEMPLATE_TYPES if kind == "prompt" else MESSAGE_TYPES)
