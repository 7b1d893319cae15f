"""What plugins answer the hooks with: an offer to pack (or unpack) a type, and a description."""

from __future__ import annotations

import attrs

from satchel.priorities import CUSTOM_PRIORITY, check_priority

__all__ = ["Offer", "PackagerInfo"]


def _optional_priority(instance: Offer, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None:
        check_priority(value, "Offer")


@attrs.frozen
class Offer:
    """A plugin's answer to ``satchel_can_pack``: it takes this type, and how it ranks for it.

    ``distance`` is how many steps up the object type's MRO the type the plugin names sits (0: the
    exact type); closer offers win among equal priorities. ``priority`` overrides the plugin's own
    (``satchel_priority``) for this type only. ``fallback`` marks a last resort that ranks after
    every other offer. An offer with a ``refusal`` claims the type only to refuse it: if it wins,
    packing fails with that message instead of falling through to a pickle.
    """

    distance: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    priority: int | None = attrs.field(default=None, validator=_optional_priority)
    fallback: bool = False
    refusal: str | None = None


@attrs.frozen
class PackagerInfo:
    """What a plugin's packager handles, for listings, explanations and unpack routing."""

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

