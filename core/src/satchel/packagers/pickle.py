"""The pickle fallback: packs any object nothing else takes, with a warning; loading needs an opt-in."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any, ClassVar

from satchel.packager import Packager, warn_pickle

if TYPE_CHECKING:
    from satchel.artifacts import Artifact

__all__ = ["PicklePackager"]


class PicklePackager(Packager):
    """Any object, pickled; always ranked last, and unpacking it needs allow_pickle."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = object
    PACK_SUBCLASSES = True
    DEFAULT_PACKING_ARTIFACT_TYPE = "object"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "object"
    PRIORITY = 10
    FALLBACK = True

    def pack_object(self, obj: Any, key: str, protocol: int = pickle.HIGHEST_PROTOCOL) -> tuple[Artifact, dict[str, Any]]:
        warn_pickle(obj, key)
        return super().pack_object(obj, key, protocol)
