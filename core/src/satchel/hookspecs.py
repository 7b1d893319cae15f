"""The contract between satchel and its packager plugins.

A plugin implements these hooks, as a plain module of ``@satchel.hookimpl`` functions or by
subclassing :class:`satchel.Packager` (which implements all of them). The host asks each plugin
through a pluggy hook call that holds only that plugin's implementation plus every wrapper, so
wrappers, tracing and hook monitoring see every question. It never relies on pluggy's call order:
it ranks the plugins' answers (fallback last, then priority, then closeness of type, then name)
and calls ``satchel_pack`` / ``satchel_unpack`` on the winner alone. ``satchel_render_preview``
is asked the same way, one plugin at a time in rank order, until one answers. The long story of each hook
is in ``docs/hooks.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from satchel.answers import Offer, PackagerInfo
    from satchel.artifacts import ArtifactRecord, Packed
    from satchel.dataitem import DataItem
    from satchel.previews import Preview, Reader

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("satchel")
hookimpl = pluggy.HookimplMarker("satchel")


@hookspec(firstresult=True)
def satchel_describe() -> PackagerInfo | None:
    """Describe this plugin's packager for listings, explanations and unpack routing.

    Stops at first non-None result.

    The description's ``format_version`` is the newest format the plugin reads.
    """


@hookspec(firstresult=True)
def satchel_priority() -> int | None:
    """Return this plugin's priority, 1 (highest) to 10; None means the default for custom packagers (3).

    Stops at first non-None result.

    Built-ins use 5. An :class:`~satchel.Offer` may override it for one type.
    """


@hookspec
def satchel_can_pack(obj_type: type, artifact_type: str | None) -> Offer | None:
    """Offer to pack objects of ``obj_type`` as ``artifact_type``, or return None: "not mine".

    The answer may depend only on the type (the host caches it per type and artifact type);
    choose between artifact types by value inside :func:`satchel_pack`. The offer says how close the
    type is (``distance``), may override the priority, mark a fallback, or carry a ``refusal``: a
    message to fail with instead of letting a lower-ranked packager (a pickle) take the object.

    :param obj_type: the exact type of the object to pack.
    :param artifact_type: the artifact type the log hint asked for, or None for the plugin's default.
    """


@hookspec(firstresult=True)
def satchel_pack(obj: Any, key: str, artifact_type: str | None, options: Mapping[str, Any]) -> Packed | None:
    """Pack ``obj`` under ``key``; called only on the plugin whose offer won for ``type(obj)``.

    Stops at first non-None result.

    :param obj: the object to pack; it must not be mutated.
    :param key: the artifact key from the log hint.
    :param artifact_type: the artifact type asked for, or None to let the plugin choose (by value).
    :param options: packing options from the log hint; an unknown option is an error.
    """


@hookspec
def satchel_can_unpack(data_item: DataItem, obj_type: type | None, artifact_type: str | None) -> Offer | None:
    """Offer to produce an object of ``obj_type`` from ``data_item``, or return None.

    Asked when the artifact records no producer (a local path), and when the producer's object
    does not satisfy the caller's type hint: a plugin may make the hinted type from another
    plugin's artifact (an array from an image, a data frame from a CSV file).

    :param data_item: the artifact (its record, when stored, says its kind, format and producer).
    :param obj_type: the type the caller asked for, or None when there is no hint.
    :param artifact_type: the stored artifact's type, or None when unknown.
    """


@hookspec(firstresult=True)
def satchel_unpack(
    data_item: DataItem, artifact_type: str | None, instructions: Mapping[str, Any], obj_type: type | None
) -> Any:
    """Turn a stored artifact back into an object; called only on the plugin chosen to unpack it:
    its producer, or the best :func:`satchel_can_unpack` offer.

    Stops at first non-None result.

    :param data_item: the artifact, its files verified before this hook sees them.
    :param artifact_type: the artifact type it was packed as (None: the plugin's default).
    :param instructions: what the packer recorded for unpacking (empty from another plugin's artifact).
    :param obj_type: the type hint asked for, or None.
    """


@hookspec(firstresult=True)
def satchel_unpack_result(value: Any, instructions: Mapping[str, Any], obj_type: type | None) -> Any:
    """Turn a stored result value (JSON) back into an object of the packed type.

    Stops at first non-None result.

    :param value: the JSON value recorded in the run.
    :param instructions: what the packer recorded for unpacking.
    :param obj_type: the type hint asked for, or None.
    """


@hookspec(firstresult=True)
def satchel_render_preview(record: ArtifactRecord, read: Reader) -> Preview | None:
    """Describe how a stored artifact looks, as plain blocks (facts, tables, text, images, charts,
    markdown, code) that the UI renders and escapes, or return None: "not mine".

    Stops at first non-None result.

    The host asks the plugins by priority, then name; core's generic previews answer last. The
    record and every file are untrusted input: build blocks from them, never markup, and read a
    file only when the record's own preview is not enough.

    :param record: the artifact version, as stored (its kind, format, producer, extra, preview).
    :param read: ``read(name)`` gives the verified bytes of one of its files (None: its only file).
    """
