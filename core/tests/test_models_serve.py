"""``satchel models serve``: a model package on a real uvicorn server over loopback — health,
signature, predictions, and a bad payload as a 422 with its message, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="starlette is not installed (pip install 'satchel[serve]')")
pytest.importorskip("uvicorn", reason="uvicorn is not installed (pip install 'satchel[serve]')")
httpx = pytest.importorskip("httpx", reason="httpx is not installed (the test extra has it)")

import uvicorn  # noqa: E402 - only once the extra is known to be there
from test_model_packages import Threshold, ThresholdPackager  # noqa: E402

import satchel  # noqa: E402
from satchel.host import PluginHost  # noqa: E402
from satchel.models.package import LoadedModel  # noqa: E402
from satchel.models.serve import bind, make_app, make_server, url_of  # noqa: E402
from satchel.project import Project, get_or_create_project  # noqa: E402
from satchel.store import Store  # noqa: E402

HERE = Path(__file__).parent
SIGNATURE = {"inputs": [{"name": "X", "dtype": "float64", "shape": [None]}], "outputs": [{"name": "label", "dtype": "int64", "shape": [None]}]}


@pytest.fixture
def project(tmp_path: Path, host: PluginHost) -> Project:
    host.register(ThresholdPackager(), name="threshold")
    return get_or_create_project("demo", Store(tmp_path / "store"))


@pytest.fixture
def loaded(project: Project) -> LoadedModel:
    project.log_model("gate", Threshold(0.5), version="1.0.0")
    return satchel.load_model("store://models/demo/gate", store=project.store)


@pytest.fixture
def signed(project: Project) -> LoadedModel:
    project.log_model("signed", Threshold(0.5), signature=SIGNATURE)
    return satchel.load_model("store://models/demo/signed", store=project.store)


@contextmanager
def running(model: LoadedModel, **app_options: Any) -> Iterator[str]:
    """uvicorn serving ``model`` on 127.0.0.1 at a free port, in a thread; stopped on the way out."""
    sock = bind("127.0.0.1", 0)
    if app_options:
        server = uvicorn.Server(uvicorn.Config(make_app(model, **app_options), log_level="warning"))
    else:
        server = make_server(model, sock, log_level="warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()
    assert not thread.is_alive()


@pytest.fixture
def served(loaded: LoadedModel) -> Iterator[str]:
    with running(loaded) as url:
        yield url


def no_traceback(response: httpx.Response) -> dict[str, Any]:
    assert "Traceback" not in response.text and 'File "' not in response.text
    document: dict[str, Any] = response.json()
    assert ["error"] == list(document)
    return document


def test_health_and_signature_over_loopback(served: str, loaded: LoadedModel) -> None:
    assert served.startswith("http://127.0.0.1:")
    health = httpx.get(f"{served}/health")
    assert (200, {"status": "ok", "model": loaded.uri, "root_digest": loaded.metadata["root_digest"]}) == (health.status_code, health.json())
    signature = httpx.get(f"{served}/signature")
    assert (200, None) == (signature.status_code, signature.json())


def test_predict_over_loopback(served: str) -> None:
    response = httpx.post(f"{served}/predict", json={"X": [0.2, 0.9, 0.6]})
    assert (200, {"outputs": {"label": [0, 1, 1]}}) == (response.status_code, response.json())
    assert "application/json" == response.headers["content-type"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{'X': [1]}", "the body is not JSON: Expecting property name enclosed in double quotes"),
        (b"", "the body is not JSON: Expecting value"),
        (b"\xff\xfe\x00", "the body is not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "the body is not JSON"),
    ],
    ids=["python-literal", "empty", "not-utf8", "too-deep"],
)
def test_a_malformed_body_is_a_422_with_the_message(served: str, body: bytes, message: str) -> None:
    response = httpx.post(f"{served}/predict", content=body, headers={"content-type": "application/json"})
    assert 422 == response.status_code
    assert no_traceback(response)["error"].startswith(message)


def test_a_payload_that_does_not_match_the_signature_is_a_422_naming_the_field(signed: LoadedModel) -> None:
    with running(signed) as url:
        response = httpx.post(f"{url}/predict", json={"X": [0.1], "Y": [1]})
        assert 422 == response.status_code
        assert {"error": "the payload has field(s) Y the signature does not know; expected X"} == no_traceback(response)
        missing = httpx.post(f"{url}/predict", json={})
        assert (422, "the payload has no field 'X' (float64); the signature requires it (the payload has: none)") == (missing.status_code, no_traceback(missing)["error"])


def test_the_signature_route_gives_the_signature(signed: LoadedModel) -> None:
    with running(signed) as url:
        document = httpx.get(f"{url}/signature").json()
    assert signed.signature is not None
    assert signed.signature.to_json() == document
    assert ("X", "float64", [None]) == (document["inputs"][0]["name"], document["inputs"][0]["dtype"], document["inputs"][0]["shape"])


def test_a_model_that_fails_is_a_500_with_a_short_message_and_no_traceback(served: str) -> None:
    response = httpx.post(f"{served}/predict", json={"X": ["text"]})
    assert 500 == response.status_code
    assert {"error": "the model failed on this payload (TypeError); the server's log says why"} == no_traceback(response)


def test_an_unknown_route_is_a_404_and_a_wrong_method_a_405(served: str) -> None:
    missing = httpx.get(f"{served}/nothing")
    assert 404 == missing.status_code
    assert no_traceback(missing)["error"].startswith("Not Found: GET /nothing; this server answers GET /health")
    wrong = httpx.get(f"{served}/predict")
    assert (405, "POST") == (wrong.status_code, wrong.headers["allow"])
    no_traceback(wrong)


def test_a_body_larger_than_the_limit_is_a_413(loaded: LoadedModel) -> None:
    with running(loaded, max_body_bytes=16) as url:
        response = httpx.post(f"{url}/predict", json={"X": [0.1] * 10})
        assert (413, {"error": "the body is larger than 16 bytes"}) == (response.status_code, response.json())
        assert {"outputs": {"label": [1]}} == httpx.post(f"{url}/predict", json={"X": [0.9]}).json()


def test_a_port_in_use_is_an_error_naming_it() -> None:
    taken = bind("127.0.0.1", 0)
    taken.listen()
    try:
        port = taken.getsockname()[1]
        with pytest.raises(satchel.errors.SatchelError, match=f"cannot listen on 127.0.0.1 port {port}: "):
            bind("127.0.0.1", port)
    finally:
        taken.close()


SERVE_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_model_packages import ThresholdPackager
from satchel.cli import main
from satchel.host import get_host
get_host().register(ThresholdPackager(), name="threshold")
sys.exit(main(["--store", {store!r}, "--project", "demo", "models", "serve", "gate", "--port", "0"]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="stops the server with SIGINT")
def test_the_command_prints_the_address_serves_and_stops_on_ctrl_c(loaded: LoadedModel, project: Project) -> None:
    script = SERVE_SCRIPT.format(tests=str(HERE), store=project.store.url)
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        second = process.stdout.readline()
        assert first == f"serving {loaded.uri} (verified, root digest {loaded.metadata['root_digest']})\n", process.stderr
        url, _sep, routes = second.strip().partition("  ")
        assert url.startswith("http://127.0.0.1:") and routes.startswith("GET /health, GET /signature, POST /predict")
        health = _until_up(lambda: httpx.get(f"{url}/health"))
        assert loaded.uri == health.json()["model"]
        assert {"outputs": {"label": [1]}} == httpx.post(f"{url}/predict", json={"X": [0.75]}).json()
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert 130 == process.returncode, err
    assert "Traceback" not in err and "satchel: interrupted" in err


def _until_up(call: Callable[[], httpx.Response]) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return call()
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# -- a token guards the server ---------------------------------------------------------------------


def test_with_a_token_only_requests_bearing_it_are_answered(loaded: LoadedModel) -> None:
    with running(loaded, token="s3cret-token") as url:
        refused = httpx.get(f"{url}/health")
        assert (401, "Bearer") == (refused.status_code, refused.headers["www-authenticate"])
        assert {"error": "this server needs the header Authorization: Bearer <its token>"} == no_traceback(refused)
        wrong = httpx.post(f"{url}/predict", json={"X": [0.75]}, headers={"Authorization": "Bearer guess"})
        assert 401 == wrong.status_code
        right = httpx.post(f"{url}/predict", json={"X": [0.75]}, headers={"Authorization": "Bearer s3cret-token"})
        assert (200, {"outputs": {"label": [1]}}) == (right.status_code, right.json())


def test_serving_beyond_loopback_without_a_token_is_refused_before_anything_listens(loaded: LoadedModel) -> None:
    from satchel.errors import SatchelError
    from satchel.models.serve import serve

    with pytest.raises(SatchelError, match=r"serving on 0\.0\.0\.0 lets whoever reaches this machine call the model: give a "
                       r"token \(--token, or \$SATCHEL_SERVE_TOKEN\) that every request must bear, or serve on 127\.0\.0\.1"):
        serve(loaded, "0.0.0.0", 0)  # refused before it binds


def test_an_empty_token_is_refused(loaded: LoadedModel) -> None:
    from satchel.errors import SatchelError

    with pytest.raises(SatchelError, match=r"the token is empty; give a secret of a few dozen characters \(--token or \$SATCHEL_SERVE_TOKEN\)"):
        make_app(loaded, token="")
