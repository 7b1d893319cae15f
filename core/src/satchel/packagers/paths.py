"""Built-in packager for files and directories named by a pathlib.Path or (as ``path``) a string."""

from __future__ import annotations

import os
import pathlib
import shutil
from typing import TYPE_CHECKING, Any, ClassVar

from satchel import tempdirs
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
        """
        from satchel.archives import safe_extract
        target_root = tempdirs.make_dir("path-")
        if is_dir:
            result = safe_extract(data_item.local(), os.path.join(target_root, name or data_item.key))
        else:
            result = os.path.join(target_root, name or os.path.basename(data_item.local()))
            shutil.copyfile(data_item.local(), result)
        return result if as_str else pathlib.Path(result)


def _suffix(path: str) -> str | None:
    suffix = pathlib.PurePath(path).suffix
    return suffix[1:].lower() if suffix else None
