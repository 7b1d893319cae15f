"""Write arrays to .npy/.npz files and read them back (imported only when packing or unpacking)."""

from __future__ import annotations

import io
import math
import warnings
import zipfile
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from satchel import PickleFallbackWarning
from satchel.callcontext import pickling_forbidden
from satchel.errors import PackingError, PickleNotAllowedError, SatchelError, UnpackingError

__all__ = ["FORMATS", "array_from_buffer", "load_array", "pickle_refused", "save_array", "sniff_format"]

FORMATS = ("npy", "npz")
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


def save_array(
    array: np.ndarray[Any, Any],
    path: str,
    fmt: str,
    member: str,
    compressed: bool,
    create: Callable[[str], IO[bytes]] | None = None,
) -> None:
    """Write ``array`` to ``path`` without copying it whole.

    An ``.npy`` goes through ``create`` (the packager's `create_file`, hashed as it is written):
    the header, then a contiguous array's memory in one write; other arrays stream through
    ``np.save`` chunk by chunk.
    """
    pickled = bool(array.dtype.hasobject)
    if pickled and pickling_forbidden().get():
        raise PackingError(
            f"{member!r}: an array of dtype {array.dtype} holds Python objects, which .{fmt} can only "
            "store as a pickle, and the project's pickle policy forbids pickles; convert it to a "
            "numeric, string or structured dtype, or change the policy"
        )
    if pickled:
        warnings.warn(
            f"{member!r}: an array of dtype {array.dtype} holds Python objects, which .{fmt} can only "
            "store as a pickle; loading it back needs an explicit opt-in (allow_pickle). Convert it "
            "to a numeric, string or structured dtype to avoid the pickle.",
            PickleFallbackWarning,
            stacklevel=4,
        )
    with warnings.catch_warnings():
        # Non-latin-1 field names need .npy format 3.0, which NumPy warns about; every NumPy this
        # plugin supports reads it.
        warnings.filterwarnings("ignore", "Stored array in format 3.0", UserWarning)
        if fmt == "npy":
            with (create or _open_new)(path) as handle:
                _write_npy(handle, array, allow_pickle=pickled)
        elif compressed:
            np.savez_compressed(path, allow_pickle=pickled, **{member: array})
        else:
            np.savez(path, allow_pickle=pickled, **{member: array})


def _open_new(path: str) -> IO[bytes]:
    return open(path, "xb")


def _write_npy(handle: IO[bytes], array: np.ndarray[Any, Any], *, allow_pickle: bool) -> None:
    header = _plain_header(array)
    if header is None:
        np.save(handle, array, allow_pickle=allow_pickle)
        return
    handle.write(header)
    if array.size:
        # A contiguous array's memory in order is exactly what np.save writes after the header
        # (Fortran order for an array only Fortran-contiguous, as the header says).
        handle.write(array.ravel(order="K").view(np.uint8))  # type: ignore[call-overload]


def _plain_header(array: np.ndarray[Any, Any]) -> bytes | None:
    """The .npy header np.save would write, for a contiguous array of plain values; else None."""
    if array.dtype.hasobject or array.dtype.itemsize == 0:
        return None
    if not (array.flags.c_contiguous or array.flags.f_contiguous):
        return None
    fields = np.lib.format.header_data_from_array_1_0(array)
    for write_header in (np.lib.format.write_array_header_1_0, np.lib.format.write_array_header_2_0):
        out = io.BytesIO()
        try:
            write_header(out, fields)
        except ValueError:  # too long for version 1.0, or names needing 3.0 (UTF-8): np.save knows
            continue
        return out.getvalue()
    return None


class _HeaderReader:
    """Just enough of a file over a buffer for NumPy's header parser (which reads a few bytes)."""

    def __init__(self, view: memoryview) -> None:
        self.view = view
        self.offset = 0

    def read(self, count: int = -1) -> bytes:
        end = len(self.view) if count < 0 else self.offset + count
        data = bytes(self.view[self.offset : end])
        self.offset += len(data)
        return data


