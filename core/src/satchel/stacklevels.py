"""Warnings that point at the caller's line, not at satchel's internals."""

from __future__ import annotations

import os
import sys

__all__ = ["outside_satchel"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def outside_satchel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` made by the caller of this function that names
    the first frame outside the satchel package (``skip_file_prefixes`` is Python 3.12+)."""
    frame = sys._getframe(1)  # the function about to warn: stacklevel 1
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level
