"""Plain-text tables, fields, sizes, times and one-line values for the command line; stdlib only.

Everything shown here may come from a store, which is untrusted input: every text path goes
through :func:`printable`, so a label cannot move the cursor, recolour the terminal or reverse
the text after it.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

__all__ = [
    "Progress",
    "human_size",
    "print_fields",
    "print_mapping",
    "print_table",
    "printable",
    "short_time",
    "summarize",
]

_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(value: object, *, keep_newlines: bool = False) -> str:
    """``str(value)`` with every character ``str.isprintable`` refuses written as an escape.

    The rule is ``repr``'s: C0 and C1 controls (ESC -> ``\\x1b``), DEL, bidi overrides and other
    format characters (U+202E -> ``\\u202e``), line separators, lone surrogates and unassigned
    code points are escaped; letters of every script and the space stay as they are. Backslashes
    are left alone, so escaping twice changes nothing. ``keep_newlines`` keeps line breaks of a
    multi-line message (each line is still escaped).
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():
        return text
    if keep_newlines:
        return "\n".join(printable(line) for line in text.split("\n"))
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, out: TextIO | None = None) -> None:
    """Print rows under upper-cased headers, each column as wide as its widest cell; the last column is not padded."""
    out = out or sys.stdout
    text_rows = [[_cell(value) for value in row] for row in rows]
    table = [[printable(header.upper()) for header in headers], *text_rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    for row in table:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, row[-1]]).rstrip(), file=out)


def _cell(value: object) -> str:
    # One row per record: a newline inside a cell is escaped like any control, not printed.
    return "-" if value is None else printable(value)


def print_fields(fields: Sequence[tuple[str, object]], *, out: TextIO | None = None) -> None:
    """``label:  value`` lines, the values lined up; None is shown as ``-``."""
    if not fields:
        return
    width = max(len(label) for label, _value in fields) + 1
    for label, value in fields:
        print(f"{(label + ':').ljust(width)}  {_cell(value)}", file=out or sys.stdout)


def print_mapping(title: str, mapping: Mapping[Any, object], *, separator: str = " = ", out: TextIO | None = None) -> None:
    """``title:`` and one indented ``key = value`` line per item (nothing for an empty mapping)."""
    if not mapping:
        return
    out = out or sys.stdout
    rows = [(printable(key), _cell(value)) for key, value in mapping.items()]
    width = max(len(key) for key, _value in rows)
    print(f"{printable(title)}:", file=out)
    for key, value in rows:
        print(f"  {key.ljust(width)}{separator}{value}", file=out)


def human_size(size: int | None) -> str:
    """``1536`` -> ``1.5 KiB``; bytes below 1 KiB are shown exactly."""
    if size is None:
        return "-"
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def short_time(iso: str | None) -> str:
    """An ISO timestamp as ``YYYY-MM-DD HH:MM:SS`` in local time (the text itself if it does not parse)."""
    if not iso:
        return "-"
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def summarize(value: Any, width: int = 72) -> str:
    """A one-line ``repr`` of *value*, cut to *width* characters; long strings say how long they are."""
    if isinstance(value, str) and len(value) > width:
        return f"<text, {len(value)} characters>"
    if isinstance(value, (bytes, bytearray)) and len(value) > width // 4:
        return f"<{len(value)} bytes>"
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


class Progress:
    """A one-line progress bar on a terminal stream: ``name  [#####-----]  45%  4.5/10.0 MiB``."""

    WIDTH = 30

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = printable(label)
        self.done = 0
        self.stream = stream or sys.stderr
        self._shown = -1
        self._length = 0

    def advance(self, count: int) -> None:
        self.done += count
        percent = min(100, self.done * 100 // self.total)
        if percent != self._shown:
            self._shown = percent
            filled = self.WIDTH * percent // 100
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            line = f"{self.label}  [{bar}] {percent:3d}%  {human_size(self.done)} / {human_size(self.total)}"
            # Pad over what a longer previous line left behind ("1023.9 KiB" -> "1.0 MiB").
            self.stream.write(f"\r{line.ljust(self._length)}")
            self._length = len(line)
            self.stream.flush()

    def finish(self) -> None:
        if self._shown >= 0:
            self.stream.write("\n")
            self.stream.flush()
