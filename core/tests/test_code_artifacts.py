"""Code artifacts: logged from every kind of source, resolved verified, imported in isolation, run
as functions — the seed's examples with satchel's names, and what an attacker would try."""

from __future__ import annotations

import io
import json
import os
import pathlib
import stat
import sys
import tarfile
import warnings
import zipfile

import pytest

from satchel import functions
from satchel.code import cache, loader
from satchel.code.cache import MANIFEST
from satchel.code.sources import CodeWarning
from satchel.errors import CodeError, IntegrityError, RequirementsError, RunError
from satchel.project import Project, get_or_create_project
from satchel.store import Store
from satchel.testing import blob_file

TRAINER = "import utils\n\ndef main(p1: int = 1) -> int:\n    return utils.double(p1)\n"
UTILS = "def double(x):\n    return 2 * x\n"


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Project:
    return get_or_create_project("demo", Store(tmp_path / "store"))


def write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def zip_of(path: pathlib.Path, members: dict[str, str]) -> pathlib.Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def my_pkg(tmp_path: pathlib.Path) -> pathlib.Path:
    return zip_of(tmp_path / "my_pkg.zip", {"trainer.py": TRAINER, "utils.py": UTILS})


# -- Logging --------------------------------------------------------------------------------------


def test_a_python_file_is_a_versioned_code_artifact(project: Project, tmp_path: pathlib.Path) -> None:
    source = write(tmp_path / "my_func.py", "def main():\n    return 'ok'\n")
    artifact = project.log_code_file("my_func_code", local_path=source)
    assert artifact.kind == "code"
    assert artifact.uri.startswith("store://code/demo/my_func_code@")
    assert artifact.record.extra["language"] == "python"
    assert artifact.record.extra["code_type"] == "function"
    assert artifact.record.extra["modules"] == ["my_func"]
    assert artifact.record.tags == ["latest"]
    assert project.get_artifact("store://code/demo/my_func_code").uid == artifact.uid
    second = project.log_code_file("my_func_code", local_path=source)
    assert second.uid != artifact.uid  # a new version, the old one kept
    assert project.get_artifact(artifact.uri).uid == artifact.uid


def test_the_seeds_archive_runs_trainer_importing_utils(project: Project, tmp_path: pathlib.Path) -> None:
    artifact = project.log_code_file("my_pkg_code", local_path=my_pkg(tmp_path))
    assert artifact.record.extra["modules"] == ["trainer", "utils"]
    fn = project.set_function(artifact.uri, name="trainer", handler="trainer:main")
    run = fn.run(params={"p1": 5}, returns=["doubled"])
    assert run.results == {"doubled": 10}
    assert run.record.code is not None
    assert run.record.code["uri"] == artifact.uri and run.record.code["uid"] == artifact.uid
    assert run.record.code["handler"] == "trainer:main"
    # satchel runs show reads the same record back from the store
    assert project.get_run(run.uid).record.code == run.record.code


@pytest.mark.parametrize("suffix", [".tar.gz", ".tgz"])
def test_tar_archives_are_code_too(project: Project, tmp_path: pathlib.Path, suffix: str) -> None:
    path = tmp_path / f"my_pkg{suffix}"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in {"trainer.py": TRAINER, "utils.py": UTILS}.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    artifact = project.log_code_file("tar_code", local_path=path)
    assert project.set_function(artifact.uri, handler="trainer:main").run(params={"p1": 4}, returns=["x"]).results == {"x": 8}


