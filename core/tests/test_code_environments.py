"""Isolated environments, built by real uv, offline, from wheels made here: they hold their requirements
and satchel, nothing else of the caller's, are reused while they match, and fail leaving nothing behind."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from wheels import offline_uv

import satchel
from satchel.code.environments import MARKER, Environment, ensure_environment, find_uv
from satchel.code.requirements import requirements_key
from satchel.errors import EnvironmentBuildError

# Run inside an environment: what it can import and what it knows about satchel, as JSON.
PROBE = textwrap.dedent("""\
    import importlib, importlib.metadata, json, sys

    def importable(name):
        try:
            importlib.import_module(name)
        except ImportError:
            return False
        return True

    import tinydep
    print(json.dumps({
        "tinydep": tinydep.VALUE,
        "satchel": importlib.metadata.version("satchel"),
        "plugins": sorted(entry.name for entry in importlib.metadata.entry_points(group="satchel")),
        "importable": sorted(name for name in sys.argv[1:] if importable(name)),
    }))
""")
ASKED = ["tinydep", "satchel", "pluggy", "attrs", "cattrs", "fsspec", "pytest", "hypothesis", "cryptography", "iniconfig"]
SATCHEL_ITSELF = ["attrs", "cattrs", "fsspec", "pluggy", "satchel", "tinydep"]


def installed_plugins() -> list[str]:
    """The satchel plugins installed beside the caller (none in core's own session, all in 'everything')."""
    import importlib.metadata

    return sorted(entry.name for entry in importlib.metadata.entry_points(group="satchel"))


@pytest.fixture(scope="module", autouse=True)
def offline_uv_wheels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pathlib.Path]:
    with offline_uv(tmp_path_factory) as wheels:
        yield wheels


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("probe")
    (folder / "probe.py").write_text(PROBE)
    return folder


