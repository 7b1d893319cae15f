"""Run the UI's app on uvicorn, on a socket bound before it starts (so a port in use is a clear error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    import jinja2  # noqa: F401 - checked here so the message names the extra
    import markdown_it  # noqa: F401
    import starlette  # noqa: F401
    import uvicorn
except ImportError as error:  # the optional extra is not installed
    raise ImportError(
        f"satchel ui needs starlette, uvicorn, jinja2 and markdown-it-py, which are not all installed ({error}): "
        "pip install 'satchel[ui]'"
    ) from error

from satchel.models.serve import bind, url_of
from satchel.store import Store
from satchel.ui.app import LOOPBACK_NAMES, make_app, url_with_token

__all__ = ["serve", "url_with_token"]


def serve(
    store: Store,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    project: str | None = None,
    token: str | None = None,
    ready: Callable[[str], Any] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve the UI of *store* until interrupted; ``ready`` gets the address once the port is bound.

    Without a token only loopback Host names are answered; with one, any (each request carries it).
    """
    app = make_app(store, project=project, token=token, allowed_hosts=None if token else LOOPBACK_NAMES)
    sock = bind(host, port)
    try:
        sock.listen(128)  # connections made as soon as the address is printed wait for uvicorn
        server = uvicorn.Server(uvicorn.Config(app, log_level=log_level))
        if ready is not None:
            ready(url_of(sock))
        server.run(sockets=[sock])
    finally:
        sock.close()
