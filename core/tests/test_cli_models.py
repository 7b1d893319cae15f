"""``satchel models`` with a framework-free model: list, show, verify (stored and exported),
predict, export, and what a user sees when a package or a payload is wrong."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from test_model_packages import Threshold, ThresholdPackager

from satchel.artifacts import FileSource
from satchel.cli import JSON_KEYS, main
from satchel.cli import models as cli_models
from satchel.host import PluginHost
from satchel.project import Project, get_or_create_project
from satchel.store import Store

MODEL_URI_RE = re.compile(r"store://models/demo/gate@[0-9a-f]{32}")
#: What the ThresholdPackager's package holds beside manifest.json and checksum.txt.
PACKAGE_FILES = 4


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SATCHEL_STORE", raising=False)
    monkeypatch.delenv("SATCHEL_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def project(workdir: Path, host: PluginHost) -> Project:
    host.register(ThresholdPackager(), name="threshold")
    return get_or_create_project("demo", Store(workdir / "store"))


@pytest.fixture
def logged(project: Project) -> Any:
    return project.log_model(
        "gate", Threshold(0.5), card={"intended_use": "Gating | tests", "limitations": "Toy."},
        metrics={"accuracy": 1.0}, params={"threshold": 0.5}, version="1.0.0",
    ).record


@pytest.fixture
def cli(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Call ``satchel --store <tmp store> --project demo ARGS…`` in-process; returns (exit status, stdout, stderr)."""

    def call(*args: str) -> tuple[int, str, str]:
        code = main(["--store", str(workdir / "store"), "--project", "demo", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


def one_line_error(err: str) -> str:
    assert err.startswith("satchel: error: "), err
    assert 1 == len(err.splitlines()), err
    assert "Traceback" not in err
    return err


def payload_file(workdir: Path, payload: Any, name: str = "payload.json") -> str:
    path = workdir / name
    path.write_text(json.dumps(payload))
    return str(path)


# -- list, show ------------------------------------------------------------------------------------


def test_list_shows_the_projects_model_packages(cli: Any, logged: Any) -> None:
    code, out, err = cli("models", "list")
    assert (0, "") == (code, err)
    header, row = out.splitlines()
    assert header.split() == ["URI", "FRAMEWORK", "FORMAT", "VERSION", "TAGS", "SIZE", "CREATED"]
    assert row.split()[:5] == [logged.uri, "threshold", "json", "1.0.0", "latest"]

    code, out, err = cli("models", "list", "--json")
    assert (0, "") == (code, err)
    (listed,) = json.loads(out)
    assert set(cli_models.MODEL_KEYS) == set(listed)
    expected = {"uri": logged.uri, "key": "gate", "uid": logged.uid, "framework": "threshold", "format": "json", "version": "1.0.0", "tags": ["latest"]}
    assert expected == {key: listed[key] for key in expected}


def test_list_of_a_project_without_models_says_how_to_log_one(cli: Any, project: Project) -> None:
    project.store.log_artifact(project="demo", key="notes", kind="file", files=[FileSource(name="notes.txt", data=b"hi")])
    code, out, err = cli("models", "list")
    assert (0, "") == (code, err)
    assert "no model packages in project 'demo'" in out and "log_model" in out


def test_show_prints_the_essentials_the_signature_and_the_card(cli: Any, project: Project, logged: Any) -> None:
    code, out, err = cli("models", "show", "gate")
    assert (0, "") == (code, err)
    assert f"uri:           {logged.uri}" in out
    assert f"root digest:   {logged.extra['root_digest']}" in out
    assert "signature: none: predict hands any payload to the model unchecked" in out
    assert "card (model-card.md, as text):\n  # Model card: gate\n" in out
    assert "\n  Gating | tests\n" in out and "| Version | 1.0.0 |" in out
    assert "  accuracy = 1.0" in out
    assert out.rstrip().endswith(f"check it: satchel --store {project.store.url} --project demo models verify {logged.uri}")

    code, out, err = cli("models", "show", logged.uri, "--json")
    assert (0, "") == (code, err)
    shown = json.loads(out)
    assert set(cli_models.MODEL_SHOW_KEYS) == set(shown)
    assert project.store.read_bytes(logged, "model-card.md").decode() == shown["card"]
    assert (None, logged.extra["root_digest"], {"accuracy": 1.0}) == (shown["signature"], shown["root_digest"], shown["metrics"])


def test_show_prints_a_given_signature_as_a_table(cli: Any, project: Project) -> None:
    signature = {"inputs": [{"name": "X", "dtype": "float64", "shape": [None]}], "outputs": [{"name": "label", "dtype": "int64", "shape": [None]}]}
    project.log_model("gate", Threshold(0.5), signature=signature)
    code, out, err = cli("models", "show", "gate")
    assert (0, "") == (code, err)
    assert "signature:\n  PART    NAME   DTYPE    SHAPE\n  input   X      float64  [any]\n  output  label  int64    [any]\n" in out
    code, out, _err = cli("models", "show", "gate", "--json")
    assert signature["inputs"][0]["name"] == json.loads(out)["signature"]["inputs"][0]["name"]


def test_show_escapes_control_characters_the_card_holds(cli: Any, project: Project) -> None:
    project.log_model("gate", Threshold(0.5), card={"intended_use": "\x1b[2J\x1b]0;owned\x07 \u202eevil"})
    code, out, err = cli("models", "show", "gate")
    assert (0, "") == (code, err)
    assert "\\x1b[2J\\x1b]0;owned\\x07 \\u202eevil" in out
    assert not {"\x1b", "\x07", "\u202e"} & set(out)


def test_show_of_an_artifact_that_is_not_a_model_says_so(cli: Any, project: Project, logged: Any) -> None:
    other = project.store.log_artifact(project="demo", key="notes", kind="file", files=[FileSource(name="notes.txt", data=b"hi")])
    code, out, err = cli("models", "show", f"store://artifacts/demo/notes@{other.uid}")
    assert (2, "") == (code, out)
    assert "is a file artifact, not a model package" in one_line_error(err)
    code, _out, err = cli("models", "show", "nothing")
    assert 2 == code
    one_line_error(err)


# -- verify ----------------------------------------------------------------------------------------


def test_verify_a_stored_package(cli: Any, logged: Any) -> None:
    code, out, err = cli("models", "verify", logged.uri)
    assert (0, "") == (code, err)
    assert [logged.uri, f"verified: {PACKAGE_FILES} files, root digest {logged.extra['root_digest']}"] == out.splitlines()
    code, out, err = cli("models", "verify", "gate", "--json")
    assert (0, "") == (code, err)
    assert {"ok": True, "target": logged.uri, "files": PACKAGE_FILES, "root_digest": logged.extra["root_digest"], "error": None} == json.loads(out)


def test_verify_a_tampered_stored_package_fails_naming_the_file(cli: Any, project: Project, logged: Any) -> None:
    files = {f.name: project.store.read_bytes(logged, f.name) for f in logged.files}
    files["model.json"] = b'{"threshold": 99}'
    tampered = project.store.log_artifact(
        project="demo", key="gate", kind="model", files=[FileSource(name=n, data=d) for n, d in files.items()],
        producer=logged.producer, artifact_type=logged.artifact_type, extra=logged.extra,
    )
    code, out, err = cli("models", "verify", tampered.uri)
    assert (1, "") == (code, out)
    assert "'model.json' was changed" in one_line_error(err)
    code, out, err = cli("models", "verify", tampered.uri, "--json")
    assert (1, "") == (code, err)
    document = json.loads(out)
    assert (False, tampered.uri) == (document["ok"], document["target"]) and "'model.json' was changed" in document["error"]
    # Loading it is refused the same way: nothing of the package reaches the model.
    code, out, err = cli("models", "predict", tampered.uri, "--input", payload_file(Path.cwd(), {"X": [0.1]}))
    assert (1, "") == (code, out)
    assert "'model.json' was changed" in one_line_error(err)


def test_verify_an_export_and_a_tampered_one(cli: Any, logged: Any, workdir: Path) -> None:
    code, out, err = cli("models", "export", "gate", "out")
    assert (0, "") == (code, err)
    folder = out.strip()
    assert str(Path("out") / "gate" / "1.0.0") == folder
    code, out, err = cli("models", "verify", folder)
    assert (0, "") == (code, err)
    assert [folder, f"verified: {PACKAGE_FILES} files, root digest {logged.extra['root_digest']}"] == out.splitlines()

    code, out, err = cli("models", "verify", "out")
    assert (2, "") == (code, out)
    assert f"verify a version folder, e.g. {folder}" in one_line_error(err)

    (workdir / folder / "extra.py").write_text("import os\n")
    code, out, err = cli("models", "verify", folder)
    assert (1, "") == (code, out)
    assert "'extra.py' is not in the manifest" in one_line_error(err)
    (workdir / folder / "extra.py").unlink()
    (workdir / folder / "model.json").write_text('{"threshold": 0.0}')
    code, out, err = cli("models", "verify", folder, "--json")
    assert 1 == code
    document = json.loads(out)
    assert (False, folder, None) == (document["ok"], document["target"], document["root_digest"])
    assert "'model.json' was changed" in document["error"]


def test_verify_a_folder_that_is_not_there_says_so(cli: Any, logged: Any) -> None:
    code, out, err = cli("models", "verify", "./no/such/folder")
    assert (2, "") == (code, out)
    assert "there is no such folder" in one_line_error(err)


# -- predict ---------------------------------------------------------------------------------------


def test_predict_from_a_file_and_from_stdin(cli: Any, logged: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = cli("models", "predict", "gate", "--input", payload_file(workdir, {"X": [0.2, 0.9]}))
    assert (0, "") == (code, err)
    assert {"label": [0, 1]} == json.loads(out)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"X": [0.7, 0.1, 0.6]}')))
    code, out, err = cli("models", "predict", logged.uri, "--input", "-", "--json")
    assert (0, "") == (code, err)
    assert {"uri": logged.uri, "root_digest": logged.extra["root_digest"], "outputs": {"label": [1, 0, 1]}} == json.loads(out)


def test_predict_with_a_payload_that_is_not_json_or_not_there(cli: Any, logged: Any, workdir: Path) -> None:
    (workdir / "bad.json").write_text("{'X': [1]}")
    code, out, err = cli("models", "predict", "gate", "--input", "bad.json")
    assert (2, "") == (code, out)
    assert "--input bad.json is not JSON" in one_line_error(err)
    code, out, err = cli("models", "predict", "gate", "--input", "missing.json")
    assert (2, "") == (code, out)
    assert "missing.json" in one_line_error(err)


def test_a_payload_the_model_refuses_is_exit_1_in_one_line(cli: Any, logged: Any, workdir: Path) -> None:
    code, out, err = cli("models", "predict", "gate", "--input", payload_file(workdir, {"X": ["a"]}))
    assert (1, "") == (code, out)
    assert "the model failed on this payload: TypeError: " in one_line_error(err)


def test_a_payload_that_does_not_match_the_signature_is_exit_2_naming_the_field(cli: Any, project: Project, workdir: Path) -> None:
    signature = {"inputs": [{"name": "X", "dtype": "float64", "shape": [None]}]}
    project.log_model("gate", Threshold(0.5), signature=signature)
    # Fields are checked before any value is (no numpy needed for these two).
    code, out, err = cli("models", "predict", "gate", "--input", payload_file(workdir, {"X": [0.1], "Y": [1]}))
    assert (2, "") == (code, out)
    assert "the payload has field(s) Y the signature does not know; expected X" in one_line_error(err)
    code, out, err = cli("models", "predict", "gate", "--input", payload_file(workdir, {}))
    assert (2, "") == (code, out)
    assert "the payload has no field 'X' (float64); the signature requires it" in one_line_error(err)


# -- export ----------------------------------------------------------------------------------------


def test_export_writes_the_portable_folder_and_never_overwrites_it(cli: Any, logged: Any, workdir: Path) -> None:
    code, out, err = cli("models", "export", logged.uri, str(workdir / "out"), "--json")
    assert (0, "") == (code, err)
    document = json.loads(out)
    assert {"uri": logged.uri, "path": str(workdir / "out" / "gate" / "1.0.0")} == document
    written = {p.name for p in Path(document["path"]).iterdir()}
    assert {"model.json", "requirements.txt", "predict.py", "model-card.md", "checksum.txt", "manifest.json"} == written
    code, out, err = cli("models", "export", "gate", str(workdir / "out"))
    assert (2, "") == (code, out)
    assert "already exists; nothing was overwritten" in one_line_error(err)


# -- serve (without the server itself: core/tests/test_models_serve.py runs it) ---------------------


def test_serve_without_the_extra_says_what_to_install(cli: Any, logged: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # None in sys.modules: the import fails
    monkeypatch.delitem(sys.modules, "satchel.models.serve", raising=False)
    code, out, err = cli("models", "serve", "gate")
    assert (2, "") == (code, out)
    assert "pip install 'satchel[serve]'" in one_line_error(err)


def test_serve_refuses_json_and_a_port_that_is_not_one(cli: Any, logged: Any) -> None:
    code, out, err = cli("models", "serve", "gate", "--json")
    assert (2, "") == (code, out)
    assert "prints no JSON" in one_line_error(err)
    code, _out, err = cli("models", "serve", "gate", "--port", "70000")
    assert 2 == code
    assert "'70000' is not a port number (0 to 65535)" in err


# -- documentation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "keys"),
    [
        ("models list", cli_models.MODEL_KEYS),
        ("models show", cli_models.MODEL_SHOW_KEYS),
        ("models verify", cli_models.MODEL_VERIFY_KEYS),
        ("models predict", cli_models.MODEL_PREDICT_KEYS),
        ("models export", cli_models.MODEL_EXPORT_KEYS),
    ],
)
def test_the_json_keys_are_documented(command: str, keys: tuple[str, ...]) -> None:
    assert set() == set(keys) - set(re.findall(r"\w+", JSON_KEYS[command]))