@attrs.frozen
class Built:
    environment: Environment
    cache: pathlib.Path
    messages: list[str]
    seconds: float


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One environment for tinydep==1.0, built once for the module."""
    cache = tmp_path_factory.mktemp("envs")
    messages: list[str] = []
    start = time.perf_counter()
    environment = ensure_environment(["tinydep==1.0"], cache=str(cache), announce=messages.append)
    return Built(environment, cache, messages, time.perf_counter() - start)


def probe(environment: Environment, probe_dir: pathlib.Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = environment.run_module("probe", ASKED, cwd=probe_dir, env=env)
    assert 0 == done.returncode, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def marker(environment: Environment) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(pathlib.Path(environment.path, MARKER).read_text())
    return result


def test_the_environment_has_its_requirement_and_satchel_and_nothing_else_of_the_callers(
    built: Built, probe_dir: pathlib.Path
) -> None:
    assert {"tinydep": "1.0", "satchel": satchel.__version__, "plugins": installed_plugins(), "importable": SATCHEL_ITSELF} == probe(
        built.environment, probe_dir
    )


def test_the_environment_lives_under_its_key_and_says_it_was_built(built: Built) -> None:
    key = requirements_key(["tinydep==1.0"])
    assert Environment(key, str(built.cache / key), str(built.cache / key / "bin" / "python"), ("tinydep==1.0",), True) == (
        built.environment
    )
    assert ["building an isolated environment for 1 requirement(s) with uv: tinydep==1.0"] == built.messages
    assert [key] == os.listdir(built.cache)


def test_the_marker_records_what_was_built(built: Built) -> None:
    recorded = marker(built.environment)
    assert (built.environment.key, ["tinydep==1.0"], built.environment.python) == (
        recorded["key"], recorded["requirements"], recorded["python"]
    )


def test_a_second_call_reuses_it_at_once(built: Built) -> None:
    created = marker(built.environment)["created"]
    messages: list[str] = []
    start = time.perf_counter()
    again = ensure_environment(["TinyDep == 1.0"], cache=str(built.cache), announce=messages.append)
    seconds = time.perf_counter() - start
    assert (built.environment.key, built.environment.path, False) == (again.key, again.path, again.built)
    assert seconds < 1, f"reusing took {seconds:.2f} s (building took {built.seconds:.2f} s)"
    assert created == marker(again)["created"]
    assert [f"reusing the isolated environment {again.key} built {created}: {again.path}"] == messages


def test_a_changed_set_gets_its_own_environment_in_the_callers_cache(
    built: Built, probe_dir: pathlib.Path, cache_dir: pathlib.Path
) -> None:
    changed = ensure_environment(["tinydep==2.0"])
    assert changed.built
    assert built.environment.key != changed.key
    assert str(cache_dir / "envs" / changed.key) == changed.path
    assert "2.0" == probe(changed, probe_dir)["tinydep"]
    assert "1.0" == probe(built.environment, probe_dir)["tinydep"]


def test_a_failing_install_names_the_requirement_and_leaves_nothing_behind(tmp_path: pathlib.Path) -> None:
    cache = tmp_path / "envs"
    with pytest.raises(EnvironmentBuildError) as caught:
        ensure_environment(["tinydep==9.9"], cache=str(cache))
    message = str(caught.value)
    assert message.startswith("uv could not build an isolated environment for tinydep==9.9")
    assert "`uv pip install` exited with 1" in message
    assert "no version of tinydep==9.9" in message  # uv's own explanation
    assert [] == os.listdir(cache)


def test_a_uv_that_takes_too_long_is_stopped_and_leaves_nothing_behind(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "envs"
    monkeypatch.setenv("SATCHEL_UV_TIMEOUT", "0.001")
    with pytest.raises(EnvironmentBuildError, match=r"uv took more than 0\.001 s to build the isolated environment for "
                       r"tinydep==1\.0 \(`uv venv`\) and was stopped; nothing was kept\. .* \$SATCHEL_UV_TIMEOUT"):
        ensure_environment(["tinydep==1.0"], cache=str(cache))
    assert [] == os.listdir(cache)


@pytest.mark.parametrize("value", ["soon", "0", "-5"])
def test_a_uv_timeout_that_is_no_number_of_seconds_is_refused(
    value: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SATCHEL_UV_TIMEOUT", value)
    with pytest.raises(EnvironmentBuildError, match=rf"\$SATCHEL_UV_TIMEOUT is '{value}'; give a number of seconds above 0 \(the default is 1800\)"):
        ensure_environment(["tinydep==1.0"], cache=str(tmp_path / "envs"))
    assert not (tmp_path / "envs").exists()


def test_a_folder_without_a_marker_is_not_used(tmp_path: pathlib.Path, probe_dir: pathlib.Path) -> None:
    cache = tmp_path / "envs"
    half = cache / requirements_key(["tinydep==1.0"])
    half.mkdir(parents=True)
    (half / "left-by-a-crash").write_text("")
    environment = ensure_environment(["tinydep==1.0"], cache=str(cache))
    assert environment.built
    assert not (half / "left-by-a-crash").exists()
    assert "1.0" == probe(environment, probe_dir)["tinydep"]
    assert [half.name] == os.listdir(cache)


def test_an_empty_set_builds_satchel_alone_and_its_command_line_runs(tmp_path: pathlib.Path) -> None:
    messages: list[str] = []
    environment = ensure_environment([], cache=str(tmp_path / "envs"), announce=messages.append)
    assert ["building an isolated environment for 0 requirement(s) with uv: nothing beyond satchel"] == messages
    done = environment.run_module("satchel", ["--help"])
    assert (0, True) == (done.returncode, done.stdout.startswith("usage: satchel")), done.stderr
    missing = environment.run_module("tinydep", [])
    assert "No module named tinydep" in missing.stderr


def test_the_callers_pythonpath_does_not_leak_in(
    built: Built, probe_dir: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hypothesis.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    assert SATCHEL_ITSELF == probe(built.environment, probe_dir)["importable"]


def test_run_module_passes_arguments_working_folder_and_environment(built: Built, tmp_path: pathlib.Path) -> None:
    (tmp_path / "echo.py").write_text("import os, sys\nprint(sys.argv[1:], os.environ['SATCHEL_PROBE'])\n")
    done = built.environment.run_module("echo", ["a", "b c"], cwd=tmp_path, env={"SATCHEL_PROBE": "here"})
    assert (0, "['a', 'b c'] here\n") == (done.returncode, done.stdout)


def test_a_plugin_beside_satchel_is_linked_but_not_its_own_library(
    tmp_path: pathlib.Path, probe_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "caller-site"
    (site / "satchel_fakeplugin").mkdir(parents=True)
    (site / "satchel_fakeplugin" / "__init__.py").write_text("NAME = 'fake'\n")
    (site / "fakelib.py").write_text("")
    info = site / "satchel_fakeplugin-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: satchel-fakeplugin\nVersion: 0.3\nRequires-Dist: fakelib\n")
    (info / "entry_points.txt").write_text("[satchel]\nfake = satchel_fakeplugin:NAME\n")
    (info / "RECORD").write_text(f"satchel_fakeplugin/__init__.py,,\n{info.name}/METADATA,,\n{info.name}/RECORD,,\n")
    (site / "fakelib-1.0.dist-info").mkdir()
    (site / "fakelib-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: fakelib\nVersion: 1.0\n")
    cache = tmp_path / "envs"

    with monkeypatch.context() as patch:
        patch.syspath_prepend(str(site))
        with_plugin = ensure_environment(["tinydep==1.0"], cache=str(cache))
        seen = probe(with_plugin, probe_dir)
        plugged = with_plugin.run_module("probe", ["satchel_fakeplugin", "fakelib"], cwd=probe_dir)
    assert sorted(["fake", *installed_plugins()]) == seen["plugins"]
    assert ["satchel_fakeplugin"] == json.loads(plugged.stdout)["importable"]

    messages: list[str] = []
    without = ensure_environment(["tinydep==1.0"], cache=str(cache), announce=messages.append)
    assert (with_plugin.key, True) == (without.key, without.built)
    assert messages[0].endswith("links other satchel packages than this interpreter has; building it again")
    assert installed_plugins() == probe(without, probe_dir)["plugins"]


def test_two_processes_building_one_set_end_with_one_environment(tmp_path: pathlib.Path) -> None:
    cache = tmp_path / "envs"
    script = (
        "import sys; from satchel.code.environments import ensure_environment; "
        "print(ensure_environment(['tinydep==2.0'], cache=sys.argv[1]).path)"
    )
    racers = [
        subprocess.Popen([sys.executable, "-c", script, str(cache)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [racer.communicate(timeout=120) for racer in racers]
    assert [0, 0] == [racer.returncode for racer in racers], [err for _, err in results]
    assert 1 == len({out for out, _ in results})
    assert [requirements_key(["tinydep==2.0"])] == os.listdir(cache)


def test_find_uv_gives_a_working_uv() -> None:
    done = subprocess.run([find_uv(), "--version"], capture_output=True, text=True, check=False)
    assert (0, "uv") == (done.returncode, done.stdout.split()[0])


def test_without_uv_the_error_says_how_to_get_it(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "uv", None)  # the satchel[isolated] extra not installed
    with pytest.raises(EnvironmentBuildError, match=r"pip install 'satchel\[isolated\]', or put uv on PATH"):
        ensure_environment(["tinydep==1.0"], cache=str(tmp_path / "envs"))
    assert [] == os.listdir(tmp_path / "envs")
