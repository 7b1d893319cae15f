"""The ``satchel`` command line: what a user types, what they see, and the exit status."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import blake3
import pytest

from satchel.cli import JSON_KEYS, json_output, main
from satchel.cli.targets import parse_inputs, parse_value
from satchel.entrypoints import FoundEntryPoint
from satchel.host import PluginHost, set_host

HERE = Path(__file__).parent
URI_RE = re.compile(r"store://artifacts/[a-z0-9._-]+/[a-z0-9._-]+@[0-9a-f]{32}")
# The documented keys of `--json` output (satchel.cli.JSON_KEYS); scripts rely on them.
RUN_KEYS = {
    "uid", "name", "project", "handler", "status", "start", "end", "params", "inputs", "returns",
    "results", "outputs", "error", "traceback", "versions", "labels", "kind", "code", "environment",
    "workflow", "steps",
}
ARTIFACT_KEYS = {
    "uri", "key", "project", "uid", "kind", "iteration", "tags", "size", "created", "producer", "run",
    "format", "artifact_type", "object_type",
}
HEAVY = ("PIL", "numpy", "pandas", "pyarrow", "langchain_core")

HANDLERS = '''
from __future__ import annotations

from helpers import describe


class Opaque:
    """No packager knows this type; only the pickle fallback takes it."""


def train(lr: float = 0.1, epochs: int = 3) -> tuple[int, dict, str]:
    return epochs * 2, {"lr": lr, "epochs": epochs}, describe(lr)


def total(config: dict) -> int:
    return config["epochs"] * 10


def merge(configs: list[dict]) -> int:
    return sum(c["epochs"] for c in configs)


def broken(x: int = 1) -> int:
    raise RuntimeError("the model diverged")


def blob(size: int = 1024) -> bytes:
    return bytes(range(256)) * (size // 256)


def squares(n: int = 3) -> list[int]:
    return [i * i for i in range(n)]


def opaque() -> Opaque:
    return Opaque()


def echo(value: object = None) -> object:
    return value
'''


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a handler file (and a sibling module it imports); sys.path is restored after."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("SATCHEL_STORE", raising=False)
    monkeypatch.delenv("SATCHEL_PROJECT", raising=False)
    (tmp_path / "handlers.py").write_text(HANDLERS)
    (tmp_path / "helpers.py").write_text("def describe(lr):\n    return f'trained with lr={lr}'\n")
    return tmp_path


@pytest.fixture
def cli(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Call ``satchel --store <tmp store> ARGS…`` in-process; returns (exit status, stdout, stderr)."""
    store = str(workdir / "store")

    def call(*args: str, store_option: bool = True) -> tuple[int, str, str]:
        code = main([*(["--store", store] if store_option else []), *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    call.store = store  # type: ignore[attr-defined]
    return call


def _train(cli: Any, workdir: Path, lr: str = "0.5") -> tuple[str, str]:
    code, out, err = cli(
        "run", str(workdir / "handlers.py:train"), "-p", f"lr={lr}",
        "--returns", "score", "config : file", "note",
    )
    assert (0, "") == (code, err)
    (uri,) = URI_RE.findall(out.split("look at them:")[0])
    uid = re.search(r"run train  ([0-9a-f]{32})  completed", out).group(1)  # type: ignore[union-attr]
    return uid, uri


# -- run -------------------------------------------------------------------------------------------


def test_run_prints_results_outputs_and_how_to_look_at_them(cli: Any, workdir: Path) -> None:
    code, out, err = cli(
        "run", str(workdir / "handlers.py:train"), "-p", "lr=0.5", "-p", "epochs=4",
        "--returns", "score", "config : file", "note",
    )
    assert (0, "") == (code, err)
    assert "score = 8" in out
    assert "note  = 'trained with lr=0.5'" in out
    uri = URI_RE.search(out).group()  # type: ignore[union-attr]
    uid = re.search(r"([0-9a-f]{32})  completed", out).group(1)  # type: ignore[union-attr]
    assert f"satchel --store {cli.store} artifacts show {uri}" in out
    assert f"satchel --store {cli.store} runs show {uid}" in out


def test_run_with_module_target_and_json_output(cli: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)
    code, out, _err = cli("run", "handlers:squares", "-p", "n=4", "--returns", "squares", "--json")
    data = json.loads(out)
    assert 0 == code
    assert RUN_KEYS == set(data)
    assert ("completed", {"squares": [0, 1, 4, 9]}, {"n": 4}) == (data["status"], data["results"], data["params"])


def test_param_values_are_python_literals_and_anything_else_is_text() -> None:
    cases = {
        "3": 3, "0.5": 0.5, "-2e3": -2000.0, "[1, 2]": [1, 2], "{'a': 1}": {"a": 1}, "'x'": "x",
        "None": None, "True": True, "hello": "hello", "hello world": "hello world", "": "",
        "/tmp/data.csv": "/tmp/data.csv", "__import__('os').getcwd()": "__import__('os').getcwd()",
    }
    assert cases == {text: parse_value(text) for text in cases}


def test_an_input_key_given_again_becomes_a_list() -> None:
    assert {"a": ["x", "y", "z"], "b": "w"} == parse_inputs(["a=x", "b=w", "a=y", "a=z"])


def test_consumers_take_store_uris_as_inputs(cli: Any, workdir: Path) -> None:
    _uid, uri = _train(cli, workdir)
    _uid2, uri2 = _train(cli, workdir, lr="0.25")
    code, out, _err = cli("run", str(workdir / "handlers.py:total"), "-i", f"config={uri}", "--returns", "total")
    assert (0, True) == (code, "total = 30" in out)
    code, out, _err = cli(
        "run", str(workdir / "handlers.py:merge"), "-i", f"configs={uri}", "-i", f"configs={uri2}",
        "--returns", "epochs", "--json",
    )
    data = json.loads(out)
    assert (0, {"epochs": 6}, {"configs": [uri, uri2]}) == (code, data["results"], data["inputs"])


def test_a_failing_handler_exits_1_and_its_traceback_is_kept(cli: Any, workdir: Path) -> None:
    code, out, err = cli("run", str(workdir / "handlers.py:broken"), "--returns", "x")
    uid = re.search(r"run broken  ([0-9a-f]{32})  failed", out).group(1)  # type: ignore[union-attr]
    assert 1 == code
    assert "satchel: run broken failed: RuntimeError: the model diverged" in err
    assert f"runs show {uid}" in err
    code, out, _err = cli("runs", "show", uid[:10])
    assert 0 == code
    assert "error:    RuntimeError: the model diverged" in out
    assert "Traceback (most recent call last)" in out
    assert 'raise RuntimeError("the model diverged")' in out


def test_pickle_fallback_warns_in_one_line(cli: Any, workdir: Path) -> None:
    code, _out, err = cli("run", str(workdir / "handlers.py:opaque"), "--returns", "thing")
    assert 0 == code
    assert re.search(r"^satchel: warning: .*pickle", err, re.MULTILINE | re.IGNORECASE)


def test_pickled_inputs_need_allow_pickle(cli: Any, workdir: Path) -> None:
    uri = URI_RE.search(cli("run", str(workdir / "handlers.py:opaque"), "--returns", "thing")[1]).group()  # type: ignore[union-attr]
    echo = str(workdir / "handlers.py:echo")
    code, _out, err = cli("run", echo, "-i", f"value={uri}", "--returns", "v")
    assert (1, True, True) == (code, "PickleNotAllowedError" in err, "try: --allow-pickle" in err)
    code, _out, _err = cli("run", echo, "-i", f"value={uri}", "--returns", "v", "--allow-pickle")
    assert 0 == code


def test_a_decorated_handler_runs_once_with_its_own_log_hints(cli: Any, workdir: Path) -> None:
    (workdir / "decorated.py").write_text(
        "import satchel\n\n@satchel.handler(returns=['total'])\ndef add(a: int = 1, b: int = 2) -> int:\n    return a + b\n"
    )
    code, out, _err = cli("run", str(workdir / "decorated.py:add"), "-p", "a=5")
    runs = json.loads(cli("runs", "--json")[1])
    assert (0, True) == (code, "total = 7" in out)
    assert [("add", f"{workdir / 'decorated.py'}:add")] == [(r["name"], r["handler"]) for r in runs]


def test_running_without_returns_says_nothing_is_stored(cli: Any, workdir: Path) -> None:
    code, out, err = cli("run", str(workdir / "handlers.py:squares"))
    assert (0, True, True) == (code, "no --returns given" in err, "completed" in out)


CANVAS = '''
from pathlib import Path


def render(width: int, ratio: float = 1.5) -> str:
    Path(__file__).with_name("rendered.txt").write_text("the handler ran")
    return f"{width!r} {ratio!r}"
'''


def test_params_arrive_converted_to_the_handlers_type_hints(cli: Any, workdir: Path) -> None:
    (workdir / "canvas.py").write_text(CANVAS)
    code, out, _err = cli("run", str(workdir / "canvas.py:render"), "-p", "width=128", "-p", "ratio=1", "--returns", "shape", "--json")
    assert (0, {"shape": "128 1.0"}) == (code, json.loads(out)["results"])


def test_a_param_that_does_not_convert_to_its_hint_exits_2_before_the_handler_runs(cli: Any, workdir: Path) -> None:
    (workdir / "canvas.py").write_text(CANVAS)
    code, out, err = cli("run", str(workdir / "canvas.py:render"), "-p", "width=abc", "--returns", "shape")
    assert (2, "") == (code, out)
    assert 1 == len(err.splitlines()), err
    assert err.startswith("satchel: error: parameter 'width' of "), err
    assert re.search(r"render: 'abc' is not an int\b", err), err
    assert False is (workdir / "rendered.txt").exists()
    assert [] == json.loads(cli("runs", "--json")[1])


# -- user mistakes: one line, exit 2 ---------------------------------------------------------------


def test_a_bad_log_hint_shows_a_caret_and_exits_2(cli: Any, workdir: Path) -> None:
    code, out, err = cli("run", str(workdir / "handlers.py:train"), "--returns", "score : [x")
    assert (2, "") == (code, out)
    assert err.startswith("satchel: error: invalid log hint: expected an artifact type")
    assert "  score : [x\n          ^\n" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("store://bogus/x", "invalid store URI 'store://bogus/x': it has 2 of the 3 parts"),
        ("store://artifacts/default/nothing", "project 'default' has no artifact 'nothing'"),
    ],
)
def test_a_bad_or_missing_input_uri_exits_2_before_anything_runs(cli: Any, workdir: Path, value: str, message: str) -> None:
    code, _out, err = cli("run", str(workdir / "handlers.py:total"), "-i", f"config={value}", "--returns", "t")
    assert (2, True) == (code, message in err), err
    assert "(input 'config')" in err
    assert 1 == len(err.splitlines())
    assert [] == json.loads(cli("runs", "--json")[1])  # no run was recorded


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.py:f"], "no such handler file: 'missing.py'"),
        (["run", "{dir}/handlers.py:nothere"], "has no function 'nothere'; it defines: blob, broken, echo"),
        (["run", "{dir}/handlers.py"], "names no function; write FILE.py:FUNCTION"),
        (["run", "no_such_module_xyz:f"], "no module named 'no_such_module_xyz'"),
        (["run", "{dir}/syntax.py:f"], "cannot load '{dir}/syntax.py': SyntaxError: "),
        (["run", "{dir}/handlers.py:train", "-p", "lr"], "-p 'lr' is not key=value"),
        (["run", "{dir}/handlers.py:train", "-p", "speed=2"], "got an unexpected keyword argument 'speed'; it takes: lr, epochs"),
        (["run", "{dir}/handlers.py:total"], "missing a required argument: 'config'"),
        (["runs", "show", "abc"], "run uid prefix 'abc' is too short"),
        (["runs", "show", "0123456789"], "no run '0123456789'"),
        (["artifacts", "show", "nothing"], "has no artifact 'nothing'"),
        (["artifacts", "show", "store://artifacts/Bad/x"], "invalid store URI"),
        (["explain", "--type", "no_such_module_xyz.Thing"], "cannot import 'no_such_module_xyz.Thing'"),
        (["explain"], "explain needs a handler or a type"),
        (["--project", "Bad Name", "runs"], "invalid project name 'Bad Name'"),
    ],
)
def test_user_mistakes_print_one_line_and_exit_2(cli: Any, workdir: Path, args: list[str], message: str) -> None:
    (workdir / "syntax.py").write_text("def f(:\n    pass\n")
    code, out, err = cli(*[a.format(dir=workdir) for a in args])
    assert (2, "") == (code, out)
    assert err.startswith("satchel: error: "), err
    assert message.format(dir=workdir) in err, err
    assert "Traceback" not in err
    assert 1 == len(err.splitlines())


