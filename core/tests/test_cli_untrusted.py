"""The command line treats what it reads from a store as untrusted input: it writes files only where
the user says, shows every text with its controls escaped, and imports nothing a record names;
and a run that cannot work is refused before its handler runs."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import satchel
from satchel.artifacts import FileEntry, FileSource, Producer
from satchel.cli import main
from satchel.cli.context import print_error
from satchel.cli.output import printable
from satchel.errors import SatchelError
from satchel.host import PluginHost
from satchel.serde import converter
from satchel.store import Store
from satchel.store.records import manifest_hash

HANDLERS = '''
from pathlib import Path

MARKER = Path(__file__).with_name("handler-ran")


def train(lr: float = 0.1) -> tuple[int, dict]:
    MARKER.write_text("ran")
    return 3, {"lr": lr}


def config(lr: float = 0.1) -> dict:
    MARKER.write_text("ran")
    return {"lr": lr}


def total(config: dict) -> int:
    MARKER.write_text("ran")
    return len(config)


def anything(value=None):
    MARKER.write_text("ran")
    return {"value": value}
'''
#: Text from a hostile store: ESC sequences (clear the screen, set the title), a CSI as one C1
#: character, DEL, a right-to-left override, a line separator, a lone surrogate.
HOSTILE = "\x1b[2J\x1b]0;owned\x07\x9b31m\x7f\u202etxt.exe\u2028\ud800"
RUN_HOSTILE = HOSTILE.replace("\ud800", "")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("SATCHEL_STORE", raising=False)
    monkeypatch.delenv("SATCHEL_PROJECT", raising=False)
    (tmp_path / "handlers.py").write_text(HANDLERS)
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    return tmp_path


@pytest.fixture
def cli(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """``satchel --store <tmp store> ARGS…`` in-process; returns (exit status, stdout, stderr)."""
    store = str(workdir / "store")

    def call(*args: str) -> tuple[int, str, str]:
        code = main(["--store", store, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    call.store = store  # type: ignore[attr-defined]
    return call


def _runs(cli: Any) -> list[Any]:
    return json.loads(cli("runs", "--json")[1])  # type: ignore[no-any-return]


def _store_config(cli: Any, workdir: Path) -> str:
    code, out, err = cli("run", str(workdir / "handlers.py:config"), "-p", "lr=0.5", "--returns", "config : file", "--json")
    assert (0, "") == (code, err)
    (uri,) = json.loads(out)["outputs"].values()
    return str(uri)


# -- files are written only where the user says -----------------------------------------------------


def test_a_planted_artifact_path_does_not_choose_where_get_writes(cli: Any, workdir: Path) -> None:
    _store_config(cli, workdir)
    victim = workdir / "victim.json"
    victim.write_text("precious")
    config = Path(cli.store, "projects", "default", "project.json")
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"name": "default", "artifact_path": str(victim)}))
    code, out, err = cli("artifacts", "get", "config")
    assert (0, "") == (code, err), err
    assert ("precious", "config.json\n") == (victim.read_text(), out.replace(os.curdir + os.sep, ""))
    assert {"lr": 0.5} == json.loads(Path("config.json").read_text())


def test_get_never_overwrites_a_file_without_force(cli: Any, workdir: Path) -> None:
    _store_config(cli, workdir)
    target = workdir / "mine.json"
    target.write_text("precious")
    code, out, err = cli("artifacts", "get", "config", "-o", str(target))
    assert (2, "") == (code, out)
    assert [f"satchel: error: {target} already exists; nothing was written. Give --force to overwrite, or -o another path"] == err.splitlines()
    assert "precious" == target.read_text()
    code, out, err = cli("artifacts", "get", "config", "-o", str(target), "--force")
    assert (0, f"{target}\n", {"lr": 0.5}) == (code, out, json.loads(target.read_text()))


def test_get_writes_nothing_when_any_file_of_a_folder_exists(cli: Any, workdir: Path) -> None:
    Store(cli.store).log_artifact(
        project="default", key="pair", kind="dir",
        files=[FileSource(name="a.txt", data=b"a"), FileSource(name="sub/b.txt", data=b"b")],
    )
    dest = workdir / "dest"
    (dest / "sub").mkdir(parents=True)
    (dest / "sub" / "b.txt").write_text("precious")
    code, out, err = cli("artifacts", "get", "pair", "-o", str(dest))
    assert (2, "", 1) == (code, out, len(err.splitlines()))
    assert f"{dest / 'sub' / 'b.txt'} already exists" in err and "--force" in err
    assert (False, "precious") == ((dest / "a.txt").exists(), (dest / "sub" / "b.txt").read_text())
    assert 0 == cli("artifacts", "get", "pair", "-o", str(dest), "--force")[0]
    assert (b"a", b"b") == ((dest / "a.txt").read_bytes(), (dest / "sub" / "b.txt").read_bytes())


def _plant_file_name(cli: Any, name: str) -> str:
    """A two-file artifact whose first file is renamed ``name`` in its metadata, the hash made to match."""
    record = Store(cli.store).log_artifact(
        project="default", key="planted", kind="dir",
        files=[FileSource(name="a.txt", data=b"a"), FileSource(name="b.txt", data=b"b")],
    )
    path = Path(cli.store, "artifacts", "default", "planted", f"{record.uid}.json")
    path.chmod(0o644)
    data = json.loads(path.read_text())
    data["files"][0]["name"] = name
    data["hash"] = manifest_hash([converter.structure(entry, FileEntry) for entry in data["files"]])
    path.write_text(json.dumps(data))
    return record.uri


@pytest.mark.parametrize("name", ["../escaped.txt", "../../escaped.txt", "{workdir}/escaped.txt", "a/../../escaped.txt", "..\\escaped.txt"])
def test_a_planted_file_name_cannot_leave_the_output_folder(cli: Any, workdir: Path, name: str) -> None:
    uri = _plant_file_name(cli, name.format(workdir=workdir))
    dest = workdir / "out" / "deep"
    dest.mkdir(parents=True)
    code, out, err = cli("artifacts", "get", uri, "-o", str(dest))
    assert (2, "", 1) == (code, out, len(err.splitlines())), err
    assert "nothing was written" in err or "invalid file name" in err
    assert [] == [*workdir.rglob("*escaped.txt"), *dest.iterdir()]


# -- controls from the store never reach the terminal raw ----------------------------------------


def _raw_controls(text: str) -> list[str]:
    return sorted({c for c in text if not c.isprintable() and c != "\n"})


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    assert "\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\x7f\\u202etxt.exe\\u2028\\ud800" == printable(HOSTILE)
    assert ("plain é 中 😀 C:\\dir", "a\\tb\\nc") == (printable("plain é 中 😀 C:\\dir"), printable("a\tb\nc"))
    assert "line\\x1b\nnext" == printable("line\x1b\nnext", keep_newlines=True)
    assert printable(HOSTILE) == printable(printable(HOSTILE))


def _plant_hostile_artifact(cli: Any) -> str:
    record = Store(cli.store).log_artifact(
        project="default", key="hostile", kind="file", files=[FileSource(name="x.txt", data=b"x")],
        format=f"fmt{HOSTILE}", artifact_type=f"file{HOSTILE}", object_type=f"mod.Type{HOSTILE}",
        producer=Producer(f"plugin{HOSTILE}", f"dist{HOSTILE}", f"1.0{HOSTILE}", 1),
        instructions={f"inst{HOSTILE}": HOSTILE}, labels={f"label{HOSTILE}": f"value{HOSTILE}"},
        extra={f"extra{HOSTILE}": [HOSTILE]}, preview={f"preview{HOSTILE}": {HOSTILE: HOSTILE}},
    )
    return record.uri


def test_artifact_listings_and_show_escape_controls_from_the_store(cli: Any) -> None:
    uri = _plant_hostile_artifact(cli)
    for args in (["artifacts"], ["artifacts", "show", uri], ["artifacts", "--json"], ["artifacts", "show", uri, "--json"]):
        code, out, err = cli(*args)
        assert (0, [], []) == (code, _raw_controls(out), _raw_controls(err)), args
    code, out, _err = cli("artifacts", "show", uri)
    for field in ("producer:     plugin\\x1b[2J", "object type:  mod.Type\\x1b", "  label\\x1b[2J", "  extra\\x1b[2J", "  preview\\x1b[2J", "  inst\\x1b[2J"):
        assert field in out, out
    shown = json.loads(cli("artifacts", "show", uri, "--json")[1])
    assert ({f"label{HOSTILE}": f"value{HOSTILE}"}, f"plugin{HOSTILE}") == (shown["labels"], shown["producer"]["plugin"])


def _plant_run(cli: Any, uid: str, **fields: Any) -> None:
    record = {
        "uid": uid, "project": "default", "name": "planted", "handler": "handlers.py:train",
        "status": "completed", "start": "2024-01-01T00:00:00+00:00", "end": "2024-01-01T00:00:01+00:00",
        **fields,
    }
    Store(cli.store).save_run("default", uid, record)


def test_run_listings_and_show_escape_controls_from_the_store(cli: Any) -> None:
    # Store.save_run cannot write a lone surrogate (a UnicodeEncodeError), so a run record goes without.
    uid = "0" * 31 + "1"
    _plant_run(
        cli, uid, name=f"name{RUN_HOSTILE}", status=f"failed{RUN_HOSTILE}", error=f"Boom: {RUN_HOSTILE}",
        traceback=f"Traceback:\n  line {RUN_HOSTILE}\nBoom", params={f"p{RUN_HOSTILE}": RUN_HOSTILE},
        inputs={f"i{RUN_HOSTILE}": [f"store://artifacts/default/x{RUN_HOSTILE}"]}, returns=[f"r{RUN_HOSTILE}"],
        results={f"r{RUN_HOSTILE}": RUN_HOSTILE}, labels={f"l{RUN_HOSTILE}": RUN_HOSTILE},
        result_meta={f"r{RUN_HOSTILE}": {"plugin": "values", "object_type": f"builtins.str{RUN_HOSTILE}"}},
        outputs={f"o{RUN_HOSTILE}": f"store://artifacts/default/o{RUN_HOSTILE}"},
        versions={f"python{RUN_HOSTILE}": RUN_HOSTILE, "plugins": {f"x{RUN_HOSTILE}": RUN_HOSTILE}},
    )
    for args in (["runs"], ["runs", "show", uid], ["runs", "--json"], ["runs", "show", uid, "--json"]):
        code, out, err = cli(*args)
        assert (0, [], []) == (code, _raw_controls(out), _raw_controls(err)), args
    out = cli("runs", "show", uid)[1]
    assert "error:    Boom: \\x1b[2J" in out
    assert "  line \\x1b[2J" in out
    assert "(builtins.str\\x1b[2J" in out


def test_error_lines_escape_controls_and_keep_a_caret_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    print_error(SatchelError(f"no artifact {HOSTILE}\n  hint\n  ^"))
    err = capsys.readouterr().err
    assert ([], 3) == (_raw_controls(err), len(err.splitlines()))
    assert err.startswith("satchel: error: no artifact \\x1b[2J")


# -- showing a record imports nothing it names -----------------------------------------------------

EVIL_MODULE = '''
from pathlib import Path

Path(__file__).with_name("imported").write_text("the store chose what to import")


class Thing:
    def __init__(self, **fields):
        self.fields = fields
'''


class ImportingPlugin:
    """An installed plugin that restores results by importing the class their instructions name."""

    @satchel.hookimpl
    def satchel_unpack_result(self, value: Any, instructions: Mapping[str, Any]) -> Any:
        import importlib

        module, _, name = str(instructions["class"]).partition(":")
        return getattr(importlib.import_module(module), name)(**value)


def test_showing_runs_and_artifacts_imports_nothing_they_name(cli: Any, workdir: Path, host: PluginHost, monkeypatch: pytest.MonkeyPatch) -> None:
    evil = workdir / "evil"
    evil.mkdir()
    (evil / "satchel_evil_module.py").write_text(EVIL_MODULE)
    monkeypatch.syspath_prepend(str(evil))
    host.register(ImportingPlugin(), name="importing")
    meta = {"object_type": "satchel_evil_module.Thing", "instructions": {"class": "satchel_evil_module:Thing"}}
    uid = "0" * 31 + "2"
    _plant_run(
        cli, uid, results={"config": {"lr": 0.5}},
        result_meta={"config": {"plugin": "importing", **meta}},
    )
    uri = Store(cli.store).log_artifact(
        project="default", key="thing", kind="file", files=[FileSource(name="thing.json", data=b'{"lr": 0.5}')],
        object_type=meta["object_type"], instructions=meta["instructions"],
        producer=Producer("structured", "satchel", satchel.__version__, 1),
    ).uri
    outputs = {}
    for args in (["runs"], ["runs", "--json"], ["runs", "show", uid], ["runs", "show", uid, "--json"],
                 ["artifacts"], ["artifacts", "--json"], ["artifacts", "show", uri], ["artifacts", "show", uri, "--json"]):
        code, outputs[" ".join(args)], err = cli(*args)
        assert (0, "") == (code, err), args
    assert (False, False) == ((evil / "imported").exists(), "satchel_evil_module" in sys.modules)
    assert "config = {'lr': 0.5}  (satchel_evil_module.Thing)" in outputs[f"runs show {uid}"]
    assert {"config": {"lr": 0.5}} == json.loads(outputs[f"runs show {uid} --json"])["results"]


# -- refused before the handler runs: exit 2, one line, nothing recorded ---------------------------


def _refused(cli: Any, workdir: Path, *args: str) -> str:
    code, out, err = cli(*args)
    assert (2, "") == (code, out), err
    assert 1 == len(err.splitlines()), err
    assert err.startswith("satchel: error: "), err
    assert (False, []) == ((workdir / "handler-ran").exists(), _runs(cli))
    return err


@pytest.mark.parametrize(("body", "code"), [("sys.exit(3)", "3"), ("sys.exit()", "None"), ("raise SystemExit('usage: no')", "'usage: no'")])
def test_a_handler_module_that_exits_at_import_is_refused(cli: Any, workdir: Path, body: str, code: str) -> None:
    (workdir / "script.py").write_text(f"import sys\n\n{body}\n\n\ndef f() -> int:\n    return 1\n")
    err = _refused(cli, workdir, "run", str(workdir / "script.py:f"))
    assert f"cannot load '{workdir / 'script.py'}': the module exited at import (sys.exit({code}), script.py, line 3)" in err
    assert 'if __name__ == "__main__":' in err
    assert "script" not in sys.modules


def test_a_handler_package_module_that_exits_at_import_is_refused(cli: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / "exiting_handler_mod.py").write_text("raise SystemExit(4)\n")
    monkeypatch.chdir(workdir)
    err = _refused(cli, workdir, "run", "exiting_handler_mod:f")
    assert "cannot import 'exiting_handler_mod': the module exited at import (sys.exit(4)" in err
    assert "exiting_handler_mod" not in sys.modules


def test_a_missing_local_input_is_refused(cli: Any, workdir: Path) -> None:
    err = _refused(cli, workdir, "run", str(workdir / "handlers.py:total"), "-i", "config=path/that/does/not/exist.json", "--returns", "n")
    assert "input 'config': there is no file or folder 'path/that/does/not/exist.json'" in err
    assert "store:// URI" in err


def test_an_unknown_artifact_type_in_returns_is_refused(cli: Any, workdir: Path) -> None:
    err = _refused(cli, workdir, "run", str(workdir / "handlers.py:config"), "--returns", "x : fiel")
    assert "--returns 'x : fiel': no installed packager packs anything as 'fiel'; did you mean 'file'?" in err
    assert "the artifact types are: file, object, path, result" in err


@pytest.mark.parametrize(
    ("handler", "hints", "message"),
    [
        ("train", ["score", "config : file[bogus=1]"],
         "--returns 'config : file[bogus=1]': collections (which would pack builtins.dict as 'file') does not take "
         "the option 'bogus'; valid options: format, indent"),
        ("anything", ["x : file[bogus=1, indent=2]"],
         "--returns 'x : file[bogus=1, indent=2]': no installed packager that packs as 'file' takes the option "
         "'bogus'; valid options: encoding, format, indent"),
        ("config", ["x : result[indent=2]"],
         "collections (which would pack builtins.dict as 'result') does not take the option 'indent'; valid options: none"),
    ],
)
def test_an_unknown_packing_option_in_returns_is_refused(cli: Any, workdir: Path, handler: str, hints: list[str], message: str) -> None:
    err = _refused(cli, workdir, "run", str(workdir / f"handlers.py:{handler}"), "--returns", *hints)
    assert message in err


def test_known_types_and_options_in_returns_still_run(cli: Any, workdir: Path) -> None:
    code, out, err = cli("run", str(workdir / "handlers.py:train"), "--returns", "score", "config : file[indent=4]", "--json")
    assert (0, "completed") == (code, json.loads(out)["status"]), err
    code, out, err = cli("run", str(workdir / "handlers.py:anything"), "--returns", "x : file[format=json]", "--json")
    assert (0, "completed") == (code, json.loads(out)["status"]), err


def test_a_decorated_handlers_own_log_hints_are_checked_too(cli: Any, workdir: Path) -> None:
    (workdir / "decorated.py").write_text(
        "import satchel\n\n\n@satchel.handler(returns=['total : fiel'])\ndef add(a: int = 1) -> int:\n    return a\n"
    )
    err = _refused(cli, workdir, "run", str(workdir / "decorated.py:add"))
    assert "the handler's log hint 'total : fiel': no installed packager packs anything as 'fiel'" in err
