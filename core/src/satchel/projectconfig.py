"""What a project remembers between sessions, as its config in the store holds it: custom
packagers, the pickle policy, labels, functions and workflows. Read through the one cattrs
converter; the store is untrusted input, so all of it is a wish, never a privilege."""

from __future__ import annotations

from typing import Any

import attrs

from satchel.priorities import CUSTOM_PRIORITY

__all__ = ["PICKLE_POLICIES", "CustomPackagerSpec", "FunctionSpec", "ProjectConfig", "WorkflowSpec"]

PICKLE_POLICIES = ("warn", "allow", "forbid")


@attrs.define(kw_only=True)
class FunctionSpec:
    """A function as the project's config saves it."""

    name: str
    source: str
    handler: str
    requirements: list[str] = attrs.field(factory=list)
    kind: str = "job"


@attrs.define(kw_only=True)
class WorkflowSpec:
    """A workflow as the project's config saves it: its handler receives the project and the arguments."""

    name: str
    source: str
    handler: str = "workflow"
    arguments: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class CustomPackagerSpec:
    """A project's own packager: ``module.Class``, whether a failed import stops runs, its priority."""

    packager: str
    is_mandatory: bool = False
    priority: int = CUSTOM_PRIORITY


@attrs.define(kw_only=True)
class ProjectConfig:
    """What a project remembers between sessions; saved as JSON in the store, read through cattrs.

    The store is untrusted input, so what this records is a wish, never a privilege: custom
    packagers are imported, and ``pickle_policy = "allow"`` loads pickles, only when the caller
    confirms it (arguments, ``SATCHEL_ALLOW_PICKLE``, or the caller's own settings: see
    :mod:`satchel.settings`). ``forbid`` only restricts, so it takes effect as it is.
    """

    name: str
    custom_packagers: list[CustomPackagerSpec] = attrs.field(factory=list)
    pickle_policy: str = "warn"
    labels: dict[str, str] = attrs.field(factory=dict)
    functions: dict[str, FunctionSpec] = attrs.field(factory=dict)
    workflows: dict[str, WorkflowSpec] = attrs.field(factory=dict)