def test_unknown_commands_and_options_are_usage_errors(cli: Any) -> None:
    code, _out, err = cli("frobnicate")
    assert (2, True) == (code, "invalid choice: 'frobnicate'" in err)
    code, _out, err = cli("runs", "--colour")
    assert (2, True) == (code, "unrecognized arguments: --colour" in err)
    code, _out, err = cli("runs", "--limit", "-3")
    assert (2, True) == (code, "is negative" in err)


# -- runs and artifacts ----------------------------------------------------------------------------


def test_runs_lists_newest_first_and_shows_one_in_full(cli: Any, workdir: Path) -> None:
    first, _ = _train(cli, workdir)
    second, uri = _train(cli, workdir, lr="0.25")
    code, out, _err = cli("runs")
    lines = out.splitlines()
    assert 0 == code
    assert ["UID", "NAME", "STATUS", "START", "OUTPUTS"] == lines[0].split()
    assert [second, first] == [line.split()[0] for line in lines[1:]]
    assert ["train", "completed"] == lines[1].split()[1:3]
    assert "1" == lines[1].split()[-1]
    code, out, _err = cli("runs", "show", second)
    assert 0 == code
    for expected in (f"uid:      {second}", "status:   completed", "lr = 0.25", f"config  {uri}", "returns:  score, config : file, note"):
        assert expected in out
    code, out, err = cli("runs", "--limit", "1")
    assert (0, 2, True) == (code, len(out.splitlines()), "--limit N for more" in err)


