"""Find installed entry points of one group by reading distributions' metadata files directly.

``importlib.metadata`` costs about 50 ms on first use (it imports the email package and parses
every distribution's metadata); discovering plugins must stay cheap, so satchel reads the
``entry_points.txt`` of each ``*.dist-info`` / ``*.egg-info`` folder on ``sys.path`` itself, and a
distribution's name and version only for those that have entries in the group. A test checks the
result against ``importlib.metadata`` for the environment it runs in.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

__all__ = ["FoundEntryPoint", "scan_entry_points"]

_SUFFIXES = (".dist-info", ".egg-info")


class FoundEntryPoint:
    """One plugin found but not imported: its name, what it names (``module:attr``), its distribution,
    and where it came from (``entry point``, or ``builtin`` for core's own packagers)."""

    __slots__ = ("distribution", "name", "source", "value", "version")

    def __init__(self, name: str, value: str, distribution: str | None, version: str | None,
                 source: str = "entry point") -> None:
        self.name = name
        self.value = value
        self.distribution = distribution
        self.version = version
        self.source = source

    def __repr__(self) -> str:
        return f"FoundEntryPoint({self.name!r}, {self.value!r}, {self.distribution!r}, {self.version!r})"


def _normalize(name: str) -> str:
    return name.replace("-", "_").replace(".", "_").lower()


def _group_entries(text: str, group: str) -> list[tuple[str, str]]:
    """``(name, value)`` pairs of one ``[group]`` section of an entry_points.txt (INI) file."""
    found: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            # "module:attr [extra]": the extras do not change what is loaded.
            found.append((name.strip(), value.split("[", 1)[0].strip()))
    return found


def _name_and_version(folder: str) -> tuple[str | None, str | None]:
    metadata = os.path.join(folder, "METADATA" if folder.endswith(".dist-info") else "PKG-INFO")
    name = version = None
    try:
        with open(metadata, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    break  # the headers end at the first blank line
                key, _, value = line.partition(":")
                if key == "Name":
                    name = value.strip()
                elif key == "Version":
                    version = value.strip()
    except OSError:
        pass
    if name is None or version is None:
        stem = os.path.basename(folder).rsplit(".", 1)[0]
        guessed_name, _, guessed_version = stem.partition("-")
        name = name or guessed_name
        version = version or guessed_version.split("-", 1)[0] or None
    return name, version


def _metadata_folders(paths: Iterable[str]) -> Iterable[str]:
    for entry in paths:
        directory = entry or "."
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue  # a zip file, or a path that does not exist
        for name in names:
            if name.endswith(_SUFFIXES):
                yield os.path.join(directory, name)


def scan_entry_points(group: str, paths: Iterable[str] | None = None) -> list[FoundEntryPoint]:
    """Entry points of ``group`` from the distributions on ``paths`` (default ``sys.path``), sorted by name.

    Like ``importlib.metadata``, the first distribution of a name on the path wins.
    """
    seen: set[str] = set()
    found: list[FoundEntryPoint] = []
    for folder in _metadata_folders(sys.path if paths is None else paths):
        stem = os.path.basename(folder).rsplit(".", 1)[0]
        key = _normalize(stem.split("-", 1)[0])
        if key in seen:
            continue
        seen.add(key)
        try:
            with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            continue
        if f"[{group}]" not in text.replace(" ", ""):
            continue
        entries = _group_entries(text, group)
        if entries:
            distribution, version = _name_and_version(folder)
            found.extend(FoundEntryPoint(name, value, distribution, version) for name, value in entries)
    return sorted(found, key=lambda entry: entry.name)
