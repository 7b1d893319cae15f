"""The UI's web app: read-only pages of a store's projects, runs and artifacts (Starlette, Jinja2).

Every response carries a Content-Security-Policy that allows no script at all; only GET and HEAD
are answered. With a token, every request must carry it: an ``Authorization: Bearer`` header, the
``satchel_ui_token`` cookie, or ``?token=`` once (answered with the cookie and a redirect to the
same page without it). Without a token, only requests addressed to a loopback name are answered,
so a web page elsewhere cannot reach the UI through DNS rebinding.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from satchel._version import __version__
from satchel.artifacts import ArtifactRecord
from satchel.errors import ArtifactNotFoundError, IntegrityError, SatchelError, SignatureError
from satchel.host import PluginHost, get_host
from satchel.previewers import IMAGE_TYPES
from satchel.store import Store
from satchel.store.index import IndexFailure
from satchel.ui import pages
from satchel.ui.pages import Links, check_name, check_uid

__all__ = ["CSP", "LOOPBACK_NAMES", "MAX_OUTPUTS", "MAX_PREVIEWS", "PAGE_SIZE", "TOKEN_COOKIE", "TOKEN_ENV", "make_app", "preview_host", "url_with_token"]

TOKEN_ENV = "SATCHEL_UI_TOKEN"  # noqa: S105 - the variable's name, not a secret
TOKEN_COOKIE = "satchel_ui_token"  # noqa: S105 - the cookie's name
PAGE_SIZE = 50
#: A run page previews this many outputs, and lists at most MAX_OUTPUTS.
MAX_PREVIEWS = 12
MAX_OUTPUTS = 200
CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    # Another site's page can neither embed the UI's images and files nor keep a handle on its window.
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
_MAX_PAGE = 1_000_000
_STATUSES = ("running", "completed", "failed")
_RUN_FIELDS = ("uid", "name", "status", "handler", "kind", "start", "end", "error", "traceback")
_KINDS = ("file", "dir", "plot", "dataset", "model", "code", "object", "prompt")

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def preview_host(host: PluginHost | None = None) -> PluginHost:
    """*host* (default: the shared one) plus core's generic previews, at the lowest priority."""
    from satchel import previewers

    return (host or get_host()).derive([("previews", previewers, 10)])


class _Guard:
    """Read-only, same-site, token-checked, and every response with the security headers."""

    def __init__(self, app: ASGIApp, token: str | None, allowed_hosts: tuple[str, ...] | None) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)

    def _refusal(self, scope: Scope) -> Response | None:
        request = Request(scope)
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse(
                f"{request.method} is not allowed: this UI is read-only (GET and HEAD only)\n", 405,
                headers={"allow": "GET, HEAD"},
            )
        host = _host_name(request.headers.get("host") or "")
        if self.allowed_hosts is not None and host.lower() not in self.allowed_hosts:
            return PlainTextResponse(
                f"requests for host {host[:80]!r} are refused: without a token this UI answers only "
                "localhost and loopback addresses (start it with --token to serve other names)\n", 421,
            )
        if self.token is None:
            return None
        given = request.query_params.get("token")
        if given is not None and _same(given, self.token):
            query = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
            response = RedirectResponse(str(request.url.replace(query=query)), 303)
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            return response
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else None
        cookie = request.cookies.get(TOKEN_COOKIE)
        if any(value is not None and _same(value, self.token) for value in (bearer, cookie)):
            return None
        return PlainTextResponse(
            "this UI needs its token: open the address `satchel ui` printed (it ends in ?token=...), "
            "or send the header 'Authorization: Bearer <token>'\n", 401,
        )


def _host_name(header: str) -> str:
    """The name in a Host header, without its port (an IPv6 address keeps its brackets)."""
    if header.startswith("["):
        return header.partition("]")[0] + "]"
    return header.partition(":")[0]


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("satchel.ui", "templates"),
        autoescape=True,  # every value from a store is text unless it is Markup made in satchel.ui
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["text"] = pages.text
    env.filters["when"] = pages.short_time
    env.filters["size"] = _size
    return env