def test_a_folder_is_stored_as_an_archive_with_the_same_hash_each_time(project: Project, tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "src"
    write(folder / "trainer.py", TRAINER)
    write(folder / "utils.py", UTILS)
    write(folder / "__pycache__" / "utils.cpython-311.pyc", "not code")
    first = project.log_code_file("folder_code", local_path=folder)
    os.utime(folder / "utils.py", (1, 1))  # a new timestamp is not new code
    second = project.log_code_file("folder_code", local_path=folder)
    assert first.record.hash == second.record.hash
    assert first.record.extra["layout"] == "archive"
    assert [f.name for f in first.record.files] == ["src.zip"]
    names = zipfile.ZipFile(io.BytesIO(project.store.read_bytes(first.record))).namelist()
    assert names == ["trainer.py", "utils.py"]  # no __pycache__
    fn = project.set_function("store://code/demo/folder_code", handler="trainer:main")
    assert fn.run(params={"p1": 2}, returns=["x"]).results == {"x": 4}


def test_an_archive_of_one_folder_runs_from_inside_it(project: Project, tmp_path: pathlib.Path) -> None:
    path = zip_of(tmp_path / "pkg.zip", {"my_pkg/trainer.py": TRAINER, "my_pkg/utils.py": UTILS})
    artifact = project.log_code_file("nested", local_path=path)
    assert artifact.record.extra["modules"] == ["trainer", "utils"]
    assert project.set_function(artifact.uri, handler="trainer:main").run(params={"p1": 3}, returns=["x"]).results == {"x": 6}


def test_an_inline_body_is_named_by_the_key_unless_a_file_name_is_given(project: Project) -> None:
    project.log_code_file("my_func_code", body=b"def main():\n    return 'ok'\n")
    fn = project.set_function("store://code/demo/my_func_code", name="my-func", handler="my_func_code:main")
    assert fn.run(returns=["answer"]).results == {"answer": "ok"}
    named = project.log_code_file("other", body="def main():\n    return 'named'\n", file_name="helpers.py")
    assert named.record.extra["modules"] == ["helpers"]
    assert project.set_function(named.uri, handler="helpers:main").run(returns=["a"]).results == {"a": "named"}


def test_a_notebooks_code_cells_become_the_module_and_the_artifact_says_what_was_dropped(
    project: Project, tmp_path: pathlib.Path
) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title"]},
            {"cell_type": "code", "source": ["%matplotlib inline\n", "import math\n"]},
            {"cell_type": "code", "source": "%%bash\necho hi\n"},
            {"cell_type": "code", "source": ["!pip install thing\n", "def main(x: float = 2.0) -> float:\n", "    return math.sqrt(x * 8)\n"]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    path = tmp_path / "analysis.ipynb"
    path.write_text(json.dumps(notebook))
    with pytest.warns(CodeWarning, match="4 line"):
        artifact = project.log_code_file("nb", local_path=path)
    info = artifact.record.extra["notebook"]
    assert info["file"] == "analysis.ipynb" and info["code_cells"] == 3 and info["dropped_lines"] == 4
    assert {d["text"] for d in info["dropped"]} == {"%matplotlib inline", "%%bash", "echo hi", "!pip install thing"}
    source = project.store.read_bytes(artifact.record).decode()
    assert "%matplotlib" not in source.replace("# dropped: %matplotlib", "")
    fn = project.set_function(artifact.uri, handler="analysis:main")
    assert fn.run(params={"x": 2.0}, returns=["r"]).results == {"r": 4.0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "pass local_path="),
        ({"body": "x = 1\n", "local_path": "a.py"}, "not both"),
        ({"local_path": "notes.txt"}, r"\.py, \.ipynb, \.zip, \.tar\.gz, \.tgz"),
        ({"body": "   "}, "body is empty"),
        ({"body": "x = 1\n", "code_type": "job"}, "code_type 'job' is not one of function, workflow"),
        ({"body": "x = 1\n", "requirements": ["pandas>=>2"]}, "pandas>=>2"),
    ],
)
def test_bad_sources_say_what_to_pass(project: Project, tmp_path: pathlib.Path, kwargs: dict[str, object], message: str) -> None:
    write(tmp_path / "a.py", "x = 1\n")
    write(tmp_path / "notes.txt", "x = 1\n")
    os.chdir(tmp_path)
    with pytest.raises(CodeError, match=message):
        project.log_code_file("bad", **kwargs)  # type: ignore[arg-type]
    assert project.list_code() == []


def test_an_unknown_suffix_with_a_language_is_kept(project: Project, tmp_path: pathlib.Path) -> None:
    artifact = project.log_code_file("script", local_path=write(tmp_path / "run.sh", "echo hi\n"), language="bash")
    assert artifact.record.extra["language"] == "bash"


