"""Find installed entry points of one group by reading distributions' metadata files directly.

``importlib.metadata`` costs about 50 ms on first use (it imports the email package and parses
every distribution's metadata); discovering plugins must stay cheap, so satchel reads the
``entry_points.txt`` of each ``*.dist-info`` / ``*.egg-info`` folder on ``sys.path`` itself, and a
distribution's name and version only for those that have entries in the group. Where that scan
cannot look — a zip file on ``sys.path``, or a custom finder on ``sys.meta_path`` that finds
distributions of its own — it asks ``importlib.metadata`` for those places alone, so discovery
finds every plugin Python can import. Tests check the result against ``importlib.metadata``.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["FoundEntryPoint", "scan_entry_points"]

_SUFFIXES = (".dist-info", ".egg-info")


class FoundEntryPoint:
    """One plugin found but not imported: its name, what it names (``module:attr``), its distribution,
    where it came from (``entry point``, or ``builtin`` for core's own packagers) and where it is
    declared (the ``entry_points.txt`` file, when known)."""

    __slots__ = ("declared_in", "distribution", "name", "source", "value", "version")

    def __init__(self, name: str, value: str, distribution: str | None, version: str | None,
                 source: str = "entry point", declared_in: str | None = None) -> None:
        self.name = name
        self.value = value
        self.distribution = distribution
        self.version = version
        self.source = source
        self.declared_in = declared_in

    def __repr__(self) -> str:
        return f"FoundEntryPoint({self.name!r}, {self.value!r}, {self.distribution!r}, {self.version!r})"

    @property
    def written(self) -> str:
        """The entry point as its distribution declares it: ``name = module:attr``."""
        return f"{self.name} = {self.value}"

    def where(self) -> str:
        """Where the entry point is declared, for a message: a file, a distribution, or core itself."""
        if self.source == "builtin":
            return "in satchel's DEFAULT_PLUGINS"
        if self.declared_in is not None:
            owner = f" of {self.distribution} {self.version}" if self.distribution else ""
            return f"declared in {self.declared_in}{owner}"
        if self.distribution is not None:
            return f"declared by the distribution {self.distribution} {self.version}"
        return "declared by an unknown distribution"


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


def _sources(paths: Iterable[str]) -> Iterator[tuple[str, str | None]]:
    """``(metadata folder, None)`` for each distribution folder the scan reads itself, and
    ``(path entry, "metadata")`` for an entry it cannot list (a zip file), in ``paths`` order."""
    for entry in paths:
        directory = entry or "."
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            if os.path.isfile(directory):
                yield entry, "metadata"  # a zip file: zipimport reads it, and importlib.metadata does
            continue  # a path that does not exist
        for name in names:
            if name.endswith(_SUFFIXES):
                yield os.path.join(directory, name), None


def _custom_finders() -> list[Any]:
    """Finders on ``sys.meta_path`` besides the standard path finder that find distributions."""
    return [
        finder for finder in sys.meta_path
        if finder is not importlib.machinery.PathFinder and callable(getattr(finder, "find_distributions", None))
    ]


def _from_metadata(distributions: Iterable[Any], group: str, seen: set[str]) -> list[FoundEntryPoint]:
    """The entries of ``group`` of distributions ``importlib.metadata`` found, first of a name winning."""
    found: list[FoundEntryPoint] = []
    for dist in distributions:
        name = dist.metadata["Name"]
        if name is None or _normalize(name) in seen:
            continue
        seen.add(_normalize(name))
        path = getattr(dist, "_path", None)  # where the metadata lives, when the finder says
        declared_in = os.path.join(str(path), "entry_points.txt") if path is not None else None
        found.extend(
            FoundEntryPoint(ep.name, ep.value, name, dist.version, declared_in=declared_in)
            for ep in dist.entry_points if ep.group == group
        )
    return found


def scan_entry_points(group: str, paths: Iterable[str] | None = None) -> list[FoundEntryPoint]:
    """Entry points of ``group`` from the distributions on ``paths`` (default ``sys.path``, and any
    custom finder on ``sys.meta_path``), sorted by name.

    Like ``importlib.metadata``, the first distribution of a name wins: custom finders' first
    (they come before the path finder on ``sys.meta_path``), then ``paths`` in order.
    """
    seen: set[str] = set()
    found: list[FoundEntryPoint] = []
    finders = _custom_finders() if paths is None else []
    if finders:
        from importlib.metadata import DistributionFinder  # 50 ms: only when a custom finder is there

        for finder in finders:
            found.extend(_from_metadata(finder.find_distributions(DistributionFinder.Context()), group, seen))
    for folder, kind in _sources(sys.path if paths is None else paths):
        if kind == "metadata":
            from importlib.metadata import distributions  # 50 ms: only when a zip file is on the path

            found.extend(_from_metadata(distributions(path=[folder]), group, seen))
            continue
        stem = os.path.basename(folder).rsplit(".", 1)[0]
        key = _normalize(stem.split("-", 1)[0])
        if key in seen:
            continue
        seen.add(key)
        declared_in = os.path.join(folder, "entry_points.txt")
        try:
            with open(declared_in, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            continue
        if f"[{group}]" not in text.replace(" ", ""):
            continue
        entries = _group_entries(text, group)
        if entries:
            distribution, version = _name_and_version(folder)
            found.extend(
                FoundEntryPoint(name, value, distribution, version, declared_in=declared_in) for name, value in entries
            )
    return sorted(found, key=lambda entry: entry.name)
