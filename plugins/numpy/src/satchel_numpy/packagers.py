"""The NumPy packagers: arrays (tiny numeric ones as results, the rest as .npy or .npz files) and scalars."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

from satchel import Artifact, Packager, hookimpl
from satchel.callcontext import pickle_permission
from satchel.errors import PackingError, SatchelError, UnpackingError

if TYPE_CHECKING:
    from satchel import DataItem
    from satchel.artifacts import ArtifactRecord
    from satchel.previews import Preview, Reader

__all__ = ["NumpyArrayPackager", "NumpyScalarPackager"]

_MMAP_MODES = ("r", "c")  # the stored file is read-only: map it read-only or copy-on-write
_ORDERS = ("C", "F")
_ENCODINGS = (None, "base64")
#: The largest element a result's dtype may describe: NumPy allocates it per element before the
#: values are checked, and a result (a value in the run record) holds small elements anyway.
MAX_RESULT_ITEMSIZE = 1024**2
_MAX_DIMS = 64  # NumPy's own limit


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _result_dtype(what: str, spec: Any) -> Any:
    """The dtype a result's ``dtype`` instruction names, if a result may hold it."""
    from satchel_numpy import _codec

    try:
        dtype = _codec.dtype_from_spec(spec)
    except Exception as error:  # NumPy rejects a bad spec in many ways; say it once
        raise UnpackingError(
            f"{what}: instruction 'dtype' is {_short(spec)}, not a dtype NumPy makes ({type(error).__name__}: {error})"
        ) from error
    if dtype.hasobject or dtype.kind not in _codec.RESULT_KINDS:
        raise UnpackingError(
            f"{what}: instruction 'dtype' is {_short(spec)}, a dtype of Python objects, which a result never holds"
        )
    if dtype.itemsize > MAX_RESULT_ITEMSIZE:
        raise UnpackingError(
            f"{what}: instruction 'dtype' is {_short(spec)}, whose elements take {dtype.itemsize} bytes each; "
            f"a result's take at most {MAX_RESULT_ITEMSIZE} (larger arrays are stored as files)"
        )
    return dtype


