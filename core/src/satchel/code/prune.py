"""The caller's cache of extracted code trees and isolated environments: list it, and remove what
has not been used for a while (``satchel cache``).

Each entry's last use is its folder's modification time: a code tree's is renewed the first time a
process reuses it, an environment's marker file each time a run reuses it. Half-made entries left by
a process that crashed (``.making-*``, ``.*.building-*``) go once they are a day old.
"""

from __future__ import annotations

import os
import shutil
import time

import attrs

from satchel.code.cache import remove_tree
from satchel.code.environments import MARKER
from satchel.settings import cache_dir

__all__ = ["CacheEntry", "cache_entries", "prune_cache"]

_DAY = 86400.0
_LEFTOVER_GRACE = _DAY


@attrs.define(frozen=True)
class CacheEntry:
    """One code tree or environment in the cache."""

    kind: str  # "code", "environment", or "leftover" (a half-made entry of a crashed process)
    path: str
    size: int
    last_used: float  # seconds since the epoch


def _size(folder: str) -> int:
    total = 0
    for current, _dirs, names in os.walk(folder):
        for name in names:
            try:
                info = os.lstat(os.path.join(current, name))
            except OSError:
                continue
            total += info.st_size
    return total


def _last_used(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def cache_entries() -> list[CacheEntry]:
    """Every code tree and environment in the caller's cache, least recently used first."""
    found: list[CacheEntry] = []
    for kind, folder, marker in (("code", cache_dir("code"), None), ("environment", cache_dir("envs"), MARKER)):
        try:
            names = sorted(os.listdir(folder))
        except FileNotFoundError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.isdir(path) or os.path.islink(path):
                continue
            leftover = name.startswith(".")
            used = _last_used(os.path.join(path, marker) if marker and not leftover else path)
            found.append(CacheEntry("leftover" if leftover else kind, path, _size(path), used))
    return sorted(found, key=lambda entry: (entry.last_used, entry.path))


def prune_cache(older_than_days: float, *, dry_run: bool = False, now: float | None = None) -> list[CacheEntry]:
    """Remove the entries not used for *older_than_days* days (0: all of them), and half-made ones
    a day old; returns what was (or, with *dry_run*, would be) removed.

    A process using an entry right now keeps its files open, but a new run would make it again:
    prune with a margin longer than your longest runs.
    """
    if not older_than_days >= 0:
        raise ValueError(f"older_than_days is {older_than_days!r}; give a number of days, 0 or more")
    moment = time.time() if now is None else now
    removed = []
    for entry in cache_entries():
        grace = _LEFTOVER_GRACE if entry.kind == "leftover" else older_than_days * _DAY
        if older_than_days and moment - entry.last_used < grace:
            continue
        if not dry_run:
            if entry.kind == "code" or entry.path.startswith(cache_dir("code") + os.sep):
                remove_tree(entry.path)  # read-only: made writable first
            else:
                shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry)
    return removed
