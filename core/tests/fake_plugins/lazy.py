"""A plugin naming its type by a dotted string, so discovering it imports nothing heavy."""

from __future__ import annotations

from typing import Any

from satchel import Packager


class LazyPackager(Packager):
    PACKABLE_OBJECT_TYPE = "fake_plugins.fake_heavy_lib.Tensor"
    DEFAULT_PACKING_ARTIFACT_TYPE = "result"

    def pack_result(self, obj: Any, key: str) -> dict[str, Any]:
        return {key: obj.values}
