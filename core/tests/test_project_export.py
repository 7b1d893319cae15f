"""Projects exported to a .zip (code embedded) or a .yaml (store:// URIs kept) and loaded again."""

from __future__ import annotations

import os
import pathlib
import zipfile
from typing import Any

import pytest
import yaml

import satchel
from satchel.errors import CodeError
from satchel.functions import FunctionSpec
from satchel.project import Project, UntrustedConfigWarning, get_or_create_project
from satchel.store import Store

TRAINER = "from utils import double\n\n\ndef main(p1: int = 1):\n    return double(p1)\n"
UTILS = "def double(x):\n    return 2 * x\n"
FLOW = (
    "def workflow(project, p1=1):\n"
    "    project.run_function('trainer', params={'p1': p1}, returns=['result'])\n"
)


def _archive(folder: pathlib.Path) -> pathlib.Path:
    """trainer.py importing utils.py, zipped as a user would."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "my_pkg.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("trainer.py", TRAINER)
        archive.writestr("utils.py", UTILS)
    return path


def _demo(tmp_path: pathlib.Path) -> Project:
    """Project demo in tmp_path/a: an archive function (unpinned), the same code pinned, a workflow."""
    project = get_or_create_project("demo", Store(tmp_path / "a"))
    project.log_code_file("trainer-code", local_path=_archive(tmp_path / "src"))
    project.set_function("store://code/demo/trainer-code", name="trainer", handler="trainer:main")
    project.log_code_file("flow-code", body=FLOW, file_name="flow.py", code_type="workflow")
    project.set_workflow("main", "store://code/demo/flow-code")
    return project


def _spec(text: str | bytes) -> Any:
    return yaml.safe_load(text)


def _hostile_zip(path: pathlib.Path, spec: dict[str, Any], members: dict[str, str]) -> pathlib.Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.yaml", yaml.safe_dump(spec))
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _spec_of(project: Project, tmp_path: pathlib.Path) -> dict[str, Any]:
    exported = project.export(tmp_path / "spec.yaml")
    result: dict[str, Any] = _spec(pathlib.Path(exported).read_text())
    return result


# -- The seed's flow: zip export, load anywhere ---------------------------------------------------


def test_a_zip_export_runs_the_same_in_an_empty_store_elsewhere(tmp_path: pathlib.Path) -> None:
    project = _demo(tmp_path)
    before = project.get_function("trainer").run(params={"p1": 5}, returns=["result"])

    written = project.export(tmp_path / "out" / "demo.zip")
    loaded = satchel.load_project(written, Store(tmp_path / "b"))

    after = loaded.get_function("trainer").run(params={"p1": 5}, returns=["result"])
    assert {"result": 10} == before.results == after.results
    assert str(tmp_path / "b") in loaded.store.url
    workflow = loaded.run_workflow("main", {"p1": 3})
    assert "completed" == workflow.status
    (step,) = workflow.record.steps
    assert {"result": 6} == loaded.get_run(step).results


def test_the_zip_holds_the_code_files_and_the_spec(tmp_path: pathlib.Path) -> None:
    written = _demo(tmp_path).export(tmp_path / "demo.zip")

    with zipfile.ZipFile(written) as archive:
        names = archive.namelist()
        spec = _spec(archive.read("project.yaml"))
    assert ["code/flow-code/flow.py", "code/trainer-code/my_pkg.zip", "project.yaml"] == sorted(names)
    assert "code/trainer-code/my_pkg.zip" == spec["functions"]["trainer"]["source"]
    assert "store://code/demo/trainer-code" == spec["functions"]["trainer"]["exported_from"]
    (code,) = [c for c in spec["code"] if c["key"] == "trainer-code"]
    assert ("function", "python") == (code["code_type"], code["language"])
    assert code["uri"].startswith("store://code/demo/trainer-code@")
    assert 1 == spec["satchel"]


def test_loaded_code_has_the_content_digest_it_had(tmp_path: pathlib.Path) -> None:
    project = _demo(tmp_path)
    original = project.store.get_artifact("store://code/demo/trainer-code")

    loaded = satchel.load_project(project.export(tmp_path / "demo.zip"), tmp_path / "b")

    copy = loaded.store.get_artifact("store://code/demo/trainer-code")
    assert original.hash == copy.hash
    assert original.uid != copy.uid
    assert ["latest"] == copy.tags


def test_code_metadata_travels_with_the_zip(tmp_path: pathlib.Path) -> None:
    project = get_or_create_project("demo", Store(tmp_path / "a"))
    project.log_code_file(
        "tool", body="def main():\n    return 'ok'\n", requirements=["packaging>=20"], labels={"team": "ml"}
    )
    project.set_function("store://code/demo/tool", name="tool", handler="tool:main")

    loaded = satchel.load_project(project.export(tmp_path / "p.zip"), tmp_path / "b")

    copy = loaded.store.get_artifact("store://code/demo/tool")
    assert (["packaging>=20"], {"team": "ml"}, "function") == (
        copy.extra["requirements"], copy.labels, copy.extra["code_type"]
    )


def test_a_pinned_function_stays_pinned_to_the_new_version(tmp_path: pathlib.Path) -> None:
    project = _demo(tmp_path)
    first = project.store.get_artifact("store://code/demo/trainer-code")
    project.set_function(first.uri, name="pinned", handler="trainer:main")
    # A newer version moves latest; the pinned function keeps the first.
    project.log_code_file("trainer-code", body="def main(p1: int = 1):\n    return -p1\n", file_name="trainer.py")

    loaded = satchel.load_project(project.export(tmp_path / "demo.zip"), tmp_path / "b")

    pinned = loaded.get_function("pinned")
    source, _at, uid = pinned.source.partition("@")
    assert "store://code/demo/trainer-code" == source
    assert first.hash == loaded.store.get_artifact(pinned.source).hash
    assert uid != first.uid
    assert "store://code/demo/trainer-code" == loaded.get_function("trainer").source
    assert {"result": 10} == pinned.run(params={"p1": 5}, returns=["result"]).results
    assert {"result": -5} == loaded.get_function("trainer").run(params={"p1": 5}, returns=["result"]).results


def test_a_local_file_function_becomes_a_code_artifact_in_the_zip(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "src" / "scorer.py"
    source.parent.mkdir()
    source.write_text("def score(x: int = 1):\n    return x + 100\n")
    project = get_or_create_project("demo", Store(tmp_path / "a"))
    project.set_function(source, name="scorer", handler="score")

    written = project.export(tmp_path / "demo.zip")
    source.unlink()  # the zip carries it
    loaded = satchel.load_project(written, tmp_path / "b", name="other")

    assert "code/scorer/scorer.py" in zipfile.ZipFile(written).namelist()
    function = loaded.get_function("scorer")
    assert ("store://code/other/scorer", "scorer:score") == (function.source, function.handler)
    assert {"result": 101} == function.run(params={"x": 1}, returns=["result"]).results


def test_code_referenced_elsewhere_is_embedded_and_checked(tmp_path: pathlib.Path) -> None:
    elsewhere = tmp_path / "bucket" / "ref.py"
    elsewhere.parent.mkdir()
    elsewhere.write_text("def main(p1: int = 1):\n    return p1 * 3\n")
    project = get_or_create_project("demo", Store(tmp_path / "a"))
    project.log_code_file("ref", target_path=str(elsewhere))
    project.set_function("store://code/demo/ref", name="ref", handler="ref:main")

    written = project.export(tmp_path / "demo.zip")
    elsewhere.write_text("def main(p1: int = 1):\n    return 'changed'\n")
    loaded = satchel.load_project(written, tmp_path / "b")

    assert "code/ref/ref.py" in zipfile.ZipFile(written).namelist()
    assert {"result": 6} == loaded.get_function("ref").run(params={"p1": 2}, returns=["result"]).results
    with pytest.raises(CodeError, match=r"nothing was written:\n  - .*changed after it was logged"):
        project.export(tmp_path / "again.zip")
    assert not (tmp_path / "again.zip").exists()


def test_a_module_function_is_kept_as_its_module_name(tmp_path: pathlib.Path) -> None:
    project = get_or_create_project("demo", Store(tmp_path / "a"))
    project.set_function("json", name="dumper", handler="dumps")

    written = project.export(tmp_path / "demo.zip")

    spec = _spec(zipfile.ZipFile(written).read("project.yaml"))
    assert "json" == spec["functions"]["dumper"]["source"]
    assert "needs the module 'json' installed" in spec["functions"]["dumper"]["note"]
    assert "json" == satchel.load_project(written, tmp_path / "b").get_function("dumper").source


def test_the_zip_appears_whole_or_not_at_all(tmp_path: pathlib.Path) -> None:
    project = _demo(tmp_path)
    project.config.functions["gone"] = FunctionSpec(name="gone", source="store://code/demo/nothing", handler="m:f")
    (tmp_path / "out").mkdir()

    with pytest.raises(CodeError, match=r"nothing was written:\n  - function 'gone': .*store://code/demo/nothing"):
        project.export(tmp_path / "out" / "demo.zip")

    assert [] == os.listdir(tmp_path / "out")


# -- YAML: store:// URIs as they are --------------------------------------------------------------


def test_a_yaml_export_keeps_store_uris_verbatim(tmp_path: pathlib.Path) -> None:
    project = _demo(tmp_path)
    pinned = project.store.get_artifact("store://code/demo/trainer-code").uri
    project.set_function(pinned, name="pinned", handler="trainer:main")
    local = tmp_path / "src" / "helper.py"
    local.write_text("def run():\n    return 1\n")
    project.set_function(local, name="helper", handler="run")

    spec = _spec_of(project, tmp_path)

    assert "store://code/demo/trainer-code" == spec["functions"]["trainer"]["source"]
    assert pinned == spec["functions"]["pinned"]["source"]
    assert "store://code/demo/flow-code" == spec["workflows"]["main"]["source"]
    assert str(local) == spec["functions"]["helper"]["source"]
    assert ("demo", "warn", 1) == (spec["name"], spec["pickle_policy"], spec["satchel"])
    assert "code" not in spec


def test_a_yaml_import_into_a_store_without_the_code_lists_every_missing_uri(tmp_path: pathlib.Path) -> None:
    exported = _demo(tmp_path).export(tmp_path / "demo.yaml")
    other = get_or_create_project("demo", Store(tmp_path / "b"))
    other.log_code_file("kept", body="def main():\n    return 1\n")
    other.set_function("store://code/demo/kept", name="kept", handler="kept:main")
    config_before = other.store.read_document("demo/project.json")
    assert config_before is not None

    with pytest.raises(CodeError) as caught:
        satchel.load_project(exported, Store(tmp_path / "b"))

    message = str(caught.value)
    assert "store://code/demo/trainer-code (function 'trainer')" in message
    assert "store://code/demo/flow-code (workflow 'main')" in message
    assert "nothing was loaded" in message
    assert config_before == Store(tmp_path / "b").read_document("demo/project.json")
    assert ["kept"] == sorted(get_or_create_project("demo", Store(tmp_path / "b")).config.functions)
    assert ["kept"] == [a.key for a in Store(tmp_path / "b").list_artifacts("demo")]


def test_a_yaml_import_into_the_same_store_runs(tmp_path: pathlib.Path) -> None:
    project = _demo(tmp_path)
    exported = project.export(tmp_path / "demo.yml")

    copy = satchel.load_project(exported, project.store, name="copy")

    assert "store://code/demo/trainer-code" == copy.get_function("trainer").source
    assert {"result": 14} == copy.get_function("trainer").run(params={"p1": 7}, returns=["result"]).results
    assert "completed" == copy.run_workflow("main", {"p1": 2}).status


def test_a_local_file_named_by_a_yaml_is_not_trusted(tmp_path: pathlib.Path) -> None:
    local = tmp_path / "helper.py"
    local.write_text("def run():\n    return 1\n")
    project = get_or_create_project("demo", Store(tmp_path / "a"))
    project.set_function(local, name="helper", handler="run")

    copy = satchel.load_project(project.export(tmp_path / "demo.yaml"), tmp_path / "b")

    assert str(local) == copy.get_function("helper").source
    with pytest.raises(CodeError, match="trusted_code"):
        copy.get_function("helper").run()


def test_custom_packagers_from_a_file_are_kept_but_not_imported(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({
        "satchel": 1, "name": "demo", "custom_packagers": [{"packager": "somewhere.Packager"}],
    }))

    loaded = satchel.load_project(path, tmp_path / "b")

    assert ["somewhere.Packager"] == [s.packager for s in loaded.config.custom_packagers]
    with pytest.warns(UntrustedConfigWarning, match="somewhere.Packager"):
        loaded.scope()


def test_an_import_replaces_functions_of_the_same_name(tmp_path: pathlib.Path) -> None:
    project = _demo(tmp_path)
    exported = project.export(tmp_path / "demo.zip")
    target = get_or_create_project("demo", Store(tmp_path / "b"))
    target.log_code_file("trainer-code", body="def main(p1: int = 1):\n    return 0\n", file_name="trainer.py")
    target.set_function("store://code/demo/trainer-code", name="trainer", handler="trainer:main")
    target.log_code_file("other", body="def main():\n    return 1\n")
    target.set_function("store://code/demo/other", name="other", handler="other:main")

    loaded = satchel.load_project(exported, Store(tmp_path / "b"))

    assert ["other", "trainer"] == sorted(loaded.config.functions)
    assert {"result": 10} == loaded.get_function("trainer").run(params={"p1": 5}, returns=["result"]).results


# -- Hostile or wrong files -------------------------------------------------------------------------


def test_a_zip_member_outside_its_folder_is_refused_and_nothing_is_written(tmp_path: pathlib.Path) -> None:
    (tmp_path / "in").mkdir()
    path = _hostile_zip(tmp_path / "in" / "evil.zip", {"satchel": 1, "name": "demo"}, {"../evil.py": "print('hi')\n"})

    with pytest.raises(CodeError, match=r"'\.\./evil\.py'.*'\.\.' part"):
        satchel.load_project(path, tmp_path / "b")

    assert not (tmp_path / "evil.py").exists()
    assert not (tmp_path / "in" / "evil.py").exists()
    assert not (tmp_path / "b").exists()


def test_a_spec_source_outside_code_is_refused(tmp_path: pathlib.Path) -> None:
    spec = {
        "satchel": 1, "name": "demo",
        "functions": {"f": {"name": "f", "source": "../../x.py", "handler": "x:main"}},
    }
    path = _hostile_zip(tmp_path / "evil.zip", spec, {"code/x/x.py": "def main():\n    return 1\n"})

    with pytest.raises(CodeError, match=r"function 'f' has the source '\.\./\.\./x\.py', which points at no code"):
        satchel.load_project(path, tmp_path / "b")

    assert not (tmp_path / "b").exists()


def test_a_code_path_outside_code_is_refused(tmp_path: pathlib.Path) -> None:
    spec = {
        "satchel": 1, "name": "demo",
        "code": [{"path": "code/../../x.py", "key": "x", "sha256": "0" * 64}],
    }
    path = _hostile_zip(tmp_path / "evil.zip", spec, {})

    with pytest.raises(CodeError, match=r"code\[0\]\.path: 'code/\.\./\.\./x\.py' is not a file of the zip's code/ folder"):
        satchel.load_project(path, tmp_path / "b")


def test_a_code_path_naming_no_member_is_refused(tmp_path: pathlib.Path) -> None:
    spec = {
        "satchel": 1, "name": "demo",
        "code": [{"path": "code/x/x.py", "key": "x", "sha256": "0" * 64}],
        "functions": {"f": {"name": "f", "source": "code/x/x.py", "handler": "x:main"}},
    }
    path = _hostile_zip(tmp_path / "evil.zip", spec, {})

    with pytest.raises(CodeError, match="lists code/x/x.py, which the zip does not hold"):
        satchel.load_project(path, tmp_path / "b")

    assert not (tmp_path / "b").exists()


def test_a_spec_of_the_wrong_shape_names_the_field(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({
        "satchel": 1, "name": "demo", "functions": {"f": {"name": "f", "source": "json", "handler": ["dumps"]}},
    }))

    with pytest.raises(CodeError, match=r"functions\.f\.handler must be text, not a list"):
        satchel.load_project(path, tmp_path / "b")


def test_a_misspelt_field_is_named(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("satchel: 1\nname: demo\nfunctions:\n  f: {name: f, source: json, handlr: dumps}\n")

    with pytest.raises(CodeError, match=r"functions\.f has the unknown field 'handlr'"):
        satchel.load_project(path, tmp_path / "b")


def test_yaml_aliases_are_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "satchel: 1\nname: demo\nworkflows:\n"
        "  a: {name: a, source: json, arguments: &x {k: [1, 2]}}\n"
        "  b: {name: b, source: json, arguments: *x}\n"
    )

    with pytest.raises(CodeError, match="YAML alias"):
        satchel.load_project(path, tmp_path / "b")


@pytest.mark.parametrize("name", ["demo.tar", "demo.json", "demo"])
def test_an_unknown_extension_names_the_two_forms(tmp_path: pathlib.Path, name: str) -> None:
    project = _demo(tmp_path)
    (tmp_path / name).write_text("satchel: 1\nname: demo\n")

    with pytest.raises(CodeError, match=r"use a \.zip .* or a \.yaml/\.yml"):
        project.export(tmp_path / "out" / name)
    with pytest.raises(CodeError, match=r"use a \.zip .* or a \.yaml/\.yml"):
        satchel.load_project(tmp_path / name, tmp_path / "b")
    assert not (tmp_path / "out").exists()
