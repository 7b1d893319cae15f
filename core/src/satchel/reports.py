"""What the plugin host reports: each plugin's description, load failures, and selection explanations."""

from __future__ import annotations

import attrs

from satchel.hookspecs import CUSTOM_PRIORITY

__all__ = ["Candidate", "Explanation", "PackagerInfo", "PluginFailure"]


@attrs.frozen
class PackagerInfo:
    """What a plugin's packager handles, for listings and explanations."""

    name: str
    distribution: str | None = None
    version: str | None = None
    priority: int = CUSTOM_PRIORITY
    types: list[str] = attrs.field(factory=list)
    pack_subclasses: bool = False
    packing_artifact_types: list[str] = attrs.field(factory=list)
    unpacking_artifact_types: list[str] = attrs.field(factory=list)
    default_packing_artifact_type: str | None = None
    default_unpacking_artifact_type: str | None = None
    format_version: int = 1
    fallback: bool = False
    doc: str = ""
    source: str = "registered"
    error: str | None = None


@attrs.frozen
class PluginFailure:
    """A plugin that could not be loaded: who, which version, against which core, and why."""

    name: str
    distribution: str | None
    version: str | None
    core_version: str
    error: str
    mandatory: bool = False

    def message(self) -> str:
        dist = f"{self.distribution} {self.version}" if self.distribution else "unknown distribution"
        return (
            f"satchel plugin {self.name!r} ({dist}) failed to load with satchel {self.core_version}: "
            f"{self.error}"
        )


@attrs.frozen
class Candidate:
    """One plugin's answer for a type, with its rank and why it won or lost."""

    plugin: str
    priority: int
    accepted: bool
    distance: int | None = None
    fallback: bool = False
    winner: bool = False
    reason: str = ""


@attrs.frozen
class Explanation:
    """Every candidate for packing an object, ranked; ``winner`` is the one that packs it."""

    object_type: str
    artifact_type: str | None
    candidates: list[Candidate]

    @property
    def winner(self) -> Candidate | None:
        return next((c for c in self.candidates if c.winner), None)

    def __str__(self) -> str:
        wanted = f" as {self.artifact_type!r}" if self.artifact_type else ""
        lines = [f"packing {self.object_type}{wanted}:"]
        for candidate in self.candidates:
            mark = "->" if candidate.winner else "  "
            lines.append(f" {mark} {candidate.plugin:<24} priority {candidate.priority:<3} {candidate.reason}")
        return "\n".join(lines)
