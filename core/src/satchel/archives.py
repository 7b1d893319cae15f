"""Create and safely extract archives: relative names only, no links, bounded size, ratio and entry count."""

from __future__ import annotations

import bz2
import contextlib
import contextvars
import gzip
import lzma
import math
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, Literal, NoReturn

import attrs

from satchel.errors import UnsafeArchiveError

__all__ = [
    "ARCHIVE_FORMATS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_MAX_RATIO",
    "RATIO_FREE_BYTES",
    "ArchiveLimits",
    "UnsafeArchiveError",
    "current_limits",
    "extraction_limits",
    "make_archive",
    "safe_extract",
]

ARCHIVE_FORMATS = {"zip": ".zip", "tar": ".tar", "tar.gz": ".tar.gz", "tar.bz2": ".tar.bz2", "tar.xz": ".tar.xz"}
_TAR_MODES: dict[str, Literal["w", "w:gz", "w:bz2", "w:xz"]] = {
    "tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz",
}
DEFAULT_MAX_BYTES = 16 * 1024**3
#: An archive may expand to this many times its own size (beyond RATIO_FREE_BYTES).
DEFAULT_MAX_RATIO = 200.0
DEFAULT_MAX_ENTRIES = 100_000
#: Within that, an archive may hold ENTRY_FREE entries plus one per BYTES_PER_ENTRY of its own size:
#: a 5 MB zip may not make 50,000 files, a 1 GB dataset of small images may.
ENTRY_FREE = 10_000
BYTES_PER_ENTRY = 256
#: What any archive may expand to whatever its ratio: small archives of zeros are not bombs.
RATIO_FREE_BYTES = 8 * 1024**2

# Header blocks (and long-name or pax records) a tar stream holds besides its members' data: what
# reading one member's headers may take beyond the size limits, plus one generous pax record.
_TAR_HEADER_ALLOWANCE = 4 * 1024
_TAR_SLACK = 1024**2
_CHUNK = 1024**2
_MAX_PART_BYTES = 255  # the longest file name common filesystems take
_MAX_NAME_BYTES = 4096
_COMPRESSED_MAGIC = {b"\x1f\x8b": "tar.gz", b"BZh": "tar.bz2", b"\xfd7zXZ\x00": "tar.xz"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# What reading a damaged zip, tar or compressed stream raises, besides tarfile's and zipfile's own.
_READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, EOFError, OSError, zlib.error,
    lzma.LZMAError, NotImplementedError, RuntimeError, ValueError, OverflowError,
)


