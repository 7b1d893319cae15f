"""Folders handed out for data items, removed when the interpreter exits (or by ``Store.gc``)."""

from __future__ import annotations

import atexit
import os
import shutil
import threading

__all__ = ["forget", "register", "registered", "remove_all"]

_lock = threading.Lock()
_folders: dict[str, int] = {}  # folder -> pid of the process that made it
_hooked = False


def register(folder: str) -> str:
    """Remember *folder* for removal at exit; returns it."""
    global _hooked
    with _lock:
        if not _hooked:
            atexit.register(remove_all)
            _hooked = True
        _folders[folder] = os.getpid()
    return folder


def registered() -> frozenset[str]:
    """The folders this process handed out and still uses."""
    with _lock:
        return frozenset(_folders)


def forget(folder: str) -> None:
    """Remove *folder* now and stop tracking it."""
    with _lock:
        _folders.pop(folder, None)
    shutil.rmtree(folder, ignore_errors=True)


def remove_all() -> None:
    """Remove every folder this process made (a forked child leaves its parent's alone)."""
    pid = os.getpid()
    with _lock:
        mine = [folder for folder, owner in _folders.items() if owner == pid]
        _folders.clear()
    for folder in mine:
        shutil.rmtree(folder, ignore_errors=True)
