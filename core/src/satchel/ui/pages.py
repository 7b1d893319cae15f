"""What each page shows, gathered from a store: runs, artifacts, previews and lineage, as plain data.

Run records and artifact metadata are untrusted input: every field is checked for its type here
and shown as text by the templates (autoescaped); only markup made here from escaped parts
(SVG, marked variables, highlighted code, markdown without raw HTML) is passed through as Markup.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from satchel.artifacts import ArtifactRecord
from satchel.errors import InvalidNameError, SatchelError
from satchel.host import PluginHost
from satchel.names import validate_name
from satchel.previewers import IMAGE_TYPES
from satchel.previews import (
    MAX_READ_BYTES,
    Block,
    Code,
    Facts,
    Heatmap,
    Histogram,
    Image,
    Markdown,
    Preview,
    Table,
    Text,
)
from satchel.store import Store
from satchel.ui import svg
from satchel.uri import ArtifactURI, is_uid, parse_uri

__all__ = [
    "MAX_SHOWN",
    "Links",
    "artifact_lineage",
    "check_name",
    "check_uid",
    "duration",
    "mapping",
    "parsed_uri",
    "present_preview",
    "render_preview",
    "run_lineage",
    "short_time",
    "text",
    "thumbnail",
]

#: A value longer than this many characters is cut (params, results, metadata).
MAX_SHOWN = 2000
_LINEAGE_NODES = 10


def text(value: Any, limit: int = MAX_SHOWN) -> str:
    """Any value from a record as short text: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        shown = value
    else:
        try:
            shown = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        except (TypeError, ValueError, RecursionError):
            shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def mapping(value: Any) -> dict[str, Any]:
    """A record's field as a dict of text keys (anything else: empty)."""
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def duration(run: Mapping[str, Any]) -> str:
    """How long a run took, as text ('' when it has not ended or the times are not readable)."""
    start, end = _when(run.get("start")), _when(run.get("end"))
    if start is None or end is None:
        return ""
    try:
        seconds = (end - start).total_seconds()
    except TypeError:  # one aware, one naive
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def short_time(value: Any) -> str:
    if value is None:
        return ""
    when = _when(value)
    return when.strftime("%Y-%m-%d %H:%M:%S") if when is not None else text(value, 40)


class Links:
    """The UI's addresses, built from validated names (and quoted all the same)."""

    def __init__(self, root: str = "") -> None:
        self.root = root.rstrip("/")

    def projects(self) -> str:
        return f"{self.root}/"

    def runs(self, project: str) -> str:
        return f"{self.root}/p/{quote(project)}/runs"

    def run(self, project: str, uid: str) -> str:
        return f"{self.root}/p/{quote(project)}/runs/{quote(uid)}"

    def artifacts(self, project: str) -> str:
        return f"{self.root}/p/{quote(project)}/artifacts"

    def artifact(self, project: str, key: str, uid: str | None = None) -> str:
        base = f"{self.root}/p/{quote(project)}/artifacts/{quote(key)}"
        return base if uid is None else f"{base}/{quote(uid)}"

    def file(self, record: ArtifactRecord, name: str, *, inline: bool = False) -> str:
        base = f"{self.artifact(record.project, record.key, record.uid)}/files/{quote(name)}"
        return base + ("?inline=1" if inline else "")

    def thumbnail(self, record: ArtifactRecord) -> str:
        return f"{self.artifact(record.project, record.key, record.uid)}/thumbnail"

    def uri(self, uri: str) -> str | None:
        """The page of a store:// URI (None when it is not one this UI can show)."""
        try:
            parsed = parse_uri(uri)
        except (SatchelError, TypeError, ValueError):
            return None
        return self.artifact(parsed.project, parsed.key, parsed.uid)


def parsed_uri(uri: Any) -> ArtifactURI | None:
    if not isinstance(uri, str):
        return None
    try:
        return parse_uri(uri)
    except (SatchelError, TypeError, ValueError):
        return None


_THUMBNAILS = {"data:image/png;base64,": ("image/png", b"\x89PNG\r\n\x1a\n"), "data:image/jpeg;base64,": ("image/jpeg", b"\xff\xd8\xff")}


