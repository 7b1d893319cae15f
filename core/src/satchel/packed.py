"""Packed: what packing an object produced — an artifact to store, or a result value."""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any

import attrs

from satchel.artifacts import Artifact, Producer

__all__ = ["Packed"]


@attrs.define(kw_only=True)
class Packed:
    """The outcome of packing one object under one key.

    Exactly one of ``artifact`` (files for the store) or ``value`` (a JSON-able result kept in the
    run record) is meaningful: ``artifact is None`` means a result. ``instructions`` are handed back
    to the packager's ``unpack_<type>`` method as keyword arguments.
    """

    key: str
    artifact_type: str
    producer: Producer
    object_type: str
    artifact: Artifact | None = None
    value: Any = None
    instructions: dict[str, Any] = attrs.field(factory=dict)
    clearing_paths: list[str] = attrs.field(factory=list)

    @property
    def is_result(self) -> bool:
        return self.artifact is None

    def clear(self) -> None:
        """Delete the temporary files the packager asked to have removed once stored."""
        self.clear_paths(self.clearing_paths)

    @staticmethod
    def clear_paths(paths: list[str]) -> None:
        """Delete each path (file or directory tree), emptying the list."""
        while paths:
            path = paths.pop()
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