def test_runs_json_has_the_documented_keys(cli: Any, workdir: Path) -> None:
    uid, uri = _train(cli, workdir)
    listed = json.loads(cli("runs", "--json")[1])
    shown = json.loads(cli("runs", "show", uid, "--json")[1])
    assert RUN_KEYS == set(shown)
    assert set(shown) - {"traceback"} == set(listed[0])
    assert (uid, {"config": uri}, {"score": 6, "note": "trained with lr=0.5"}) == (
        shown["uid"], shown["outputs"], shown["results"]
    )


def test_artifacts_list_show_and_get(cli: Any, workdir: Path) -> None:
    uid, uri = _train(cli, workdir)
    code, out, _err = cli("artifacts")
    header, row = out.splitlines()
    assert ["URI", "KIND", "TAGS", "SIZE", "CREATED", "PRODUCER"] == header.split()
    assert [uri, "file", "latest", "24", "B"] == row.split()[:5]
    assert "collections" == row.split()[-1]
    assert cli("artifacts", "--kind", "model")[1].startswith("no artifacts matching --kind model in project 'default'")

    code, out, _err = cli("artifacts", "show", uri)
    assert 0 == code
    for expected in (f"uri:          {uri}", "producer:     collections (satchel", f"run:          {uid}",
                     "object type:  builtins.dict", "format    = 'json'", "config.json  24 B"):
        assert expected in out, out
    shown = json.loads(cli("artifacts", "show", "config", "--json")[1])
    ((name, digest, size),) = [(f["name"], f["digest"], f["size"]) for f in shown["files"]]
    assert ("config.json", 24, "collections") == (name, size, shown["producer"]["plugin"])
    assert {"uri", "kind", "size", "created", "producer", "files", "instructions", "preview"} <= set(shown)

    target = workdir / "out" / "config.json"
    code, out, _err = cli("artifacts", "get", uri, "-o", str(target))
    assert (0, f"{target}\n") == (code, out)
    assert {"lr": 0.5, "epochs": 3} == json.loads(target.read_text())
    assert digest == f"blake3:{blake3.blake3(target.read_bytes()).hexdigest()}"
    code, out, _err = cli("artifacts", "get", "config", "-o", str(workdir / "folder") + os.sep)
    assert (0, (workdir / "folder" / "config.json").read_bytes()) == (code, target.read_bytes())


