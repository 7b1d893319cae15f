"""What ``--json`` prints: a record as the one converter unstructures it, cut to its documented keys."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from satchel.artifacts import ArtifactRecord
from satchel.serde import converter

__all__ = [
    "ARTIFACT_KEYS",
    "ARTIFACT_SHOW_KEYS",
    "CANDIDATE_KEYS",
    "CODE_KEYS",
    "CODE_SHOW_KEYS",
    "FUNCTION_KEYS",
    "GC_KEYS",
    "OUTPUT_KEYS",
    "PLUGIN_KEYS",
    "PROBLEM_KEYS",
    "RUN_KEYS",
    "RUN_LISTING_KEYS",
    "STEP_KEYS",
    "WORKFLOW_KEYS",
    "documented",
    "print_json",
]

# The keys scripts may rely on, in the order they are printed; satchel.cli.JSON_KEYS describes them.
RUN_KEYS = (
    "uid", "name", "project", "handler", "status", "start", "end", "params", "inputs", "returns",
    "results", "outputs", "error", "traceback", "versions", "labels", "kind", "code", "environment",
    "workflow", "steps",
)
RUN_LISTING_KEYS = tuple(key for key in RUN_KEYS if key != "traceback")
ARTIFACT_KEYS = (
    "uri", "key", "project", "uid", "kind", "iteration", "tags", "size", "created", "producer", "run",
    "format", "artifact_type", "object_type",
)
ARTIFACT_SHOW_KEYS = (*ARTIFACT_KEYS, "hash", "files", "instructions", "labels", "extra", "preview")
CODE_KEYS = (
    "uri", "key", "project", "uid", "kind", "code_type", "language", "layout", "modules", "requirements",
    "target", "size", "digest", "tags", "created",
)
CODE_SHOW_KEYS = (*CODE_KEYS, "labels", "files", "notebook", "source")
FUNCTION_KEYS = ("name", "source", "handler", "requirements", "kind")
WORKFLOW_KEYS = ("name", "source", "handler", "arguments")
STEP_KEYS = ("uid", "name", "status", "error")
PLUGIN_KEYS = (
    "name", "status", "distribution", "version", "priority", "fallback", "source", "types",
    "packing_artifact_types", "unpacking_artifact_types", "default_packing_artifact_type", "error",
)
OUTPUT_KEYS = ("output", "hint", "type", "artifact_type", "winner", "packs_as", "note", "candidates")
CANDIDATE_KEYS = ("plugin", "priority", "accepted", "fallback", "winner", "reason")
PROBLEM_KEYS = ("uri", "file", "problem", "expected", "actual")
GC_KEYS = (
    "dry_run", "blobs_removed", "blob_bytes_removed", "blobs_kept", "tmp_removed", "tmp_bytes_removed",
    "bytes_removed",
)


def documented(record: Any, keys: Sequence[str], **computed: Any) -> dict[str, Any]:
    """``record`` unstructured, with the ``computed`` keys that are not its fields, cut to ``keys``.

    An artifact's files are shown as name, digest and size, whichever form its record has them in
    (records written before digests named their algorithm hold a bare ``sha256``)."""
    data = {**converter.unstructure(record), **computed}
    if isinstance(record, ArtifactRecord) and "files" in keys:
        data["files"] = [{"name": e.name, "digest": e.digest, "size": e.size} for e in record.files]
    return {key: data[key] for key in keys}


def print_json(data: Any, *, out: TextIO | None = None) -> None:
    """``data`` as indented JSON; non-ASCII letters stay readable, but no control reaches the terminal.

    ``json`` escapes C0 controls itself; what it would print raw and ``str.isprintable`` refuses
    (DEL, C1 controls such as CSI, bidi overrides, line separators, lone surrogates) is written as
    a ``\\uXXXX`` escape too, which every JSON reader decodes to the same string.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    print("\n".join(_escaped_line(line) for line in text.split("\n")), file=out or sys.stdout)


def _escaped_line(line: str) -> str:
    # Raw newlines are only the indentation's; anything else unprintable is inside a string.
    if line.isprintable():
        return line
    return "".join(c if c.isprintable() else _json_escape(c) for c in line)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as JSON writes it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
