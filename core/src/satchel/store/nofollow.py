"""Walking a local store's own folders without ever following a symbolic link out of its root."""

# Anyone who can write to a store can plant links in it. The root is the user's choice and may
# be a link; below it every folder the store makes, lists or removes must be a real folder, so
# a planted `tmp -> ~/documents` can neither receive the store's files nor lose its own to gc.

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat

from satchel.errors import StoreError

__all__ = ["check_folder", "link_message", "make_folders", "open_file", "remove"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# Removal by folder descriptors is immune to a folder being swapped for a link half-way.
_BY_DESCRIPTOR = (
    bool(_NOFOLLOW and _DIRECTORY)
    and {os.open, os.stat, os.unlink} <= os.supports_dir_fd
    and shutil.rmtree.avoids_symlink_attacks
)


_FOLDERS_RULE = (
    "the store's own folders must be real folders inside the store (to keep a store on another "
    "disk, give or link its root instead)"
)


def link_message(path: str, rule: str = _FOLDERS_RULE) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return f"{path} is a symbolic link (to {target}); {rule}"


def _not_folder_message(path: str) -> str:
    return f"{path} is a file, not a folder; the store keeps its own folders there, so move the file away"


def _check(path: str, info: os.stat_result) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise StoreError(link_message(path))
    if not stat.S_ISDIR(info.st_mode):
        raise StoreError(_not_folder_message(path))


def check_folder(root: str, rel: str) -> bool:
    """Whether the folder *rel* exists under *root*; StoreError when it, or a folder on the way
    to it, is a link or a file."""
    path = root
    for part in rel.split("/"):
        path = os.path.join(path, part)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return False
        _check(path, info)
    return True


def make_folders(root: str, rel: str) -> None:
    """Make the folder *rel* under *root* (and the root), refusing links and files on the way."""
    if not os.path.isdir(root):
        os.makedirs(root, exist_ok=True)
    path = root
    for part in rel.split("/"):
        path = os.path.join(path, part)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):  # made by another writer meanwhile
                os.mkdir(path)
            info = os.lstat(path)
        _check(path, info)


def open_file(path: str) -> int:
    """A read descriptor of the file at *path*; StoreError when the file itself is a link."""
    try:
        return os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise StoreError(link_message(path, "the store never reads its files through links")) from None
        raise


def remove(root: str, rel: str) -> None:
    """Remove the file, link or folder *rel* under *root*: a link goes as a link, and nothing
    is reached through a link; missing is fine."""
    if not _BY_DESCRIPTOR:
        _remove_by_path(root, rel)
        return
    *folders, name = rel.split("/")
    fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        path = root
        for part in folders:
            path = os.path.join(path, part)
            try:
                inner = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            except FileNotFoundError:
                return
            except OSError:
                _check(path, os.stat(part, dir_fd=fd, follow_symlinks=False))
                raise
            os.close(fd)
            fd = inner
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(name, dir_fd=fd, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)


def _remove_by_path(root: str, rel: str) -> None:
    # Where folder descriptors are missing (Windows): the same checks, by path.
    *folders, _name = rel.split("/")
    if folders and not check_folder(root, "/".join(folders)):
        return
    target = os.path.join(root, *rel.split("/"))
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(target, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
