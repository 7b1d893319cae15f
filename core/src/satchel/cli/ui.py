"""``satchel ui``: serve a read-only web page of the store's runs and artifacts (needs satchel[ui])."""

from __future__ import annotations

import os
import sys
import webbrowser

from satchel.cli.context import EXIT_OK, PROG, Context
from satchel.cli.output import printable
from satchel.netaddr import is_loopback

__all__ = ["cmd_ui"]


def cmd_ui(ctx: Context) -> int:
    args = ctx.args
    if ctx.json:
        raise ValueError("ui prints no JSON; leave out --json")
    token = args.token or os.environ.get("SATCHEL_UI_TOKEN") or None
    if not is_loopback(args.host) and token is None:
        raise ValueError(
            f"--host {args.host} serves the network: give --token TOKEN (or set SATCHEL_UI_TOKEN) so every "
            "request must carry it, or leave --host at 127.0.0.1 (this machine only)"
        )
    # Only this command needs the optional extra; satchel.ui.server says how to install it.
    from satchel.project import default_store_url
    from satchel.store import Store
    from satchel.ui.server import serve, url_with_token

    store = Store(args.store or default_store_url())
    project = args.project or os.environ.get("SATCHEL_PROJECT") or None

    def ready(url: str) -> None:
        address = url_with_token(url, token)
        print(f"satchel ui: {printable(store.url)} (read-only), Ctrl-C stops it")
        print(f"  {address}", flush=True)
        if args.open:
            webbrowser.open(address)

    if token is not None and not is_loopback(args.host):
        print(f"{PROG}: serving {printable(args.host)}: every request must carry the token", file=sys.stderr)
    serve(store, args.host, args.port, project=project, token=token, ready=ready)
    return EXIT_OK
