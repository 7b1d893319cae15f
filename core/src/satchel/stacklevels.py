"""Warnings that point at the caller's line, not at satchel's internals."""

from __future__ import annotations

import os
import sys

import pluggy

__all__ = ["outside_satchel"]

# satchel's own files, and pluggy's, through which every hook call (and so every packager) runs.
_INTERNAL = tuple(os.path.dirname(os.path.abspath(path)) + os.sep for path in (__file__, pluggy.__file__))


def outside_satchel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` made by the caller of this function that names
    the first frame outside satchel and the pluggy hook calls it makes (``skip_file_prefixes`` is
    Python 3.12+)."""
    frame = sys._getframe(1)  # the function about to warn: stacklevel 1
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(_INTERNAL):
        frame = frame.f_back
        level += 1
    return level