def test_empty_archives_and_archives_without_python_are_refused(project: Project, tmp_path: pathlib.Path) -> None:
    with pytest.raises(CodeError, match="is empty"):
        project.log_code_file("empty", local_path=zip_of(tmp_path / "empty.zip", {}))
    with pytest.raises(CodeError, match="holds no Python file"):
        project.log_code_file("docs", local_path=zip_of(tmp_path / "docs.zip", {"README.md": "hi"}))
    assert project.list_code() == []


def test_a_module_that_would_replace_the_standard_library_is_refused(project: Project, tmp_path: pathlib.Path) -> None:
    with pytest.raises(CodeError, match="'json'.*rename it"):
        project.log_code_file("bad", local_path=zip_of(tmp_path / "x.zip", {"trainer.py": "", "json.py": ""}))


def test_requirements_are_parsed_and_kept(project: Project) -> None:
    artifact = project.log_code_file("req", body="def main():\n    return 1\n", requirements=["Pandas >= 2.0", "numpy"])
    assert artifact.record.extra["requirements"] == ["Pandas>=2.0", "numpy"]


# -- Handlers ---------------------------------------------------------------------------------------


def test_handler_mistakes_list_what_is_there(project: Project, tmp_path: pathlib.Path) -> None:
    artifact = project.log_code_file("my_pkg_code", local_path=my_pkg(tmp_path))
    with pytest.raises(CodeError, match="must be \"<module>:<function>\""):
        project.set_function(artifact.uri, handler="main")
    with pytest.raises(CodeError, match="names module 'my_pkg'.*it holds: trainer, utils"):
        project.set_function(artifact.uri, handler="my_pkg:main")
    fn = project.set_function(artifact.uri, handler="trainer:train")
    with pytest.raises(CodeError, match="has no function 'train'; it defines: main"):
        fn.run()
    assert project.list_runs() == []  # nothing ran, nothing recorded


def test_the_wrong_code_type_is_an_error_at_the_call(project: Project) -> None:
    project.log_code_file("my_workflow_code", body="def workflow(project):\n    pass\n", code_type="workflow")
    project.log_code_file("my_func_code", body="def main():\n    return 1\n")
    with pytest.raises(CodeError, match="is a workflow code artifact"):
        project.set_function("store://code/demo/my_workflow_code", name="bad", handler="my_workflow_code:main")
    with pytest.raises(CodeError, match="is a function code artifact"):
        project.set_workflow("main", "store://code/demo/my_func_code")
    assert project.list_functions() == [] and project.list_workflows() == []


def test_latest_is_resolved_when_the_function_runs(project: Project) -> None:
    first = project.log_code_file("snippet", body="def main():\n    return 'v1'\n")
    fn = project.set_function("store://code/demo/snippet", handler="snippet:main")
    one = fn.run(returns=["v"])
    second = project.log_code_file("snippet", body="def main():\n    return 'v2'\n")
    two = fn.run(returns=["v"])
    assert (one.results["v"], two.results["v"]) == ("v1", "v2")
    assert one.record.code is not None and two.record.code is not None
    assert (one.record.code["uid"], two.record.code["uid"]) == (first.uid, second.uid)
    pinned = project.set_function(first.uri, name="pinned", handler="snippet:main")
    assert pinned.run(returns=["v"]).results["v"] == "v1"


def test_two_artifacts_with_the_same_module_names_never_see_each_other(project: Project, tmp_path: pathlib.Path) -> None:
    a = project.log_code_file("a", local_path=zip_of(tmp_path / "a.zip", {"trainer.py": TRAINER, "utils.py": UTILS}))
    b = project.log_code_file("b", local_path=zip_of(tmp_path / "b.zip", {
        "trainer.py": TRAINER, "utils.py": "def double(x):\n    return 100 * x\n",
    }))
    fa = project.set_function(a.uri, name="a", handler="trainer:main")
    fb = project.set_function(b.uri, name="b", handler="trainer:main")
    results = [f.run(params={"p1": 1}, returns=["x"]).results["x"] for f in (fa, fb, fa, fb)]
    assert results == [2, 100, 2, 100]
    assert "utils" not in sys.modules and "trainer" not in sys.modules  # nothing leaks after the runs


