"""What a preview of an artifact is made of: plain data blocks that the UI renders (and escapes).

A plugin's ``satchel_render_preview`` answers with a :class:`Preview`; it never writes markup, so
nothing a plugin reads from a store can reach a page unescaped. Each block is one thing a person
looks at: facts, a table, text with marked variables, an image file of the artifact, a histogram,
a heatmap, markdown (rendered with raw HTML disabled) or source code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

__all__ = [
    "MAX_READ_BYTES",
    "Block",
    "Code",
    "Facts",
    "Heatmap",
    "Histogram",
    "Image",
    "Markdown",
    "Preview",
    "Reader",
    "Table",
    "Text",
]

#: The most a preview may ask ``read`` for (bigger files are not read: the preview says so).
MAX_READ_BYTES = 32 * 1024 * 1024

#: ``read(name)``: the verified bytes of one file of the record (its only file when None);
#: raises ``satchel.errors.IntegrityError`` when they do not match, a SatchelError above MAX_READ_BYTES.
Reader = Callable[[str | None], bytes]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _cells(rows: Sequence[Sequence[Any]]) -> list[list[str | None]]:
    return [[None if cell is None else _text(cell) for cell in row] for row in rows]


def _pairs(items: Sequence[tuple[Any, Any]]) -> list[tuple[str, str]]:
    return [(_text(name), _text(value)) for name, value in items]


def _texts(values: Sequence[Any]) -> list[str]:
    return [_text(value) for value in values]


def _ints(values: Sequence[Any]) -> list[int]:
    return [int(value) for value in values]


def _floats(values: Sequence[Any]) -> list[float]:
    return [float(value) for value in values]


def _grid(rows: Sequence[Sequence[Any]]) -> list[list[float]]:
    return [[float(value) for value in row] for row in rows]


def _blocks(blocks: Sequence[Block]) -> list[Block]:
    return list(blocks)


@attrs.frozen
class Facts:
    """Name/value pairs: shape, dtype, row count, framework…"""

    items: list[tuple[str, str]] = attrs.field(converter=_pairs)
    title: str | None = None


@attrs.frozen
class Table:
    """A table of text cells (None shows as an empty, marked cell)."""

    columns: list[str] = attrs.field(converter=_texts)
    rows: list[list[str | None]] = attrs.field(converter=_cells)
    title: str | None = None
    note: str | None = None


@attrs.frozen
class Text:
    """Preformatted text; every ``{name}`` whose name is in ``variables`` is marked."""

    text: str = attrs.field(converter=_text)
    variables: list[str] = attrs.field(factory=list, converter=_texts)
    title: str | None = None


@attrs.frozen
class Image:
    """A file of the artifact shown as an image (PNG, JPEG, GIF or WebP; served verified).

    With ``thumbnail`` the page shows the small image in the record's ``preview["thumbnail"]`` (a
    PNG or JPEG ``data:`` URI) and links to the file, so a large image is not sent to be looked at.
    """

    file: str | None = None
    title: str | None = None
    thumbnail: bool = False


@attrs.frozen
class Histogram:
    """Bar heights over bins: ``edges`` has one more number than ``counts``."""

    counts: list[int] = attrs.field(converter=_ints)
    edges: list[float] = attrs.field(converter=_floats)
    title: str | None = None


@attrs.frozen
class Heatmap:
    """A small 2-D grid of numbers (rows of equal length), drawn as coloured cells."""

    values: list[list[float]] = attrs.field(converter=_grid)
    title: str | None = None


@attrs.frozen
class Markdown:
    """Markdown text (a model card); raw HTML in it is shown as text, never as markup."""

    text: str = attrs.field(converter=_text)
    title: str | None = None


@attrs.frozen
class Code:
    """Source code, shown escaped (highlighted when Pygments is installed)."""

    source: str = attrs.field(converter=_text)
    language: str | None = "python"
    title: str | None = None


Block = Facts | Table | Text | Image | Histogram | Heatmap | Markdown | Code


@attrs.frozen
class Preview:
    """A preview: its blocks in order, and a one-line summary for listings."""

    blocks: list[Block] = attrs.field(factory=list, converter=_blocks)
    summary: str | None = None
