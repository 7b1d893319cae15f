"""What the plugin host reports about its plugins: load failures and why a packager was chosen."""

from __future__ import annotations

import attrs

__all__ = ["Candidate", "Explanation", "PluginFailure"]


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
    """One plugin's answer for a type, as the hook call returned it, with its rank and why."""

    plugin: str
    priority: int
    accepted: bool
    distance: int | None = None
    fallback: bool = False
    winner: bool = False
    reason: str = ""
    refusal: str | None = None


@attrs.frozen
class Explanation:
    """Every candidate for packing an object, ranked; ``winner`` is the one that packs (or refuses) it."""

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
