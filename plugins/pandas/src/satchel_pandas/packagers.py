"""The DataFrame and Series packagers; pandas and pyarrow are imported only inside their methods."""

from __future__ import annotations

import abc
import contextlib
import os
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from satchel import Artifact, DatasetArtifact, Packager, hookimpl
from satchel.errors import PackingError, SatchelError, UnpackingError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

    from satchel import DataItem
    from satchel.artifacts import ArtifactRecord
    from satchel.previews import Preview, Reader
    from satchel_pandas._io import Written

__all__ = ["FORMATS", "DataFramePackager", "FormatLossWarning", "SeriesPackager"]

FORMATS = ("parquet", "csv", "json", "feather")
_COMPRESSIONS = {
    "parquet": ("snappy", "gzip", "brotli", "zstd", "lz4", "none"),
    "feather": ("lz4", "zstd", "uncompressed"),
}
_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".json": "json",
             ".feather": "feather", ".arrow": "feather"}
#: A frame logged as a result lives in the run record, so it must stay small.
MAX_RESULT_CELLS = 10_000


class FormatLossWarning(UserWarning):
    """The chosen format cannot keep everything about the frame; the message lists what is lost."""


def _check_format(key: str, fmt: str, compression: str | None) -> None:
    if fmt not in FORMATS:
        raise PackingError(f"{key!r}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if compression is None:
        return
    if fmt not in _COMPRESSIONS:
        raise PackingError(
            f"{key!r}: compression applies to parquet and feather; a {fmt} file is written "
            "uncompressed (leave compression out)"
        )
    if compression not in _COMPRESSIONS[fmt]:
        raise PackingError(
            f"{key!r}: unknown {fmt} compression {compression!r}; use one of {', '.join(_COMPRESSIONS[fmt])}"
        )


def _warn_losses(key: str, fmt: str, losses: list[str]) -> None:
    if losses:
        warnings.warn(
            f"{key!r} as {fmt}: " + "; ".join(losses) + " (the satchel-pandas README lists what each "
            "format keeps)",
            FormatLossWarning,
            stacklevel=4,
        )


def _table_format(data_item: DataItem) -> str | None:
    """The table format of a one-file artifact: the format its record names, else its file's suffix."""
    if len(data_item.file_names) != 1:
        return None
    record = data_item.record
    recorded = record.format if record is not None else None
    if recorded:
        return _SUFFIXES.get(f".{recorded.lower()}") if isinstance(recorded, str) else None
    return _SUFFIXES.get(os.path.splitext(data_item.file_names[0])[1].lower())


def _format_of(data_item: DataItem) -> str:
    fmt = _table_format(data_item)
    if fmt is None:
        raise UnpackingError(
            f"artifact {data_item.key!r}: cannot tell the format of {data_item.file_names}; a table is "
            f"read from one file recorded as, or ending in, {', '.join(_SUFFIXES)}"
        )
    return fmt


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _check_instructions(what: str, fmt: object, layout: object, series: object) -> None:
    if fmt is not None and fmt not in FORMATS:
        raise UnpackingError(f"{what}: instruction 'format' is {_short(fmt)}; expected one of {', '.join(FORMATS)}")
    if layout is not None and not isinstance(layout, dict):
        raise UnpackingError(f"{what}: instruction 'layout' is {_short(layout)}; expected the JSON object satchel-pandas records")
    if series is not None and not (isinstance(series, dict) and "name" in series):
        raise UnpackingError(f"{what}: instruction 'series' is {_short(series)}; expected an object like {{'name': 'price'}}")


@contextlib.contextmanager
def _interpreting(what: str) -> Iterator[None]:
    """Say once, as satchel's error, that a table does not fit the layout recorded for it: pandas and
    Arrow refuse a planted layout with KeyError, TypeError, ValueError, ParserError and more."""
    try:
        yield
    except SatchelError:
        raise
    except Exception as error:
        raise UnpackingError(
            f"{what} does not fit the layout recorded for it ({type(error).__name__}: {error}); it was "
            "not written by satchel-pandas or was altered"
        ) from error


class _PandasPackager(Packager, abc.ABC):
    """Shared by the DataFrame and Series packagers: both store a frame."""

    DEFAULT_PACKING_ARTIFACT_TYPE = "dataset"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "dataset"
    FORMAT_VERSION = 1
    REQUIRES: ClassVar[dict[str, str]] = {"pandas": "pandas", "pyarrow": "pyarrow"}
    OPTION_CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"format": FORMATS}

    @abc.abstractmethod
    def _frame(self, obj: Any) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
        """``(frame, extra instructions, losses)`` for the object to pack."""

    @abc.abstractmethod
    def _restore(self, frame: pd.DataFrame, series: dict[str, Any] | None, type_hint: Any) -> Any:
        """The object to hand back from a frame just read."""

    def _write(self, obj: Any, key: str, fmt: str, compression: str | None, summary: bool) -> tuple[Written, dict[str, Any]]:
        _check_format(key, fmt, compression)
        from satchel_pandas import _io

        frame, extra, losses = self._frame(obj)
        try:
            written = _io.write(frame, self.make_temp_dir(), key, fmt, compression, summary)
        except ValueError as error:
            raise PackingError(f"{key!r} cannot be written as {fmt}: {error}") from error
        _warn_losses(key, fmt, losses + written.losses)
        return written, {"format": fmt, "layout": written.instructions, **extra}

    def pack_dataset(
        self, obj: Any, key: str, format: str = "parquet", compression: str | None = None  # noqa: A002
    ) -> tuple[DatasetArtifact, dict[str, Any]]:
        """A dataset: the table as Parquet (or ``format``), with its schema, row count and first rows."""
        written, instructions = self._write(obj, key, format, compression, summary=True)
        artifact = DatasetArtifact(
            key=key, src_path=written.path, format=format, schema=written.schema,
            row_count=written.rows, preview=written.preview,
        )
        return artifact, instructions

    def pack_file(
        self, obj: Any, key: str, format: str = "parquet", compression: str | None = None  # noqa: A002
    ) -> tuple[Artifact, dict[str, Any]]:
        """A file: the table as ``format`` (parquet, csv, json or feather)."""
        written, instructions = self._write(obj, key, format, compression, summary=False)
        return Artifact(key=key, src_path=written.path, format=format), instructions

    def _read(self, data_item: DataItem, fmt: str | None, layout: dict[str, Any] | None,
              series: dict[str, Any] | None, type_hint: Any) -> Any:
        from satchel_pandas import _io

        what = f"artifact {data_item.key!r}"
        _check_instructions(what, fmt, layout, series)
        fmt = fmt or _format_of(data_item)
        if layout is not None:
            with _interpreting(what):
                frame = _io.read(data_item, fmt, layout)
                return self._restore(frame, series, type_hint)
        # A file this plugin did not write (another plugin's artifact, a local file): pandas' defaults.
        try:
            frame = _io.read(data_item, fmt, None)
        except Exception as error:  # pandas and Arrow refuse a foreign file in many ways; say it once
            raise UnpackingError(
                f"artifact {data_item.key!r} ({', '.join(data_item.file_names)}) is not a {fmt} table "
                f"pandas can read: {type(error).__name__}: {error}"
            ) from error
        with _interpreting(what):
            return self._restore(frame, series, type_hint)

    def unpack_dataset(
        self, data_item: DataItem, format: str | None = None, layout: dict[str, Any] | None = None,  # noqa: A002
        series: dict[str, Any] | None = None, type_hint: Any = None,
    ) -> Any:
        return self._read(data_item, format, layout, series, type_hint)

    def unpack_file(
        self, data_item: DataItem, format: str | None = None, layout: dict[str, Any] | None = None,  # noqa: A002
        series: dict[str, Any] | None = None, type_hint: Any = None,
    ) -> Any:
        return self._read(data_item, format, layout, series, type_hint)

    def pack_result(self, obj: Any, key: str) -> Any:
        """A small table as a JSON result in the run record: ``{"columns": [...], "data": [[...]...]}``."""
        from satchel_pandas import _io

        frame, extra, losses = self._frame(obj)
        cells = frame.shape[0] * (frame.shape[1] + frame.index.nlevels)
        if cells > MAX_RESULT_CELLS:
            raise PackingError(
                f"{key!r}: a table of {frame.shape[0]} rows x {frame.shape[1]} columns is too big for a "
                f"result (at most {MAX_RESULT_CELLS} cells: results live in the run record); log it as "
                "'dataset' or 'file' instead"
            )
        try:
            document, layout, result_losses = _io.to_result(frame)
        except ValueError as error:
            raise PackingError(f"{key!r} cannot be logged as a result: {error}") from error
        _warn_losses(key, "result", losses + result_losses)
        return {key: document}, {"layout": layout, **extra}

    def unpack_result(
        self, value: Any, layout: dict[str, Any] | None = None, series: dict[str, Any] | None = None,
        type_hint: Any = None,
    ) -> Any:
        from satchel_pandas import _io

        what = "the table result"
        _check_instructions(what, None, layout, series)
        if not isinstance(value, dict):
            raise UnpackingError(f"{what} is {_short(value)}; a table result is an object of 'columns' and 'data'")
        with _interpreting(what):
            return self._restore(_io.from_result(value, layout), series, type_hint)


