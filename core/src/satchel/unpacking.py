"""Turn stored artifacts back into objects of the type the caller asked for.

The packager that wrote an artifact unpacks it. When the caller's type hint asks for another type
than the one stored, the producer may convert (``Packager.convert``); otherwise the plugins are
asked (``satchel_can_unpack``) whether one makes the hinted type from that artifact. If none can,
it is an error: a caller is never handed an object of the wrong type.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from satchel.errors import PackagerNotFoundError, PickleNotAllowedError, SatchelError, UnpackingError
from satchel.host import PluginHost, get_host
from satchel.signatures import candidate_types
from satchel.typenames import type_name

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.dataitem import DataItem
    from satchel.store import Store

__all__ = ["satisfies", "unpack_item", "unpack_local", "unpack_record"]


def satisfies(obj: Any, types: typing.Sequence[type]) -> bool:
    """Whether ``obj`` is an instance of one of ``types`` (no types: anything goes)."""
    if not types:
        return True
    try:
        return isinstance(obj, tuple(types))
    except TypeError:  # a hint isinstance cannot check (a non-runtime Protocol): trust the packager
        return True


def unpack_record(
    store: Store,
    record: ArtifactRecord,
    type_hint: Any = None,
    *,
    allow_pickle: bool = False,
    host: PluginHost | None = None,
) -> Any:
    """The object a stored artifact holds, as ``type_hint`` asks (files verified first)."""
    return unpack_item(store.data_item(record), record, type_hint, allow_pickle=allow_pickle, host=host)


def unpack_item(
    item: DataItem,
    record: ArtifactRecord,
    type_hint: Any = None,
    *,
    allow_pickle: bool = False,
    host: PluginHost | None = None,
) -> Any:
    """Unpack ``item`` (the files of ``record``) by its producer, converting to ``type_hint`` if needed."""
    active = host or get_host()
    wanted = candidate_types(type_hint)
    instructions = _checked_instructions(record)
    producer = record.producer.plugin if record.producer is not None else None
    try:
        obj = active.unpack(
            item,
            producer=record.producer,
            artifact_type=record.artifact_type,
            instructions=instructions,
            obj_type=wanted[0] if len(wanted) == 1 else None,
            allow_pickle=allow_pickle,
        )
    except SatchelError:
        raise
    except Exception as error:  # a plugin that lets a raw error through still gives the reader satchel's own
        raise UnpackingError(
            f"artifact {record.uri}: plugin {producer!r} could not unpack it ({type(error).__name__}: "
            f"{error}); the artifact was altered, or the plugin has a bug to report"
        ) from error
    if satisfies(obj, wanted):
        return obj
    tried: list[str] = []
    reasons: list[str] = []
    for obj_type in wanted:
        for plugin in active.unpackers(item, obj_type, record.artifact_type):
            if plugin == producer or plugin in tried:
                continue
            tried.append(plugin)
            try:
                converted = active.unpack(
                    item, producer=None, plugin=plugin, artifact_type=None, instructions={},
                    obj_type=obj_type, allow_pickle=allow_pickle,
                )
            except Exception as error:  # noqa: BLE001 - one plugin's failure is reported below, not raised
                # This plugin offered but could not; whatever it raised, the error below says why.
                reasons.append(f"{plugin!r}: {type(error).__name__}: {error}")
                continue
            if satisfies(converted, wanted):
                return converted
            reasons.append(f"{plugin!r}: gave a {type_name(type(converted))}")
    asked = " | ".join(type_name(t) for t in wanted)
    held = record.object_type or type_name(type(obj))
    by = f", packed by {producer!r}" if producer else ""
    attempts = f"; tried converting with {'; '.join(reasons)}" if reasons else ""
    raise UnpackingError(
        f"artifact {record.uri} holds a {held}{by}, but the type hint asks for {asked}, and no "
        f"installed plugin makes one from it{attempts}; annotate the parameter with {held} (or "
        "leave it unannotated), or install a plugin that converts it (see `satchel plugins`)"
    )


def _checked_instructions(record: ArtifactRecord) -> Mapping[str, Any]:
    """The record's instructions, if they are what a packer writes: a JSON object with text keys."""
    instructions = record.instructions
    if not isinstance(instructions, Mapping) or not all(isinstance(name, str) for name in instructions):
        shown = repr(instructions)
        shown = shown if len(shown) <= 80 else shown[:79] + "…"
        raise UnpackingError(
            f"artifact {record.uri}: its instructions are {shown}; a packager's instructions are a JSON "
            "object of named values, so this record was not written by satchel or was altered"
        )
    return instructions


def unpack_local(item: DataItem, type_hint: Any = None, *, allow_pickle: bool = False, host: PluginHost | None = None) -> Any:
    """A local file or directory (no producer recorded), made into the first hinted type a plugin offers."""
    active = host or get_host()
    wanted = candidate_types(type_hint)
    asks: list[type | None] = [*wanted] or [None]
    reasons: list[str] = []
    for obj_type in asks:
        for plugin in active.unpackers(item, obj_type, None):
            try:
                obj = active.unpack(item, producer=None, plugin=plugin, artifact_type=None, obj_type=obj_type, allow_pickle=allow_pickle)
            except PickleNotAllowedError:
                raise
            except Exception as error:  # noqa: BLE001 - a plugin that offered but failed: say why, try the next
                reasons.append(f"{plugin!r}: {type(error).__name__}: {error}")
                continue
            if satisfies(obj, wanted):
                return obj
            reasons.append(f"{plugin!r} made a {type_name(type(obj))}")
    asked = " | ".join(type_name(t) for t in wanted) or "no type hint"
    tried = f" (tried {'; '.join(reasons)})" if reasons else ""
    raise PackagerNotFoundError(
        f"no installed packager can unpack {item.key!r} ({', '.join(item.file_names) or 'no files'}) into "
        f"{asked}{tried}; annotate the parameter with the type you want, or install a packager for it "
        "(see `satchel plugins`)"
    )
