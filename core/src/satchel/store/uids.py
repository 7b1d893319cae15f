"""Version uids: 32 lowercase hex characters, time-sortable, unique across processes without coordination."""

from __future__ import annotations

import secrets
import threading
import time

__all__ = ["new_uid", "uid_time"]

_RANDOM_BITS = 80
_lock = threading.Lock()
_last: tuple[int, int] = (0, 0)


def new_uid() -> str:
    """A new uid: 12 hex digits of Unix milliseconds, then 20 hex digits of randomness.

    Within one process uids strictly increase (the random part counts up inside a millisecond),
    so "newest first" ordering by uid is exact for one writer and close to exact across writers.
    """
    global _last
    with _lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_random = _last
        if millis <= last_millis and last_random + 1 < (1 << _RANDOM_BITS):
            millis, random_part = last_millis, last_random + 1
        else:
            millis = max(millis, last_millis + 1) if millis <= last_millis else millis
            random_part = secrets.randbits(_RANDOM_BITS - 1)  # headroom for counting up
        _last = (millis, random_part)
    return f"{millis:012x}{random_part:020x}"


def uid_time(uid: str) -> float:
    """The Unix time (seconds) a uid made by `new_uid` was created at."""
    return int(uid[:12], 16) / 1000.0
