"""moto's S3 server on loopback, as s3fs tests itself: one threaded server per test session, fake
credentials, a fresh bucket per test and a reset after it. Never a patched client."""

from __future__ import annotations

import contextlib
import logging
import os
import urllib.request
import uuid
from collections.abc import Iterator

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "satchel-test",
    "AWS_SECRET_ACCESS_KEY": "satchel-test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def available() -> bool:
    """Whether s3fs and moto's server are installed (``satchel[s3]`` and ``moto[server]``)."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("s3fs", "moto", "flask"))


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 and a free port; yields its endpoint URL. The environment
    gets fake credentials and ``AWS_ENDPOINT_URL`` while it runs."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {name: os.environ.get(name) for name in [*CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update(CREDENTIALS, AWS_ENDPOINT_URL=endpoint)
    try:
        yield endpoint
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


def new_bucket(endpoint: str) -> str:
    """A new empty bucket's name."""
    import s3fs

    name = f"satchel-{uuid.uuid4().hex[:20]}"
    s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint}, skip_instance_cache=True).mkdir(name)
    return name


def reset(endpoint: str) -> None:
    """Forget every bucket (moto's own reset endpoint)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30):
        pass
