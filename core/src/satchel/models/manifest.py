"""A model package's manifest: every file's sha256 and a root digest over them, as the
``model-signing`` format computes it (sha256 over the files' digests in sorted path order), written
as ``manifest.json`` and, for tools that know only ``sha256sum``, as ``checksum.txt``.

Verification compares a folder (or a stored artifact's file list) with the manifest and names the
first file that is changed, missing or extra; nothing in the package is read by a deserialiser
before it passes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from satchel.errors import IntegrityError

__all__ = [
    "CHECKSUMS",
    "MANIFEST",
    "build_manifest",
    "checksum_text",
    "file_digests",
    "file_sha256",
    "read_manifest",
    "root_digest",
    "verify_digests",
    "verify_folder",
]

MANIFEST = "manifest.json"
CHECKSUMS = "checksum.txt"
_SELF = frozenset({MANIFEST, CHECKSUMS})
FORMAT = "satchel-model-package/1"


def root_digest(digests: Mapping[str, str]) -> str:
    """sha256 over the files' hex digests, concatenated in sorted path order (model-signing's root)."""
    outer = hashlib.sha256()
    for path in sorted(digests):
        outer.update(bytes.fromhex(digests[path]))
    return outer.hexdigest()


def file_digests(folder: str) -> dict[str, str]:
    """Relative posix path -> sha256 of every file under ``folder`` but the manifest and checksums."""
    found: dict[str, str] = {}
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")  # Python writes it beside predict.py
        for name in sorted(names):
            full = os.path.join(current, name)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            if rel in _SELF:
                continue
            found[rel] = file_sha256(full)
    return found


def file_sha256(path: str) -> str:
    """The sha256 hex of one file."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def build_manifest(digests: Mapping[str, str]) -> dict[str, Any]:
    return {"format": FORMAT, "algorithm": "sha256", "files": dict(sorted(digests.items())), "root_digest": root_digest(digests)}


def checksum_text(digests: Mapping[str, str]) -> str:
    """``sha256sum`` lines: ``<hex>  <path>``."""
    return "".join(f"{digests[path]}  {path}\n" for path in sorted(digests))


def read_manifest(text: str | bytes, where: str) -> dict[str, str]:
    """The files a manifest lists (path -> sha256); IntegrityError when it is not one or its root
    digest does not match its own files."""
    try:
        data = json.loads(text)
        files = data["files"]
        if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            raise TypeError("files is not an object of paths to digests")
        for value in files.values():
            bytes.fromhex(value)
        claimed = data["root_digest"]
    except (ValueError, KeyError, TypeError) as error:
        raise IntegrityError(f"{where}: {MANIFEST} is not a model package manifest ({error}); the package cannot be verified") from None
    if claimed != root_digest(files):
        raise IntegrityError(f"{where}: {MANIFEST} was edited: its root digest does not match the files it lists; nothing was loaded")
    return dict(files)


def verify_digests(expected: Mapping[str, str], actual: Mapping[str, str], where: str) -> None:
    """Name the first file whose digest differs, that is missing, or that the manifest does not list."""
    for path in sorted(expected):
        if path not in actual:
            raise IntegrityError(f"{where}: file {path!r} is missing (the manifest lists it); nothing was loaded")
        if actual[path] != expected[path]:
            raise IntegrityError(
                f"{where}: file {path!r} was changed (sha256 {actual[path][:16]}…, the manifest says "
                f"{expected[path][:16]}…); nothing was loaded"
            )
    extra = sorted(set(actual) - set(expected))
    if extra:
        raise IntegrityError(f"{where}: file {extra[0]!r} is not in the manifest (an added file); nothing was loaded")


def verify_folder(folder: str, where: str | None = None) -> dict[str, str]:
    """Check every file under ``folder`` against its ``manifest.json`` (or, in an exported folder
    without one, ``checksum.txt``); returns the digests. IntegrityError names the offending file."""
    label = where or folder
    manifest_path = os.path.join(folder, MANIFEST)
    if os.path.isfile(manifest_path):
        with open(manifest_path, "rb") as handle:
            expected = read_manifest(handle.read(), label)
    else:
        expected = _read_checksums(os.path.join(folder, CHECKSUMS), label)
    verify_digests(expected, file_digests(folder), label)
    return expected


def _read_checksums(path: str, where: str) -> dict[str, str]:
    if not os.path.isfile(path):
        raise IntegrityError(f"{where}: neither {MANIFEST} nor {CHECKSUMS} is there; it is not a model package")
    expected: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            digest, sep, name = line.rstrip("\n").partition("  ")
            try:
                bytes.fromhex(digest)
            except ValueError:
                sep = ""
            if not sep or len(digest) != 64 or not name:
                raise IntegrityError(f"{where}: {CHECKSUMS} line {number} is not '<sha256>  <path>': {line.strip()[:80]!r}")
            expected[name] = digest
    return expected
