"""Built-in packager for files and directories named by a pathlib.Path or (as ``path``) a string."""

from __future__ import annotations

import os
import pathlib
import shutil
from typing import TYPE_CHECKING, Any, ClassVar

from satchel import tempdirs
from satchel.errors import StoreError, UnpackingError
from satchel.packagers.base import Packager
from satchel.priorities import BUILTIN_PRIORITY

if TYPE_CHECKING:
    from satchel.artifacts import Artifact
    from satchel.dataitem import DataItem

__all__ = ["PathPackager"]


# Pure paths name a path without touching a filesystem; they come back as the same kind.
_PURE_PATHS: dict[str, type[pathlib.PurePath]] = {
    "PurePosixPath": pathlib.PurePosixPath, "PureWindowsPath": pathlib.PureWindowsPath,
}


class PathPackager(Packager):
    """A file is stored as it is; a directory as an archive (zip by default), restored on unpack."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = (pathlib.PurePath, str)
    PACK_SUBCLASSES = True
    DEFAULT_PACKING_ARTIFACT_TYPE = "path"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "path"
    PRIORITY = BUILTIN_PRIORITY

    def can_pack_type(self, obj_type: type, artifact_type: str | None) -> bool:
        # A plain string is text unless the hint says it is a path ("key : path").
        if issubclass(obj_type, str):
            return obj_type is str and artifact_type == "path"
        return super().can_pack_type(obj_type, artifact_type)

    def pack_result(self, obj: Any, key: str) -> Any:
        """The path's text itself, as a result (the file is not stored)."""
        return {key: os.fspath(obj)}, {"as_str": isinstance(obj, str), "path_type": type(obj).__name__}

    def unpack_result(self, value: Any, as_str: bool = False, path_type: str | None = None) -> Any:
        what = "the path result"
        _check_flag(what, "as_str", as_str)
        if not isinstance(value, str):
            raise UnpackingError(f"{what} is {_short(value)}, not the text of a path; it cannot be restored")
        if path_type is not None and not isinstance(path_type, str):
            raise UnpackingError(
                f"{what}: instruction 'path_type' is {_short(path_type)}; expected a class name such as 'PosixPath'"
            )
        if as_str:
            return value
        return _PURE_PATHS.get(path_type or "", pathlib.Path)(value)

    def pack_path(self, obj: Any, key: str, archive_format: str = "zip") -> tuple[Artifact, dict[str, Any]]:
        """Store the file at ``obj``, or the directory archived as ``archive_format``."""
        from satchel.archives import ARCHIVE_FORMATS, make_archive
        from satchel.artifacts import Artifact, DirArtifact

        path = os.fspath(obj)
        as_str = isinstance(obj, str)
        if os.path.isfile(path):
            artifact = Artifact(key=key, src_path=path, format=_suffix(path))
            return artifact, {"is_dir": False, "as_str": as_str, "name": os.path.basename(path)}
        if not os.path.isdir(path):
            raise FileNotFoundError(f"{key!r}: {path!r} is neither a file nor a directory; return an existing path")
        if archive_format not in ARCHIVE_FORMATS:
            raise ValueError(f"{key!r}: unknown archive_format {archive_format!r}; use one of {', '.join(ARCHIVE_FORMATS)}")
        target = os.path.join(self.make_temp_dir(), key + ARCHIVE_FORMATS[archive_format])
        make_archive(path, target, archive_format)
        artifact = DirArtifact(key=key, src_path=target, format=archive_format)
        name = os.path.basename(os.path.normpath(path))
        return artifact, {"is_dir": True, "as_str": as_str, "archive_format": archive_format, "name": name}

    def unpack_path(self, data_item: DataItem, is_dir: bool = False, as_str: bool = False,
                    archive_format: str | None = None, name: str | None = None) -> Any:
        """A path to a private copy: the file, or the extracted directory, under its stored name.

        It lives in this process's satchel folder under the system temp directory and is removed
        when the process exits; delete it sooner yourself if you like (docs/temporary-files.md).
        The recorded name is checked before anything is written: one file or folder name, never a
        path that could lead elsewhere.
        """
        from satchel.archives import ARCHIVE_FORMATS, safe_extract

        what = f"artifact {data_item.key!r}"
        _check_flag(what, "is_dir", is_dir)
        _check_flag(what, "as_str", as_str)
        if archive_format is not None and not (isinstance(archive_format, str) and archive_format in ARCHIVE_FORMATS):
            raise UnpackingError(
                f"{what}: instruction 'archive_format' is {_short(archive_format)}; satchel extracts "
                f"{', '.join(ARCHIVE_FORMATS)}"
            )
        source = data_item.local()
        if name is not None:
            restored_name = _checked_name(what, "instruction 'name'", name)
        elif is_dir:
            restored_name = _checked_name(what, "its key", data_item.key)
        else:
            restored_name = _checked_name(what, "its file name", os.path.basename(source))
        if not is_dir and os.path.isdir(source):
            raise UnpackingError(
                f"{what} has {len(data_item.file_names)} files, but its instructions say it is one file; "
                "the path packager restores one file, or one folder from its archive"
            )
        target_root = tempdirs.make_dir("path-")
        result = os.path.join(target_root, restored_name)
        try:
            if is_dir:
                safe_extract(source, result, archive_format=archive_format, label=what)
            else:
                shutil.copyfile(source, result)
        except BaseException:
            tempdirs.forget(target_root)
            raise
        return result if as_str else pathlib.Path(result)


_MAX_NAME_BYTES = 255  # the longest file name common filesystems take


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _check_flag(what: str, instruction: str, value: object) -> None:
    if not isinstance(value, bool):
        raise UnpackingError(f"{what}: instruction {instruction!r} is {_short(value)}; expected true or false")


def _checked_name(what: str, source: str, name: object) -> str:
    """``name`` if it is one safe file or folder name: no separator, '..', control character or
    absolute path (the store's own file-name rule), and short enough for a filesystem."""
    from satchel.store.paths import check_file_names  # the store package is loaded only when unpacking

    try:
        check_file_names([name], f"{what}: {source}")  # type: ignore[list-item]  # any value: this checks it
    except StoreError as error:
        raise UnpackingError(f"{error}; here it is one name without '/', like 'weights.bin'; nothing was written") from None
    assert isinstance(name, str)
    try:
        encoded = os.fsencode(name)
    except UnicodeEncodeError:
        encoded = b"/"  # text the filesystem cannot hold is refused below
    if "/" in name or len(encoded) > _MAX_NAME_BYTES or b"/" in encoded:
        raise UnpackingError(
            f"{what}: {source} {_short(name)} is not one file or folder name (a name has no '/', is "
            f"valid text and at most {_MAX_NAME_BYTES} bytes, like 'weights.bin'); nothing was written"
        )
    return name


def _suffix(path: str) -> str | None:
    suffix = pathlib.PurePath(path).suffix
    return suffix[1:].lower() if suffix else None
