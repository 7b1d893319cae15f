"""The priority scale packagers rank on, and its range check: one place for both.

1 ranks first and 10 last. A plugin that states no priority (a project's custom packager) gets 3,
core's built-ins use 5, and the pickle fallback ranks after everything whatever its number.
"""

from __future__ import annotations

__all__ = ["BUILTIN_PRIORITY", "CUSTOM_PRIORITY", "HIGHEST_PRIORITY", "LOWEST_PRIORITY", "check_priority"]

HIGHEST_PRIORITY = 1
CUSTOM_PRIORITY = 3
BUILTIN_PRIORITY = 5
LOWEST_PRIORITY = 10


def check_priority(priority: object, what: str) -> int:
    """``priority`` if it is an integer on the scale, else a ValueError naming ``what`` and the scale."""
    if isinstance(priority, bool) or not isinstance(priority, int) or not HIGHEST_PRIORITY <= priority <= LOWEST_PRIORITY:
        raise ValueError(
            f"{what}: priority {priority!r} is not on the scale; use an integer from "
            f"{HIGHEST_PRIORITY} (highest) to {LOWEST_PRIORITY}"
        )
    return priority
