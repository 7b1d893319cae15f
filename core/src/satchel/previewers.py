"""Core's generic previews, a plugin like any other: images, datasets, arrays, prompts, models, code, text.

The UI registers this module at the lowest priority, so a plugin that previews its own types wins,
and anything no plugin knows still shows its files. Everything here reads the record as untrusted
data: each field is checked for its type and cut to size before it becomes a block.
"""

from __future__ import annotations

import json
import posixpath
from typing import TYPE_CHECKING, Any

from satchel.hookspecs import hookimpl
from satchel.previews import MAX_READ_BYTES, Block, Code, Facts, Image, Markdown, Preview, Table, Text

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.previews import Reader

__all__ = ["IMAGE_TYPES", "INLINE_IMAGE_BYTES", "TEXT_BYTES", "satchel_render_preview"]

#: File extensions shown as images, with the content type they are served as.
IMAGE_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
}
#: An image file larger than this is shown by its record's thumbnail, when it has one.
INLINE_IMAGE_BYTES = 2 * 1024 * 1024
#: A text file larger than this is not read for its preview.
TEXT_BYTES = 256 * 1024
_TEXT_FORMATS = {"json", "txt", "text", "csv", "tsv", "yaml", "yml", "md", "py", "toml", "ini", "log"}
_CELL = 200
_ROWS = 50


@hookimpl
def satchel_render_preview(record: ArtifactRecord, read: Reader) -> Preview | None:
    """A preview for any record: by kind, then by what its files are."""
    for render in (_image, _dataset, _prompt, _model, _code, _array, _text):
        found = render(record, read)
        if found is not None:
            return found
    return Preview([_files(record)], summary=f"{len(record.files)} file(s), {record.size} bytes")


def _short(value: Any, limit: int = _CELL) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _extension(name: str) -> str:
    return posixpath.splitext(name)[1].lower().lstrip(".")


def _files(record: ArtifactRecord) -> Table:
    rows = [[entry.name, str(entry.size), entry.digest] for entry in record.files[:_ROWS]]
    more = len(record.files) - len(rows)
    return Table(["file", "bytes", "digest"], rows, title="Files", note=f"and {more} more" if more > 0 else None)


def _image(record: ArtifactRecord, read: Reader) -> Preview | None:
    images = [entry for entry in record.files if _extension(entry.name) in IMAGE_TYPES]
    if not images:
        return None
    preview = _dict(record.preview)
    facts = [(name, _short(preview[name])) for name in ("width", "height", "mode") if name in preview]
    small = isinstance(preview.get("thumbnail"), str) and images[0].size > INLINE_IMAGE_BYTES
    blocks: list[Block] = [Image(images[0].name, title=record.key, thumbnail=small)]
    if facts:
        blocks.append(Facts(facts))
    size = f"{preview['width']}x{preview['height']}" if {"width", "height"} <= preview.keys() else "image"
    return Preview(blocks, summary=f"{_short(size, 40)} {_extension(images[0].name)}")


def _dataset(record: ArtifactRecord, read: Reader) -> Preview | None:
    if record.kind != "dataset":
        return None
    extra = _dict(record.extra)
    schema = [field for field in _list(extra.get("schema")) if isinstance(field, dict)]
    rows = extra.get("row_count")
    facts = [("rows", str(rows) if isinstance(rows, int) else "unknown"), ("columns", str(len(schema)))]
    if record.format:
        facts.append(("format", _short(record.format, 40)))
    blocks: list[Block] = [Facts(facts)]
    if schema:
        blocks.append(Table(
            ["column", "type"],
            [[_short(field.get("name")), _short(field.get("type")) + (" (index)" if field.get("index") else "")]
             for field in schema[:_ROWS * 4]],
            title="Schema",
        ))
    preview = _dict(record.preview)
    columns = _list(preview.get("columns"))
    head = [row for row in _list(preview.get("rows")) if isinstance(row, list)]
    if columns:
        more = preview.get("more_columns")
        blocks.append(Table(
            [_short(column) for column in columns],
            [[None if cell is None else _short(cell) for cell in row[: len(columns)]] for row in head[:_ROWS]],
            title="First rows",
            note=f"and {more} more column(s)" if isinstance(more, int) else None,
        ))
    summary = f"{rows if isinstance(rows, int) else '?'} rows x {len(schema)} columns"
    return Preview(blocks, summary=summary)


def _prompt(record: ArtifactRecord, read: Reader) -> Preview | None:
    if record.kind != "prompt":
        return None
    variables = [name for name in _list(_dict(record.extra).get("input_variables")) if isinstance(name, str)]
    preview = _dict(record.preview)
    blocks: list[Block] = []
    for message in _list(preview.get("messages")):
        message = _dict(message)
        if isinstance(message.get("template"), str):
            blocks.append(Text(message["template"], variables, title=_short(message.get("role", "message"), 40)))
    if not blocks and isinstance(preview.get("template"), str):
        blocks.append(Text(preview["template"], variables))
    if not blocks:
        return None
    blocks.append(Facts([("variables", ", ".join(variables) or "none")]))
    return Preview(blocks, summary=f"prompt taking {', '.join(variables) or 'nothing'}")