def test_two_versions_of_one_code_each_run_their_own_module(project: Project) -> None:
    project.log_code_file("snippet", body="VALUE = 'one'\ndef main():\n    return VALUE\n")
    old = project.set_function("store://code/demo/snippet", name="old", handler="snippet:main")
    old_uri = old.resolve().code["uri"]
    project.log_code_file("snippet", body="VALUE = 'two'\ndef main():\n    return VALUE\n")
    pinned_old = project.set_function(old_uri, name="pinned", handler="snippet:main")
    assert [pinned_old.run(returns=["v"]).results["v"], old.run(returns=["v"]).results["v"]] == ["one", "two"]


def test_module_code_runs_once_per_process_and_the_cache_is_reused(project: Project, tmp_path: pathlib.Path, cache_dir: pathlib.Path) -> None:
    marker = tmp_path / "imports.txt"
    body = f"with open({str(marker)!r}, 'a') as f:\n    f.write('x')\n\ndef main():\n    return 1\n"
    fn = project.set_function(project.log_code_file("c", body=body).uri, handler="c:main")
    for _ in range(3):
        fn.run()
    assert marker.read_text() == "x"
    (tree,) = [p for p in (cache_dir / "code").iterdir() if not p.name.startswith(".")]
    assert (tree / MANIFEST).is_file()
    assert stat.S_IMODE((tree / "c.py").stat().st_mode) & 0o222 == 0  # the cache is read-only


def test_a_cache_file_changed_by_hand_is_noticed_and_made_again(project: Project, cache_dir: pathlib.Path) -> None:
    artifact = project.log_code_file("c", body="def main():\n    return 'logged'\n")
    fn = project.set_function(artifact.uri, handler="c:main")
    assert fn.run(returns=["v"]).results["v"] == "logged"
    (tree,) = [p for p in (cache_dir / "code").iterdir() if not p.name.startswith(".")]
    os.chmod(tree, 0o700)
    os.chmod(tree / "c.py", 0o600)
    (tree / "c.py").write_text("def main():\n    return 'edited'\n")
    cache._checked.clear()  # as a new process would start
    loader._kept.clear()
    assert fn.run(returns=["v"]).results["v"] == "logged"


# -- Verified before anything runs -----------------------------------------------------------------


def test_a_corrupted_blob_is_an_integrity_error_and_nothing_is_imported(project: Project, tmp_path: pathlib.Path) -> None:
    marker = tmp_path / "ran.txt"
    artifact = project.log_code_file("c", body=f"open({str(marker)!r}, 'w').close()\ndef main():\n    return 1\n")
    blob = blob_file(project.store, artifact.record.files[0])
    os.chmod(blob, 0o600)
    blob.write_text("import os\nos.system('echo pwned')\ndef main():\n    return 2\n")
    with pytest.raises(IntegrityError):
        project.set_function(artifact.uri, handler="c:main")
    assert not marker.exists()


def _hostile_record(project: Project, name: str, data: bytes) -> str:
    """A code artifact written straight into the store, past log_code_file's checks, as an attacker would."""
    from satchel.artifacts import FileSource

    record = project.store.log_artifact(
        project="demo", key="evil", kind="code", files=[FileSource(name=name, data=data)],
        extra={"code_type": "function", "requirements": [], "modules": ["trainer"]},
    )
    return record.uri


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_slip_is_refused_at_log_and_at_resolution(project: Project, tmp_path: pathlib.Path) -> None:
    data = _zip_bytes({"trainer.py": b"def main():\n    return 1\n", "../../evil.py": b"print('x')\n"})
    (tmp_path / "slip.zip").write_bytes(data)
    with pytest.raises(CodeError, match=r"\.\."):
        project.log_code_file("slip", local_path=tmp_path / "slip.zip")
    uri = _hostile_record(project, "slip.zip", data)
    with pytest.raises(CodeError, match=r"\.\..*nothing from it was run"):
        project.set_function(uri, handler="trainer:main")
    assert not list(tmp_path.rglob("evil.py"))