def _check_result_layout(what: str, shape: Any, order: Any, encoding: Any) -> None:
    if shape is not None and not (
        isinstance(shape, list) and len(shape) <= _MAX_DIMS
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise UnpackingError(
            f"{what}: instruction 'shape' is {_short(shape)}; expected a list of at most {_MAX_DIMS} sizes, like [2, 3]"
        )
    if order not in _ORDERS:
        raise UnpackingError(f"{what}: instruction 'order' is {_short(order)}; expected 'C' or 'F'")
    if encoding not in _ENCODINGS:
        raise UnpackingError(f"{what}: instruction 'encoding' is {_short(encoding)}; expected 'base64' or none")


def _decoding_failed(what: str, error: Exception) -> UnpackingError:
    return UnpackingError(
        f"{what} does not fit its recorded dtype and shape ({type(error).__name__}: {error}); it was not "
        "written by satchel-numpy or was altered"
    )


def _is_memmap_hint(type_hint: Any) -> bool:
    import numpy as np

    return isinstance(type_hint, type) and issubclass(type_hint, np.memmap)


class NumpyArrayPackager(Packager):
    """NumPy arrays: a result when tiny and numeric, else an .npy (or .npz) file; dtype, shape and order exact."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = ("numpy.ndarray", "numpy.memmap")
    DEFAULT_PACKING_ARTIFACT_TYPE = "file"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"
    FORMAT_VERSION = 1
    REQUIRES: ClassVar[dict[str, str]] = {"numpy": "numpy"}
    #: Arrays of at most this many numeric or boolean elements are logged as results by default.
    MAX_RESULT_SIZE: ClassVar[int] = 10
    # The same as _files.FORMATS, which imports NumPy; this module must not.
    OPTION_CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"format": ("npy", "npz")}

    @hookimpl
    def satchel_render_preview(self, record: ArtifactRecord, read: Reader) -> Preview | None:
        """An .npy array's statistics and a histogram (a heatmap for 2-D) for the UI."""
        from satchel_numpy._preview import array_preview

        return array_preview(record, read)

    def get_default_packing_artifact_type(self, obj: Any) -> str:
        if obj.size <= self.MAX_RESULT_SIZE and obj.dtype.kind in "biufc":
            return "result"
        return "file"

    # -- result ---------------------------------------------------------------------------------

    def pack_result(self, obj: Any, key: str) -> Any:
        """The elements as nested JSON lists; dtype, shape and order go into the instructions."""
        from satchel_numpy import _codec

        if obj.dtype.hasobject:
            raise PackingError(
                f"cannot log {key!r} as a result: an array of dtype {obj.dtype} holds Python objects, "
                "which a JSON result cannot; log it as 'file' (an .npy with a pickle inside)"
            )
        value, instructions = _codec.encode_array(obj)
        return {key: value}, instructions

    def unpack_result(
        self,
        value: Any,
        dtype: Any = None,
        shape: list[int] | None = None,
        order: str = "C",
        encoding: str | None = None,
    ) -> Any:
        from satchel_numpy import _codec

        what = "the array result"
        _check_result_layout(what, shape, order, encoding)
        if dtype is not None:
            _result_dtype(what, dtype)
        try:
            return _codec.decode_array(value, dtype, shape, order, encoding)
        except SatchelError:
            raise
        except Exception as error:  # values that do not fit the dtype fail in many ways; say it once
            raise _decoding_failed(what, error) from error

    # -- file -----------------------------------------------------------------------------------

    def pack_file(
        self, obj: Any, key: str, format: str = "npy", compressed: bool = False, mmap: bool = False  # noqa: A002
    ) -> tuple[Artifact, dict[str, Any]]:
        """Save as ``npy`` (default) or ``npz`` (``compressed=True`` to deflate it).

        ``mmap=True`` records that unpacking should memory-map the stored file read-only
        (``npy`` only), for arrays too large to load comfortably.
        """
        from satchel_numpy import _codec, _files

        if format not in _files.FORMATS:
            raise PackingError(
                f"{key!r}: unknown array format {format!r}; use one of {', '.join(_files.FORMATS)}"
            )
        if not isinstance(compressed, bool) or not isinstance(mmap, bool):
            raise PackingError(f"{key!r}: 'compressed' and 'mmap' take True or False")
        if compressed and format != "npz":
            raise PackingError(f"{key!r}: compressed=True applies to format='npz' (.npy files are never compressed)")
        if mmap and format != "npy":
            raise PackingError(
                f"{key!r}: mmap=True needs format='npy'; arrays inside an .npz archive cannot be memory-mapped"
            )
        if mmap and obj.dtype.hasobject:
            raise PackingError(
                f"{key!r}: an array of dtype {obj.dtype} holds Python objects, which cannot be memory-mapped; "
                "drop mmap=True"
            )
        path = os.path.join(self.make_temp_dir(), f"{key}.{format}")
        _files.save_array(obj, path, format, key, compressed, self.create_file)
        instructions: dict[str, Any] = {"format": format}
        if mmap:
            instructions["mmap_mode"] = "r"
        if obj.dtype.hasobject:
            instructions["pickled"] = True
        preview: dict[str, Any] = {
            "dtype": str(obj.dtype)[:200],
            "shape": list(obj.shape),
            "order": _codec.layout(obj),
        }
        first = _codec.head(obj)
        if first is not None:
            preview["head"] = first
        artifact = Artifact(key=key, src_path=path, format=format, preview=preview)
        return artifact, instructions

    def unpack_file(
        self,
        data_item: DataItem,
        format: str | None = None,  # noqa: A002
        mmap_mode: str | None = None,
        pickled: bool = False,
        type_hint: Any = None,
    ) -> Any:
        """Load the array; memory-mapped (read-only) if it was packed with ``mmap=True`` or the
        parameter is annotated ``np.memmap``."""
        from satchel_numpy import _files

        what = f"artifact {data_item.key!r}"
        if format is not None and format not in _files.FORMATS:
            raise UnpackingError(f"{what}: instruction 'format' is {_short(format)}; expected one of {', '.join(_files.FORMATS)}")
        if not isinstance(pickled, bool):
            raise UnpackingError(f"{what}: instruction 'pickled' is {_short(pickled)}; expected true or false")
        if len(data_item.file_names) != 1:
            raise UnpackingError(
                f"artifact {data_item.key!r} has files {data_item.file_names}; satchel-numpy reads one "
                ".npy or .npz file"
            )
        if mmap_mode is None and _is_memmap_hint(type_hint):
            mmap_mode = "r"
        if format == "npy" and mmap_mode is None and not pickled:
            # Read once, verified as it is read, and wrapped where it lies: no second pass.
            array = _files.array_from_buffer(data_item.buffer(), data_item.key)
            if array is not None:
                return array
        path = data_item.local()
        if os.path.isdir(path):
            raise UnpackingError(
                f"artifact {data_item.key!r} has files {data_item.file_names}; satchel-numpy reads one "
                ".npy or .npz file"
            )
        fmt = format or _files.sniff_format(path)
        if fmt not in _files.FORMATS:
            raise UnpackingError(
                f"artifact {data_item.key!r} ({os.path.basename(path)}) is neither an .npy nor an .npz "
                "file; satchel-numpy reads arrays saved with np.save or np.savez"
            )
        if mmap_mode is not None and mmap_mode not in _MMAP_MODES:
            raise UnpackingError(
                f"{what}: instruction 'mmap_mode' is {_short(mmap_mode)}, not a read-only mode (a mapping "
                f"must never write to the stored file); use one of {', '.join(map(repr, _MMAP_MODES))}"
            )
        allowed = pickle_permission().get()
        if pickled and not allowed:
            raise _files.pickle_refused(data_item.key)  # before NumPy opens the file
        return _files.load_array(
            path, fmt, data_item.key, allow_pickle=allowed, mmap_mode=mmap_mode if fmt == "npy" else None
        )


class NumpyScalarPackager(Packager):
    """NumPy scalars as results that restore the same NumPy type, bit for bit."""

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = "numpy.generic"
    PACK_SUBCLASSES = True
    DEFAULT_PACKING_ARTIFACT_TYPE = "result"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "result"
    FORMAT_VERSION = 1
    REQUIRES: ClassVar[dict[str, str]] = {"numpy": "numpy"}

    def pack_result(self, obj: Any, key: str) -> Any:
        """The value as JSON (numbers, or text where JSON has none), its dtype in the instructions."""
        from satchel_numpy import _codec

        if obj.dtype.hasobject:
            raise PackingError(
                f"cannot log {key!r} as a result: a {type(obj).__name__} of dtype {obj.dtype} holds "
                "Python objects, which a JSON result cannot; log it as 'object'"
            )
        value, instructions = _codec.encode_scalar(obj)
        return {key: value}, instructions

    def unpack_result(self, value: Any, dtype: Any = None, encoding: str | None = None) -> Any:
        from satchel_numpy import _codec

        what = "the scalar result"
        _check_result_layout(what, None, "C", encoding)
        if dtype is None:
            return value
        wanted = _result_dtype(what, dtype)
        if wanted.kind in "US" and not isinstance(value, str):
            raise UnpackingError(f"{what} is {_short(value)}, but a {wanted} scalar is stored as text")
        try:
            return _codec.decode_scalar(value, dtype, encoding)
        except SatchelError:
            raise
        except Exception as error:  # values that do not fit the dtype fail in many ways; say it once
            raise _decoding_failed(what, error) from error
