"""Where everything lives under a store root, and the checks that keep paths inside it."""

from __future__ import annotations

import re

from satchel.errors import StoreError
from satchel.names import is_valid_name
from satchel.store.hashing import ALGORITHMS, digest_problem
from satchel.uri import is_uid

__all__ = [
    "ARTIFACTS",
    "INDEX_FILE",
    "OBJECTS",
    "PROJECTS",
    "REFS",
    "RUNS",
    "TMP",
    "artifact_dir",
    "blob_folders",
    "blob_path",
    "check_document_path",
    "check_file_names",
    "metadata_path",
    "parse_metadata_path",
    "ref_dir",
    "ref_path",
    "run_path",
]

OBJECTS = "objects"
ARTIFACTS = "artifacts"
REFS = "refs"
RUNS = "runs"
PROJECTS = "projects"
TMP = "tmp"
INDEX_FILE = "index.sqlite"

# C0 and C1 controls, DEL, and the invisible or reordering characters that make a name display as
# another one (zero-width, bidi embeddings, overrides and isolates, the BOM).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_DOCUMENT_PART_RE = re.compile(r"[A-Za-z0-9_][-._A-Za-z0-9]*")
_PLAIN_NAME_RE = re.compile(r"[A-Za-z0-9_][-._A-Za-z0-9]{0,199}")
_MAX_FILE_NAME = 1024
# The most one file name may have on common filesystems (ext4, APFS, NTFS: 255).
_MAX_PART_BYTES = 255
_MAX_DOCUMENT_PART = 200
_MAX_DOCUMENT_PATH = 1024


def blob_path(digest: str) -> str:
    """``objects/<algorithm>/ab/cdef…`` for the digest ``<algorithm>:abcdef…``: the algorithm is part
    of the blob's id, and the first two hex digits fan the blobs out over 256 folders."""
    problem = digest_problem(digest)
    if problem is not None:
        raise StoreError(f"invalid digest {digest!r}: expected {problem}")
    algorithm, _sep, digits = digest.partition(":")
    return f"{OBJECTS}/{algorithm}/{digits[:2]}/{digits[2:]}"


def blob_folders() -> list[tuple[str, str]]:
    """(algorithm, folder) of each folder blobs live in: ``objects/blake3``, ``objects/sha256``."""
    return [(algorithm, f"{OBJECTS}/{algorithm}") for algorithm in ALGORITHMS]


def artifact_dir(project: str, key: str) -> str:
    return f"{ARTIFACTS}/{project}/{key}"


def metadata_path(project: str, key: str, uid: str) -> str:
    return f"{ARTIFACTS}/{project}/{key}/{uid}.json"


def parse_metadata_path(rel: str) -> tuple[str, str, str] | None:
    """(project, key, uid) of a well-formed metadata path, else None."""
    parts = rel.split("/")
    if len(parts) != 4 or parts[0] != ARTIFACTS or not parts[3].endswith(".json"):
        return None
    project, key, uid = parts[1], parts[2], parts[3][: -len(".json")]
    if not (is_valid_name(project) and is_valid_name(key) and is_uid(uid)):
        return None
    return project, key, uid


def ref_dir(project: str, key: str, iteration: int) -> str:
    """Tags of one iteration of a key; iteration folders keep tag names free of any encoding."""
    return f"{REFS}/{project}/{key}/{iteration}"


def ref_path(project: str, key: str, iteration: int, tag: str) -> str:
    return f"{ref_dir(project, key, iteration)}/{tag}"


def run_path(project: str, uid: str) -> str:
    return f"{RUNS}/{project}/{uid}.json"


def check_file_names(names: list[str], what: str) -> None:
    """Refuse file names that could leave the artifact's folder or clash with each other.

    A name is a relative posix path: parts separated by '/', none empty, '.' or '..', no
    backslash, colon, control or invisible/bidi character. No name may also be a folder of
    another name.
    """
    seen: set[str] = set()
    folders: set[str] = set()
    for name in names:
        problem = _file_name_problem(name)
        if problem is not None:
            raise StoreError(
                f"{what}: invalid file name {name!r}: {problem}; a file name is a relative "
                "posix path like 'data.csv' or 'images/0001.png'"
            )
        if name in seen:
            raise StoreError(f"{what}: the file name {name!r} is given twice; names must differ")
        seen.add(name)
        if "/" in name:
            parts = name.split("/")
            folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    clash = sorted(seen & folders) if folders else []
    if clash:
        raise StoreError(
            f"{what}: {clash[0]!r} is both a file and a folder of other files; rename one of them"
        )


def _file_name_problem(name: object) -> str | None:
    if isinstance(name, str) and _PLAIN_NAME_RE.fullmatch(name):
        return None  # the common case, decided at once: one short part of safe characters
    if not isinstance(name, str) or not name:
        return "it is empty or not a string"
    if len(name) > _MAX_FILE_NAME:
        return f"it is longer than {_MAX_FILE_NAME} characters"
    if _CONTROL_RE.search(name):
        return "it contains a control, invisible or bidi character"
    if "\\" in name:
        return "it contains a backslash"
    if ":" in name:
        return "it contains a colon (a drive or a stream on Windows)"
    if name.startswith("/"):
        return "it is absolute"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "it has an empty, '.' or '..' part"
    if any(len(part.encode("utf-8", "surrogatepass")) > _MAX_PART_BYTES for part in name.split("/")):
        return f"a part of it is longer than {_MAX_PART_BYTES} bytes, the most a file name may have"
    return None


def check_document_path(path: str) -> str:
    """A document path under ``projects/``: '/'-separated parts of letters, digits, '-', '_', '.'."""
    parts = path.split("/") if isinstance(path, str) and len(path) <= _MAX_DOCUMENT_PATH else []
    if not parts or any(
        _DOCUMENT_PART_RE.fullmatch(part) is None or ".." in part or len(part) > _MAX_DOCUMENT_PART
        for part in parts
    ):
        shown = path if not isinstance(path, str) or len(path) <= 80 else f"{path[:60]}…({len(path)} characters)"
        raise StoreError(
            f"invalid document path {shown!r}: expected a relative path like 'demo/project.yaml' "
            f"whose parts are 1-{_MAX_DOCUMENT_PART} letters, digits, '-', '_' and '.', without "
            f"'..', {_MAX_DOCUMENT_PATH} characters in all at most"
        )
    return path