def test_artifacts_json_has_the_documented_keys(cli: Any, workdir: Path) -> None:
    _train(cli, workdir)
    (listed,) = json.loads(cli("artifacts", "--json")[1])
    shown = json.loads(cli("artifacts", "show", listed["uri"], "--json")[1])
    assert ARTIFACT_KEYS == set(listed)
    assert ARTIFACT_KEYS | {"hash", "files", "instructions", "labels", "extra", "preview"} == set(shown)
    assert {"plugin", "distribution", "version", "format_version"} == set(listed["producer"])
    for key in [*RUN_KEYS, *ARTIFACT_KEYS]:
        assert key in JSON_KEYS["runs show"] + JSON_KEYS["artifacts show"]


@pytest.mark.parametrize(
    ("command", "keys"),
    [
        ("runs show", json_output.RUN_KEYS),
        ("runs", json_output.RUN_LISTING_KEYS),
        ("artifacts", json_output.ARTIFACT_KEYS),
        ("artifacts show", json_output.ARTIFACT_SHOW_KEYS),
        ("plugins", json_output.PLUGIN_KEYS),
        ("explain", (*json_output.OUTPUT_KEYS, *json_output.CANDIDATE_KEYS)),
        ("verify", json_output.PROBLEM_KEYS),
        ("gc", json_output.GC_KEYS),
    ],
)
def test_every_key_json_prints_is_documented_in_help(command: str, keys: tuple[str, ...]) -> None:
    documented = set(re.findall(r"\w+", JSON_KEYS[command]))
    assert set() == set(keys) - documented


