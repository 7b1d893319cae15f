"""A store for the UI's tests, made with core alone: two runs linked by an artifact, a failed run,
and one artifact of each kind, with hostile text (script tags, event handlers) wherever text goes."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import attrs

from satchel.artifacts import ArtifactRecord, FileSource, Producer
from satchel.store import Store

__all__ = ["HOSTILE", "UiStore", "make_ui_store", "png"]

#: Text that would run a script if a page put it into HTML unescaped.
HOSTILE = '<script>window.pwned=1;alert("x")</script><img src=x onerror="alert(1)">'
PROJECT = "demo"


def png(width: int = 4, height: int = 3) -> bytes:
    """A tiny RGB PNG, made without Pillow."""
    raw = b"".join(b"\x00" + b"".join(bytes((x * 60 % 256, y * 80 % 256, 90)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@attrs.frozen
class UiStore:
    store: Store
    project: str
    prepare: str  # the run that made image, table, prompt, features, source, model, notes
    consume: str  # the run that took image and table as inputs
    failed: str
    records: dict[str, ArtifactRecord]


def _run(uid: str, name: str, start: str, end: str, **fields: Any) -> dict[str, Any]:
    return {
        "uid": uid, "project": PROJECT, "name": name, "handler": f"handlers:{name}", "status": "completed",
        "start": start, "end": end, "params": {}, "inputs": {}, "outputs": {}, "results": {}, "returns": [],
        "error": None, "traceback": None, "labels": {}, "kind": "function", "code": None,
        "versions": {"python": "3.11.7", "satchel": "0.1.0", "plugins": {"builtins": "0.1.0"}}, **fields,
    }


def make_ui_store(store: Store) -> UiStore:
    """Fill *store* (empty) with the UI test data."""
    producer = Producer("builtins", "satchel", "0.1.0")
    prepare, consume, failed = "a" * 28 + "0001", "a" * 28 + "0002", "a" * 28 + "0003"

    def log(key: str, kind: str, files: list[FileSource], **fields: Any) -> ArtifactRecord:
        return store.log_artifact(project=PROJECT, key=key, kind=kind, files=files, producer=producer,
                                  run=fields.pop("run", prepare), **fields)

    records = {
        "image": log("image", "plot", [FileSource("image.png", data=png())], format="png",
                     preview={"width": 4, "height": 3, "mode": "RGB"}, labels={"note": HOSTILE}),
        "table": log("table", "dataset", [FileSource("table.parquet", data=b"PAR1 not really PAR1")],
                     format="parquet", extra={"row_count": 1_000_000, "schema": [
                         {"name": "id", "type": "int64"}, {"name": HOSTILE, "type": "object"}]},
                     preview={"columns": ["id", HOSTILE], "rows": [["0", HOSTILE], ["1", None]]}),
        "prompt": log("prompt", "prompt", [FileSource("prompt.json", data=b"{}")], format="json",
                      extra={"input_variables": ["topic"]},
                      preview={"template": f"Tell me about {{topic}} {HOSTILE}",
                               "messages": [{"role": "human", "template": f"Tell me about {{topic}} {HOSTILE}"}]}),
        "features": log("features", "file", [FileSource("features.npy", data=b"\x93NUMPY")], format="npy",
                        preview={"dtype": "float32", "shape": [2, 3], "head": [0.5, 1.5, HOSTILE]}),
        "source": log("source", "code", [FileSource("train.py", data=f"def main():\n    return '{HOSTILE}'\n".encode())],
                      extra={"code_type": "function", "language": "python", "requirements": ["numpy>=1.26"]}),
        "model": log("model", "model", [
            FileSource("model-card.md", data=f"# Card\n\nA model. {HOSTILE}\n\n[click](javascript:alert(1))\n".encode()),
            FileSource("model.bin", data=b"\x00\x01"),
        ], extra={"framework": "scikit-learn", "version": "1", "metrics": {"accuracy": 0.93},
                  "signature": {"inputs": [{"name": "x", "dtype": "float64", "shape": [None, 4]}], "outputs": []}}),
        "notes": log("notes", "file", [FileSource("notes.txt", data=f"hello {HOSTILE}".encode())], format="txt"),
    }
    store.save_run(PROJECT, prepare, _run(
        prepare, "prepare", "2026-01-01T10:00:00+00:00", "2026-01-01T10:00:02.5+00:00",
        params={"rows": 2000, "label": HOSTILE}, results={"score": 0.5, "echo": HOSTILE},
        outputs={key: record.uri for key, record in records.items()}, labels={"owner": HOSTILE},
    ))
    summary = log("summary", "file", [FileSource("summary.json", data=json.dumps({"ok": True}).encode())],
                  format="json", run=consume)
    records["summary"] = summary
    store.save_run(PROJECT, consume, _run(
        consume, "consume", "2026-01-01T10:01:00+00:00", "2026-01-01T10:01:00.2+00:00",
        inputs={"img": records["image"].uri, "table": records["table"].uri}, outputs={"summary": summary.uri},
        code={"uri": records["source"].uri, "handler": "train:main"},
    ))
    store.save_run(PROJECT, failed, _run(
        failed, f"broken {HOSTILE}", "2026-01-01T10:02:00+00:00", "2026-01-01T10:02:01+00:00", status="failed",
        error=f"ValueError: bad input {HOSTILE}", traceback=f"Traceback (most recent call last):\n  {HOSTILE}\nValueError",
    ))
    return UiStore(store, PROJECT, prepare, consume, failed, records)
