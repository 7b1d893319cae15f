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
from satchel.typenames import import_dotted, type_name

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


def _resolve_class(recorded: str | None, type_hint: type | None) -> type:
    if type_hint is not None and isinstance(type_hint, type) and _is_structured(type_hint):
        return type_hint
    if recorded is None:
        raise UnpackingError("the artifact records no class; annotate the parameter with the attrs or dataclass type")
    if "<locals>" in recorded:
        raise UnpackingError(
            f"the artifact holds a {recorded}, defined inside a function, so it cannot be imported; "
            "annotate the parameter with that class to unpack it"
        )
    found = import_dotted(recorded)
    if not (isinstance(found, type) and _is_structured(found)):
        raise UnpackingError(f"{recorded} is no longer an attrs class or dataclass; it cannot be restored")
    return found


class StructuredPackager(Packager):
    """attrs and dataclass instances: a result (or a JSON file) that restores the same class."""

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
        return _converter().structure(value, _resolve_class(instructions.get("class"), type_hint))

    def pack_file(self, obj: Any, key: str, indent: int | None = 2) -> tuple[Artifact, dict[str, Any]]:
        body = json.dumps(self._unstructure(obj, key), indent=indent, ensure_ascii=False, allow_nan=False)
        artifact = Artifact(key=key, body=body.encode("utf-8"), file_name=f"{key}.json", format="json")
        return artifact, {"class": type_name(type(obj))}

    def unpack_file(self, data_item: DataItem, type_hint: Any = None, **instructions: Any) -> Any:
        return _converter().structure(json.loads(data_item.read_text()), _resolve_class(instructions.get("class"), type_hint))