def _read_text(record: ArtifactRecord, read: Reader, name: str, limit: int = TEXT_BYTES) -> str | None:
    entry = next((entry for entry in record.files if entry.name == name), None)
    if entry is None or entry.size > min(limit, MAX_READ_BYTES):
        return None
    return read(name).decode("utf-8", errors="replace")


def _model(record: ArtifactRecord, read: Reader) -> Preview | None:
    if record.kind != "model":
        return None
    extra = _dict(record.extra)
    package = _dict(extra.get("package")) or extra  # the package's fields sit in extra itself
    facts: list[tuple[str, str]] = [(name, _short(extra[name])) for name in ("framework",) if name in extra]
    if record.format:
        facts.append(("format", _short(record.format, 40)))
    for name in ("version", "root_digest"):
        if name in package:
            facts.append((name.replace("_", " "), _short(package[name])))
    blocks: list[Block] = [Facts(facts)] if facts else []
    signature = _dict(package.get("signature"))
    rows = [
        [part, _short(_dict(field).get("name")), _short(_dict(field).get("dtype")),
         _short(_dict(field).get("shape")), _short(_dict(field).get("required", True))]
        for part in ("inputs", "outputs", "params") for field in _list(signature.get(part))
    ]
    if rows:
        blocks.append(Table(["part", "name", "dtype", "shape", "required"], rows[: _ROWS * 4], title="Signature"))
    metrics = _dict(package.get("metrics"))
    if metrics:
        blocks.append(Facts([(_short(k, 80), _short(v)) for k, v in list(metrics.items())[:_ROWS]], title="Metrics"))
    requirements = [_short(r) for r in _list(extra.get("requirements")) if isinstance(r, str)]
    if requirements:
        blocks.append(Text("\n".join(requirements[:_ROWS * 4]), title="Requirements"))
    card = _read_text(record, read, "model-card.md", 1024 * 1024)
    if card is not None:
        blocks.append(Markdown(card, title="Model card"))
    return Preview(blocks, summary=" ".join(value for _name, value in facts[:2]) or "model package")


def _code(record: ArtifactRecord, read: Reader) -> Preview | None:
    if record.kind != "code":
        return None
    extra = _dict(record.extra)
    facts: list[tuple[str, str]] = [(name, _short(extra[name])) for name in ("code_type", "language", "layout") if name in extra]
    modules = [_short(m) for m in _list(extra.get("modules")) if isinstance(m, str)]
    if modules:
        facts.append(("modules", ", ".join(modules[:20]) + (" …" if len(modules) > 20 else "")))
    blocks: list[Block] = [Facts(facts)] if facts else []
    requirements = [_short(r) for r in _list(extra.get("requirements")) if isinstance(r, str)]
    blocks.append(Text("\n".join(requirements[:_ROWS * 4]) or "none", title="Requirements"))
    sources = [entry for entry in record.files if entry.name.endswith(".py")]
    if len(sources) == 1:
        source = _read_text(record, read, sources[0].name)
        if source is not None:
            blocks.append(Code(source, "python", title=sources[0].name))
    language = _short(extra.get("language") or "code", 40)
    return Preview(blocks, summary=f"{language} {_short(extra.get('code_type', ''), 40)}".strip())


def _array(record: ArtifactRecord, read: Reader) -> Preview | None:
    preview = _dict(record.preview)
    if "dtype" not in preview or not isinstance(preview.get("shape"), list):
        return None
    shape = "x".join(str(n) for n in preview["shape"][:8]) or "scalar"
    blocks: list[Block] = [Facts([("shape", shape), ("dtype", _short(preview["dtype"], 80))])]
    head = _list(preview.get("head"))
    if head:
        blocks.append(Table(["#", "value"], [[str(i), _short(v)] for i, v in enumerate(head[:_ROWS])], title="First values"))
    return Preview(blocks, summary=f"{shape} {_short(preview['dtype'], 40)}")


def _text(record: ArtifactRecord, read: Reader) -> Preview | None:
    if len(record.files) != 1:
        return None
    entry = record.files[0]
    if _extension(entry.name) not in _TEXT_FORMATS and (record.format or "") not in _TEXT_FORMATS:
        return None
    text = _read_text(record, read, entry.name)
    if text is None:
        return None
    if _extension(entry.name) == "py":
        return Preview([Code(text, "python", title=entry.name)], summary="python source")
    return Preview([Text(text, title=entry.name), _files(record)], summary=f"{entry.size} bytes of text")
