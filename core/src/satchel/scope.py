"""What one project's work sees: its store, its plugin host, and what the caller allows with pickles.

A project prepares a scope; packing, unpacking, input resolution and the run executor receive it
as an argument and never reach back into the project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from satchel.host import PluginHost
    from satchel.store import Store

__all__ = ["Scope"]


@attrs.frozen
class Scope:
    """One project's view: ``host`` holds core, the installed plugins and that project's own
    custom packagers; ``allow_pickle`` is the caller's opt-in to load pickles; ``forbid_pickle``
    refuses to write any."""

    project: str
    store: Store
    host: PluginHost
    allow_pickle: bool = False
    forbid_pickle: bool = False