def test_a_symlink_escaping_the_tree_is_refused(project: Project, tmp_path: pathlib.Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("trainer.py")
        body = b"def main():\n    return 1\n"
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
        link = tarfile.TarInfo("utils.py")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    uri = _hostile_record(project, "evil.tar.gz", buffer.getvalue())
    with pytest.raises(CodeError, match="link"):
        project.set_function(uri, handler="trainer:main")


def test_a_zip_bomb_is_refused(project: Project) -> None:
    data = _zip_bytes({"trainer.py": b"def main():\n    return 1\n", "padding.py": b"#" * (64 * 1024 * 1024)})
    uri = _hostile_record(project, "bomb.zip", data)
    with pytest.raises(CodeError, match="ratio|expand"):
        project.set_function(uri, handler="trainer:main")


# -- target_path ------------------------------------------------------------------------------------


def test_target_path_with_a_source_copies_it_there(project: Project, tmp_path: pathlib.Path) -> None:
    source = write(tmp_path / "my_func.py", "def main():\n    return 'ok'\n")
    target = tmp_path / "remote" / "funcs" / "my_func.py"
    artifact = project.log_code_file("copied", local_path=source, target_path=f"file://{target}")
    assert target.read_text() == source.read_text()
    assert artifact.record.extra["target"]["copy"] is True
    assert project.set_function(artifact.uri, handler="my_func:main").run(returns=["v"]).results == {"v": "ok"}


def test_a_referenced_object_that_changed_after_logging_is_an_error_not_another_run(project: Project, tmp_path: pathlib.Path) -> None:
    remote = write(tmp_path / "bucket" / "funcs" / "my_func.py", "def main():\n    return 'logged'\n")
    artifact = project.log_code_file("referenced", target_path=f"file://{remote}")
    assert artifact.record.files == [] and artifact.record.extra["target"]["sha256"]
    fn = project.set_function(artifact.uri, handler="my_func:main")
    assert fn.run(returns=["v"]).results == {"v": "logged"}
    remote.write_text("def main():\n    return 'changed'\n")
    with pytest.raises(IntegrityError, match="changed after it was logged"):
        fn.run(returns=["v"])
    remote.unlink()
    with pytest.raises(IntegrityError, match="no longer exists"):
        fn.run(returns=["v"])


def test_a_target_path_that_does_not_exist_is_an_error(project: Project, tmp_path: pathlib.Path) -> None:
    with pytest.raises(CodeError, match="does not exist; pass local_path="):
        project.log_code_file("missing", target_path=str(tmp_path / "nothing.py"))


# -- Requirements ----------------------------------------------------------------------------------


def test_missing_requirements_stop_the_run_before_the_handler(project: Project, tmp_path: pathlib.Path) -> None:
    marker = tmp_path / "ran.txt"
    artifact = project.log_code_file(
        "needs", body=f"def main():\n    open({str(marker)!r}, 'w').close()\n",
        requirements=["satchel-no-such-distribution==1.0", "pytest<1"],
    )
    fn = project.set_function(artifact.uri, handler="needs:main")
    with pytest.raises(RequirementsError) as caught:
        fn.run()
    message = str(caught.value)
    assert "satchel-no-such-distribution==1.0: not installed" in message
    assert "pytest<1: installed " in message
    assert "isolated" in message
    assert not marker.exists()


def test_the_functions_own_requirements_win_over_the_artifacts(project: Project) -> None:
    artifact = project.log_code_file("needs", body="def main():\n    return 1\n", requirements=["pytest<1"])
    fn = project.set_function(artifact.uri, handler="needs:main").with_requirements(["PyTest>=1"])
    assert fn.requirements == ["PyTest>=1"]
    assert fn.run(returns=["x"]).results == {"x": 1}
    assert project.get_function(fn.name).requirements == ["PyTest>=1"]  # saved in the config


# -- Saved functions and trust ---------------------------------------------------------------------


def test_functions_are_saved_in_the_config_and_listed(project: Project, tmp_path: pathlib.Path) -> None:
    artifact = project.log_code_file("my_pkg_code", local_path=my_pkg(tmp_path))
    project.set_function(artifact.uri, name="trainer", handler="trainer:main", requirements=["pytest"])
    again = get_or_create_project("demo", Store(project.store.url))
    (fn,) = again.list_functions()
    assert (fn.name, fn.source, fn.handler, fn.requirements) == ("trainer", artifact.uri, "trainer:main", ["pytest"])
    assert again.run("trainer", params={"p1": 21}, returns=["x"]).results == {"x": 42}


def test_a_local_file_named_only_by_the_stored_config_needs_the_callers_trust(
    project: Project, tmp_path: pathlib.Path, user_settings: pathlib.Path
) -> None:
    marker = tmp_path / "ran.txt"
    handler_file = write(tmp_path / "local_handler.py", f"def main():\n    open({str(marker)!r}, 'w').close()\n    return 1\n")
    project.set_function(handler_file, name="local", handler="main")
    functions._confirmed.clear()  # as another process, reading the config the store holds
    fresh = get_or_create_project("demo", Store(project.store.url))
    with pytest.raises(CodeError, match="trusted_code"):
        fresh.get_function("local").run()
    assert not marker.exists()
    user_settings.parent.mkdir(parents=True, exist_ok=True)
    user_settings.write_text(f"[projects.demo]\ntrusted_code = [{str(handler_file)!r}]\n")
    assert fresh.get_function("local").run(returns=["x"]).results == {"x": 1}


def test_a_local_file_function_picks_up_an_edit(project: Project, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "edited.py", "def main():\n    return 1\n")
    fn = project.set_function(path, handler="edited:main")
    assert fn.run(returns=["x"]).results == {"x": 1}
    path.write_text("def main():\n    return 2\n")
    run = fn.run(returns=["x"])
    assert run.results == {"x": 2}
    assert run.record.code is not None and run.record.code["source"] == str(path)


def test_an_importable_module_is_a_function_source(project: Project) -> None:
    fn = project.set_function("json", name="dumps", handler="dumps")
    assert fn.run(params={"obj": [1]}, returns=["text"]).results == {"text": "[1]"}


# -- Workflows -------------------------------------------------------------------------------------

WORKFLOW = """
def workflow(project, p1: int = 1):
    first = project.run_function("trainer", params={"p1": p1}, returns=["doubled"])
    second = project.run_function("trainer", params={"p1": first.results["doubled"]}, returns=["doubled"])
    return second.results["doubled"]
"""


def test_the_seeds_workflow_runs_on_the_local_engine_and_records_its_steps(project: Project, tmp_path: pathlib.Path) -> None:
    project.set_function(project.log_code_file("my_pkg_code", local_path=my_pkg(tmp_path)).uri, name="trainer", handler="trainer:main")
    project.log_code_file("my_workflow_code", body=WORKFLOW, code_type="workflow", requirements=["pytest"])
    project.set_workflow(name="main", workflow_path="store://code/demo/my_workflow_code")
    run = project.run(name="main", arguments={"p1": 5})
    assert run.record.kind == "workflow" and run.status == "completed"
    assert len(run.record.steps) == 2
    steps = [project.get_run(uid) for uid in run.record.steps]
    assert [s.results["doubled"] for s in steps] == [10, 20]
    assert all(s.record.workflow == run.uid for s in steps)


def test_a_failing_step_fails_the_workflow_naming_the_step(project: Project) -> None:
    project.log_code_file("boom", body="def main():\n    raise ValueError('bad input')\n")
    project.set_function("store://code/demo/boom", name="explode", handler="boom:main")
    project.log_code_file("wf", body="def workflow(project):\n    project.run_function('explode')\n", code_type="workflow")
    project.set_workflow("main", "store://code/demo/wf")
    with pytest.raises(RunError, match="explode.*bad input"):
        project.run_workflow("main")
    (workflow,) = [r for r in project.list_runs() if r.record.kind == "workflow"]
    assert workflow.status == "failed" and "explode" in (workflow.error or "")
    (step,) = [project.get_run(uid) for uid in workflow.record.steps]
    assert step.status == "failed" and step.record.name == "explode"


def test_run_with_a_name_but_no_workflow_says_what_there_is(project: Project) -> None:
    with pytest.raises(CodeError, match="none set"):
        project.run(name="main")


def test_nothing_leaks_into_warnings_when_code_is_clean(project: Project, tmp_path: pathlib.Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        artifact = project.log_code_file("my_pkg_code", local_path=my_pkg(tmp_path))
        project.set_function(artifact.uri, handler="trainer:main").run(params={"p1": 1}, returns=["x"])