def _positive(value: float, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isnan(value):
        raise ValueError(f"{what} must be a positive number, not {value!r}")


@attrs.frozen
class ArchiveLimits:
    """How far extracting an archive may go; only the caller sets these, never the store.

    ``max_bytes`` caps the total size of the extracted files, ``max_ratio`` their total over the
    archive's own size (archives expanding to at most ``RATIO_FREE_BYTES`` are never refused for
    it), ``max_entries`` the number of members (files and folders).
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_ratio: float = DEFAULT_MAX_RATIO
    max_entries: int = DEFAULT_MAX_ENTRIES

    def __attrs_post_init__(self) -> None:
        _positive(self.max_bytes, "max_bytes")
        _positive(self.max_ratio, "max_ratio")
        _positive(self.max_entries, "max_entries")

    def with_overrides(self, max_bytes: int | None = None, max_ratio: float | None = None, max_entries: int | None = None) -> ArchiveLimits:
        """These limits with the ones given replaced."""
        return ArchiveLimits(
            max_bytes=self.max_bytes if max_bytes is None else max_bytes,
            max_ratio=self.max_ratio if max_ratio is None else max_ratio,
            max_entries=self.max_entries if max_entries is None else max_entries,
        )


# Set by the caller of unpack (extraction_limits), never from a store's instructions.
_limits: contextvars.ContextVar[ArchiveLimits | None] = contextvars.ContextVar("satchel_archive_limits", default=None)


def current_limits() -> ArchiveLimits:
    """The limits the caller set with :func:`extraction_limits`, else the defaults."""
    return _limits.get() or ArchiveLimits()


@contextlib.contextmanager
def extraction_limits(
    *, max_bytes: int | None = None, max_ratio: float | None = None, max_entries: int | None = None
) -> Iterator[ArchiveLimits]:
    """Extract archives under other limits while the block runs (around ``unpack`` or a run)::

        with extraction_limits(max_ratio=1000, max_entries=1_000_000):
            model_dir = project.unpack(uri)
    """
    limits = current_limits().with_overrides(max_bytes, max_ratio, max_entries)
    token = _limits.set(limits)
    try:
        yield limits
    finally:
        _limits.reset(token)


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
        # dereference: a symlink's content is stored, as zip does (extraction refuses links).
        with tarfile.open(target, _TAR_MODES[archive_format], dereference=True) as archive:
            for full, name in members:
                archive.add(full, name, recursive=False)
    return target


# -- Checking members ------------------------------------------------------------------------------


def _check_name(name: str, label: str) -> str:
    """The member's name as a clean relative path ('' for the archive's own root folder)."""
    normalized = name.replace("\\", "/")
    parts = [part for part in normalized.split("/") if part not in ("", ".")]
    problem = None
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        problem = "is absolute"
    elif ".." in parts:
        problem = "has a '..' part"
    elif any(ord(char) < 0x20 or ord(char) == 0x7F for char in normalized):
        problem = "contains a control character"
    elif any(len(part.encode("utf-8", "surrogateescape")) > _MAX_PART_BYTES for part in parts):
        problem = f"has a part longer than {_MAX_PART_BYTES} bytes"
    elif len(normalized.encode("utf-8", "surrogateescape")) > _MAX_NAME_BYTES:
        problem = f"is longer than {_MAX_NAME_BYTES} bytes"
    if problem is not None:
        raise UnsafeArchiveError(
            f"{label}: member {name!r} {problem}, so it would be written outside the target "
            "directory or not at all; archives may hold only relative paths like 'data/part-0.csv'"
        )
    return "/".join(parts)


def _check_layout(entries: list[tuple[str, bool]], label: str) -> None:
    """Refuse members that would land on each other: a name twice, a file where a folder is."""
    files: set[str] = set()
    folders: set[str] = set()
    for name, is_dir in entries:
        if not name:
            continue
        if name in files:
            what = "a folder" if is_dir else "a file"
            raise UnsafeArchiveError(
                f"{label}: {name!r} is given twice (as a file, then as {what}); an archive names each "
                "file once"
            )
        if not is_dir and name in folders:
            raise UnsafeArchiveError(f"{label}: {name!r} is a file, but it is also a folder of the archive")
        (folders if is_dir else files).add(name)
        parts = name.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    clash = sorted(files & folders)
    if clash:
        raise UnsafeArchiveError(
            f"{label}: {clash[0]!r} is a file, but other members are inside it as a folder; an "
            "archive cannot hold both"
        )


class _Budget:
    """What the limits leave: entries, and bytes by the size cap and by the compression ratio."""

    def __init__(self, label: str, archive_size: int, limits: ArchiveLimits) -> None:
        self.label = label
        self.archive_size = archive_size
        self.limits = limits
        self.ratio_cap = max(RATIO_FREE_BYTES, math.floor(archive_size * limits.max_ratio))
        self.byte_cap = min(limits.max_bytes, self.ratio_cap)
        scaled = ENTRY_FREE + archive_size // BYTES_PER_ENTRY
        # A caller who set max_entries meant that number; the default also scales with the size.
        self.entry_cap = limits.max_entries if limits.max_entries != DEFAULT_MAX_ENTRIES else min(DEFAULT_MAX_ENTRIES, scaled)

    def check_entries(self, count: int) -> None:
        if count > self.entry_cap:
            raise UnsafeArchiveError(
                f"{self.label} holds more than {self.entry_cap} entries (files and folders) for its "
                f"{self.archive_size} bytes; "
                "if you trust it, raise the limit: safe_extract(..., max_entries=N) or "
                "`with satchel.archives.extraction_limits(max_entries=N):` around the unpack"
            )

    def check_bytes(self, total: int) -> None:
        if total > self.limits.max_bytes:
            raise UnsafeArchiveError(
                f"{self.label} expands to at least {total} bytes, over the limit of "
                f"{self.limits.max_bytes}; if you trust it, raise max_bytes: safe_extract(..., "
                "max_bytes=N) or `with satchel.archives.extraction_limits(max_bytes=N):` around the unpack"
            )
        if total > self.ratio_cap:
            raise UnsafeArchiveError(
                f"{self.label} expands to at least {total} bytes from {self.archive_size}, over the "
                f"limit of {self.ratio_cap} for it: a compression ratio of {self.limits.max_ratio:g}:1 "
                f"(only archives expanding to at most {RATIO_FREE_BYTES} bytes may compress better), "
                "as a decompression bomb does; if you trust it, raise max_ratio: safe_extract(..., "
                "max_ratio=N) or `with satchel.archives.extraction_limits(max_ratio=N):` around the unpack"
            )


@contextlib.contextmanager
def _reading(label: str, kind: str) -> Iterator[None]:
    """Turn what a damaged archive makes zipfile, tarfile or a decompressor raise into UnsafeArchiveError."""
    try:
        yield
    except UnsafeArchiveError:
        raise
    except _READ_ERRORS as error:
        raise UnsafeArchiveError(
            f"{label} is not a readable {kind} archive (truncated or damaged: {type(error).__name__}: "
            f"{error}); nothing more was extracted"
        ) from error


# -- Writing members -------------------------------------------------------------------------------


def _inside(target_root: str, destination: str, label: str, name: str) -> None:
    real = os.path.realpath(os.path.dirname(destination))
    if os.path.commonpath([real, target_root]) != target_root:
        raise UnsafeArchiveError(f"{label}: member {name!r} would be written outside the target directory")


def _make_folder(target_dir: str, name: str, label: str) -> str:
    destination = os.path.join(target_dir, *name.split("/"))
    try:
        os.makedirs(destination, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as error:
        raise UnsafeArchiveError(f"{label}: member {name!r} clashes with a file already extracted ({error})") from error
    return destination


class _Folders:
    """The folders one extraction has made and checked to lie inside its target: each is made and
    resolved once, however many members it holds (nothing extracted is a link, so it stays so)."""

    def __init__(self, target_dir: str, label: str) -> None:
        self.target_dir = target_dir
        self.root = os.path.realpath(target_dir)
        self.label = label
        self._checked: set[str] = set()

    def ensure(self, folder: str, name: str) -> None:
        """Make ``folder`` (relative, posix) and check it is inside; ``name`` is the member, for errors."""
        if folder in self._checked:
            return
        if folder:
            _make_folder(self.target_dir, folder, self.label)
        _inside(self.root, os.path.join(self.target_dir, *folder.split("/"), "member"), self.label, name)
        self._checked.add(folder)


def _write_member(
    folders: _Folders, name: str, mode: int, read: Callable[[int], bytes], budget: _Budget, written: int, label: str,
) -> int:
    """Stream one member into a new file (never replacing one); returns the bytes written so far in all."""
    folders.ensure(os.path.dirname(name), name)
    destination = os.path.join(folders.target_dir, *name.split("/"))
    try:
        sink = open(destination, "xb")  # noqa: SIM115 - closed below; "x" never follows or replaces
    except (FileExistsError, IsADirectoryError) as error:
        raise UnsafeArchiveError(
            f"{label}: member {name!r} clashes with a file or folder already extracted (on this "
            f"filesystem the names may differ only in case); nothing was replaced ({error})"
        ) from error
    with sink:
        while True:
            chunk = read(_CHUNK)
            if not chunk:
                break
            written += len(chunk)
            budget.check_bytes(written)
            sink.write(chunk)
    if mode:
        # Keep the owner's execute bit (scripts), never setuid/setgid or write access for others.
        os.chmod(destination, (mode & 0o755) | 0o600)
    return written


def _reader(source: IO[bytes], label: str, kind: str) -> Callable[[int], bytes]:
    def read(size: int) -> bytes:
        with _reading(label, kind):
            return source.read(size)

    return read


# -- Zip -------------------------------------------------------------------------------------------


def _extract_zip(archive_path: str, target_dir: str, budget: _Budget, label: str) -> None:
    with _reading(label, "zip"):
        archive = zipfile.ZipFile(archive_path)
    with archive:
        infos = archive.infolist()
        budget.check_entries(len(infos))
        entries: list[tuple[str, bool]] = []
        declared = 0
        for info in infos:
            name = _check_name(info.filename, label)
            file_type = stat.S_IFMT(info.external_attr >> 16)
            if file_type == stat.S_IFLNK:
                raise UnsafeArchiveError(f"{label}: member {info.filename!r} is a symbolic link; links are not extracted")
            if file_type not in (0, stat.S_IFREG, stat.S_IFDIR) and not info.is_dir():
                raise UnsafeArchiveError(
                    f"{label}: member {info.filename!r} is a special file; only regular files and folders are extracted"
                )
            if info.flag_bits & 0x1:
                raise UnsafeArchiveError(f"{label}: member {info.filename!r} is encrypted; satchel extracts only plain archives")
            entries.append((name, info.is_dir()))
            declared += info.file_size
        _check_layout(entries, label)
        budget.check_bytes(declared)
        written = 0
        folders = _Folders(target_dir, label)
        for info, (name, is_dir) in zip(infos, entries, strict=True):
            if not name:
                continue
            if is_dir:
                _make_folder(target_dir, name, label)
                continue
            with _reading(label, "zip"):
                source = archive.open(info)
            with source:
                written = _write_member(
                    folders, name, info.external_attr >> 16 & 0o7777, _reader(source, label, "zip"),
                    budget, written, label,
                )


# -- Tar -------------------------------------------------------------------------------------------


class _BoundedStream:
    """A read-only stream over a (decompressed) tar stream that refuses to go past ``limit()`` bytes,
    so a bomb is stopped while it is being read, not after it has filled the disk or memory."""

    def __init__(self, raw: Any, limit: Callable[[], int], refuse: Callable[[int], NoReturn]) -> None:
        self._raw = raw
        self._limit = limit
        self._refuse = refuse
        self.mode = "rb"

    def read(self, size: int | None = -1) -> bytes:
        position = self._raw.tell()
        limit = self._limit()
        allowed = limit + 1 - position
        if size is None or size < 0 or size > allowed:
            size = max(allowed, 0)
        data: bytes = self._raw.read(size)
        if position + len(data) > limit:
            self._refuse(position + len(data))
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        target = offset if whence == os.SEEK_SET else self._raw.tell() + offset if whence == os.SEEK_CUR else None
        if target is not None and target > self._limit():
            self._refuse(target)
        position: int = self._raw.seek(offset, whence)
        return position

    def tell(self) -> int:
        position: int = self._raw.tell()
        return position


def _tar_compression(archive_path: str, archive_format: str | None) -> str:
    if archive_format is not None:
        return archive_format
    with open(archive_path, "rb") as handle:
        start = handle.read(6)
    return next((fmt for magic, fmt in _COMPRESSED_MAGIC.items() if start.startswith(magic)), "tar")


def _open_decompressed(raw: IO[bytes], compression: str) -> Any:
    if compression == "tar.gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "tar.bz2":
        return bz2.BZ2File(raw, "rb")
    if compression == "tar.xz":
        return lzma.LZMAFile(raw, "rb")
    return raw


def _extract_tar(archive_path: str, archive_format: str | None, target_dir: str, budget: _Budget, label: str) -> None:
    compression = _tar_compression(archive_path, archive_format)
    entries_seen = 0

    def limit() -> int:
        return budget.byte_cap + _TAR_SLACK + _TAR_HEADER_ALLOWANCE * (entries_seen + 1)

    def refuse(position: int) -> NoReturn:
        budget.check_bytes(position)  # names the limit that was hit
        raise UnsafeArchiveError(f"{label}: its tar headers take more than {limit()} bytes; it is not extracted")

    with open(archive_path, "rb") as raw, _open_decompressed(raw, compression) as stream:
        with _reading(label, compression):
            bounded = _BoundedStream(stream, limit, refuse)
            archive = tarfile.open(fileobj=bounded, mode="r:")  # type: ignore[call-overload]  # noqa: SIM115 - closed below
        with archive:
            members: list[tarfile.TarInfo] = []
            entries: list[tuple[str, bool]] = []
            declared = 0
            while True:
                with _reading(label, compression):
                    member = archive.next()
                if member is None:
                    break
                entries_seen += 1
                budget.check_entries(entries_seen)
                name = _check_name(member.name, label)
                if not (member.isfile() or member.isdir()):
                    raise UnsafeArchiveError(
                        f"{label}: member {member.name!r} is a link or special file; only regular "
                        "files and folders are extracted"
                    )
                declared += member.size if member.isfile() else 0
                budget.check_bytes(declared)
                members.append(member)
                entries.append((name, member.isdir()))
            _check_layout(entries, label)
            written = 0
            folders = _Folders(target_dir, label)
            for member, (name, is_dir) in zip(members, entries, strict=True):
                if not name:
                    continue
                if is_dir:
                    _make_folder(target_dir, name, label)
                    continue
                with _reading(label, compression):
                    source = archive.extractfile(member)
                if source is None:  # pragma: no cover - regular files always have data
                    continue
                with source:
                    before = written
                    written = _write_member(
                        folders, name, member.mode, _reader(source, label, compression), budget, written, label,
                    )
                if written - before != member.size:
                    raise UnsafeArchiveError(
                        f"{label}: member {member.name!r} holds {written - before} of its {member.size} "
                        "bytes; the archive is truncated"
                    )
            # Read to the end, so a compressed stream's checksum and length are checked too.
            with _reading(label, compression):
                while bounded.read(_CHUNK):
                    pass


# -- Extracting ------------------------------------------------------------------------------------


def _format_of(archive_path: str, archive_format: str | None, label: str) -> str:
    if archive_format is not None:
        if archive_format not in ARCHIVE_FORMATS:
            raise UnsafeArchiveError(
                f"{label}: unknown archive format {archive_format!r}; satchel extracts {', '.join(ARCHIVE_FORMATS)}"
            )
        return archive_format
    with open(archive_path, "rb") as handle:
        start = handle.read(4)
    return "zip" if start in _ZIP_MAGIC else "tar"


def safe_extract(
    archive_path: str,
    target_dir: str,
    max_bytes: int | None = None,
    *,
    max_ratio: float | None = None,
    max_entries: int | None = None,
    archive_format: str | None = None,
    label: str | None = None,
) -> str:
    """Extract a zip or tar archive into ``target_dir`` after checking every member; returns the dir.

    Refused with UnsafeArchiveError, before anything is written where possible and otherwise while
    streaming: absolute or '..' names, links and special files, a name given twice or both a file and
    a folder, an unreadable (truncated, damaged) archive, and more than the limits allow. Limits not
    given here come from :func:`extraction_limits`, else the defaults (16 GiB, a ratio of 200:1
    beyond 8 MiB, 100,000 entries). ``archive_format`` (one of ``ARCHIVE_FORMATS``) says how to read
    it; without it the format is told from the first bytes. ``label`` names the archive in errors.
    A file is never replaced; extract into a fresh directory.
    """
    limits = current_limits().with_overrides(max_bytes, max_ratio, max_entries)
    label = label or f"archive {os.path.basename(archive_path)!r}"
    try:
        size = os.path.getsize(archive_path)
        fmt = _format_of(archive_path, archive_format, label)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
        raise UnsafeArchiveError(f"{label}: {archive_path!r} is not an archive file ({error})") from error
    budget = _Budget(label, size, limits)
    os.makedirs(target_dir, exist_ok=True)
    if fmt == "zip":
        _extract_zip(archive_path, target_dir, budget, label)
    else:
        _extract_tar(archive_path, None if archive_format is None else fmt, target_dir, budget, label)
    return target_dir
