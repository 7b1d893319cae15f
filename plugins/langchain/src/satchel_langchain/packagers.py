"""LangChainPackager: prompt templates as ``prompt`` artifacts, chat messages as JSON ``file`` artifacts,
and a refusal for every other LangChain object."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING, Any, ClassVar

from satchel import Artifact, Packager, PromptArtifact
from satchel.errors import PackingError, UnpackingError
from satchel.typenames import import_dotted, resolve_if_imported, type_name
from satchel_langchain._classes import MESSAGE_TYPES, TEMPLATE_TYPES, Kind, kind_of, short_names

if TYPE_CHECKING:
    from satchel import DataItem

__all__ = ["LangChainPackager"]

# Each kind packs as exactly one artifact type; `object` is left to the pickle fallback, which warns.
_ARTIFACT_TYPE: dict[Kind, str] = {"prompt": "prompt", "message": "file"}
_KIND: dict[str, Kind] = {artifact_type: kind for kind, artifact_type in _ARTIFACT_TYPE.items()}
# Every other LangChain object derives from one of these; it is refused rather than pickled silently.
_LANGCHAIN_BASES = ("langchain_core.load.serializable.Serializable", "langchain_core.runnables.base.Runnable")


def _check_indent(indent: Any) -> int | None:
    if indent is None or (isinstance(indent, int) and not isinstance(indent, bool) and 0 <= indent <= 8):
        return indent
    raise PackingError(f"indent must be None (one line) or an integer from 0 to 8, not {indent!r}")


class LangChainPackager(Packager):
    """LangChain prompt templates and chat messages as LangChain's own JSON, loaded back through an allow-list.

    Other LangChain objects (``Serializable`` or ``Runnable``: models, chains, parsers, tools,
    documents, message chunks, template subclasses) are refused with a message when the log hint
    names no artifact type, so they are never pickled silently; a hint asking for ``object`` is left
    to the pickle fallback.
    """

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = TEMPLATE_TYPES + MESSAGE_TYPES
    PACK_SUBCLASSES = False
    DEFAULT_PACKING_ARTIFACT_TYPE = "prompt"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "prompt"
    PRIORITY = 3
    FORMAT_VERSION = 1
    REQUIRES: ClassVar[dict[str, str]] = {"langchain_core": "langchain-core"}
    PACKS_RESULT = False  # templates and messages are LangChain objects, not JSON values

    # -- What it packs ------------------------------------------------------------------------------

    def can_pack_type(self, obj_type: type, artifact_type: str | None) -> bool:
        kind = kind_of(obj_type)
        return kind is not None and artifact_type in (None, _ARTIFACT_TYPE[kind])

    def refusal(self, obj_type: type, artifact_type: str | None) -> str | None:
        """Why another LangChain object is not packed (and not pickled silently); None for other types."""
        if artifact_type is not None or kind_of(obj_type) is not None or not _is_langchain_object(obj_type):
            return None
        return _refusal_message(obj_type)

    def is_unpackable(self, obj_type: type | None, artifact_type: str | None = None) -> bool:
        if artifact_type is not None and artifact_type not in _KIND:
            return False
        if obj_type is None:
            return True
        kind = kind_of(obj_type) if isinstance(obj_type, type) else None
        return kind is not None and artifact_type in (None, _ARTIFACT_TYPE[kind])

    def get_default_packing_artifact_type(self, obj: Any) -> str:
        kind = kind_of(type(obj))
        return _ARTIFACT_TYPE[kind] if kind is not None else self.DEFAULT_PACKING_ARTIFACT_TYPE

    def get_default_unpacking_artifact_type(self, data_item: DataItem) -> str:
        return "prompt" if data_item.kind == "prompt" else "file"

    # -- Packing ------------------------------------------------------------------------------------

    def pack_prompt(self, obj: Any, key: str, indent: int | None = 2) -> tuple[Artifact, dict[str, Any]]:
        """A prompt template as LangChain JSON; its input variables and text go into the metadata."""
        from satchel_langchain._preview import prompt_preview

        data = self._encode(obj, key, "prompt", indent)
        artifact = PromptArtifact(
            key=key,
            body=data,
            file_name=f"{key}.json",
            format="json",
            input_variables=list(obj.input_variables),
            preview=prompt_preview(obj),
        )
        return artifact, self._instructions(obj)

    def pack_file(self, obj: Any, key: str, indent: int | None = 2) -> tuple[Artifact, dict[str, Any]]:
        """A chat message as LangChain JSON."""
        from satchel_langchain._preview import message_preview

        data = self._encode(obj, key, "message", indent)
        artifact = Artifact(key=key, body=data, file_name=f"{key}.json", format="json", preview=message_preview(obj))
        return artifact, self._instructions(obj)

    def _encode(self, obj: Any, key: str, kind: Kind, indent: int | None) -> bytes:
        from satchel_langchain import _codec

        indent = _check_indent(indent)
        actual = kind_of(type(obj))
        if actual != kind:
            names = short_names(TEMPLATE_TYPES if kind == "prompt" else MESSAGE_TYPES)
            raise PackingError(f"{key!r}: a {type_name(type(obj))} cannot be packed as {_ARTIFACT_TYPE[kind]!r}; that artifact type takes {names}")
        if getattr(obj, "template_format", None) == "jinja2":
            raise PackingError(
                f"{key!r}: {type(obj).__name__} uses template_format='jinja2'; rendering jinja2 can run "
                "code, so LangChain refuses to load jinja2 templates and satchel-langchain does not store "
                "them. Use template_format='f-string' or 'mustache', or log it explicitly as "
                f"'{key} : object' (a pickle; loading it needs allow_pickle)"
            )
        try:
            tree = _codec.encode(obj)
            data = _codec.dump_bytes(tree, indent)
            # Check now what unpacking will do, so an artifact that would not load back is never stored.
            _codec.verify_round_trip(obj, data, kind)
        except _codec.FormatProblem as problem:
            raise PackingError(
                f"{key!r}: cannot store this {type(obj).__name__} as LangChain JSON: {problem}. "
                + _advice(problem)
            ) from problem
        return data

    @staticmethod
    def _instructions(obj: Any) -> dict[str, Any]:
        return {"lc_class": type_name(type(obj)), "langchain_core": _langchain_core_version()}

    # -- Unpacking ----------------------------------------------------------------------------------

    def unpack_prompt(
        self, data_item: DataItem, lc_class: str | None = None, langchain_core: str | None = None, type_hint: Any = None
    ) -> Any:
        return self._decode(data_item, "prompt", lc_class, type_hint)

    def unpack_file(
        self, data_item: DataItem, lc_class: str | None = None, langchain_core: str | None = None, type_hint: Any = None
    ) -> Any:
        # A plain local file has no instructions: a hint naming a template says it holds a prompt.
        hinted = kind_of(type_hint) if lc_class is None and isinstance(type_hint, type) else None
        return self._decode(data_item, "prompt" if hinted == "prompt" else "message", lc_class, type_hint)

    def _decode(self, data_item: DataItem, kind: Kind, lc_class: str | None, type_hint: Any) -> Any:
        from satchel_langchain import _codec

        expected = _recorded_class(lc_class, kind)
        if len(data_item.file_names) != 1:
            raise UnpackingError(
                f"artifact {data_item.key!r} has files {data_item.file_names}; a satchel-langchain "
                f"{_ARTIFACT_TYPE[kind]!r} artifact is one JSON file"
            )
        try:
            obj = _codec.load_bytes(data_item.read_bytes(), kind, expected)
        except _codec.FormatProblem as problem:
            raise UnpackingError(
                f"artifact {data_item.key!r}: refusing to load it: {problem}. Nothing in it was built; "
                f"a {_ARTIFACT_TYPE[kind]!r} artifact of satchel-langchain holds only "
                f"{_codec.allowed_names(kind)}"
            ) from problem
        if isinstance(type_hint, type) and not isinstance(obj, type_hint):
            raise UnpackingError(
                f"artifact {data_item.key!r} holds a {type_name(type(obj))}, which is not the "
                f"{type_name(type_hint)} the parameter asks for"
            )
        return obj


def _is_langchain_object(obj_type: type) -> bool:
    """Whether ``obj_type`` is a LangChain ``Serializable`` or ``Runnable`` (never imports LangChain)."""
    if "langchain_core" not in sys.modules:
        return False
    bases = (resolve_if_imported(name) for name in _LANGCHAIN_BASES)
    return any(isinstance(base, type) and issubclass(obj_type, base) for base in bases)


def _refusal_message(obj_type: type) -> str:
    """What satchel-langchain packs, why ``obj_type`` is not pickled silently, and what to do instead."""
    supported = next((base for base in obj_type.__mro__[1:] if kind_of(base) is not None), None)
    what = type_name(obj_type)
    if supported is not None and obj_type.__name__.endswith("Chunk"):
        what += (
            f" (a streaming chunk of {supported.__name__}; turn it into a message first with "
            "langchain_core.messages.message_chunk_to_message(chunk))"
        )
    elif supported is not None:
        what += (
            f" (a subclass of {supported.__name__}; only the exact LangChain classes are packed, "
            "because loading rebuilds them by name from an allow-list)"
        )
    return (
        f"satchel-langchain packs prompt templates ({short_names(TEMPLATE_TYPES)}) and chat "
        f"messages ({short_names(MESSAGE_TYPES)}); a {what} is not one of them. LangChain objects are "
        "not pickled silently: a pickled model, chain or runnable is tied to library versions and "
        "may carry API keys. Return its prompt or configuration instead, or, if you trust whoever "
        "will load it, log it explicitly as an object with the hint '<key> : object' (a pickle; "
        "loading it needs allow_pickle)"
    )


@functools.cache
def _langchain_core_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("langchain-core")
    except PackageNotFoundError:  # pragma: no cover - a source checkout without metadata
        return None


def _recorded_class(lc_class: str | None, kind: Kind) -> type | None:
    """The class the packer recorded, if it is one this plugin packs as ``kind`` (else no constraint)."""
    if lc_class is None or lc_class not in (TEMPLATE_TYPES if kind == "prompt" else MESSAGE_TYPES):
        return None
    resolved = resolve_if_imported(lc_class)
    if resolved is None:
        try:
            resolved = import_dotted(lc_class)
        except ImportError:
            return None
    return resolved if isinstance(resolved, type) else None


def _advice(problem: Exception) -> str:
    text = str(problem)
    if "cannot serialise" in text:
        return (
            "Bind partial variables to strings (not functions), keep examples and metadata to JSON "
            "values, and use examples=[...] rather than an example_selector"
        )
    if "load back equal" in text:
        return "Drop or convert the values named so that JSON keeps them"
    if "does not load" in text:
        return "Only prompt templates, message templates, placeholders and chat messages can be inside"
    return "Log it explicitly as 'object' (a pickle) if you must keep it as it is"
