"""The pickle fallback, the one place satchel pickles: any object nothing else takes, always with a
warning; loading one always needs the caller's opt-in, because unpickling runs code."""

from __future__ import annotations

import dataclasses
import pickle
import sys
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from satchel.artifacts import ObjectArtifact
from satchel.callcontext import pickle_permission, pickling_forbidden
from satchel.errors import PackingError, PickleNotAllowedError
from satchel.packagers.base import Packager
from satchel.priorities import LOWEST_PRIORITY
from satchel.typenames import type_name

if TYPE_CHECKING:
    from satchel.dataitem import DataItem

__all__ = ["PickleFallbackWarning", "PicklePackager"]


class PickleFallbackWarning(UserWarning):
    """An object was pickled: no packager knows its type, or the log hint asked for ``object``."""


class PicklePackager(Packager):
    """Any object, pickled; always ranked last, and unpacking it needs allow_pickle."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = object
    PACK_SUBCLASSES = True
    DEFAULT_PACKING_ARTIFACT_TYPE = "object"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "object"
    PRIORITY = LOWEST_PRIORITY
    FALLBACK = True

    def can_unpack_item(self, data_item: DataItem, obj_type: type | None, artifact_type: str | None) -> bool:
        # Its own artifacts, or a local file that says it is a pickle; never any file at all.
        record = data_item.record
        if record is not None and record.producer is not None:
            return record.producer.plugin == self.plugin_name
        return len(data_item.file_names) == 1 and data_item.file_names[0].endswith((".pkl", ".pickle"))

    def pack_object(self, obj: Any, key: str, protocol: int = pickle.HIGHEST_PROTOCOL) -> tuple[ObjectArtifact, dict[str, Any]]:
        """Pickle ``obj``; loading it back needs an explicit opt-in, because unpickling runs code."""
        if pickling_forbidden().get():
            where, found = _opaque_part(obj)
            part = "the value itself" if not where else f"the value at {where}"
            raise PackingError(
                f"{key!r} would be pickled because of {part} (a {type_name(type(found))}), and the "
                "project's pickle policy forbids pickles; return data JSON holds there, install or "
                "add a packager for that type, or change the policy"
            )
        warnings.warn(
            f"{key!r}: {type_name(type(obj))} is pickled (no other packager takes it, or the log hint "
            "asked for 'object'); pickles are tied to library versions and loading one needs an "
            "explicit opt-in. Install or write a packager for this type (see `satchel plugins`).",
            PickleFallbackWarning,
            stacklevel=2,
        )
        try:
            data = pickle.dumps(obj, protocol=protocol)
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            raise PackingError(
                f"{key!r}: a {type_name(type(obj))} cannot be pickled ({error}); write or install a "
                "packager for this type (see `satchel plugins`)"
            ) from error
        artifact = ObjectArtifact(key=key, body=data, file_name=f"{key}.pkl", format="pickle")
        return artifact, {"object_type": type_name(type(obj)), "python": "{}.{}.{}".format(*sys.version_info[:3])}

    def unpack_object(self, data_item: DataItem, object_type: str | None = None, python: str | None = None) -> Any:
        if not pickle_permission().get():
            raise PickleNotAllowedError(
                f"artifact {data_item.key!r} is a pickle of {object_type or 'an object'}; loading a "
                "pickle runs code from the file, so it needs your explicit opt-in: pass "
                "allow_pickle=True, set SATCHEL_ALLOW_PICKLE=1, or set allow_pickle = true for the "
                "project in your satchel.toml — only for artifacts you trust (a store's own config "
                "cannot allow it)"
            )
        with open(data_item.local(), "rb") as handle:
            return pickle.load(handle)  # noqa: S301 - the caller opted in above


_PLAIN = (str, int, float, bool, type(None))


def _opaque_part(obj: Any, where: str = "", depth: int = 0) -> tuple[str, Any]:
    """Where inside ``obj`` the first value that is neither plain data nor a container of it sits
    (``"['a'][1]"``, ``".field"``; ``""`` for ``obj`` itself), and that value."""
    if depth > 50:
        return where, obj
    if isinstance(obj, dict):
        items: list[tuple[str, Any]] = [(f"[{key!r}]", value) for key, value in obj.items()]
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = [(f"[{index}]", value) for index, value in enumerate(obj)]
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = [(f".{field.name}", getattr(obj, field.name)) for field in dataclasses.fields(obj)]
    elif hasattr(type(obj), "__attrs_attrs__"):
        items = [(f".{field.name}", getattr(obj, field.name)) for field in type(obj).__attrs_attrs__]
    else:
        return where, obj
    for step, value in items:
        if not isinstance(value, _PLAIN):
            found_where, found = _opaque_part(value, where + step, depth + 1)
            if found is not value or not isinstance(value, (dict, list, tuple, set, frozenset)):
                return found_where, found
    return where, obj
