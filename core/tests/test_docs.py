"""The documentation site's pages: every page is in the site's nav, and the Python on the plugin
author's pages runs, block after block in one fresh namespace per page, so it cannot drift from
the code. Kit classes and ``test_*`` functions on a page run as a pytest suite of their own."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: The pages whose every Python block runs here, in order.
EXECUTED = ("hooks.md", "write-a-plugin.md", "publishing.md")
#: Fences an executed page may use besides python: shell sessions and files, shown, not run.
SHOWN = {"console", "toml", "text"}

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

# A suite made of one page's code: the host sees only core's built-ins and what the page registers,
# and the kit's entry-point contract, which needs a distribution installed, is left out.
_PAGE_CONFTEST = textwrap.dedent("""\
    import pytest

    from satchel.host import set_host
    from satchel.testing import EntryPointContract, isolated_host, load_hypothesis_profile
    from satchel.testing import temp_dir_in_tmp_path  # noqa: F401 - registers the autouse fixture

    load_hypothesis_profile()
    set_host(isolated_host())


    def pytest_collection_modifyitems(items):
        items[:] = [i for i in items if not (i.cls is not None and issubclass(i.cls, EntryPointContract))]
""")


def fences(page: str) -> list[tuple[str, int, str]]:
    """Each fenced block of ``page``: its language, the line its code starts on, and the code."""
    text = (DOCS / page).read_text()
    return [(m[1], text.count("\n", 0, m.start(2)) + 1, m[2]) for m in _FENCE.finditer(text)]


def page_as_module(page: str) -> str:
    """The page's Python blocks as one module, each at its own line numbers, so a traceback points
    at the line of the page."""
    lines: list[str] = []
    for language, start, code in fences(page):
        if language == "python":
            lines += [""] * (start - 1 - len(lines))
            lines += code.splitlines()
    return "\n".join(lines) + "\n"


def test_the_pages_list_their_fences() -> None:
    found = fences("write-a-plugin.md")
    assert ("console", 12) == found[0][:2]  # the fence opens on line 11
    assert found[0][2].startswith("$ satchel new-plugin polars --type polars.DataFrame\n")
    module = page_as_module("write-a-plugin.md").splitlines()
    python = [(start, code) for language, start, code in found if language == "python"]
    first_line, first_code = python[0]
    assert first_code.splitlines()[0] == module[first_line - 1]


@pytest.mark.parametrize("page", EXECUTED)
def test_an_executed_page_shows_only_python_and_shell(page: str) -> None:
    languages = [language for language, _start, _code in fences(page)]
    assert "python" in languages, f"docs/{page} has no Python example to run"
    assert set() == set(languages) - SHOWN - {"python"}, f"docs/{page}: a block in another language would not run"


@pytest.mark.parametrize("page", EXECUTED)
def test_the_pages_python_runs_in_order(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = types.ModuleType("docs_example")  # classes defined on the page are importable by name
    monkeypatch.setitem(sys.modules, "docs_example", module)
    exec(compile(page_as_module(page), f"docs/{page}", "exec"), module.__dict__)


@pytest.mark.parametrize("page", [p for p in EXECUTED if re.search(r"^(class Test|def test_)", (DOCS / p).read_text(), re.MULTILINE)])
def test_the_pages_kit_classes_and_tests_pass(page: str, tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(_PAGE_CONFTEST)
    (suite / f"test_{Path(page).stem.replace('-', '_')}.py").write_text(page_as_module(page))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(suite), str(suite)],
        cwd=suite, capture_output=True, text=True, timeout=600, check=False,
    )
    assert 0 == done.returncode, done.stdout[-4000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and "failed" not in summary and "error" not in summary, summary


def _nav_pages(entries: object) -> list[str]:
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, list):
        return [page for entry in entries for page in _nav_pages(entry)]
    if isinstance(entries, dict):
        return [page for value in entries.values() for page in _nav_pages(value)]
    return []


def test_every_page_is_in_the_sites_nav_and_every_nav_entry_exists() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    nav = _nav_pages(config["nav"])
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert pages == sorted(nav)
    assert len(nav) == len(set(nav)), "a page is in the nav twice"


def test_the_readmes_packager_takes_the_option_names_the_shipped_plugins_use() -> None:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Write your own") : text.index("## The store")]
    (block,) = [code for language, code in re.findall(r"```(\w*)\n(.*?)```", section, re.DOTALL) if language == "python"]
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(block, "README.md", "exec"), namespace)
    packager = namespace["MyTypePackager"]
    assert frozenset({"format"}) == packager.options_for("file")  # type: ignore[attr-defined]
    assert "docs/write-a-plugin.md" in section


def _guide_table_names(heading: str) -> set[str]:
    """The names in the first column of the table under ``heading`` in write-a-plugin.md."""
    text = (DOCS / "write-a-plugin.md").read_text()
    section = text[text.index(f"\n## {heading}\n") :]
    section = section[: section.find("\n## ", 1)]
    return set(re.findall(r"^\| `(\w+)", section, re.MULTILINE))


def test_the_guide_documents_every_class_variable_of_packager() -> None:
    from satchel.packagers.base import Packager

    variables = {name for name in vars(Packager) if name.isupper()}
    assert variables == _guide_table_names("Class variables")


def test_the_guide_documents_every_attribute_of_the_kit() -> None:
    from satchel.testing import EntryPointContract, PackagerContract

    documented = _guide_table_names("The test kit")
    for contract in (PackagerContract, EntryPointContract):
        attributes = {name for name in contract.__annotations__ if not name.startswith("_")}
        assert set() == attributes - documented, f"{contract.__name__} attributes missing from the guide's kit section"


def test_the_guide_shows_what_new_plugin_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from satchel.cli import main

    (session,) = [code for language, _start, code in fences("write-a-plugin.md") if "$ satchel new-plugin" in code]
    command, *rest = session.split("$ ")[1].splitlines()
    monkeypatch.chdir(tmp_path)
    assert 0 == main(command.split()[1:])
    printed = capsys.readouterr().out.splitlines()
    assert rest == printed[: len(rest)]
