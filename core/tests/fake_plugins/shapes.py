"""A plugin written as a plain module of hook functions, no Packager subclass: it says its priority
and how close a type is through the hooks alone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from satchel import Artifact, Offer, PackagerInfo, Packed, hookimpl


class Shape:
    def __init__(self, sides: int) -> None:
        self.sides = sides

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.sides == self.sides  # type: ignore[attr-defined]


class Polygon(Shape):
    pass


class Square(Polygon):
    pass


_KINDS = {cls.__name__: cls for cls in (Shape, Polygon, Square)}


@hookimpl
def satchel_describe() -> PackagerInfo:
    return PackagerInfo(name="shapes", types=sorted(_KINDS), packing_artifact_types=["file"], format_version=2)


@hookimpl
def satchel_priority() -> int:
    return 4


@hookimpl
def satchel_can_pack(obj_type: type) -> Offer | None:
    if not issubclass(obj_type, Shape):
        return None
    return Offer(distance=obj_type.__mro__.index(Shape))


@hookimpl
def satchel_pack(obj: Any, key: str, options: Mapping[str, Any]) -> Packed:
    body = json.dumps({"kind": type(obj).__name__, "sides": obj.sides})
    return Packed(
        key=key, artifact_type="file", object_type=f"{__name__}.{type(obj).__name__}",
        artifact=Artifact(key=key, body=body, file_name=f"{key}.json", format="json"),
    )


@hookimpl
def satchel_can_unpack(data_item: Any, obj_type: type | None) -> Offer | None:
    return Offer() if obj_type is not None and issubclass(obj_type, Shape) else None


@hookimpl
def satchel_unpack(data_item: Any) -> Shape:
    data = json.loads(data_item.read_text())
    return _KINDS[data["kind"]](data["sides"])
