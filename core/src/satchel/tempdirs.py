"""Folders satchel hands out, removed when the process exits: docs/temporary-files.md."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading

__all__ = ["forget", "make_dir", "process_dir", "register", "registered", "remove_all"]

_lock = threading.Lock()
_folders: dict[str, int] = {}  # folder -> pid of the process that made it
_process_dirs: dict[tuple[int, str], str] = {}  # (pid, system temp dir) -> this process's folder
_hooked = False


def register(folder: str) -> str:
    """Remember *folder* for removal at exit; returns it."""
    with _lock:
        _track(folder)
    return folder


def process_dir() -> str:
    """This process's folder, ``satchel-<pid>-*`` in ``tempfile.gettempdir()``, made on first use.

    A forked child gets its own, so does a new ``tempfile.tempdir``; one a temp cleaner removed is
    made again.
    """
    base = tempfile.gettempdir()
    pid = os.getpid()
    with _lock:
        folder = _process_dirs.get((pid, base))
        if folder is None or not os.path.isdir(folder):
            folder = tempfile.mkdtemp(prefix=f"satchel-{pid}-", dir=base)
            _process_dirs[(pid, base)] = folder
            _track(folder)
    return folder


def make_dir(prefix: str) -> str:
    """A fresh private folder inside :func:`process_dir`, removed with it at exit (or by :func:`forget`)."""
    return tempfile.mkdtemp(prefix=prefix, dir=process_dir())


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
        for folder in mine:
            del _folders[folder]
        for key in [key for key in _process_dirs if key[0] == pid]:
            del _process_dirs[key]
    for folder in mine:
        shutil.rmtree(folder, ignore_errors=True)


def _track(folder: str) -> None:
    """Under ``_lock``: remember *folder* as this process's, hooking ``remove_all`` to exit once."""
    global _hooked
    if not _hooked:
        atexit.register(remove_all)
        _hooked = True
    _folders[folder] = os.getpid()
