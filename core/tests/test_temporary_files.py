"""What satchel puts in the system temp directory lives where docs/temporary-files.md says, and goes."""

from __future__ import annotations

import gc
import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

import satchel
from satchel import tempdirs
from satchel.dataitem import DataItem

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "temporary-files.md"

# Packs a directory and a file as Path artifacts, unpacks both, and reports what it saw while alive.
_UNPACK_AND_EXIT = textwrap.dedent(
    """
    import json, os, pathlib, sys
    import satchel

    store, tree, notes = sys.argv[1:]
    project = satchel.get_or_create_project("temps", store=store)
    project.log(pathlib.Path(tree), "tree : path")
    project.log(pathlib.Path(notes), "notes : path")
    tree = project.get_artifact("tree").unpack(pathlib.Path)
    notes = project.get_artifact("notes").unpack(pathlib.Path)
    print(json.dumps({
        "pid": os.getpid(),
        "tree": str(tree),
        "tree_files": {p.relative_to(tree).as_posix(): p.read_text() for p in tree.rglob("*") if p.is_file()},
        "notes": str(notes),
        "notes_text": notes.read_text(),
    }))
    """
)


def _satchel_folders(folder: pathlib.Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("satchel-"))


def _run_child(code: str, temp: pathlib.Path, *args: str) -> dict[str, object]:
    env = {**os.environ, "TMPDIR": str(temp)}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False)
    assert 0 == done.returncode, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture
def sources(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("alpha")
    (tree / "sub" / "b.txt").write_text("beta")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    return tree, notes


def _unpack_in_a_child(tmp_path: pathlib.Path, sources: tuple[pathlib.Path, pathlib.Path]) -> tuple[pathlib.Path, dict[str, object]]:
    temp = tmp_path / "child-temp"
    temp.mkdir()
    tree, notes = sources
    return temp, _run_child(_UNPACK_AND_EXIT, temp, str(tmp_path / "store"), str(tree), str(notes))


def test_unpacked_paths_are_gone_when_the_process_exits(
    tmp_path: pathlib.Path, sources: tuple[pathlib.Path, pathlib.Path]
) -> None:
    temp, _seen = _unpack_in_a_child(tmp_path, sources)

    assert [] == _satchel_folders(temp)


def test_unpacked_paths_are_readable_in_the_process_folder_while_it_runs(
    tmp_path: pathlib.Path, sources: tuple[pathlib.Path, pathlib.Path]
) -> None:
    temp, seen = _unpack_in_a_child(tmp_path, sources)

    assert {"a.txt": "alpha", "sub/b.txt": "beta"} == seen["tree_files"]
    assert "hello" == seen["notes_text"]
    # <TMPDIR>/satchel-<pid>-*/path-*/<the stored name>, as docs/temporary-files.md says
    pattern = rf"satchel-{seen['pid']}-[^/]+/path-[^/]+/"
    assert re.fullmatch(pattern + "tree", pathlib.Path(str(seen["tree"])).relative_to(temp).as_posix())
    assert re.fullmatch(pattern + "notes.txt", pathlib.Path(str(seen["notes"])).relative_to(temp).as_posix())


def test_every_unpack_is_a_private_copy_in_one_folder_per_process(
    tmp_path: pathlib.Path, sources: tuple[pathlib.Path, pathlib.Path], temp_dir_in_tmp_path: pathlib.Path
) -> None:
    _tree, notes = sources
    project = satchel.get_or_create_project("temps", store=str(tmp_path / "store"))
    project.log(notes, "notes : path")
    first = project.get_artifact("notes").unpack(pathlib.Path)
    first.write_text("changed")  # a private copy: changing it changes nothing else
    second = project.get_artifact("notes").unpack(pathlib.Path)

    assert ("hello", "hello") == (notes.read_text(), second.read_text())
    assert first.parents[1] == second.parents[1] == pathlib.Path(tempdirs.process_dir())
    assert temp_dir_in_tmp_path == first.parents[2]


def test_a_process_folder_removed_by_a_temp_cleaner_is_made_again(
    tmp_path: pathlib.Path, sources: tuple[pathlib.Path, pathlib.Path]
) -> None:
    _tree, notes = sources
    project = satchel.get_or_create_project("temps", store=str(tmp_path / "store"))
    project.log(notes, "notes : path")
    first = project.get_artifact("notes").unpack(pathlib.Path)
    tempdirs.forget(str(first.parents[1]))  # as systemd-tmpfiles or `rm -rf /tmp/*` would

    again = project.get_artifact("notes").unpack(pathlib.Path)

    assert "hello" == again.read_text()
    assert again.parents[1] == pathlib.Path(tempdirs.process_dir())


def test_a_data_items_private_copy_goes_with_the_item(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(b"payload")
    item = DataItem.from_packed(satchel.pack(source, "weights"))
    local = pathlib.Path(item.local())

    assert b"payload" == local.read_bytes()
    assert pathlib.Path(tempdirs.process_dir()) == local.parents[1]
    del item
    gc.collect()
    assert not local.parent.exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_has_its_own_folder_and_leaves_its_parents_alone(tmp_path: pathlib.Path) -> None:
    temp = tmp_path / "child-temp"
    temp.mkdir()
    code = textwrap.dedent(
        """
        import json, os, sys
        from satchel import tempdirs

        parent = tempdirs.make_dir("path-")
        report = sys.argv[1]
        pid = os.fork()
        if pid == 0:
            with open(report, "w") as handle:
                handle.write(tempdirs.make_dir("path-"))
            sys.exit(0)  # a normal exit: the child's atexit handlers run
        os.waitpid(pid, 0)
        with open(report) as handle:
            child = handle.read()
        print(json.dumps({"parent_kept": os.path.isdir(parent), "child_gone": not os.path.exists(child),
                          "separate": os.path.dirname(child) != os.path.dirname(parent)}))
        """
    )
    seen = _run_child(code, temp, str(tmp_path / "report"))

    assert {"parent_kept": True, "child_gone": True, "separate": True} == seen
    assert [] == _satchel_folders(temp)


def test_the_docs_examples_run(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert blocks, "docs/temporary-files.md has no python example"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {"__name__": "docs_example"})
