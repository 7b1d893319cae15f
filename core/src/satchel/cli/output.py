"""Plain-text tables, sizes, times and one-line values for the command line; stdlib only."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

__all__ = ["Progress", "human_size", "print_table", "short_time", "summarize"]


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, out: TextIO | None = None) -> None:
    """Print rows under upper-cased headers, each column as wide as its widest cell; the last column is not padded."""
    out = out or sys.stdout
    text_rows = [[_cell(value) for value in row] for row in rows]
    table = [[header.upper() for header in headers], *text_rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    for row in table:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, row[-1]]).rstrip(), file=out)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    text = str(value)
    # One row per record: a newline inside a cell would break the columns.
    return text.replace("\n", " ") if "\n" in text else text


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
        self.label = label
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
