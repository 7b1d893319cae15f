"""Built-in packager for attrs classes and dataclasses: JSON through cattrs, the class recorded.

cattrs (about 30 ms to import) is imported by the methods that use it, so loading the built-ins stays cheap.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import TYPE_CHECKING, Any, ClassVar

from satchel.artifacts import Artifact
from satchel.errors import UnpackingError
from satchel.packagers.base import Packager, is_json_value
from satchel.priorities import BUILTIN_PRIORITY
from satchel.typenames import type_name

if TYPE_CHECKING:
    from satchel.dataitem import DataItem

__all__ = ["StructuredPackager"]


def _converter() -> Any:
    from satchel.serde import converter

    return converter


def _is_structured(obj_type: type) -> bool:
    # No attrs class can exist before attrs is imported, so its absence answers without importing it.
    attr = sys.modules.get("attr")
    return (attr is not None and attr.has(obj_type)) or (dataclasses.is_dataclass(obj_type) and isinstance(obj_type, type))


def _restore(data: Any, recorded: object, type_hint: Any, what: str) -> Any:
    """``data`` as the caller's hinted class; without one, the plain data.

    The class recorded in the store is only ever compared with the hint, never imported: data
    read from a store must not choose which module is imported or which class is built.
    """
    if isinstance(type_hint, type) and _is_structured(type_hint):
        try:
            return _converter().structure(data, type_hint)
        except Exception as error:  # cattrs reports a shape mismatch in many ways; say it once
            raise UnpackingError(
                f"{what} does not fit {type_name(type_hint)} ({type(error).__name__}: {error}); it was "
                f"written from {recorded if isinstance(recorded, str) else 'an unknown class'}"
            ) from error
    return data


class StructuredPackager(Packager):
    """attrs and dataclass instances: a result (or a JSON file), restored as the class the caller's type hint names."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = object
    PACK_SUBCLASSES = True
    DEFAULT_PACKING_ARTIFACT_TYPE = "result"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"
    PRIORITY = BUILTIN_PRIORITY

    def match_distance(self, obj_type: type) -> int | None:
        return 0 if _is_structured(obj_type) else None

    def can_pack_type(self, obj_type: type, artifact_type: str | None) -> bool:
        return _is_structured(obj_type) and (artifact_type is None or artifact_type in self._pack_methods)

    def is_unpackable(self, obj_type: type | None, artifact_type: str | None = None) -> bool:
        if artifact_type is not None and artifact_type not in self._unpack_methods:
            return False
        return obj_type is not None and isinstance(obj_type, type) and _is_structured(obj_type)

    def type_names(self) -> list[str]:
        return ["attrs classes", "dataclasses"]

    @staticmethod
    def _unstructure(obj: Any, key: str) -> Any:
        value = _converter().unstructure(obj)
        if not is_json_value(value):
            raise TypeError(
                f"{key!r}: {type_name(type(obj))} does not convert to JSON through cattrs (a field "
                "holds a value JSON cannot); log it as 'object' or give that field's type a packager"
            )
        return value

    def get_default_packing_artifact_type(self, obj: Any) -> str:
        return "result" if is_json_value(_converter().unstructure(obj)) else "object"

    def pack_result(self, obj: Any, key: str) -> Any:
        return {key: self._unstructure(obj, key)}, {"class": type_name(type(obj))}

    def unpack_result(self, value: Any, type_hint: Any = None, **instructions: Any) -> Any:
        """The value as the hinted attrs class or dataclass; without a hint, its plain JSON data."""
        return _restore(value, instructions.get("class"), type_hint, "the result")

    def pack_file(self, obj: Any, key: str, indent: int | None = 2) -> tuple[Artifact, dict[str, Any]]:
        body = json.dumps(self._unstructure(obj, key), indent=indent, ensure_ascii=False, allow_nan=False)
        artifact = Artifact(key=key, body=body.encode("utf-8"), file_name=f"{key}.json", format="json")
        return artifact, {"class": type_name(type(obj))}

    def unpack_file(self, data_item: DataItem, type_hint: Any = None, **instructions: Any) -> Any:
        """The file as the hinted attrs class or dataclass; without a hint, its plain JSON data."""
        try:
            data = json.loads(data_item.read_text())
        except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, too many digits, nested too deep
            raise UnpackingError(f"artifact {data_item.key!r} is not the JSON file it should be: {error}") from error
        return _restore(data, instructions.get("class"), type_hint, f"artifact {data_item.key!r}")
