"""The ``satchel`` command line for code artifacts, functions, workflows and project files: what a
user types, what they see, and the exit status."""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from satchel.cli import JSON_KEYS, json_output, main
from satchel.store import Store

TRAINER = "import utils\n\ndef main(p1: int = 1) -> int:\n    return utils.double(p1)\n"
UTILS = "def double(x):\n    return 2 * x\n"
WORKFLOW = '''
def workflow(project, p1: int = 1):
    first = project.run_function("trainer", params={"p1": p1}, returns=["doubled"])
    project.run_function("trainer", params={"p1": first.results["doubled"]}, returns=["doubled"])
'''
CODE_URI_RE = re.compile(r"store://code/demo/[a-z0-9._-]+@[0-9a-f]{32}")
RUN_RE = re.compile(r"^run (\S+)  ([0-9a-f]{32})  (\w+)$", re.MULTILINE)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the seed's archive (trainer.py importing utils.py); sys.path is restored after."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("SATCHEL_STORE", raising=False)
    monkeypatch.delenv("SATCHEL_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    with zipfile.ZipFile(tmp_path / "my_pkg.zip", "w") as archive:
        archive.writestr("trainer.py", TRAINER)
        archive.writestr("utils.py", UTILS)
    return tmp_path


@pytest.fixture
def cli(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Call ``satchel --store <tmp store> --project demo ARGS…`` in-process; returns (exit status, stdout, stderr)."""

    def call(*args: str, store: str = str(workdir / "store")) -> tuple[int, str, str]:
        code = main(["--store", store, "--project", "demo", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


def log_archive(cli: Any, key: str = "k") -> str:
    code, out, err = cli("code", "log", key, "my_pkg.zip")
    assert (0, "") == (code, err)
    uri = out.splitlines()[0]
    assert CODE_URI_RE.fullmatch(uri), out
    return uri


def one_line_error(err: str) -> str:
    assert err.startswith("satchel: error: "), err
    assert 1 == len(err.splitlines()), err
    assert "Traceback" not in err
    return err


# -- code log, list, show --------------------------------------------------------------------------


def test_a_py_file_is_logged_and_shown_with_its_source(cli: Any, workdir: Path) -> None:
    (workdir / "my_func.py").write_text("def main():\n    return 'ok'\n")
    code, out, err = cli("code", "log", "my_func_code", "my_func.py", "--requirement", "pytest", "--label", "team=ml")
    assert (0, "") == (code, err)
    uri, modules, hint = out.splitlines()
    assert uri.startswith("store://code/demo/my_func_code@")
    assert "modules: my_func" == modules
    assert hint.endswith("run store://code/demo/my_func_code --handler my_func:FUNCTION")

    code, out, _err = cli("code", "show", "my_func_code")
    assert 0 == code
    for expected in (f"uri:           {uri}", "code type:     function", "layout:        file",
                     "modules:       my_func", "requirements:  pytest", "team = ml",
                     "source (my_func.py, not run):\n  def main():\n      return 'ok'\n"):
        assert expected in out, out


def test_an_archive_is_listed_with_its_modules_and_its_source_is_not_shown(cli: Any) -> None:
    uri = log_archive(cli)
    code, out, _err = cli("code", "list")
    header, row = out.splitlines()
    assert ["URI", "TYPE", "LAYOUT", "MODULES", "TAGS", "SIZE", "CREATED"] == header.split()
    assert [uri, "function", "archive", "trainer,", "utils", "latest"] == row.split()[:6]
    code, out, _err = cli("code", "show", uri)
    assert (0, True) == (code, "modules:       trainer, utils" in out)
    assert "source: not shown (an archive); export it: " in out


def test_code_json_has_the_documented_keys(cli: Any, workdir: Path) -> None:
    uri = log_archive(cli)
    (workdir / "wf.py").write_text(WORKFLOW)
    cli("code", "log", "wf", "wf.py", "--type", "workflow")
    listed = json.loads(cli("code", "list", "--json")[1])
    assert [set(json_output.CODE_KEYS)] * 2 == [set(item) for item in listed]
    (function,) = json.loads(cli("code", "list", "--type", "function", "--json")[1])
    assert (uri, "code", "function", "archive", ["trainer", "utils"]) == (
        function["uri"], function["kind"], function["code_type"], function["layout"], function["modules"]
    )
    assert function["digest"].startswith("files:")
    shown = json.loads(cli("code", "show", "wf", "--json")[1])
    assert set(json_output.CODE_SHOW_KEYS) == set(shown)
    assert ("workflow", WORKFLOW) == (shown["code_type"], shown["source"])


def test_a_body_is_read_from_stdin_and_named_by_the_key(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"def main():\n    return 'ok'\n")))
    code, out, err = cli("code", "log", "inline", "-")
    assert (0, "", "modules: inline") == (code, err, out.splitlines()[1])
    code, out, _err = cli("run", "store://code/demo/inline", "--handler", "inline:main", "--returns", "answer")
    assert (0, True) == (code, "answer = 'ok'" in out), out


def test_a_body_file_is_named_by_its_file_name(cli: Any, workdir: Path) -> None:
    (workdir / "scorer.py").write_text("def score():\n    return 1\n")
    code, out, _err = cli("code", "log", "s", "scorer.py", "--body-file")
    assert (0, "modules: scorer") == (code, out.splitlines()[1])
    shown = json.loads(cli("code", "show", "s", "--json")[1])
    assert ("def score():\n    return 1\n", ["scorer"]) == (shown["source"], shown["modules"])


def test_a_notebook_says_how_many_lines_were_dropped_and_show_lists_them(cli: Any, workdir: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "code", "source": ["%pip install pandas\n", "def main():\n", "    return 3\n"]},
            {"cell_type": "markdown", "source": ["# notes"]},
            {"cell_type": "code", "source": ["!ls\n"]},
        ],
    }
    (workdir / "analysis.ipynb").write_text(json.dumps(notebook))
    code, out, err = cli("code", "log", "nb", "analysis.ipynb")
    assert (0, "") == (code, err)
    uri = out.splitlines()[0]
    assert f"notebook analysis.ipynb: 2 line(s) dropped (magics and shell commands); they are listed by satchel --store {workdir / 'store'} --project demo code show {uri}" in out
    code, out, _err = cli("code", "show", "nb")
    assert "notebook analysis.ipynb: 2 code cell(s), 2 line(s) dropped\n  cell 1 line 1: %pip install pandas\n  cell 3 line 1: !ls\n" in out
    code, out, _err = cli("run", "store://code/demo/nb", "--handler", "analysis:main", "--returns", "x")
    assert (0, True) == (code, "x = 3" in out)


def test_a_referenced_object_is_logged_without_a_path(cli: Any, workdir: Path) -> None:
    (workdir / "remote.py").write_text("def main():\n    return 'far'\n")
    code, out, _err = cli("code", "log", "ref", "--target-path", str(workdir / "remote.py"))
    assert 0 == code
    code, out, _err = cli("code", "show", "ref")
    assert f"target:        {workdir / 'remote.py'} (referenced, checked against its sha256 on every run" in out
    assert "source: not shown (the code is an object elsewhere, referenced by its URL)" in out
    code, out, _err = cli("run", "store://code/demo/ref", "--handler", "remote:main", "--returns", "x")
    assert (0, True) == (code, "x = 'far'" in out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["code", "log", "k"], "code log k: give PATH (a .py file, notebook, archive or folder)"),
        (["code", "log", "k", "--body-file"], "--body-file needs PATH"),
        (["code", "log", "k", "nothing.py"], "local_path 'nothing.py' is neither a file nor a folder"),
        (["code", "log", "k", "my_pkg.zip", "--label", "team"], "--label 'team' is not key=value"),
        (["code", "show", "nothing"], "no artifact 'nothing'"),
    ],
)
def test_code_mistakes_print_one_line_and_exit_2(cli: Any, args: list[str], message: str) -> None:
    code, out, err = cli(*args)
    assert (2, "") == (code, out)
    assert message in one_line_error(err)


def test_a_malformed_requirement_shows_where_and_exits_2(cli: Any) -> None:
    code, out, err = cli("code", "log", "k", "my_pkg.zip", "--requirement", "pandas>>2")
    assert (2, "") == (code, out)
    assert err.startswith("satchel: error: code artifact 'k': requirements: requirement 'pandas>>2' is malformed"), err
    assert "\n    pandas>>2\n          ^\n" in err and "Traceback" not in err
    assert [] == json.loads(cli("code", "list", "--json")[1])


# -- run a code artifact ---------------------------------------------------------------------------


def test_run_a_code_artifact_and_the_run_records_the_exact_version(cli: Any) -> None:
    uri = log_archive(cli)
    code, out, err = cli("run", "store://code/demo/k", "--handler", "trainer:main", "-p", "p1=5", "--returns", "out")
    assert (0, "") == (code, err)
    ((name, uid, status),) = RUN_RE.findall(out)
    assert ("k", "completed") == (name, status)
    assert f"code: {uri}  trainer:main" in out
    assert "out = 10  (builtins.int)" in out

    shown = json.loads(cli("runs", "show", uid, "--json")[1])
    assert set(json_output.RUN_KEYS) == set(shown)
    assert (uri, uri.rpartition("@")[2], "trainer:main", "function") == (
        shown["code"]["uri"], shown["code"]["uid"], shown["code"]["handler"], shown["kind"]
    )
    assert ("local", None, []) == (shown["environment"]["kind"], shown["workflow"], shown["steps"])
    code, out, _err = cli("runs", "show", uid)
    assert "kind:     function\n" in out
    assert f"code:\n  uri       = {uri}\n  handler   = trainer:main\n  digest    = files:" in out
    assert "environment: local\n" in out
    # A code artifact run by URI is not saved as one of the project's functions.
    assert [] == json.loads(cli("functions", "--json")[1])


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ([], "store://code/demo/k is code: give --handler MODULE:FUNCTION, a function in one of its modules (it holds: trainer, utils), e.g. --handler trainer:main"),
        (["--handler", "main"], "--handler 'main' must be MODULE:FUNCTION, the module being a file of the code without .py (it holds: trainer, utils), e.g. --handler trainer:main"),
        (["--handler", "my_pkg:main"], "handler 'my_pkg:main' names module 'my_pkg', which code artifact store://code/demo/k@"),
        (["--handler", "trainer:nothere"], "has no function 'nothere'; it defines: main"),
    ],
)
def test_a_missing_or_wrong_handler_exits_2_listing_the_modules(cli: Any, handler: list[str], message: str) -> None:
    log_archive(cli)
    code, out, err = cli("run", "store://code/demo/k", *handler, "-p", "p1=5", "--returns", "out")
    assert (2, "") == (code, out)
    assert message in one_line_error(err)
    if handler == ["--handler", "my_pkg:main"]:
        assert err.rstrip().endswith("does not hold; it holds: trainer, utils")
    assert [] == json.loads(cli("runs", "--json")[1])  # nothing ran


def test_a_workflow_artifact_is_not_run_as_a_function(cli: Any, workdir: Path) -> None:
    (workdir / "wf.py").write_text(WORKFLOW)
    cli("code", "log", "wf", "wf.py", "--type", "workflow")
    code, _out, err = cli("run", "store://code/demo/wf", "--handler", "wf:workflow")
    assert 2 == code
    assert "is a workflow code artifact (code_type='workflow'), not a function" in one_line_error(err)


def test_env_isolated_is_for_code_artifacts_and_saved_functions_only(cli: Any, workdir: Path) -> None:
    (workdir / "local.py").write_text("def main():\n    return 1\n")
    code, out, err = cli("run", "local.py:main", "--env", "isolated", "--returns", "x")
    assert (2, "") == (code, out)
    assert "--env isolated runs a saved function or a store://code/... artifact, not local.py:main" in one_line_error(err)
    code, _out, err = cli("run", "local.py:main", "--handler", "local:main")
    assert (2, True) == (code, "--handler is for a store://code/... target" in one_line_error(err))


def test_a_missing_requirement_stops_the_run_before_the_code_is_imported(cli: Any, workdir: Path) -> None:
    (workdir / "needs.py").write_text("import satchel_no_such_module\n\ndef main():\n    return 1\n")
    cli("code", "log", "needs", "needs.py", "--requirement", "satchel-no-such-distribution>=1")
    code, out, err = cli("run", "store://code/demo/needs", "--handler", "needs:main", "--returns", "x")
    assert (2, "") == (code, out)
    assert err.startswith("satchel: error: function 'needs' needs what this environment does not have:\n"
                          "  satchel-no-such-distribution>=1: not installed\n"), err
    assert "--env isolated" in err and "satchel_no_such_module" not in err
    assert "Traceback" not in err
    assert [] == json.loads(cli("runs", "--json")[1])


def test_env_isolated_reaches_the_function_and_its_errors_exit_2(cli: Any, memory_store: Store) -> None:
    # A memory store cannot be written from another process: refused before any environment is built.
    store = memory_store.url
    code, _out, _err = cli("code", "log", "k", "my_pkg.zip", store=store)
    assert 0 == code
    code, out, err = cli("run", "store://code/demo/k", "--handler", "trainer:main", "--env", "isolated", store=store)
    assert (2, "") == (code, out)
    assert "an isolated run writes from another process, which cannot see the memory store" in one_line_error(err)


# -- functions -------------------------------------------------------------------------------------


def test_a_saved_function_is_listed_and_run_by_name(cli: Any) -> None:
    uri = log_archive(cli)
    code, out, err = cli("functions", "set", "store://code/demo/k", "--handler", "trainer:main", "--name", "trainer")
    assert (0, "") == (code, err)
    assert "function trainer: store://code/demo/k  trainer:main" == out.splitlines()[0]
    code, out, _err = cli("functions")
    assert [["NAME", "SOURCE", "HANDLER", "REQUIREMENTS"], ["trainer", "store://code/demo/k", "trainer:main", "-"]] == [
        line.split() for line in out.splitlines()
    ]
    (listed,) = json.loads(cli("functions", "--json")[1])
    assert set(json_output.FUNCTION_KEYS) == set(listed)

    code, out, err = cli("run", "trainer", "-p", "p1=4", "--returns", "out")
    assert (0, "") == (code, err)
    assert [("trainer", "completed")] == [(name, status) for name, _uid, status in RUN_RE.findall(out)]
    assert "out = 8  (builtins.int)" in out
    assert f"code: {uri}  trainer:main" in out


def test_a_local_file_function_notes_that_later_commands_need_trust(cli: Any, workdir: Path) -> None:
    (workdir / "local.py").write_text("def main(p1: int = 1) -> int:\n    return p1 + 1\n")
    code, out, err = cli("functions", "set", "local.py", "--handler", "main")
    assert (0, f"function local: {workdir / 'local.py'}  main") == (code, out.splitlines()[0])
    assert "later commands run" in err and "trusted_code under [projects.demo]" in err
    code, out, _err = cli("run", "local", "-p", "p1=2", "--returns", "x")
    assert (0, True) == (code, "x = 3" in out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nosuch"], "project 'demo' has no function 'nosuch'; it has: none (project.set_function()) (or give FILE.py:FUNCTION"),
        (["functions", "set", "store://code/demo/k"], "the following arguments are required: --handler"),
        (["functions", "set", "store://code/demo/k", "--handler", "nope:main"], "names module 'nope', which store://code/demo/k@"),
        (["functions", "set", "store://code/demo/k", "--handler", "main"], "handler 'main' must be \"<module>:<function>\""),
    ],
)
def test_function_mistakes_exit_2(cli: Any, args: list[str], message: str) -> None:
    log_archive(cli)
    code, out, err = cli(*args)
    assert (2, "") == (code, out)
    assert message in err, err
    assert "Traceback" not in err
    assert [] == json.loads(cli("functions", "--json")[1])


# -- workflows -------------------------------------------------------------------------------------


def test_a_workflow_runs_and_shows_its_steps(cli: Any, workdir: Path) -> None:
    log_archive(cli)
    cli("functions", "set", "store://code/demo/k", "--handler", "trainer:main", "--name", "trainer")
    (workdir / "my_workflow.py").write_text(WORKFLOW)
    code, out, _err = cli("code", "log", "my_workflow_code", "my_workflow.py", "--type", "workflow")
    assert (0, True) == (code, "workflows set NAME store://code/demo/my_workflow_code" in out)
    code, out, err = cli("workflows", "set", "main", "store://code/demo/my_workflow_code")
    assert (0, "", "workflow main: store://code/demo/my_workflow_code  my_workflow:workflow") == (code, err, out.splitlines()[0])
    assert [{"name": "main", "source": "store://code/demo/my_workflow_code", "handler": "my_workflow:workflow", "arguments": {}}] == (
        json.loads(cli("workflows", "--json")[1])
    )

    code, out, err = cli("workflow", "run", "main", "-a", "p1=3")
    assert (0, "") == (code, err)
    lines = out.splitlines()
    workflow_uid = re.fullmatch(r"workflow main  ([0-9a-f]{32})  completed", lines[0]).group(1)  # type: ignore[union-attr]
    assert ["steps:", "UID NAME STATUS"] == [lines[1], " ".join(lines[2].split())]
    steps = [line.split() for line in lines[3:5]]
    assert [["trainer", "completed"]] * 2 == [step[1:] for step in steps]

    shown = json.loads(cli("runs", "show", workflow_uid, "--json")[1])
    assert ("workflow", [s[0] for s in steps], {"p1": 3}) == (shown["kind"], shown["steps"], shown["params"])
    code, out, _err = cli("runs", "show", workflow_uid)
    assert "kind:     workflow\n" in out and f"steps:\n  UID                               NAME     STATUS\n  {steps[0][0]}  trainer  completed\n" in out
    code, out, _err = cli("runs", "show", steps[1][0])
    assert f"step of workflow: {workflow_uid} (main, completed)\n" in out
    assert 12 == json.loads(cli("runs", "show", steps[1][0], "--json")[1])["results"]["doubled"]

    document = json.loads(cli("workflow", "run", "main", "--json")[1])
    assert {"run", "steps"} == set(document)
    assert [set(json_output.STEP_KEYS)] * 2 == [set(step) for step in document["steps"]]


def test_a_failing_step_exits_1_naming_the_step(cli: Any, workdir: Path) -> None:
    (workdir / "boom.py").write_text("def main():\n    raise ValueError('bad input')\n")
    cli("code", "log", "boom", "boom.py")
    cli("functions", "set", "store://code/demo/boom", "--handler", "boom:main", "--name", "explode")
    (workdir / "wf.py").write_text("def workflow(project):\n    project.run_function('explode')\n")
    cli("code", "log", "wf", "wf.py", "--type", "workflow")
    cli("workflows", "set", "main", "store://code/demo/wf")
    code, out, err = cli("workflow", "run", "main")
    assert 1 == code
    assert re.match(r"workflow main  [0-9a-f]{32}  failed\n", out), out
    step_uid = re.search(r"  ([0-9a-f]{32})  explode  failed", out).group(1)  # type: ignore[union-attr]
    assert f"satchel: workflow main failed at step explode ({step_uid}): ValueError: bad input\n" in err
    assert f"runs show {step_uid}" in err
    assert "Traceback" not in err


def test_workflow_mistakes_exit_2(cli: Any) -> None:
    log_archive(cli)
    code, _out, err = cli("workflow", "run", "nothing")
    assert (2, True) == (code, "project 'demo' has no workflow 'nothing'" in one_line_error(err))
    code, _out, err = cli("workflows", "set", "main", "store://code/demo/k")
    assert (2, True) == (code, "is a function code artifact" in one_line_error(err))
    code, _out, err = cli("workflow", "run", "main", "-a", "p1")
    assert (2, True) == (code, "-a 'p1' is not key=value" in one_line_error(err))


# -- project export and import ---------------------------------------------------------------------


def test_an_exported_project_runs_in_another_store(cli: Any, workdir: Path) -> None:
    log_archive(cli)
    cli("functions", "set", "store://code/demo/k", "--handler", "trainer:main", "--name", "trainer")
    code, out, err = cli("project", "export", "out.zip")
    assert (0, "") == (code, err)
    assert str(workdir / "out.zip") in out and (workdir / "out.zip").is_file()

    other = str(workdir / "other")
    code, out, err = cli("project", "import", "out.zip", store=other)
    assert (0, "") == (code, err)
    assert f"imported project demo into {other}" == out.splitlines()[0]
    assert "functions:  trainer" in out
    code, out, err = cli("run", "trainer", "-p", "p1=5", "--returns", "out", store=other)
    assert (0, "") == (code, err)
    assert "out = 10  (builtins.int)" in out
    assert re.search(r"code: store://code/demo/k@[0-9a-f]{32}  trainer:main", out), out
    assert 1 == len(json.loads(cli("runs", "--json", store=other)[1]))


def test_project_import_json_and_a_missing_file(cli: Any, workdir: Path) -> None:
    log_archive(cli)
    cli("functions", "set", "store://code/demo/k", "--handler", "trainer:main", "--name", "trainer")
    assert {"path": str(workdir / "out.zip")} == json.loads(cli("project", "export", "out.zip", "--json")[1])
    document = json.loads(cli("project", "import", "out.zip", "--name", "copy", "--json", store=str(workdir / "other"))[1])
    assert {"project": "copy", "store": str(workdir / "other"), "functions": ["trainer"], "workflows": []} == document
    code, out, err = cli("project", "import", "missing.zip")
    assert (2, "") == (code, out)
    assert "does not exist" in one_line_error(err)


# -- the documented keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "keys"),
    [
        ("runs show", json_output.RUN_KEYS),
        ("code log", json_output.CODE_KEYS),
        ("code list", json_output.CODE_KEYS),
        ("code show", json_output.CODE_SHOW_KEYS),
        ("functions", json_output.FUNCTION_KEYS),
        ("functions set", json_output.FUNCTION_KEYS),
        ("workflows", json_output.WORKFLOW_KEYS),
        ("workflows set", json_output.WORKFLOW_KEYS),
        ("workflow run", (*json_output.RUN_KEYS, *json_output.STEP_KEYS)),
    ],
)
def test_every_key_json_prints_is_documented_in_help(command: str, keys: tuple[str, ...]) -> None:
    assert set() == set(keys) - set(re.findall(r"\w+", JSON_KEYS[command]))
