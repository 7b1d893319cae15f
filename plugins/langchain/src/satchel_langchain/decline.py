"""LangChainDeclinePackager: other LangChain objects get a clear error instead of a silent pickle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from satchel.errors import PackingError
from satchel.packagers.base import Packager
from satchel.typenames import type_name
from satchel_langchain._classes import MESSAGE_TYPES, TEMPLATE_TYPES, kind_of, short_names

if TYPE_CHECKING:
    from satchel.answers import PackagerInfo

__all__ = ["LangChainDeclinePackager"]


class LangChainDeclinePackager(Packager):
    """Declines LangChain objects other than prompt templates and messages, instead of pickling them silently.

    It claims every ``Serializable`` and ``Runnable`` (models, chains, parsers, tools, documents,
    runnables, template subclasses) when the log hint names no artifact type, so it outranks the
    pickle fallback, and then raises a :class:`~satchel.errors.PackingError` saying what is supported.
    A hint that asks for ``object`` explicitly is left to the pickle fallback.
    """

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = (
        "langchain_core.load.serializable.Serializable",
        "langchain_core.runnables.base.Runnable",
    )
    PACK_SUBCLASSES = True
    # Below any real packager for a LangChain type, above the pickle fallback (which always ranks last).
    PRIORITY = 9
    REQUIRES: ClassVar[dict[str, str]] = {"langchain_core": "langchain-core"}

    def can_pack_type(self, obj_type: type, artifact_type: str | None) -> bool:
        return artifact_type is None and self.match_distance(obj_type) is not None and kind_of(obj_type) is None

    def is_unpackable(self, obj_type: type | None, artifact_type: str | None = None) -> bool:
        return False  # it never writes anything, so it never reads anything

    def describe(self) -> PackagerInfo:
        # Listed as packing and unpacking nothing: it only answers with an error.
        return attrs.evolve(
            super().describe(), packing_artifact_types=[], unpacking_artifact_types=[],
            default_packing_artifact_type=None, default_unpacking_artifact_type=None,
        )

    def pack_object(self, obj: Any, key: str) -> Any:  # type: ignore[override]
        raise PackingError(decline_message(obj, key))


def decline_message(obj: Any, key: str) -> str:
    """What satchel-langchain packs, why ``obj`` is not pickled silently, and what to do instead."""
    obj_type = type(obj)
    supported = next(
        (base for base in obj_type.__mro__[1:] if kind_of(base) is not None), None
    )
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
        f"{key!r}: satchel-langchain packs prompt templates ({short_names(TEMPLATE_TYPES)}) and chat "
        f"messages ({short_names(MESSAGE_TYPES)}); a {what} is not one of them. LangChain objects are "
        "not pickled silently: a pickled model, chain or runnable is tied to library versions and "
        "may carry API keys. Return its prompt or configuration instead, or, if you trust whoever "
        f"will load it, log it explicitly as '{key} : object' (a pickle; loading it needs allow_pickle)"
    )