def _size(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return pages.text(value, 40)
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def _page(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= _MAX_PAGE:
        raise _BadRequest(f"page must be a whole number from 1 to {_MAX_PAGE}, not {raw[:40]!r}")
    return int(raw)


class _BadRequest(SatchelError):
    pass


def _query(request: Request, **changes: Any) -> str:
    """This page's query with *changes* (a value of None drops the parameter)."""
    params = {k: v for k, v in request.query_params.items() if k != "token"}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    return "?" + urlencode(params) if params else ""


def make_app(
    store: Store,
    *,
    project: str | None = None,
    token: str | None = None,
    host: PluginHost | None = None,
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_NAMES,
) -> Starlette:
    """The UI for *store*; *project* makes ``/`` open that project's runs.

    *allowed_hosts* are the Host names answered (None: any); `satchel ui` passes None when a token
    is set. *host* is the plugin host whose plugins render previews (default: the shared one).
    """
    if project is not None:
        check_name(project, "project")
    env = _templates()
    links = Links()
    previews = preview_host(host)

    def render(request: Request, template: str, http_status: int = 200, **context: Any) -> HTMLResponse:
        body = env.get_template(template).render(
            links=links, request_path=request.url.path, version=__version__, store_url=store.url,
            query=lambda **changes: _query(request, **changes), **context,
        )
        return HTMLResponse(body, http_status)

    def error_page(request: Request, status: int, message: str) -> HTMLResponse:
        return render(request, "error.html", status, title=f"{status}", message=message, project=None)

    def index(request: Request) -> Response:
        if project is not None:
            return RedirectResponse(links.runs(project), 307)
        shown = []
        for name in store.list_projects()[:500]:
            latest_run = next(iter(store.list_runs(name, 1)), None)
            newest = next(iter(store.list_artifacts(name, limit=1)), None)
            shown.append({
                "name": name,
                "run": None if latest_run is None else _run_row(latest_run),
                "artifact": newest,
            })
        return render(request, "projects.html", title="Projects", projects=shown, project=None)

    def runs(request: Request) -> Response:
        name = check_name(request.path_params["project"], "project")
        page = _page(request)
        status = request.query_params.get("status") or None
        if status is not None and status not in _STATUSES:
            raise _BadRequest(f"status must be one of {', '.join(_STATUSES)}, not {status[:40]!r}")
        search = (request.query_params.get("name") or "").strip()[:200] or None
        found = store.list_runs(name, PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE, status=status, name=search)
        rows = [_run_row(run) for run in found[:PAGE_SIZE]]
        return render(
            request, "runs.html", title=f"Runs of {name}", project=name, runs=rows, page=page,
            more=len(found) > PAGE_SIZE, status=status or "", name=search or "", statuses=_STATUSES,
        )

    def run_page(request: Request) -> Response:
        name = check_name(request.path_params["project"], "project")
        uid = check_name(request.path_params["uid"], "run uid")
        run = store.get_run(name, uid)
        listed = list(pages.mapping(run.get("outputs")).items())
        # Previews may read files: the first few outputs get one, the rest a link to their page.
        outputs = [_output(key, uri, preview=i < MAX_PREVIEWS) for i, (key, uri) in enumerate(listed[:MAX_OUTPUTS])]
        inputs = []
        for key, value in list(pages.mapping(run.get("inputs")).items())[:100]:
            for item in value if isinstance(value, list) else [value]:
                inputs.append({"key": key, "value": pages.text(item), "href": links.uri(item) if isinstance(item, str) else None})
        code = pages.mapping(run.get("code"))
        code_uri = code.get("uri")
        shown = {field: run.get(field) for field in _RUN_FIELDS}  # a partial record still renders
        workflow = run.get("workflow") if isinstance(run.get("workflow"), str) else None
        steps = [step for step in run.get("steps") or [] if isinstance(step, str)][:200] \
            if isinstance(run.get("steps"), list) else []
        return render(
            request, "run.html", title=f"Run {pages.text(run.get('name'), 80)}", project=name, run=shown,
            uid=pages.text(run.get("uid", uid), 64), duration=pages.duration(run),
            params=pages.mapping(run.get("params")), inputs=inputs, outputs=outputs,
            results=pages.mapping(run.get("results")), labels=pages.mapping(run.get("labels")),
            versions=pages.mapping(run.get("versions")), code=code,
            code_href=links.uri(code_uri) if isinstance(code_uri, str) else None,
            lineage=pages.run_lineage(store, links, name, run), workflow=workflow, steps=steps,
        )

    def _output(key: str, uri: Any, *, preview: bool) -> dict[str, Any]:
        shown: dict[str, Any] = {"key": key, "uri": pages.text(uri), "href": None, "blocks": [], "problems": [], "summary": None}
        parsed = pages.parsed_uri(uri)
        if parsed is None:
            shown["problems"] = ["not a store:// URI"]
            return shown
        shown["href"] = links.artifact(parsed.project, parsed.key, parsed.uid)
        try:
            record = store.get_artifact(parsed)
        except SatchelError as error:
            shown["problems"] = [str(error)]
            return shown
        if preview:
            shown.update(_preview(record))
        else:
            shown["summary"] = f"{record.kind}, {_size(record.size)}: its page has the preview"
        shown["record"] = record
        return shown

    def _preview(record: ArtifactRecord) -> dict[str, Any]:
        plugin, preview, problems = pages.render_preview(previews, store, record)
        return {
            "blocks": pages.present_preview(preview, record, links), "problems": problems,
            "previewer": plugin, "summary": preview.summary if preview is not None else None,
        }

    def artifacts(request: Request) -> Response:
        name = check_name(request.path_params["project"], "project")
        page = _page(request)
        kind = request.query_params.get("kind") or None
        if kind is not None and kind not in _KINDS:
            raise _BadRequest(f"kind must be one of {', '.join(_KINDS)}, not {kind[:40]!r}")
        tag = request.query_params.get("tag") or None
        if tag is not None:
            check_name(tag, "tag")
        search = (request.query_params.get("q") or "").strip()[:200] or None
        found = store.list_artifacts(
            name, kind=kind, tag=tag, search=search, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE,
        )
        return render(
            request, "artifacts.html", title=f"Artifacts of {name}", project=name, artifacts=found[:PAGE_SIZE],
            page=page, more=len(found) > PAGE_SIZE, kind=kind or "", tag=tag or "", q=search or "", kinds=_KINDS,
        )

    def _record(request: Request) -> ArtifactRecord:
        name = check_name(request.path_params["project"], "project")
        key = check_name(request.path_params["key"], "key")
        uid = request.path_params.get("uid")
        if uid is None:
            return store.get_artifact(f"store://artifacts/{name}/{key}")
        return store.get_artifact(f"store://artifacts/{name}/{key}@{check_uid(uid)}")

    def artifact_page(request: Request) -> Response:
        record = _record(request)
        consumers = store.runs_using(record.project, record.uid, 50)
        versions = store.list_artifacts(record.project, key=record.key, limit=100)
        producer = None
        if record.run:
            try:
                producer = store.get_run(record.project, record.run)
            except SatchelError:
                producer = None
        metadata = json.dumps(
            {k: v for k, v in _record_json(record).items() if k not in ("preview",)},
            indent=1, ensure_ascii=False, sort_keys=True, default=str,
        )
        return render(
            request, "artifact.html", title=f"{record.key}", project=record.project, record=record,
            versions=versions, producer=producer, producer_uid=record.run, consumers=consumers,
            metadata=metadata[:64 * 1024], metadata_cut=len(metadata) > 64 * 1024,
            lineage=pages.artifact_lineage(store, links, record, consumers), **_preview(record),
        )

    def download(request: Request) -> Response:
        record = _record(request)
        file_name = request.path_params["name"]
        entry = next((e for e in record.files if e.name == file_name), None)
        if entry is None:
            raise ArtifactNotFoundError(
                f"{record.uri} has no file {file_name[:200]!r}; its files: "
                + ", ".join(repr(e.name) for e in record.files[:20])
            )
        data = store.read_bytes(record, entry.name)  # verified: IntegrityError if it does not match
        extension = entry.name.rpartition(".")[2].lower()
        base = entry.name.rpartition("/")[2]
        if request.query_params.get("inline") == "1" and extension in IMAGE_TYPES:
            return Response(data, media_type=IMAGE_TYPES[extension])
        return Response(
            data, media_type="application/octet-stream",
            headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(base)}"},
        )

    def record_thumbnail(request: Request) -> Response:
        found = pages.thumbnail(_record(request))
        if found is None:
            raise ArtifactNotFoundError("this version's record holds no PNG or JPEG thumbnail")
        media_type, data = found
        return Response(data, media_type=media_type)

    async def not_found(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            if exc.status_code == 404:
                return error_page(request, 404, f"there is no page at {request.url.path[:300]}")
            return error_page(request, exc.status_code, str(exc.detail))
        return error_page(request, 500, "internal error")

    async def satchel_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, _BadRequest):
            return error_page(request, 400, str(exc))
        if isinstance(exc, IntegrityError):
            logger.error("%s: %s", request.url.path, exc)
            return error_page(request, 500, f"not sent: the stored bytes do not match their digest ({exc})")
        if isinstance(exc, SignatureError):
            return error_page(request, 403, f"refused by the signature check: {exc}")
        if isinstance(exc, IndexFailure):
            logger.error("%s: %s", request.url.path, exc)
            return error_page(request, 500, str(exc))
        # Not found, a bad name or uid, an ambiguous prefix: what the address asks for cannot be shown.
        return error_page(request, 404, str(exc))

    async def server_error(request: Request, exc: Exception) -> Response:
        # Starlette logs the exception itself once this answer is sent.
        return error_page(request, 500, "internal error; the server's log says why")

    static = os.path.join(os.path.dirname(__file__), "static")
    app = Starlette(
        routes=[
            Route("/", index),
            Route("/p/{project}/runs", runs),
            Route("/p/{project}/runs/{uid}", run_page),
            Route("/p/{project}/artifacts", artifacts),
            Route("/p/{project}/artifacts/{key}", artifact_page),
            Route("/p/{project}/artifacts/{key}/{uid}", artifact_page),
            Route("/p/{project}/artifacts/{key}/{uid}/files/{name:path}", download),
            Route("/p/{project}/artifacts/{key}/{uid}/thumbnail", record_thumbnail),
            Mount("/static", StaticFiles(directory=static), name="static"),
        ],
        exception_handlers={HTTPException: not_found, SatchelError: satchel_error, Exception: server_error},
    )
    app.add_middleware(_Guard, token=token, allowed_hosts=allowed_hosts)
    return app


def _record_json(record: ArtifactRecord) -> dict[str, Any]:
    from satchel.serde import converter

    data = converter.unstructure(record)
    return data if isinstance(data, dict) else {}


def _run_row(run: dict[str, Any]) -> dict[str, Any]:
    params = pages.mapping(run.get("params"))
    shown = ", ".join(f"{k}={pages.text(v, 30)}" for k, v in list(params.items())[:4])
    if len(params) > 4:
        shown += ", …"
    return {
        "uid": pages.text(run.get("uid"), 64), "name": pages.text(run.get("name") or "", 120),
        "status": pages.text(run.get("status") or "", 20), "handler": pages.text(run.get("handler") or "", 120),
        "start": run.get("start"), "duration": pages.duration(run), "params": shown,
    }


def url_with_token(url: str, token: str | None) -> str:
    """The address to open: with ``?token=`` when the UI has one."""
    return url if token is None else str(URL(url).include_query_params(token=token))