def thumbnail(record: ArtifactRecord) -> tuple[str, bytes] | None:
    """(content type, bytes) of the record's PNG or JPEG thumbnail, if it holds one that is what it says."""
    preview = mapping(record.preview)
    uri = preview.get("thumbnail")
    if not isinstance(uri, str) or len(uri) > 64 * 1024:
        return None
    for prefix, (media_type, magic) in _THUMBNAILS.items():
        if uri.startswith(prefix):
            try:
                data = base64.b64decode(uri[len(prefix):], validate=True)
            except ValueError:
                return None
            return (media_type, data) if data.startswith(magic) else None
    return None


def check_name(value: str, what: str) -> str:
    """*value* if it is a valid name, else InvalidNameError (the app answers 404 with its message)."""
    validate_name(value, what)
    return value


def check_uid(value: str, what: str = "version uid") -> str:
    if not is_uid(value):
        raise InvalidNameError(f"{value[:80]!r} is not a {what}: expected 32 lowercase hex digits")
    return value


# -- previews -------------------------------------------------------------------------------------


def render_preview(host: PluginHost, store: Store, record: ArtifactRecord) -> tuple[str | None, Preview | None, list[str]]:
    """Ask the plugins for the preview of *record*; files are read verified, and never above MAX_READ_BYTES."""

    def read(name: str | None) -> bytes:
        entry = next((e for e in record.files if name is None or e.name == name), None)
        if entry is not None and entry.size > MAX_READ_BYTES:
            raise SatchelError(f"{entry.name} is {entry.size} bytes; a preview reads at most {MAX_READ_BYTES}")
        return store.read_bytes(record, name)

    return host.render_preview(record, read)


def _marked(block: Text) -> Markup:
    """The text, escaped, with each ``{variable}`` it names wrapped in <mark>."""
    source = block.text
    names = sorted(set(block.variables), key=len, reverse=True)
    out: list[Markup] = []
    i = 0
    while i < len(source):
        hit = next((name for name in names if name and source.startswith("{" + name + "}", i)), None)
        if hit is not None:
            out.append(Markup('<mark class="var">{}</mark>').format("{" + hit + "}"))
            i += len(hit) + 2
        else:
            j = source.find("{", i + 1)
            j = len(source) if j == -1 else j
            out.append(escape(source[i:j]))
            i = j
    return Markup("").join(out)


def _markdown(source: str) -> Markup:
    from markdown_it import MarkdownIt  # the optional extra; imported when a card is shown

    # "html": False: raw HTML in a card is shown as text; markdown-it also refuses javascript: links.
    html = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").render(source)
    return Markup(html)  # noqa: S704 - markdown-it escapes every text and, without "html", all raw HTML


def _code(block: Code) -> Markup:
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound
    except ImportError:
        return escape(block.source)
    try:
        lexer = get_lexer_by_name(block.language or "text")
    except ClassNotFound:
        return escape(block.source)
    html = highlight(block.source, lexer, HtmlFormatter(nowrap=True))
    return Markup(html)  # noqa: S704 - Pygments' HTML formatter escapes every token it writes


def present_block(block: Block, record: ArtifactRecord, links: Links) -> dict[str, Any]:
    """One block as what the template shows: its type, title and safe parts."""
    shown: dict[str, Any] = {"type": type(block).__name__.lower(), "title": block.title}
    if isinstance(block, Facts):
        shown["items"] = block.items
    elif isinstance(block, Table):
        shown.update(columns=block.columns, rows=block.rows, note=block.note)
    elif isinstance(block, Text):
        shown["markup"] = _marked(block)
    elif isinstance(block, Image):
        entry = next((e for e in record.files if block.file is None or e.name == block.file), None)
        if entry is None or entry.name.rpartition(".")[2].lower() not in IMAGE_TYPES:
            shown = {"type": "problem", "title": block.title, "message": f"no image file {block.file!r} in this artifact"}
        elif block.thumbnail and thumbnail(record) is not None:
            shown.update(src=links.thumbnail(record), alt=f"{record.key}: a thumbnail of {entry.name}",
                         full=links.file(record, entry.name, inline=True))
        else:
            shown.update(src=links.file(record, entry.name, inline=True), alt=f"{record.key}: {entry.name}", full=None)
    elif isinstance(block, Histogram):
        shown["markup"] = svg.histogram(block.counts, block.edges, block.title or "histogram")
    elif isinstance(block, Heatmap):
        shown["markup"] = svg.heatmap(block.values, block.title or "heatmap")
    elif isinstance(block, Markdown):
        shown["markup"] = _markdown(block.text)
    elif isinstance(block, Code):
        shown.update(markup=_code(block), language=block.language)
    return shown


