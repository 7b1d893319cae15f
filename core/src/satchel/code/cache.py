"""A stored code artifact as a verified, read-only tree on disk, extracted once per content hash.

Resolution fetches the artifact's files through the store (every byte checked against its
recorded digest) — or, for an artifact that references an object elsewhere (``target_path``),
reads that object and checks it against the sha256 recorded when it was logged — extracts an
archive with :func:`satchel.archives.safe_extract`'s checks, makes the tree read-only and moves
it into ``<cache>/code/<digest>/`` in one rename. Nothing is imported from it before all of that
succeeded. (No ``.pyc`` is written into the read-only tree: each process compiles what it imports,
as for a fresh checkout.)

The cache is the caller's own (``satchel.settings.cache_dir``), like their home folder: it is not
store content, and whoever can write it can already run code as the caller. Each process checks a
tree against the list of its files (names, sizes, modification times) written beside them on first
use, so a file edited, added or removed there by accident is noticed and the tree is made again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import stat
import threading
from typing import Any

import fsspec

from satchel import tempdirs
from satchel.archives import safe_extract
from satchel.artifacts import ArtifactRecord
from satchel.code.loader import CodeTree
from satchel.code.sources import archive_suffix, check_module_names, code_root, module_names
from satchel.errors import CodeError, IntegrityError, UnsafeArchiveError
from satchel.settings import cache_dir
from satchel.store import Store
from satchel.store.hashing import hash_bytes

__all__ = ["MANIFEST", "code_digest", "code_tree", "read_target", "remove_tree"]

MANIFEST = ".satchel-code.json"
_checked: set[str] = set()  # trees this process has checked against their manifest
_trees: dict[str, CodeTree] = {}  # ... and what they hold, so a later run reads nothing again
_lock = threading.Lock()


def _label(record: ArtifactRecord) -> str:
    return f"code artifact {record.uri}"


def code_digest(record: ArtifactRecord) -> str:
    """What names the code's content: the stored files' manifest hash, or the referenced object's sha256."""
    target = record.extra.get("target")
    if not record.files:
        if not isinstance(target, dict) or not isinstance(target.get("sha256"), str):
            raise CodeError(f"{_label(record)} holds no files and references no object; log the code again")
        return f"sha256:{target['sha256']}"
    return f"files:{record.hash}"


def code_tree(store: Store, record: ArtifactRecord) -> CodeTree:
    """The verified tree of ``record``'s code, from the cache or made now."""
    if record.kind != "code":
        raise CodeError(f"{record.uri} is a {record.kind} artifact, not code; log code with project.log_code_file()")
    digest = code_digest(record)
    label = _label(record)
    if not record.files:
        # A referenced object is the code's truth: check it on every resolution, cached or not.
        data, name = read_target(record)
    root = cache_dir("code")
    folder = os.path.join(root, hashlib.sha256(digest.encode("utf-8")).hexdigest()[:40])
    with _lock:
        tree = _reuse(folder, digest, label)
        if tree is not None:
            return tree
        os.makedirs(root, exist_ok=True)
        scratch = os.path.join(root, f".making-{secrets.token_hex(8)}")
        try:
            os.makedirs(scratch)
            if record.files:
                _fetch_stored(store, record, scratch, label)
            else:
                _unpack(data, name, scratch, label)
            tree = _finish(scratch, folder, digest, label)
        finally:
            if os.path.exists(scratch):
                remove_tree(scratch)
        return tree


