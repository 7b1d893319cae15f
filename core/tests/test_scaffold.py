"""``satchel new-plugin``: the distribution it writes, what it refuses, and (slow) that the result
installs, passes its own tests and is found by ``satchel plugins`` and ``satchel explain``."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import attrs
import pytest
from packaging.requirements import Requirement

import satchel
from satchel.cli import JSON_KEYS, main
from satchel.code.environments import find_uv
from satchel.errors import ScaffoldError
from satchel.scaffold import plugin_names, render_plugin, satchel_requirement, target_type, write_plugin

CORE = Path(__file__).resolve().parents[1]


def files_under(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- What it writes ---------------------------------------------------------------------------------


def test_the_names_a_plugin_goes_by() -> None:
    assert ("polars", "satchel-polars", "satchel_polars", "PolarsPackager") == attrs.astuple(plugin_names("polars"))
    # A name given with the distribution's prefix means the same plugin.
    assert ("my-format", "satchel-my-format", "satchel_my_format", "MyFormatPackager") == attrs.astuple(
        plugin_names("satchel-my-format")
    )


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.1.0", "satchel>=0.1,<0.2"), ("0.12.3.dev1", "satchel>=0.12,<0.13"), ("1.4.2", "satchel>=1.4,<2"), ("2.0", "satchel>=2.0,<3")],
)
def test_the_satchel_range_follows_the_running_version(version: str, expected: str) -> None:
    assert expected == satchel_requirement(version)


def test_the_running_satchel_satisfies_the_range_it_writes() -> None:
    requirement = Requirement(satchel_requirement())
    assert requirement.specifier.contains(satchel.__version__, prereleases=True)


@pytest.mark.parametrize("type_name", [None, "ipaddress.IPv4Address", "polars.DataFrame"])
def test_a_complete_distribution_whose_python_files_parse(type_name: str | None) -> None:
    files = render_plugin("polars", type_name)
    module = "satchel_polars"
    expected = {
        "pyproject.toml", "README.md", "LICENSE", "noxfile.py", ".gitignore",
        f"src/{module}/__init__.py", f"src/{module}/packagers.py", f"src/{module}/_codec.py", f"src/{module}/py.typed",
        "tests/conftest.py", "tests/test_packager.py", "tests/test_entry_point.py",
    } | ({f"src/{module}/example.py"} if type_name is None else set())
    assert expected == set(files)
    for path, text in files.items():
        if path.endswith(".py"):
            ast.parse(text, filename=path)  # a template slip shows as a SyntaxError naming the file
        assert "$" not in text, f"{path} has an unfilled placeholder"


def test_pyproject_declares_the_entry_point_the_range_and_the_library() -> None:
    project = tomllib.loads(render_plugin("polars", "polars.DataFrame")["pyproject.toml"])
    assert "satchel-polars" == project["project"]["name"]
    assert {"polars": "satchel_polars.packagers:PolarsPackager"} == project["project"]["entry-points"]["satchel"]
    assert [satchel_requirement(), "polars"] == project["project"]["dependencies"]
    assert "setuptools.build_meta" == project["build-system"]["build-backend"]
    assert {"pytest", "hypothesis"} == {Requirement(r).name for r in project["project"]["optional-dependencies"]["test"]}


def test_a_standard_library_type_needs_no_dependency_and_the_stand_in_none_either() -> None:
    for type_name in ("ipaddress.IPv4Address", None):
        files = render_plugin("addr", type_name)
        assert [satchel_requirement()] == tomllib.loads(files["pyproject.toml"])["project"]["dependencies"]
        assert "REQUIRES = {}" in files["src/satchel_addr/packagers.py"]


def test_an_installed_library_names_its_distribution() -> None:
    # Only the standard library and satchel's own dependencies are certain to be installed here.
    assert None is target_type("pathlib.PurePosixPath").distribution
    assert "PyYAML" == target_type("yaml.YAMLObject").distribution
    assert ("PIL.Image", "Image") == (target_type("PIL.Image.Image").module, target_type("PIL.Image.Image").qualname)


def test_the_packager_names_the_type_and_the_tests_use_the_kit() -> None:
    files = render_plugin("polars", "polars.DataFrame")
    packager = files["src/satchel_polars/packagers.py"]
    assert 'PACKABLE_OBJECT_TYPE = "polars.DataFrame"' in packager
    assert 'REQUIRES = {"polars": "polars"}' in packager
    assert 'format: str = "txt"' in packager  # the option name the shipped plugins use
    assert "import polars" not in packager and "from polars" not in packager  # discovery stays light
    tests = files["tests/test_packager.py"]
    assert "class TestPolarsPackager(PackagerContract):" in tests
    assert "PLACEHOLDER" in tests
    entry = files["tests/test_entry_point.py"]
    assert 'heavy_modules = ("polars",)' in entry
    assert '"polars": "satchel_polars.packagers:PolarsPackager"' in entry


# -- What it refuses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Polars", "lowercase"), ("my.format", "lowercase"), ("1polars", "starting with a letter"),
        ("my--format", "single '-'"), ("", "invalid plugin name ''"), ("satchel-", "invalid plugin name"),
        ("x" * 61, "up to 60"), ("pickle", "core's own 'pickle' packager"),
    ],
)
def test_a_bad_name_is_refused_saying_what_a_name_looks_like(name: str, says: str) -> None:
    with pytest.raises(ScaffoldError, match="invalid plugin name") as raised:
        render_plugin(name)
    assert says in str(raised.value)


@pytest.mark.parametrize("type_name", ["DataFrame", "polars.", ".DataFrame", "polars.Data-Frame", "polars..DataFrame", "my.class.Thing", "a b.C"])
def test_a_type_that_is_not_a_dotted_name_is_refused(type_name: str) -> None:
    with pytest.raises(ScaffoldError, match=r"invalid --type .*for example polars\.DataFrame"):
        render_plugin("polars", type_name)


def test_a_type_of_satchel_itself_is_refused() -> None:
    with pytest.raises(ScaffoldError, match="satchel's own types are packed by core"):
        render_plugin("store", "satchel.store.Store")


def test_the_command_writes_the_plugin_and_says_what_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert 0 == main(["new-plugin", "polars", "--type", "polars.DataFrame"])
    out = capsys.readouterr().out
    assert out.startswith("wrote satchel-polars in satchel-polars: entry point 'polars', packing polars.DataFrame\n")
    assert "  src/satchel_polars/_codec.py   writes str(obj), reads DataFrame(text)\n" in out
    assert "pip install -e '.[test]' && pytest" in out
    assert render_plugin("polars", "polars.DataFrame") == files_under(tmp_path / "satchel-polars")
    assert 0 == main(["new-plugin", "other", "--dir", "nested/here", "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert {
        "path": str(tmp_path / "nested" / "here"), "distribution": "satchel-other", "entry_point": "other",
        "module": "satchel_other", "packager": "satchel_other.packagers:OtherPackager", "type": "satchel_other.example.Example",
    } == shown
    assert (tmp_path / "nested" / "here" / "src" / "satchel_other" / "example.py").is_file()
    assert set(shown) <= set(re.findall(r"\w+", JSON_KEYS["new-plugin"]))  # what --help says --json prints


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["new-plugin", "Bad"], "invalid plugin name 'Bad'"),
        (["new-plugin", "ok", "--type", "NoModule"], "invalid --type 'NoModule'"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2_writing_nothing(
    args: list[str], says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert 2 == main(args)
    err = capsys.readouterr().err
    assert err.startswith(f"satchel: error: {says}")
    assert "Traceback" not in err
    assert [] == list(work.iterdir())


def test_a_folder_with_anything_in_it_is_refused_and_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    monkeypatch.chdir(work.mkdir() or work)
    target = work / "satchel-polars"
    (target / "src").mkdir(parents=True)
    (target / "pyproject.toml").write_text("mine\n")
    (target / ".hidden").write_text("also mine\n")
    before = files_under(target)
    assert 2 == main(["new-plugin", "polars"])
    err = capsys.readouterr().err
    assert "the folder is not empty (.hidden, pyproject.toml, src); nothing was changed" in err
    assert before == files_under(target)
    assert ["satchel-polars"] == [p.name for p in work.iterdir()]  # no staging folder left beside it


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file\n")
    with pytest.raises(ScaffoldError, match="exists and is not a folder"):
        write_plugin("polars", directory=tmp_path / "taken")
    assert "a file\n" == (tmp_path / "taken").read_text()


def test_an_empty_folder_is_filled(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "empty").mkdir(parents=True)
    written = write_plugin("polars", directory=work / "empty")
    assert work / "empty" == written
    assert render_plugin("polars") == files_under(written)
    assert ["empty"] == [p.name for p in work.iterdir()]


def test_import_satchel_and_cli_startup_leave_the_scaffold_unimported() -> None:
    code = (
        "import sys, satchel, satchel.cli\n"
        "satchel.cli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('satchel.scaffold', 'satchel.cli.scaffold', 'mkdocs'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert "[]" == done.stdout.strip()


# -- The whole path, as a new author takes it ------------------------------------------------------


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.slow
def test_a_scaffolded_plugin_installs_passes_its_tests_and_is_found(tmp_path: Path) -> None:
    """Two plugins written by ``satchel new-plugin`` — one for a real type, one with the stand-in —
    installed with core into a fresh environment: their own tests pass there, and ``satchel plugins``
    and ``satchel explain`` find them through their entry points.

    About 15-30 s: uv builds the environment from its cache (offline first; online only when the cache
    lacks something), and the generated suites run with the Hypothesis profile of this run.
    """
    started = time.monotonic()
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "SATCHEL_STORE": str(tmp_path / "store"), "SATCHEL_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("VIRTUAL_ENV", None)
    satchel_cli = [sys.executable, "-m", "satchel"]
    for args in (["new-plugin", "ipaddr", "--type", "ipaddress.IPv4Address"], ["new-plugin", "stand-in"]):
        done = _run([*satchel_cli, *args], work, env)
        assert 0 == done.returncode, done.stderr

    uv = find_uv()
    venv = tmp_path / "venv"
    python = str(venv / ("Scripts" if os.name == "nt" else "bin") / "python")
    done = _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], work, env)
    assert 0 == done.returncode, done.stderr
    installs = [
        ["--no-deps", "-e", str(CORE)],  # this checkout's satchel; its dependencies come with the plugins'
        ["-e", f"{work / 'satchel-ipaddr'}[test]", "-e", f"{work / 'satchel-stand-in'}[test]"],
    ]
    for install in installs:
        command = [uv, "pip", "install", "--quiet", "--python", python, *install]
        done = _run([*command, "--offline"], work, env)
        if done.returncode != 0:  # the uv cache lacks something: fetch it
            done = _run(command, work, env)
        assert 0 == done.returncode, done.stderr

    for plugin in ("satchel-ipaddr", "satchel-stand-in"):
        done = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], work / plugin, env)
        assert 0 == done.returncode, done.stdout[-4000:] + done.stderr[-2000:]
        summary = done.stdout.strip().splitlines()[-1]
        assert " passed" in summary and "failed" not in summary and "error" not in summary, summary

    satchel_there = str(Path(python).with_name("satchel"))
    done = _run([satchel_there, "plugins", "--json"], work, env)
    assert 0 == done.returncode, done.stderr
    listed = {row["name"]: row for row in json.loads(done.stdout)}
    assert ("satchel-ipaddr", "loaded", None, ["ipaddress.IPv4Address"]) == (
        listed["ipaddr"]["distribution"], listed["ipaddr"]["status"], listed["ipaddr"]["error"], listed["ipaddr"]["types"],
    )
    assert ("satchel-stand-in", "loaded", None) == (
        listed["stand-in"]["distribution"], listed["stand-in"]["status"], listed["stand-in"]["error"],
    )
    for type_name, plugin in (("ipaddress.IPv4Address", "ipaddr"), ("satchel_stand_in.example.Example", "stand-in")):
        done = _run([satchel_there, "explain", "--type", type_name, "--json"], work, env)
        assert 0 == done.returncode, done.stderr
        (output,) = json.loads(done.stdout)["outputs"]
        assert (plugin, "file") == (output["winner"], output["packs_as"])
    print(f"scaffold, install and test: {time.monotonic() - started:.1f} s")
