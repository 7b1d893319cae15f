"""A custom packager module a project names by dotted path (as MLRun's add_custom_packager does)."""

from __future__ import annotations

from typing import Any

from satchel import Packager, hookimpl


class Celsius(float):
    """A float subclass the built-ins do not claim (they match exact types)."""


class CelsiusPackager(Packager):
    PACKABLE_OBJECT_TYPE = Celsius
    DEFAULT_PACKING_ARTIFACT_TYPE = "result"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "result"

    def pack_result(self, obj: Celsius, key: str) -> Any:
        return {key: float(obj)}, {"unit": "C"}

    def unpack_result(self, value: Any, unit: str = "C") -> Celsius:
        return Celsius(value)


class MisspeltHookPackager(CelsiusPackager):
    """A custom packager with a hook name satchel has no hook for."""

    @hookimpl
    def satchel_can_pak(self, obj_type: type) -> None:
        return None
