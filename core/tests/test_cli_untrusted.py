"""The command line treats what it reads from a store as untrusted input: it writes files only where
the user says, shows every text with its controls escaped, and imports nothing a record names;
and a run that cannot work is refused before its handler runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from satchel.cli import main

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
