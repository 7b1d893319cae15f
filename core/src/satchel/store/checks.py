"""Checks on what a caller hands to ``Store.log_artifact``, made before anything is written."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from satchel.artifacts import ARTIFACT_KINDS, FileSource, Producer
from satchel.errors import StoreError
from satchel.names import validate_name
from satchel.store.paths import check_file_names

__all__ = [
    "check_iteration",
    "check_json",
    "check_kind",
    "check_labels",
    "check_producer",
    "check_sources",
    "check_text",
    "tag_list",
]


def check_kind(kind: object, what: str) -> None:
    if kind not in ARTIFACT_KINDS:
        raise StoreError(
            f"{what}: unknown artifact kind {kind!r}; use one of {', '.join(ARTIFACT_KINDS)}"
        )


def check_iteration(iteration: object) -> None:
    if not isinstance(iteration, int) or isinstance(iteration, bool) or not (
        0 <= iteration <= 999_999_999
    ):
        raise StoreError(f"iteration must be a whole number 0-999999999, not {iteration!r}")


def tag_list(tags: Sequence[str] | str) -> list[str]:
    """Valid, distinct tag names in the order given (a lone string is one tag)."""
    if isinstance(tags, str):
        tags = [tags]
    unique: list[str] = []
    for tag in tags:
        validate_name(tag, "tag")
        if tag not in unique:
            unique.append(tag)
    return unique


def check_sources(files: Iterable[FileSource], what: str) -> list[FileSource]:
    """The sources sorted by name, each a FileSource with one of path or data and a safe name."""
    sources = list(files)
    for source in sources:
        if not isinstance(source, FileSource):
            raise StoreError(f"{what}: files must be satchel.artifacts.FileSource, not {source!r}")
        if (source.path is None) == (source.data is None):
            raise StoreError(
                f"{what}: file {source.name!r} needs exactly one of path (a local file) or data "
                "(bytes)"
            )
        if source.data is not None and not isinstance(source.data, (bytes, bytearray)):
            raise StoreError(f"{what}: file {source.name!r}: data must be bytes")
    check_file_names([source.name for source in sources], what)
    return sorted(sources, key=lambda source: source.name)


def check_json(value: object, what: str) -> None:
    """Refuse a metadata field that would not survive the trip to JSON."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise StoreError(f"{what} must be a dict, not {type(value).__name__}")
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} is not JSON-serialisable: {exc}") from exc


def check_producer(producer: object) -> None:
    if producer is None:
        return
    if not isinstance(producer, Producer):
        raise StoreError(f"producer must be a satchel.artifacts.Producer, not {producer!r}")
    if not (isinstance(producer.plugin, str)
            and all(isinstance(v, (str, type(None))) for v in (producer.distribution, producer.version))
            and isinstance(producer.format_version, int) and not isinstance(producer.format_version, bool)
            and 0 <= producer.format_version < 1 << 31):
        raise StoreError(
            f"producer {producer!r}: plugin must be text, distribution and version text or None, "
            "format_version a whole number 0 or more"
        )


def check_text(value: object, what: str) -> None:
    """Refuse a field that must be text (or None) and is not: it would not read back as itself."""
    if value is not None and not isinstance(value, str):
        raise StoreError(f"{what} must be text (a str) or None, not {type(value).__name__}")


def check_labels(labels: object, what: str) -> None:
    if labels is not None and not all(isinstance(v, str) for v in dict(labels).values()):  # type: ignore[call-overload]
        raise StoreError(f"{what}: labels map names to text (str values); got {labels!r}")