def test_large_exports_show_a_progress_bar_on_a_terminal(cli: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _err = cli("run", str(workdir / "handlers.py:blob"), "-p", "size=65536", "--returns", "blob : file")
    uri = URI_RE.search(out).group()  # type: ignore[union-attr]
    monkeypatch.setattr("satchel.cli.browse.PROGRESS_MIN_BYTES", 1000)
    monkeypatch.setattr("satchel.store.hashing.CHUNK_SIZE", 4096)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _out, err = cli("artifacts", "get", uri, "-o", str(workdir / "blob.bin"))
    assert 0 == code
    assert "[##############################] 100%  64.0 KiB / 64.0 KiB\n" in err
    assert err.count("\r") > 5
    assert bytes(range(256)) * 256 == (workdir / "blob.bin").read_bytes()


# -- plugins and explain ---------------------------------------------------------------------------


def test_plugins_lists_the_builtins_with_their_artifact_types(cli: Any) -> None:
    code, out, _err = cli("plugins")
    rows = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert 0 == code
    assert ["NAME", "DISTRIBUTION", "VERSION", "PRIORITY", "PACKS", "UNPACKS", "TYPES"] == out.splitlines()[0].split()
    assert {"builtins", "collections", "paths", "structured", "values", "pickle"} == set(rows)
    assert "result*, file " in rows["collections"] and "object" not in rows["collections"]  # pickles are the pickle packager's alone
    assert "dict, list, tuple, set, frozenset" in rows["collections"]
    assert "10 (fallback)" in rows["pickle"]
    listed = {row["name"]: row for row in json.loads(cli("plugins", "--json")[1])}
    assert ["file", "result"] == listed["collections"]["packing_artifact_types"]
    assert {
        "name", "status", "distribution", "version", "priority", "fallback", "source", "types",
        "packing_artifact_types", "unpacking_artifact_types", "default_packing_artifact_type", "error",
    } == set(listed["pickle"])
    assert ("loaded", "satchel", 5) == (listed["builtins"]["status"], listed["builtins"]["distribution"], listed["builtins"]["priority"])


def test_plugins_shows_failed_and_blocked_ones_without_crashing(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(HERE))
    points = [
        FoundEntryPoint("broken", "fake_plugins.broken", None, None),
        FoundEntryPoint("good", "fake_plugins.good:WidgetPackager", None, None),
        FoundEntryPoint("lazy", "fake_plugins.lazy:LazyPackager", None, None),
    ]
    monkeypatch.setattr("satchel.host._entry_points", lambda: points)
    monkeypatch.setenv("SATCHEL_DISABLE_PLUGINS", "lazy")
    set_host(PluginHost())
    code, out, err = cli("plugins")
    rows = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert (0, True) == (code, err.startswith("satchel: warning: satchel plugin 'broken' (unknown distribution) failed"))
    assert "FAILED to load: ImportError: No module named 'nonexistent_dependency'" in rows["broken"]
    assert "blocked: disabled by SATCHEL_DISABLE_PLUGINS" in rows["lazy"]
    assert "fake_plugins.good.Widget" in rows["good"]
    statuses = {row["name"]: row["status"] for row in json.loads(cli("plugins", "--json")[1])}
    assert ("failed", "blocked", "loaded") == (statuses["broken"], statuses["lazy"], statuses["good"])


def test_explain_shows_which_packager_wins_for_each_output(cli: Any, workdir: Path) -> None:
    code, out, _err = cli("explain", str(workdir / "handlers.py:train"), "--returns", "score", "config : file", "note")
    assert 0 == code
    blocks = out.split("\n\n")
    assert 3 == len(blocks)
    assert blocks[0].startswith("output 'score' (log hint 'score'): builtins.int")
    assert "=> builtins packs it as 'result'" in blocks[0]
    assert blocks[1].startswith("output 'config' (log hint 'config : file'): builtins.dict")
    assert re.search(r"->\s+collections\s+5\s+wins", blocks[1])
    assert "declined as 'file': builtins, paths, pickle, structured, values" in blocks[1]
    assert "=> collections packs it as 'file'" in blocks[1]
    data = json.loads(cli("explain", str(workdir / "handlers.py:train"), "--returns", "a", "b", "c", "--json")[1])
    assert [("a", "builtins"), ("b", "collections"), ("c", "builtins")] == [(o["output"], o["winner"]) for o in data["outputs"]]
    assert {"plugin", "priority", "accepted", "fallback", "winner", "reason"} == set(data["outputs"][0]["candidates"][0])


def test_explain_notes_hints_that_do_not_fit_and_unbundles(cli: Any, workdir: Path) -> None:
    handlers = str(workdir / "handlers.py")
    code, out, _err = cli("explain", f"{handlers}:total", "--returns", "a", "b")
    assert (0, True) == (code, "2 log hints need a tuple[...] of 2 types, but the handler has the return annotation int" in out)
    code, out, _err = cli("explain", f"{handlers}:train")
    assert out.startswith("note: no log hints")
    assert ["#0", "#1", "#2"] == re.findall(r"output '(#\d)'", out)
    data = json.loads(cli("explain", f"{handlers}:squares", "--returns", "*sq", "--json")[1])
    assert [("sq-<index>", "builtins.int", "builtins")] == [(o["output"], o["type"], o["winner"]) for o in data["outputs"]]
    data = json.loads(cli("explain", f"{handlers}:echo", "--returns", "v", "--json")[1])
    assert (None, "the packager is chosen by the returned object's type at run time") == (
        data["outputs"][0]["winner"], data["outputs"][0]["note"].split(": ", 1)[1].split(";")[0]
    )


def test_explain_a_type_by_its_dotted_name(cli: Any) -> None:
    code, out, _err = cli("explain", "--type", "pathlib.Path")
    assert (0, True) == (code, "=> paths packs it as 'path'" in out)
    data = json.loads(cli("explain", "--type", "dict", "--artifact-type", "file", "--json")[1])
    assert ("dict", "collections", "file") == (data["target"], data["outputs"][0]["winner"], data["outputs"][0]["packs_as"])
    data = json.loads(cli("explain", "--type", "int", "--artifact-type", "dataset", "--json")[1])
    assert (None, True) == (data["outputs"][0]["winner"], "no installed packager packs builtins.int as 'dataset'" in data["outputs"][0]["note"])


# -- maintenance -----------------------------------------------------------------------------------


def test_verify_passes_then_finds_a_corrupted_blob(cli: Any, workdir: Path) -> None:
    _uid, uri = _train(cli, workdir)
    assert (0, f"ok: {uri}: every file matches its digest\n") == cli("verify", uri)[:2]
    assert 0 == cli("verify")[0]
    (blob,) = [p for p in Path(cli.store, "objects").rglob("*") if p.is_file()]
    blob.chmod(0o644)
    blob.write_bytes(b'{"lr": 9.9, "epochs": 3}      ')
    code, out, err = cli("verify")
    assert (1, True, True) == (code, out.startswith(f"{uri}: config.json: blake3 is "), "1 problem(s)" in err)
    data = json.loads(cli("verify", "config", "--json")[1])
    assert (False, "mismatch") == (data["ok"], data["problems"][0]["problem"])
    code, _out, err = cli("artifacts", "get", uri, "-o", str(workdir / "x.json"))
    assert (2, True, False) == (code, "is corrupt" in err, (workdir / "x.json").exists())


def test_gc_and_reindex(cli: Any, workdir: Path) -> None:
    _uid, uri = _train(cli, workdir)
    orphan = Path(cli.store, "objects", "sha256", "ab", "c" * 62)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"nobody refers to me")
    code, out, _err = cli("gc", "--dry-run", "--older-than", "0")
    assert (0, True) == (code, out.startswith("would remove 1 unreferenced blobs (19 bytes)"))
    report = json.loads(cli("gc", "--older-than", "0", "--json")[1])
    assert (1, 19, False) == (report["blobs_removed"], report["blob_bytes_removed"], orphan.exists())
    Path(cli.store, "index.sqlite").unlink()
    code, out, _err = cli("reindex")
    assert (0, f"indexed 1 artifact version(s) in {cli.store}\n") == (code, out)
    assert [uri] == [a["uri"] for a in json.loads(cli("artifacts", "--json")[1])]
    assert {"artifacts": 1} == json.loads(cli("reindex", "--json")[1])