def read_target(record: ArtifactRecord) -> tuple[bytes, str]:
    """The bytes of the object ``record`` references, checked against the sha256 logged with it."""
    target = record.extra.get("target")
    if not isinstance(target, dict) or not isinstance(target.get("url"), str) or not isinstance(target.get("sha256"), str):
        raise CodeError(f"{_label(record)} references no object it can check; log the code again")
    url = target["url"]
    try:
        with fsspec.open(url, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise IntegrityError(
            f"{_label(record)} references {url}, which no longer exists; put the logged code back there, "
            "or log the code again"
        ) from None
    except Exception as error:  # fsspec backends raise their own types
        raise CodeError(f"{_label(record)}: cannot read {url} ({type(error).__name__}: {error})") from error
    actual = hash_bytes(data, "sha256")
    if actual != target["sha256"]:
        raise IntegrityError(
            f"{_label(record)} references {url}, which changed after it was logged (sha256 "
            f"{target['sha256'][:16]}… when logged, {actual[:16]}… now); nothing from it was run. Log it "
            "again to run the new code"
        )
    name = str(target.get("name") or os.path.basename(url.rstrip("/")) or "code.py")
    return data, name


def _reuse(folder: str, digest: str, label: str) -> CodeTree | None:
    path = os.path.join(folder, MANIFEST)
    known = _trees.get(folder)
    if known is not None and folder in _checked and known.label == label and os.path.isfile(path):
        return known
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
        tree = CodeTree(
            root=os.path.join(folder, *manifest["root"].split("/")) if manifest["root"] else folder,
            digest=digest, modules=tuple(manifest["modules"]), label=label,
        )
        if manifest["digest"] != digest:
            raise ValueError("digest differs")
        if folder not in _checked:
            if _listing(folder) != manifest["files"]:
                raise ValueError("the files changed")
            _checked.add(folder)
            with contextlib.suppress(OSError):  # its last use, for `satchel cache prune`
                os.utime(folder)
        _trees[folder] = tree
        return tree
    except (OSError, ValueError, KeyError, TypeError):
        # Not as this process would have made it: make it again.
        remove_tree(folder)
        _checked.discard(folder)
        return None


def _fetch_stored(store: Store, record: ArtifactRecord, scratch: str, label: str) -> None:
    if len(record.files) != 1:
        raise CodeError(f"{label} holds {len(record.files)} files; a code artifact holds one source file or one archive")
    # Verified as it is linked (local stores) or downloaded out of the store.
    item = store.data_item(record)
    try:
        _place(item.local(), record.files[0].name, scratch, label, move=False)
    finally:
        tempdirs.forget(item.local_dir())


def _unpack(data: bytes, name: str, scratch: str, label: str) -> None:
    download = os.path.join(scratch, "download")
    os.makedirs(download)
    path = os.path.join(download, "source")
    with open(path, "wb") as handle:
        handle.write(data)
    _place(path, name, scratch, label, move=True)
    shutil.rmtree(download, ignore_errors=True)


def _place(path: str, name: str, scratch: str, label: str, *, move: bool) -> None:
    tree = os.path.join(scratch, "tree")
    if archive_suffix(name):
        try:
            safe_extract(path, tree, label=f"{label}: archive {name!r}")
        except UnsafeArchiveError as error:
            raise CodeError(f"{error}; nothing from it was run") from error
    else:
        if "/" in name or name.startswith("."):
            raise CodeError(f"{label}: file name {name!r} is not a plain file name")
        os.makedirs(tree)
        target = os.path.join(tree, name)
        if move:
            os.replace(path, target)
        else:
            shutil.copyfile(path, target)  # the verified link shares the blob's inode: copy it out


def _finish(scratch: str, folder: str, digest: str, label: str) -> CodeTree:
    tree = os.path.join(scratch, "tree")
    root = code_root(tree)
    modules = module_names(root)
    if not modules:
        raise CodeError(f"{label} holds no Python module at its top; log the .py files themselves or an archive of them")
    check_module_names(modules, label)
    files = _listing(tree)
    relative_root = os.path.relpath(root, tree).replace(os.sep, "/")
    manifest: dict[str, Any] = {
        "digest": digest, "label": label, "modules": modules, "files": files,
        "root": "" if relative_root == "." else relative_root,
    }
    with open(os.path.join(tree, MANIFEST), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
    _read_only(tree)
    try:
        os.rename(tree, folder)
    except OSError:
        if not os.path.isfile(os.path.join(folder, MANIFEST)):
            raise
        # Another process made it first; theirs is the same code.
    _checked.add(folder)
    final_root = os.path.join(folder, *manifest["root"].split("/")) if manifest["root"] else folder
    return CodeTree(root=final_root, digest=digest, modules=tuple(modules), label=label)


def _listing(tree: str) -> dict[str, list[int]]:
    """Every file under ``tree`` but the manifest: relative name -> [size, modification time in ns]."""
    found: dict[str, list[int]] = {}
    for current, _dirs, names in os.walk(tree):
        for entry in names:
            full = os.path.join(current, entry)
            rel = os.path.relpath(full, tree).replace(os.sep, "/")
            if rel != MANIFEST:
                info = os.lstat(full)
                found[rel] = [info.st_size, info.st_mtime_ns]
    return found


def _read_only(tree: str) -> None:
    for current, dirs, names in os.walk(tree, topdown=False):
        for entry in names:
            os.chmod(os.path.join(current, entry), stat.S_IRUSR)
        for entry in dirs:
            os.chmod(os.path.join(current, entry), stat.S_IRUSR | stat.S_IXUSR)
    os.chmod(tree, stat.S_IRUSR | stat.S_IXUSR)


def remove_tree(folder: str) -> None:
    """Delete a (read-only) tree this module made."""
    if not os.path.lexists(folder):
        return
    for current, dirs, _names in os.walk(folder):
        os.chmod(current, stat.S_IRWXU)
        for entry in dirs:
            full = os.path.join(current, entry)
            if not os.path.islink(full):
                os.chmod(full, stat.S_IRWXU)
    shutil.rmtree(folder, ignore_errors=True)
