"""A loaded model package over HTTP: a Starlette app with ``GET /health``, ``GET /signature`` and
``POST /predict``, run by uvicorn (both from the optional ``serve`` extra).

A payload that is not JSON or does not match the signature is a 422 with the validation message;
anything else that goes wrong is a 500 with a short message, the traceback going to the server's
log and never into a response.

With a token (``--token`` or ``$SATCHEL_SERVE_TOKEN``), every request must carry
``Authorization: Bearer <token>`` (compared in constant time), else it is a 401; serving on any
address but loopback needs one.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
from collections.abc import Callable, Mapping
from typing import Any

from satchel.errors import SatchelError
from satchel.models.manifest import root_digest
from satchel.models.package import LoadedModel
from satchel.models.signature import SignatureMismatchError, to_jsonable
from satchel.netaddr import is_loopback

try:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
except ImportError as error:  # the optional extra is not installed
    raise ImportError(
        f"serving a model needs starlette and uvicorn, which are not installed ({error}): pip install 'satchel[serve]'"
    ) from error

__all__ = ["MAX_BODY_BYTES", "ROUTES", "TOKEN_ENV", "bind", "make_app", "make_server", "serve", "url_of"]

#: The environment variable a token can come from instead of ``--token`` (kept out of ``ps``).
TOKEN_ENV = "SATCHEL_SERVE_TOKEN"  # noqa: S105 - the name of a variable, not a secret

#: A ``/predict`` body larger than this is refused with 413 before it is parsed.
MAX_BODY_BYTES = 64 * 1024 * 1024
ROUTES = "GET /health, GET /signature, POST /predict"

logger = logging.getLogger(__name__)


class _BodyTooLarge(Exception):
    pass


def make_app(loaded: LoadedModel, *, max_body_bytes: int = MAX_BODY_BYTES, token: str | None = None) -> Starlette:
    """The HTTP app for ``loaded``: every response, errors included, is JSON; with *token*, only
    requests bearing it are answered."""
    where = loaded.uri or loaded.package.folder
    health = {
        "status": "ok",
        "model": loaded.uri,
        "root_digest": loaded.package.root_digest or root_digest(loaded.package.digests),
    }
    signature = loaded.signature.to_json() if loaded.signature is not None else None

    async def get_health(request: Request) -> Response:
        return JSONResponse(health)

    async def get_signature(request: Request) -> Response:
        return JSONResponse(signature)

    async def post_predict(request: Request) -> Response:
        try:
            body = await _read_body(request, max_body_bytes)
        except _BodyTooLarge:
            return _error(413, f"the body is larger than {max_body_bytes} bytes")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            return _error(422, f"the body is not JSON: {error}")
        try:
            outputs = await run_in_threadpool(loaded.predict, payload)
        except SignatureMismatchError as error:
            return _error(422, str(error))
        except Exception as error:
            logger.exception("%s: predict failed", where)
            return _error(500, f"the model failed on this payload ({type(error).__name__}); the server's log says why")
        try:
            content = json.dumps({"outputs": to_jsonable(outputs)}, allow_nan=False)
        except (TypeError, ValueError) as error:
            logger.error("%s: the outputs are not JSON: %s", where, error)
            return _error(500, "the model's outputs cannot be written as JSON (NaN, infinity or an unknown type)")
        return Response(content, media_type="application/json")

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "error"
        headers = exc.headers if isinstance(exc, HTTPException) else None
        return _error(status, f"{detail}: {request.method} {request.url.path}; this server answers {ROUTES}", headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        # Starlette logs the exception itself once this answer is sent.
        return _error(500, "internal error; the server's log says why")

    app = Starlette(
        routes=[
            Route("/health", get_health, methods=["GET"]),
            Route("/signature", get_signature, methods=["GET"]),
            Route("/predict", post_predict, methods=["POST"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    if token is not None:
        if not token:
            raise SatchelError(f"the token is empty; give a secret of a few dozen characters (--token or ${TOKEN_ENV})")
        app.add_middleware(_BearerToken, token=token)
    return app


class _BearerToken:
    """Answers 401 to any request without ``Authorization: Bearer <token>``."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = _error(401, "this server needs the header Authorization: Bearer <its token>",
                                  {"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: any free one), as uvicorn would bind it.

    Binding here, before uvicorn starts, makes a port in use an error the caller sees (uvicorn
    would log it and exit the process) and tells the caller the port it got.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SatchelError(f"cannot listen on {host} port {port}: {error.strerror or error}") from None
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://host:port`` for a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(
    loaded: LoadedModel, sock: socket.socket, *, log_level: str = "info", token: str | None = None
) -> uvicorn.Server:
    """A uvicorn server for ``loaded`` on the bound ``sock``: ``run(sockets=[sock])`` serves until
    ``should_exit`` is set (uvicorn sets it on Ctrl-C)."""
    host, port = sock.getsockname()[:2]
    app = make_app(loaded, token=token)
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level))


def serve(
    loaded: LoadedModel,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    ready: Callable[[str], Any] | None = None,
    log_level: str = "info",
    token: str | None = None,
) -> None:
    """Serve ``loaded`` on ``host:port`` with uvicorn until interrupted; ``ready`` is given the
    server's URL once the port is bound, before the first request can arrive. Any *host* but
    loopback needs a *token*."""
    if token is None and not is_loopback(host):
        raise SatchelError(
            f"serving on {host} lets whoever reaches this machine call the model: give a token "
            f"(--token, or ${TOKEN_ENV}) that every request must bear, or serve on 127.0.0.1"
        )
    sock = bind(host, port)
    try:
        server = make_server(loaded, sock, log_level=log_level, token=token)
        if ready is not None:
            ready(url_of(sock))
        server.run(sockets=[sock])
    finally:
        sock.close()