class DataFramePackager(_PandasPackager):
    """pandas DataFrames: a Parquet dataset by default, or a parquet/csv/json/feather file.

    It also makes a DataFrame from another plugin's one-file artifact recorded as csv, parquet, json
    or feather (a CSV logged as a path, say), when the caller's type hint asks for a DataFrame.
    """

    PACKABLE_OBJECT_TYPE = "pandas.DataFrame"

    @hookimpl
    def satchel_render_preview(self, record: ArtifactRecord, read: Reader) -> Preview | None:
        """A Parquet or Feather table's schema, row count and first rows for the UI, when its record has none."""
        from satchel_pandas._preview import table_preview

        return table_preview(record, read)

    def can_unpack_item(self, data_item: DataItem, obj_type: type | None, artifact_type: str | None) -> bool:
        if super().can_unpack_item(data_item, obj_type, artifact_type):
            return True
        return (
            obj_type is not None and self.match_distance(obj_type) is not None
            and _table_format(data_item) is not None
        )

    def _frame(self, obj: Any) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
        return obj, {}, []

    def _restore(self, frame: pd.DataFrame, series: dict[str, Any] | None, type_hint: Any) -> Any:
        import pandas as pd

        if isinstance(type_hint, type) and issubclass(type_hint, pd.Series):
            if frame.shape[1] != 1:
                raise UnpackingError(
                    f"a Series was asked for, but the stored table has {frame.shape[1]} columns; "
                    "annotate the parameter as pd.DataFrame and pick a column"
                )
            return frame.iloc[:, 0]
        return frame


class SeriesPackager(_PandasPackager):
    """pandas Series: stored as a one-column table (its name recorded), like a DataFrame."""

    PACKABLE_OBJECT_TYPE = "pandas.Series"

    def _frame(self, obj: Any) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
        from satchel_pandas._names import encode_name

        name, exact = encode_name(obj.name)
        header = obj.name if isinstance(obj.name, str) and obj.name else "values"
        losses = [] if exact else [f"the Series name {obj.name!r} is not a JSON value and comes back as text"]
        return obj.to_frame(name=header), {"series": {"name": name}}, losses

    def _restore(self, frame: pd.DataFrame, series: dict[str, Any] | None, type_hint: Any) -> Any:
        import pandas as pd

        from satchel_pandas._names import decode_name

        if frame.shape[1] != 1:
            raise UnpackingError(
                f"a Series is read from a one-column table, but this one has {frame.shape[1]} columns; "
                "annotate the parameter as pd.DataFrame"
            )
        values = frame.iloc[:, 0]
        if series is not None:
            values.name = decode_name(series["name"])
        if isinstance(type_hint, type) and issubclass(type_hint, pd.DataFrame):
            return values.to_frame()
        return values
