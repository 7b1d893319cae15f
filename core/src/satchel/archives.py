"""Create and safely extract archives: no absolute paths, no escaping '..', no links, bounded size."""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from typing import Literal

__all__ = ["ARCHIVE_FORMATS", "UnsafeArchiveError", "make_archive", "safe_extract"]

ARCHIVE_FORMATS = {"zip": ".zip", "tar": ".tar", "tar.gz": ".tar.gz", "tar.bz2": ".tar.bz2", "tar.xz": ".tar.xz"}
_TAR_MODES: dict[str, Literal["w", "w:gz", "w:bz2", "w:xz"]] = {
    "tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz",
}
DEFAULT_MAX_BYTES = 16 * 1024**3


class UnsafeArchiveError(ValueError):
    """An archive member would land outside the target, is a link or device, or the archive is too big."""


def make_archive(source_dir: str, target: str, archive_format: str = "zip") -> str:
    """Archive ``source_dir``'s contents (sorted, relative names) into ``target``; returns ``target``."""
    if archive_format not in ARCHIVE_FORMATS:
        raise ValueError(f"unknown archive format {archive_format!r}; use one of {', '.join(ARCHIVE_FORMATS)}")
    members: list[tuple[str, str]] = []
    for root, dirs, files in os.walk(source_dir):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            members.append((full, os.path.relpath(full, source_dir).replace(os.sep, "/")))
    if archive_format == "zip":
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for full, name in members:
                archive.write(full, name)
    else:
        with tarfile.open(target, _TAR_MODES[archive_format]) as archive:
            for full, name in members:
                archive.add(full, name, recursive=False)
    return target


def _check_name(name: str, archive: str) -> str:
    normalized = name.replace("\\", "/")
    parts = [part for part in normalized.split("/") if part not in ("", ".")]
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":") or ".." in parts:
        raise UnsafeArchiveError(
            f"archive {archive!r}: member {name!r} would be written outside the target directory; "
            "archives may hold only relative paths without '..'"
        )
    return "/".join(parts)


def safe_extract(archive_path: str, target_dir: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Extract a zip or tar archive into ``target_dir`` after checking every member; returns the dir."""
    os.makedirs(target_dir, exist_ok=True)
    total = 0
    if zipfile.is_zipfile(archive_path):
        with zipfile.ZipFile(archive_path) as archive:
            infos = archive.infolist()
            for info in infos:
                _check_name(info.filename, archive_path)
                mode = info.external_attr >> 16
                if mode and (mode & 0o170000) == 0o120000:
                    raise UnsafeArchiveError(f"archive {archive_path!r}: member {info.filename!r} is a symbolic link; links are not extracted")
                total += info.file_size
            if total > max_bytes:
                raise UnsafeArchiveError(f"archive {archive_path!r} expands to {total} bytes, over the limit of {max_bytes}; raise max_bytes if you trust it")
            for info in infos:
                name = _check_name(info.filename, archive_path)
                if not name:
                    continue
                destination = os.path.join(target_dir, *name.split("/"))
                if info.is_dir():
                    os.makedirs(destination, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                with archive.open(info) as source, open(destination, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1024 * 1024)
        return target_dir
    if not tarfile.is_tarfile(archive_path):
        raise UnsafeArchiveError(f"{archive_path!r} is neither a zip nor a tar archive")
    with tarfile.open(archive_path) as archive:
        members = archive.getmembers()
        for member in members:
            _check_name(member.name, archive_path)
            if not (member.isfile() or member.isdir()):
                raise UnsafeArchiveError(
                    f"archive {archive_path!r}: member {member.name!r} is a link or special file; "
                    "only regular files and directories are extracted"
                )
            total += member.size
        if total > max_bytes:
            raise UnsafeArchiveError(f"archive {archive_path!r} expands to {total} bytes, over the limit of {max_bytes}; raise max_bytes if you trust it")
        archive.extractall(target_dir, members=members, filter="data")
    return target_dir