def present_preview(preview: Preview | None, record: ArtifactRecord, links: Links) -> list[dict[str, Any]]:
    return [] if preview is None else [present_block(block, record, links) for block in preview.blocks]


# -- lineage --------------------------------------------------------------------------------------


def _run_node(links: Links, project: str, run: Mapping[str, Any], column: int, current: bool = False) -> svg.Node:
    uid = text(run.get("uid"), 64)
    status = text(run.get("status", ""), 20)
    return svg.Node(f"run:{uid}", text(run.get("name") or uid, 80), f"run · {status} · {short_time(run.get('start'))[11:]}",
                    links.run(project, uid), column, True, current)


def _artifact_node(links: Links, record: ArtifactRecord, column: int, current: bool = False) -> svg.Node:
    tags = " ".join(record.tags[:2])
    return svg.Node(f"art:{record.uid}", record.key, f"{record.kind}{' · ' + tags if tags else ''} · {record.created[11:19]}",
                    links.artifact(record.project, record.key, record.uid), column, False, current)


def _records(uris: list[Any], load: Callable[[str], ArtifactRecord]) -> list[ArtifactRecord]:
    found = []
    for uri in uris[:_LINEAGE_NODES]:
        parsed = parsed_uri(uri)
        if parsed is None:
            continue
        try:
            found.append(load(str(parsed)))
        except SatchelError:
            continue
    return found


def _uris(value: Any) -> list[Any]:
    return [item for v in mapping(value).values() for item in (v if isinstance(v, list) else [v])]


def run_lineage(store: Store, links: Links, project: str, run: Mapping[str, Any]) -> Markup:
    """Runs that made this run's inputs → its inputs → the run → its outputs → runs that consumed them."""
    nodes: dict[str, svg.Node] = {}
    edges: list[svg.Edge] = []
    me = _run_node(links, project, run, 2, current=True)
    nodes[me.id] = me
    for record in _records(_uris(run.get("inputs")), store.get_artifact):
        node = _artifact_node(links, record, 1)
        nodes.setdefault(node.id, node)
        edges.append(svg.Edge(node.id, me.id))
        if record.run:
            try:
                producer = store.get_run(project, record.run)
            except SatchelError:
                continue
            made = _run_node(links, project, producer, 0)
            nodes.setdefault(made.id, made)
            edges.append(svg.Edge(made.id, node.id))
    for record in _records(_uris(run.get("outputs")), store.get_artifact):
        node = _artifact_node(links, record, 3)
        nodes.setdefault(node.id, node)
        edges.append(svg.Edge(me.id, node.id))
        for consumer in store.runs_using(project, record.uid, _LINEAGE_NODES):
            used = _run_node(links, project, consumer, 4)
            nodes.setdefault(used.id, used)
            edges.append(svg.Edge(node.id, used.id))
    return svg.lineage(list(nodes.values()), edges)


def artifact_lineage(store: Store, links: Links, record: ArtifactRecord, consumers: list[dict[str, Any]]) -> Markup:
    """The run that made this version → it → the runs that consumed it → what they made."""
    nodes: dict[str, svg.Node] = {}
    edges: list[svg.Edge] = []
    me = _artifact_node(links, record, 1, current=True)
    nodes[me.id] = me
    if record.run:
        try:
            producer = store.get_run(record.project, record.run)
        except SatchelError:
            producer = None
        if producer is not None:
            made = _run_node(links, record.project, producer, 0)
            nodes[made.id] = made
            edges.append(svg.Edge(made.id, me.id))
    for consumer in consumers[:_LINEAGE_NODES]:
        used = _run_node(links, record.project, consumer, 2)
        nodes.setdefault(used.id, used)
        edges.append(svg.Edge(me.id, used.id))
        for output in _records(_uris(consumer.get("outputs")), store.get_artifact):
            node = _artifact_node(links, output, 3)
            nodes.setdefault(node.id, node)
            edges.append(svg.Edge(used.id, node.id))
    return svg.lineage(list(nodes.values()), edges)
