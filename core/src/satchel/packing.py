"""Pack one object by its log hint, and explain which packager would: the functions behind ``satchel.pack``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from satchel.errors import PackingError
from satchel.hints import LogHint, parse_log_hint
from satchel.packed import Packed
from satchel.plugins import PluginHost, get_host

if TYPE_CHECKING:
    from satchel.reports import Explanation

__all__ = ["explain", "pack", "pack_outputs", "unbundle"]


def unbundle(obj: Any, hint: LogHint) -> list[tuple[str, Any]]:
    """Split a collection for a ``*key`` hint into ``(key-<i or dict key>, item)`` pairs."""
    if isinstance(obj, Mapping):
        items = [(f"{hint.key}-{str(name).lower()}", value) for name, value in obj.items()]
    elif isinstance(obj, (list, tuple)):
        items = [(f"{hint.key}-{index}", value) for index, value in enumerate(obj)]
    else:
        raise PackingError(
            f"log hint {str(hint)!r} unbundles a collection, but the output is a "
            f"{type(obj).__name__}; return a list, tuple or dict, or drop the '*'"
        )
    if hint.count is not None and len(items) != hint.count:
        raise PackingError(
            f"log hint {str(hint)!r} expects exactly {hint.count} items, the output has {len(items)}"
        )
    return items


def pack(obj: Any, hint: str | Mapping[str, Any] | LogHint = "result", *, host: PluginHost | None = None) -> Packed:
    """Pack ``obj`` as its log hint says (``"key"``, ``"key : type[option=value]"``, …), without storing it."""
    parsed = parse_log_hint(hint)
    if parsed.unbundle:
        raise PackingError(f"log hint {str(parsed)!r} unbundles into several artifacts; use pack_outputs()")
    return (host or get_host()).pack(obj, parsed.key, parsed.artifact_type, parsed.options)


def pack_outputs(obj: Any, hint: str | Mapping[str, Any] | LogHint, *, host: PluginHost | None = None) -> list[Packed]:
    """Pack one output, unbundling it into one artifact per item for a ``*key`` hint."""
    parsed = parse_log_hint(hint)
    active = host or get_host()
    if not parsed.unbundle:
        return [active.pack(obj, parsed.key, parsed.artifact_type, parsed.options)]
    return [active.pack(item, key, parsed.artifact_type, parsed.options) for key, item in unbundle(obj, parsed)]


def explain(obj: Any, artifact_type: str | None = None, *, host: PluginHost | None = None) -> Explanation:
    """Every packager that could pack ``obj``, its priority, and why it won or lost."""
    return (host or get_host()).explain(obj, artifact_type)
