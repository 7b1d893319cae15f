"""The contract between satchel and its packager plugins.

A plugin implements these hooks (usually by subclassing :class:`satchel.Packager`, which implements
all of them). The host never relies on pluggy's call order: it asks every plugin, ranks the ones
that said yes by priority, then plugin name, and calls only the winner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from satchel.dataitem import DataItem
    from satchel.packed import Packed
    from satchel.reports import PackagerInfo

__all__ = ["CUSTOM_PRIORITY", "hookimpl", "hookspec"]

#: The priority of a plugin that states none (custom packagers); built-ins use 5.
CUSTOM_PRIORITY = 3

hookspec = pluggy.HookspecMarker("satchel")
hookimpl = pluggy.HookimplMarker("satchel")


@hookspec
def satchel_describe() -> PackagerInfo | None:
    """Describe this plugin's packager for ``satchel plugins`` and ``satchel explain``.

    Return None if the plugin has nothing to describe.
    """


@hookspec
def satchel_priority() -> int | None:
    """Return this plugin's priority, 1 (highest) to 10; None means the default for custom packagers (3).

    Built-ins use 5; the pickle fallback always ranks last whatever it returns.
    """


@hookspec
def satchel_can_pack(obj_type: type, artifact_type: str | None) -> bool | None:
    """Say whether this plugin packs objects of ``obj_type`` as ``artifact_type``.

    The answer may depend only on the type (the host caches it per type); choose between artifact
    types by value inside :func:`satchel_pack`. None or False means "not mine".

    :param obj_type: the exact type of the object to pack.
    :param artifact_type: the artifact type the log hint asked for, or None for the plugin's default.
    """


@hookspec(firstresult=True)
def satchel_pack(
    obj: Any, key: str, artifact_type: str | None, options: Mapping[str, Any]
) -> Packed | None:
    """Pack ``obj`` under ``key``; called only on the plugin selected for ``type(obj)``.

    Stops at first non-None result.

    :param obj: the object to pack; it must not be mutated.
    :param key: the artifact key from the log hint.
    :param artifact_type: the artifact type asked for, or None to let the plugin choose (by value).
    :param options: packing options from the log hint; an unknown option is an error.
    """


@hookspec
def satchel_can_unpack(obj_type: type | None, artifact_type: str | None) -> bool | None:
    """Say whether this plugin can produce an object of ``obj_type`` from ``artifact_type``.

    Used when an input carries no record of its producer (a local path); the type hint decides.

    :param obj_type: the type hint of the handler parameter, or None when there is none.
    :param artifact_type: the stored artifact's type, or None when unknown.
    """


@hookspec(firstresult=True)
def satchel_unpack(
    data_item: DataItem, artifact_type: str | None, instructions: Mapping[str, Any], obj_type: type | None
) -> Any:
    """Turn a stored artifact back into an object; called only on the plugin that packed it
    (or, with no record, the one :func:`satchel_can_unpack` selected).

    Stops at first non-None result.

    :param data_item: the artifact, its files verified before this hook sees them.
    :param artifact_type: the artifact type it was packed as (None: the plugin's default).
    :param instructions: what the packer recorded for unpacking.
    :param obj_type: the type hint asked for, or None.
    """


@hookspec(firstresult=True)
def satchel_unpack_result(
    value: Any, instructions: Mapping[str, Any], obj_type: type | None
) -> Any:
    """Turn a stored result value (JSON) back into an object of the packed type.

    Stops at first non-None result.

    :param value: the JSON value recorded in the run.
    :param instructions: what the packer recorded for unpacking.
    :param obj_type: the type hint asked for, or None.
    """
