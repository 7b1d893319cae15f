"""`satchel ui` over plain HTTP: every route, what each page shows, escaping, the security headers,
bad paths (404 with a message), the token, and a store of 10,000 artifacts."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("jinja2")
pytest.importorskip("markdown_it")
from starlette.testclient import TestClient
from ui_store import HOSTILE, UiStore, make_ui_store, png

import satchel
from satchel.artifacts import FileSource, Producer
from satchel.cli import main
from satchel.host import PluginHost
from satchel.previews import Facts, Preview
from satchel.store import Store
from satchel.store.records import artifact_row, dump_record
from satchel.store.uids import new_uid
from satchel.ui.app import CSP, TOKEN_COOKIE, make_app, preview_host

BASE = "http://127.0.0.1"


@pytest.fixture
def data(tmp_path: Path) -> Iterator[UiStore]:
    with Store(tmp_path / "store") as store:
        yield make_ui_store(store)


@pytest.fixture
def client(data: UiStore, host: PluginHost) -> Iterator[TestClient]:
    with TestClient(make_app(data.store, host=host), base_url=BASE, raise_server_exceptions=False) as client:
        yield client


def _main(html: str) -> str:
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


def _assert_inert(html: str) -> None:
    """No tag from the store made it into the page: it shows as text."""
    assert "<script" not in html
    assert "<img src=x" not in html
    assert re.search(r"<[^>]*\sonerror\s*=", html) is None


def test_the_projects_page_lists_the_store_s_projects(client: TestClient, data: UiStore) -> None:
    page = client.get("/")
    assert 200 == page.status_code
    assert 'href="/p/demo/runs"' in page.text and 'href="/p/demo/artifacts"' in page.text
    assert f'href="/p/demo/runs/{data.failed}"' in page.text  # its latest run
    assert f'href="/p/demo/artifacts/summary/{data.records["summary"].uid}"' in page.text  # its newest artifact
    _assert_inert(page.text)


def test_every_page_forbids_scripts_and_framing(client: TestClient, data: UiStore) -> None:
    for path in ("/", "/p/demo/runs", f"/p/demo/runs/{data.prepare}", "/p/demo/artifacts",
                 "/p/demo/artifacts/image", "/static/style.css", "/p/demo/runs/nope"):
        response = client.get(path)
        assert CSP == response.headers["content-security-policy"], path
        assert "script-src 'none'" in CSP and "default-src 'none'" in CSP
        assert ("nosniff", "DENY") == (response.headers["x-content-type-options"], response.headers["x-frame-options"])
        assert "same-origin" == response.headers["cross-origin-resource-policy"]


def test_the_runs_page_shows_status_name_handler_duration_and_params(client: TestClient, data: UiStore) -> None:
    html = _main(client.get("/p/demo/runs").text)
    assert [data.failed, data.consume, data.prepare] == re.findall(r'href="/p/demo/runs/([a-z0-9]+)"', html)
    assert "handlers:prepare" in html and "2.5 s" in html and "200 ms" in html
    assert "rows=2000" in html and 'status-failed">failed' in html
    _assert_inert(html)
    assert "&lt;script&gt;" in html  # the failed run's name, as text


def test_the_runs_page_filters_by_status_and_name_and_pages(client: TestClient, data: UiStore) -> None:
    failed = _main(client.get("/p/demo/runs?status=failed").text)
    assert [data.failed] == re.findall(r'href="/p/demo/runs/([a-z0-9]+)"', failed)
    named = _main(client.get("/p/demo/runs?name=cons").text)
    assert [data.consume] == re.findall(r'href="/p/demo/runs/([a-z0-9]+)"', named)
    assert "No runs match" in client.get("/p/demo/runs?page=2").text or "No runs" in client.get("/p/demo/runs?page=2").text
    assert 400 == client.get("/p/demo/runs?status=bogus").status_code
    assert 400 == client.get("/p/demo/runs?page=0").status_code


def test_the_run_page_shows_params_results_outputs_with_previews_and_versions(client: TestClient, data: UiStore) -> None:
    html = _main(client.get(f"/p/demo/runs/{data.prepare}").text)
    for key in ("image", "table", "prompt", "features", "source", "model", "notes"):
        assert f'id="output-{key}"' in html
    assert f'src="/p/demo/artifacts/image/{data.records["image"].uid}/files/image.png?inline=1"' in html
    assert "1000000 rows x 2 columns" in html  # the dataset's preview, from its record
    assert '<mark class="var">{topic}</mark>' in html  # the prompt's variable, marked
    assert "numpy&gt;=1.26" in html and "train.py" in html and "main" in html  # code: requirements and source
    assert "accuracy" in html and "<h1>Card</h1>" in html  # the model card, rendered
    assert 'href="javascript:' not in html
    assert "3.11.7" in html and "builtins 0.1.0" in html  # versions
    assert "0.5" in html and "rows" in html  # results and params
    _assert_inert(html)


def test_the_run_page_links_inputs_to_artifacts_and_shows_the_code_that_ran(client: TestClient, data: UiStore) -> None:
    html = _main(client.get(f"/p/demo/runs/{data.consume}").text)
    image = data.records["image"]
    assert f'class="input-link" href="/p/demo/artifacts/image/{image.uid}"' in html
    assert f'href="/p/demo/artifacts/source/{data.records["source"].uid}"' in html  # the code artifact
    # Lineage: the run that made the input, the input, this run and its output, linked both ways.
    lineage = html.split('<svg class="lineage"', 1)[1].split("</svg>", 1)[0]
    assert f'href="/p/demo/runs/{data.prepare}"' in lineage
    assert f'href="/p/demo/artifacts/summary/{data.records["summary"].uid}"' in lineage


def test_a_failed_run_shows_its_error_and_traceback_as_text(client: TestClient, data: UiStore) -> None:
    html = _main(client.get(f"/p/demo/runs/{data.failed}").text)
    assert "ValueError: bad input &lt;script&gt;" in html
    assert "Traceback (most recent call last)" in html
    _assert_inert(html)


def test_the_artifacts_page_lists_kind_key_tags_size_and_producer_and_searches_keys(client: TestClient, data: UiStore) -> None:
    html = _main(client.get("/p/demo/artifacts").text)
    assert 8 == html.count('class="artifact-link"')
    assert "builtins" in html and "latest" in html and "plot" in html
    found = _main(client.get("/p/demo/artifacts?q=abl").text)
    assert ['table'] == re.findall(r'class="artifact-link" href="/p/demo/artifacts/([a-z]+)/', found)
    kinds = _main(client.get("/p/demo/artifacts?kind=dataset").text)
    assert ['table'] == re.findall(r'class="artifact-link" href="/p/demo/artifacts/([a-z]+)/', kinds)
    assert 400 == client.get("/p/demo/artifacts?kind=bogus").status_code
    assert 404 == client.get("/p/demo/artifacts?tag=..").status_code


def test_the_artifact_page_shows_versions_producer_consumers_metadata_and_download(client: TestClient, data: UiStore) -> None:
    image = data.records["image"]
    newer = data.store.log_artifact(project="demo", key="image", kind="plot", files=[FileSource("image.png", data=png(5, 5))],
                                    format="png", producer=Producer("builtins"))
    old = _main(client.get(f"/p/demo/artifacts/image/{image.uid}").text)
    assert f'href="/p/demo/runs/{data.prepare}"' in old  # made by
    assert f'class="consumer-link" href="/p/demo/runs/{data.consume}"' in old  # used by
    assert {image.uid, newer.uid} <= set(re.findall(r'href="/p/demo/artifacts/image/([a-f0-9]{32})"', old))
    assert "the stored bytes" not in old and image.hash in old
    assert "The record as stored" in old and "&lt;script&gt;" in old  # the label, as text
    _assert_inert(old)
    latest = _main(client.get("/p/demo/artifacts/image").text)
    assert newer.uid in latest.split("</h1>")[1].split("</p>")[0] or newer.uid in latest
    download = client.get(f"/p/demo/artifacts/image/{image.uid}/files/image.png")
    assert (200, png()) == (download.status_code, download.content)
    assert "application/octet-stream" == download.headers["content-type"]
    assert download.headers["content-disposition"].startswith("attachment;")
    inline = client.get(f"/p/demo/artifacts/image/{image.uid}/files/image.png?inline=1")
    assert "image/png" == inline.headers["content-type"]
    # Only images are ever served inline, with their own type: a text file stays a download.
    notes = data.records["notes"]
    text = client.get(f"/p/demo/artifacts/notes/{notes.uid}/files/notes.txt?inline=1")
    assert "application/octet-stream" == text.headers["content-type"]


def test_a_download_is_verified_before_it_is_sent(client: TestClient, data: UiStore, tmp_path: Path) -> None:
    notes = data.records["notes"]
    algorithm, hexdigest = notes.files[0].digest.split(":", 1) if ":" in notes.files[0].digest else ("sha256", notes.files[0].digest)
    blob = tmp_path / "store" / "objects" / algorithm / hexdigest[:2] / hexdigest[2:]
    blob.chmod(0o644)
    blob.write_bytes(b"hello tampered")
    response = client.get(f"/p/demo/artifacts/notes/{notes.uid}/files/notes.txt")
    assert 500 == response.status_code
    assert "do not match" in response.text and "tampered" not in response.text


@pytest.mark.parametrize("path", [
    "/p/NOPE/runs", "/p/demo/runs/zzzzzzzz", "/p/demo/runs/..%2F..%2Fetc",
    "/p/demo/artifacts/missing", "/p/demo/artifacts/image/0123", "/p/demo/artifacts/image/" + "f" * 32,
    "/p/demo/artifacts/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/p/demo/artifacts/..", "/p/..%2F..%2Fetc/runs",
    "/p/demo/artifacts/image/{uid}/files/..%2F..%2Findex.sqlite", "/p/demo/artifacts/image/{uid}/files/nope.png",
    "/static/../index.sqlite", "/static/%2e%2e/%2e%2e/store.py", "/nothing/here", "/p/demo",
])
def test_a_bad_path_is_a_404_with_a_message_never_a_traceback(client: TestClient, data: UiStore, path: str) -> None:
    response = client.get(path.replace("{uid}", data.records["image"].uid))
    assert 404 == response.status_code, response.text
    assert 'id="message"' in response.text or "Not Found" in response.text
    assert "Traceback" not in response.text and "File \"" not in response.text
    _assert_inert(response.text)
    assert "SQLite" not in response.text


def test_a_bad_name_says_what_is_wrong(client: TestClient) -> None:
    response = client.get("/p/demo/artifacts/%3Cscript%3E")
    assert "&lt;script&gt;" in response.text and "key" in response.text


def test_only_get_and_head_are_answered(client: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, "/p/demo/runs")
        assert (405, "GET, HEAD") == (response.status_code, response.headers["allow"])
        assert "read-only" in response.text
    assert 200 == client.head("/p/demo/runs").status_code


def test_without_a_token_only_loopback_host_names_are_answered(data: UiStore, host: PluginHost) -> None:
    app = make_app(data.store, host=host)
    with TestClient(app, base_url="http://evil.example") as client:
        response = client.get("/")
        assert 421 == response.status_code and "loopback" in response.text
    for name in ("http://localhost:8765", "http://127.0.0.1:8765", "http://[::1]:8765"):
        with TestClient(app, base_url=name) as client:
            assert 200 == client.get("/").status_code, name


def test_with_a_token_every_request_must_carry_it(data: UiStore, host: PluginHost) -> None:
    app = make_app(data.store, host=host, token="s3cret", allowed_hosts=None)
    with TestClient(app, base_url="http://ui.example", follow_redirects=False) as client:
        for path in ("/", "/p/demo/runs", "/static/style.css", "/p/demo/artifacts/image"):
            refused = client.get(path)
            assert 401 == refused.status_code and "token" in refused.text, path
        assert 401 == client.get("/", headers={"authorization": "Bearer wrong"}).status_code
        assert 401 == client.get("/?token=wrong").status_code
        assert 200 == client.get("/", headers={"authorization": "Bearer s3cret"}).status_code
        first = client.get("/p/demo/runs?status=failed&token=s3cret")
        assert (303, "http://ui.example/p/demo/runs?status=failed") == (first.status_code, first.headers["location"])
        assert "httponly" in first.headers["set-cookie"].lower() and "samesite=strict" in first.headers["set-cookie"].lower()
        assert client.cookies.get(TOKEN_COOKIE) == "s3cret"
        assert 200 == client.get("/p/demo/runs").status_code  # the cookie carries it from now on


def test_project_option_opens_that_project(data: UiStore, host: PluginHost) -> None:
    with TestClient(make_app(data.store, project="demo", host=host), base_url=BASE, follow_redirects=False) as client:
        assert "/p/demo/runs" == client.get("/").headers["location"]


def test_an_empty_store_says_so(tmp_path: Path, host: PluginHost) -> None:
    with TestClient(make_app(Store(tmp_path / "none"), host=host), base_url=BASE) as client:
        assert "holds no runs or artifacts yet" in client.get("/").text
        assert "No runs" in client.get("/p/demo/runs").text
    assert not (tmp_path / "none").exists()  # read-only: looking creates nothing


def test_a_plugin_previews_its_own_type_and_a_failing_one_costs_only_its_preview(client: TestClient, data: UiStore, host: PluginHost) -> None:
    class Notes:
        @satchel.hookimpl
        def satchel_render_preview(self, record: satchel.artifacts.ArtifactRecord, read: object) -> Preview | None:
            return Preview([Facts([("words", "2"), ("raw", HOSTILE)])], summary="two words") if record.key == "notes" else None

    class Broken:
        @satchel.hookimpl
        def satchel_render_preview(self, record: satchel.artifacts.ArtifactRecord) -> Preview | None:
            raise RuntimeError("boom <b>")

    host.register(Notes(), name="notes-preview")
    host.register(Broken(), name="broken-preview")
    with TestClient(make_app(data.store, host=host), base_url=BASE) as fresh:
        notes = _main(fresh.get(f"/p/demo/artifacts/notes/{data.records['notes'].uid}").text)
        assert "two words" in notes and "<dd>2</dd>" in notes
        assert "plugin &#39;broken-preview&#39; failed to preview it: RuntimeError: boom &lt;b&gt;" in notes
        _assert_inert(notes)
        image = _main(fresh.get(f"/p/demo/artifacts/image/{data.records['image'].uid}").text)
        assert "image.png?inline=1" in image  # core's generic preview still answers the rest


def test_the_generic_previews_answer_last(host: PluginHost, data: UiStore) -> None:
    ui_host = preview_host(host)
    record = data.records["table"]
    plugin, preview, problems = ui_host.render_preview(record, lambda name: data.store.read_bytes(record, name))
    assert ("previews", [], "1000000 rows x 2 columns") == (plugin, problems, preview.summary if preview else None)
    assert "previews" not in host.names  # the shared host is left as it was


def test_ten_thousand_artifacts_page_and_search_from_the_index(tmp_path: Path, host: PluginHost) -> None:
    store = Store(tmp_path / "big")
    base = store.log_artifact(project="big", key="seed", kind="file", files=[FileSource("a.txt", data=b"a")])
    _fill_index(store, base, 10_000)
    with TestClient(make_app(store, host=host), base_url=BASE) as client:
        started = time.perf_counter()
        first = client.get("/p/big/artifacts")
        took = time.perf_counter() - started
        assert 200 == first.status_code and 50 == first.text.count('class="artifact-link"')
        assert 'rel="next"' in first.text and took < 2.0
        last = client.get("/p/big/artifacts?page=201")
        assert 1 == last.text.count('class="artifact-link"') and 'rel="next"' not in last.text
        found = client.get("/p/big/artifacts?q=key-09999")
        assert 1 == found.text.count('class="artifact-link"')
        (link,) = re.findall(r'class="artifact-link" href="([^"]+)"', found.text)
        assert "key-09999" in client.get(link).text


def _fill_index(store: Store, template: satchel.artifacts.ArtifactRecord, count: int) -> None:
    """*count* more versions, each a real metadata file sharing the seed's blob, indexed in one go
    (as `satchel reindex` would, without reading them back)."""
    root = Path(store.url)
    rows = []
    for i in range(count):
        record = satchel.artifacts.ArtifactRecord(**{
            **{f: getattr(template, f) for f in ("kind", "project", "hash", "size", "files", "created")},
            "key": f"key-{i:05d}", "uid": new_uid(), "tags": ["latest"],
        })
        path = root / "artifacts" / "big" / record.key / f"{record.uid}.json"
        path.parent.mkdir(parents=True)
        path.write_bytes(dump_record(record)[0])
        rows.append(artifact_row(record))
    with store._index().write() as tx:
        tx.add_artifacts(rows)


def test_import_satchel_and_other_commands_import_no_ui(tmp_path: Path) -> None:
    code = (
        "import sys, satchel, satchel.cli; satchel.cli.main(['--store', sys.argv[1], 'runs']); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'jinja2', 'markdown_it') "
        "or m.startswith('satchel.ui')); print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s")], capture_output=True, text=True, check=False)
    assert 0 == result.returncode, result.stdout + result.stderr


def test_the_command_refuses_another_address_without_a_token(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert 2 == main(["--store", str(tmp_path / "s"), "ui", "--host", "0.0.0.0"])
    assert "--token" in capsys.readouterr().err


def test_the_command_serves_and_prints_the_address(tmp_path: Path) -> None:
    import httpx

    process = subprocess.Popen(
        [sys.executable, "-m", "satchel", "--store", str(tmp_path / "s"), "ui", "--port", "0", "--token", "t0k"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        address = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+\?token=t0k", address), address
        page = httpx.get(address, follow_redirects=True, timeout=10)
        assert 200 == page.status_code and "Projects" in page.text
        assert 401 == httpx.get(address.split("?")[0], timeout=10).status_code
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_run_with_many_outputs_previews_the_first_and_links_the_rest(tmp_path: Path, host: PluginHost) -> None:
    from satchel.ui.app import MAX_PREVIEWS

    store = Store(tmp_path / "many")
    outputs = {}
    for i in range(MAX_PREVIEWS + 3):
        record = store.log_artifact(project="p", key=f"out-{i:02d}", kind="file",
                                    files=[FileSource("x.txt", data=f"text {i}".encode())], format="txt")
        outputs[f"out{i:02d}"] = record.uri
    outputs["zz_broken"] = "not a uri <b>"  # sorts last: the record is saved with sorted keys
    uid = "b" * 32
    store.save_run("p", uid, {"uid": uid, "name": "many", "status": "completed", "outputs": outputs, "start": "x"})
    with TestClient(make_app(store, host=host), base_url=BASE) as client:
        html = _main(client.get(f"/p/p/runs/{uid}").text)
    assert MAX_PREVIEWS == html.count('class="block block-text"')
    assert 3 == html.count("its page has the preview")
    assert "not a store:// URI" in html and "not a uri &lt;b&gt;" in html


@pytest.mark.parametrize("fields", [
    {"params": ["not", "a", "dict"], "inputs": "store://artifacts/demo/x", "outputs": 7, "versions": "3.11"},
    {"start": 5, "end": {"a": 1}, "status": ["failed"], "name": None, "handler": 3.5, "code": "store://code/demo/x"},
    {"inputs": {"x": {"nested": HOSTILE}}, "outputs": {"y": "store://artifacts/demo/../../etc"}, "error": 42},
    {"results": {"r": [1] * 5000}, "labels": "x", "traceback": ["a", "b"], "code": {"uri": 9}},
])
def test_a_run_record_of_any_shape_renders_as_text(tmp_path: Path, host: PluginHost, fields: dict[str, object]) -> None:
    store = Store(tmp_path / "odd")
    uid = "c" * 32
    store.save_run("demo", uid, {"uid": uid, **fields})
    with TestClient(make_app(store, host=host), base_url=BASE, raise_server_exceptions=False) as client:
        for path in ("/p/demo/runs", f"/p/demo/runs/{uid}", "/p/demo/runs?name=x&status=failed"):
            response = client.get(path)
            assert 200 == response.status_code, (path, response.text[-500:])
            _assert_inert(response.text)


def test_a_signed_store_lists_only_what_its_key_signed_and_refuses_the_rest(tmp_path: Path, host: PluginHost) -> None:
    from satchel.signing import Signer

    key = Signer.hmac(b"k" * 32)
    with Store(tmp_path / "signed", signing=key) as signed:
        good = signed.log_artifact(project="p", key="good", kind="file", files=[FileSource("a.txt", data=b"a")])
    with Store(tmp_path / "signed", signing=False) as planter:
        planted = planter.log_artifact(project="p", key="planted", kind="file", files=[FileSource("b.txt", data=b"b")])
    with Store(tmp_path / "signed", signing=key) as reader, \
            TestClient(make_app(reader, host=host), base_url=BASE) as client:
        with pytest.warns(RuntimeWarning, match="refused by the signature check"):
            listing = _main(client.get("/p/p/artifacts").text)
        assert [good.key] == re.findall(r'class="artifact-link" href="/p/p/artifacts/([a-z]+)/', listing)
        refused = client.get(f"/p/p/artifacts/planted/{planted.uid}")
        assert 403 == refused.status_code and "not signed" in refused.text
        assert 403 == client.get(f"/p/p/artifacts/planted/{planted.uid}/files/b.txt").status_code


def test_a_workflow_run_links_its_steps_and_each_step_its_workflow(tmp_path: Path, host: PluginHost) -> None:
    store = Store(tmp_path / "wf")
    parent, first, second = "d" * 32, "e" * 32, "f" * 32
    store.save_run("p", parent, {"uid": parent, "name": "main", "kind": "workflow", "steps": [first, second, 5]})
    store.save_run("p", first, {"uid": first, "name": "step", "workflow": parent})
    with TestClient(make_app(store, host=host), base_url=BASE) as client:
        workflow = _main(client.get(f"/p/p/runs/{parent}").text)
        assert [first, second] == re.findall(r'<li><a href="/p/p/runs/([a-f]+)">', workflow)
        step = _main(client.get(f"/p/p/runs/{first}").text)
        assert f'href="/p/p/runs/{parent}"' in step.split('id="workflow"')[1]


def test_a_large_image_is_shown_by_its_record_s_thumbnail_linking_to_the_file(
    tmp_path: Path, host: PluginHost, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import base64

    from satchel import previewers

    monkeypatch.setattr(previewers, "INLINE_IMAGE_BYTES", 10)
    store = Store(tmp_path / "big-image")
    small = base64.b64encode(png(2, 2)).decode()
    big = store.log_artifact(project="p", key="plot", kind="plot", files=[FileSource("plot.png", data=png(40, 40))],
                             format="png", preview={"thumbnail": f"data:image/png;base64,{small}", "width": 40})
    fake = store.log_artifact(project="p", key="fake", kind="plot", files=[FileSource("f.png", data=png(40, 40))],
                              preview={"thumbnail": "data:image/png;base64," + base64.b64encode(b"<svg onload=x>").decode()})
    with TestClient(make_app(store, host=host), base_url=BASE) as client:
        page = _main(client.get(f"/p/p/artifacts/plot/{big.uid}").text)
        assert f'<a href="/p/p/artifacts/plot/{big.uid}/files/plot.png?inline=1"><img src="/p/p/artifacts/plot/{big.uid}/thumbnail"' in page
        thumb = client.get(f"/p/p/artifacts/plot/{big.uid}/thumbnail")
        assert (200, "image/png", png(2, 2)) == (thumb.status_code, thumb.headers["content-type"], thumb.content)
        # A "thumbnail" that is not the PNG it claims to be is never served; the file is shown instead.
        assert 404 == client.get(f"/p/p/artifacts/fake/{fake.uid}/thumbnail").status_code
        assert f"/p/p/artifacts/fake/{fake.uid}/files/f.png?inline=1" in client.get(f"/p/p/artifacts/fake/{fake.uid}").text
