"""Write arrays to .npy/.npz files and read them back (imported only when packing or unpacking)."""

from __future__ import annotations

import warnings
import zipfile
from typing import Any

import numpy as np

from satchel import PickleFallbackWarning
from satchel.callcontext import pickling_forbidden
from satchel.errors import PackingError, PickleNotAllowedError, SatchelError, UnpackingError

__all__ = ["FORMATS", "load_array", "pickle_refused", "save_array", "sniff_format"]

FORMATS = ("npy", "npz")
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


def save_array(array: np.ndarray[Any, Any], path: str, fmt: str, member: str, compressed: bool) -> None:
    """Stream ``array`` into ``path``; ``np.save`` writes it chunk by chunk, never copying it whole."""
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
            with open(path, "wb") as handle:
                np.save(handle, array, allow_pickle=pickled)
        elif compressed:
            np.savez_compressed(path, allow_pickle=pickled, **{member: array})
        else:
            np.savez(path, allow_pickle=pickled, **{member: array})


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
