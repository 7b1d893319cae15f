"""A well-behaved plugin module: packs Widget objects as JSON files."""

from __future__ import annotations

import json
from typing import Any

from satchel import Artifact, Packager


class Widget:
    def __init__(self, size: int) -> None:
        self.size = size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Widget) and other.size == self.size


class WidgetPackager(Packager):
    """Widgets as JSON files."""

    PACKABLE_OBJECT_TYPE = Widget
    DEFAULT_PACKING_ARTIFACT_TYPE = "file"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"

    def pack_file(self, obj: Widget, key: str, indent: int = 0) -> tuple[Artifact, dict[str, Any]]:
        return Artifact(key=key, body=json.dumps({"size": obj.size}, indent=indent), file_name=f"{key}.json"), {}

    def unpack_file(self, data_item: Any) -> Widget:
        return Widget(json.loads(data_item.read_text())["size"])