def test_store_and_project_come_from_options_env_or_satchel_toml(cli: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)
    (workdir / "satchel.toml").write_text('store = "from-toml"\n')
    monkeypatch.setenv("SATCHEL_PROJECT", "team")
    code, out, _err = cli("run", "handlers.py:train", "--returns", "a", "b : file", "c", store_option=False)
    assert (0, True) == (code, "store://artifacts/team/b@" in out)
    assert (workdir / "from-toml" / "artifacts" / "team").is_dir()
    # Options work after the command too, and win over the environment.
    code, out, _err = cli("runs", "--project", "other", "--store", str(workdir / "from-toml"), "--json", store_option=False)
    assert (0, []) == (code, json.loads(out))


# -- the real console script -----------------------------------------------------------------------


def _modules_after(*args: str) -> set[str]:
    """The top-level modules a fresh ``python -m satchel ARGS`` imported."""
    script = (
        "import runpy, sys\n"
        f"sys.argv = ['satchel', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('satchel', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES "))
    return set(line.split()[1:])


def test_help_and_plugins_import_nothing_heavy() -> None:
    on_help = _modules_after("--help")
    assert set() == on_help & {*HEAVY, "cattrs", "sqlite3", "_sqlite3", "fsspec"}
    assert set() == _modules_after("plugins") & set(HEAVY)