def array_from_buffer(view: memoryview, key: str) -> np.ndarray[Any, Any] | None:
    """The array an .npy file's bytes hold, over the buffer itself (no copy); None when it holds
    Python objects or a header version this fast path does not parse (load the file instead)."""
    reader = _HeaderReader(view)
    try:
        version = np.lib.format.read_magic(reader)  # type: ignore[arg-type]
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(reader)  # type: ignore[arg-type]
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(reader)  # type: ignore[arg-type]
        else:
            return None
    except ValueError as error:
        raise UnpackingError(f"artifact {key!r} is not a readable .npy file: {error}") from error
    if dtype.hasobject:
        return None
    count = math.prod(shape)
    expected = reader.offset + count * dtype.itemsize
    if len(view) < expected:
        raise UnpackingError(
            f"artifact {key!r} is not a readable .npy file: its header describes {count} items of "
            f"{dtype} ({expected} bytes with the header) but the file has {len(view)} bytes"
        )
    flat = np.frombuffer(view, dtype=dtype, count=count, offset=reader.offset)
    return flat.reshape(shape, order="F" if fortran else "C")


def sniff_format(path: str) -> str | None:
    """``"npy"`` or ``"npz"`` from the file's first bytes, or None for anything else."""
    with open(path, "rb") as handle:
        start = handle.read(len(_NPY_MAGIC))
    if start.startswith(_NPY_MAGIC):
        return "npy"
    if start.startswith(_ZIP_MAGIC):
        return "npz"
    return None


def pickle_refused(key: str) -> PickleNotAllowedError:
    return PickleNotAllowedError(
        f"artifact {key!r} is an array of Python objects, stored as a pickle; loading a pickle runs "
        "code from the file, so it needs an explicit opt-in: pass allow_pickle=True, set "
        "SATCHEL_ALLOW_PICKLE=1, or set the project's pickle policy to 'allow' — only for "
        "artifacts you trust"
    )


def load_array(
    path: str, fmt: str, key: str, *, allow_pickle: bool, mmap_mode: str | None
) -> np.ndarray[Any, Any]:
    """The array in ``path``; object arrays only with ``allow_pickle``, memory-mapped when asked."""
    try:
        if fmt == "npy":
            return _load_npy(path, key, allow_pickle=allow_pickle, mmap_mode=mmap_mode)
        with np.load(path, allow_pickle=allow_pickle) as archive:
            members = archive.files
            if len(members) != 1:
                raise UnpackingError(
                    f"artifact {key!r} is an .npz archive of {len(members)} arrays {members}; "
                    "satchel-numpy unpacks an .npz holding exactly one array (log several arrays "
                    "with a '*key' hint, one artifact each)"
                )
            return archive[members[0]]  # type: ignore[no-any-return]
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise pickle_refused(key) from None
        raise UnpackingError(f"artifact {key!r} is not a readable .{fmt} file: {error}") from error
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise UnpackingError(f"artifact {key!r} is not a readable .{fmt} file: {error}") from error
    except SatchelError:
        raise
    except Exception as error:  # a damaged header fails NumPy's parser in many ways; say it once
        raise UnpackingError(f"artifact {key!r} is not a readable .{fmt} file ({type(error).__name__}: {error})") from error


def _load_npy(path: str, key: str, *, allow_pickle: bool, mmap_mode: str | None) -> np.ndarray[Any, Any]:
    if mmap_mode is not None:
        try:
            return np.load(path, mmap_mode=mmap_mode)  # type: ignore[no-any-return, arg-type]
        except ValueError as error:
            if "Python objects" not in str(error):
                raise
        # Objects cannot be memory-mapped: load them normally, which still needs the opt-in.
    return np.load(path, allow_pickle=allow_pickle)  # type: ignore[no-any-return]