def test_the_console_script_exit_codes(workdir: Path) -> None:
    exe = shutil.which("satchel")
    assert exe is not None, "the satchel console script is not installed (pip install -e core)"
    store = str(workdir / "store")
    env = {**os.environ, "SATCHEL_STORE": store}

    def satchel(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *args], capture_output=True, text=True, env=env, cwd=workdir, timeout=60, check=False)

    ok = satchel("run", "handlers.py:train", "--returns", "score", "config : file", "note")
    failed = satchel("run", "handlers.py:broken", "--returns", "x")
    usage = satchel("runs", "show", "nothing-like-this")
    unknown = satchel("frobnicate")
    assert (0, 1, 2, 2) == (ok.returncode, failed.returncode, usage.returncode, unknown.returncode), failed.stderr
    assert "score = 6" in ok.stdout
    assert "Traceback" not in failed.stderr + usage.stderr
    version = subprocess.run([sys.executable, "-m", "satchel", "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert (0, True) == (version.returncode, version.stdout.startswith("satchel "))


def test_every_command_documents_its_json_keys() -> None:
    from satchel.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]  # argparse has no public listing
    assert {
        "run", "runs", "artifacts", "plugins", "explain", "verify", "gc", "reindex", "code", "functions", "workflows",
        "workflow", "project", "models", "cache", "new-plugin",
    } == set(commands.choices)
    assert set(commands.choices) == {key.split()[0] for key in JSON_KEYS}
