"""The store is untrusted input: what a store writer plants in a project's config or a record never
grants a privilege, imports a module or builds a class. Privileges come from the caller."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import sys
import uuid
import warnings

import pytest

import satchel
from satchel.errors import PackingError, PickleNotAllowedError, RunError, SatchelError
from satchel.packagers.pickle import PickleFallbackWarning
from satchel.project import Project, UntrustedConfigWarning, get_or_create_project
from satchel.settings import load_settings


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    return str(tmp_path / "store") if request.param == "local" else f"memory://trust-{uuid.uuid4().hex}"


class Opaque:
    """No packager knows it, so it is pickled."""

    def __init__(self, value: int) -> None:
        self.value = value


@dataclasses.dataclass
class Reading:
    sensor: str
    value: float


def _plant(project: Project, **fields: object) -> None:
    """Write the project's config as a store writer would, behind the reader's back."""
    config = {"name": project.name, **fields}
    project.store.write_document(f"{project.name}/project.json", json.dumps(config))


def _pickled(project: Project) -> str:
    with pytest.warns(PickleFallbackWarning):
        return project.run(lambda: Opaque(7), returns=["thing"]).outputs["thing"]


# -- finding 1: privileges come only from the caller ---------------------------------------------------


def test_a_planted_allow_policy_does_not_unpickle(store: str) -> None:
    writer = get_or_create_project("demo", store=store)
    uri = _pickled(writer)
    _plant(writer, pickle_policy="allow")
    reader = Project("demo", writer.store)  # a later session, reading the planted config
    assert "allow" == reader.config.pickle_policy
    with pytest.raises(PickleNotAllowedError, match="a store's own config cannot allow it"):
        reader.get_artifact(uri).unpack()

    def use(thing: Opaque) -> int:
        return thing.value

    failed = reader.run(use, inputs={"thing": uri}, raise_on_failure=False)
    assert "failed" == failed.status and "PickleNotAllowedError" in (failed.error or "")


def test_the_callers_own_settings_allow_pickles(store: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = get_or_create_project("demo", store=store)
    uri = _pickled(project)
    work = tmp_path / "work"
    work.mkdir()
    (work / "satchel.toml").write_text("[projects.demo]\nallow_pickle = true\n")
    monkeypatch.chdir(work)
    assert 7 == project.get_artifact(uri).unpack().value
    assert load_settings().allows_pickle("demo") and not load_settings().allows_pickle("other")


def test_the_environment_and_the_argument_allow_pickles(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    project = get_or_create_project("demo", store=store)
    uri = _pickled(project)
    assert 7 == project.get_artifact(uri).unpack(allow_pickle=True).value
    monkeypatch.setenv("SATCHEL_ALLOW_PICKLE", "1")
    assert 7 == project.get_artifact(uri).unpack().value
    assert 7 == project.get_artifact(uri).unpack(Opaque).value


def test_a_user_config_file_allows_pickles_for_every_project(store: str, user_settings: pathlib.Path) -> None:
    project = get_or_create_project("demo", store=store)
    uri = _pickled(project)
    user_settings.parent.mkdir(parents=True)
    user_settings.write_text("allow_pickle = true\n")
    assert 7 == project.get_artifact(uri).unpack().value


def test_a_planted_custom_packager_is_not_imported(store: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "imported.txt"
    (tmp_path / "planted_packager_mod.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\nclass P: pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    project = get_or_create_project("demo", store=store)
    _plant(project, custom_packagers=[{"packager": "planted_packager_mod.P", "is_mandatory": False, "priority": 1}])
    reader = Project("demo", project.store)
    with pytest.warns(UntrustedConfigWarning, match="names custom packager 'planted_packager_mod.P' in its stored config, which is not imported"):
        run = reader.run(lambda: 5, returns=["five"])
    assert {"five": 5} == run.results
    assert not marker.exists()
    assert "planted_packager_mod" not in sys.modules


def test_a_planted_mandatory_packager_stops_the_run_without_importing_it(store: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "imported.txt"
    (tmp_path / "planted_mandatory_mod.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\nclass P: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    project = get_or_create_project("demo", store=store)
    _plant(project, custom_packagers=[{"packager": "planted_mandatory_mod.P", "is_mandatory": True, "priority": 1}])
    called: list[bool] = []
    with pytest.raises(RunError, match=r"not imported.*trusted_packagers.*mandatory, so the handler did not run"):
        Project("demo", project.store).run(lambda: called.append(True))
    assert ([], False) == (called, marker.exists())


def test_a_custom_packager_the_caller_trusts_in_its_settings_is_used(store: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from custom_packagers import Celsius

    project = get_or_create_project("demo", store=store)
    _plant(project, custom_packagers=[{"packager": "custom_packagers.CelsiusPackager", "is_mandatory": True, "priority": 3}])
    work = tmp_path / "work"
    work.mkdir()
    (work / "satchel.toml").write_text('[projects.demo]\ntrusted_packagers = ["custom_packagers.CelsiusPackager"]\n')
    monkeypatch.chdir(work)
    run = Project("demo", project.store).run(lambda: Celsius(3.0), returns=["t"])
    assert "custom_packagers.CelsiusPackager" == run.record.result_meta["t"].plugin


def test_adding_a_custom_packager_in_this_process_confirms_it(store: str) -> None:
    from custom_packagers import Celsius

    project = get_or_create_project("demo", store=store)
    project.add_custom_packager("custom_packagers.CelsiusPackager", is_mandatory=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntrustedConfigWarning)
        run = get_or_create_project("demo", store=store).run(lambda: Celsius(1.0), returns=["t"])
    assert "custom_packagers.CelsiusPackager" == run.record.result_meta["t"].plugin


def test_bad_settings_are_an_error_naming_the_file_and_key(tmp_path: pathlib.Path) -> None:
    (tmp_path / "satchel.toml").write_text("allow_pickle = 'yes'\n")
    with pytest.raises(satchel.errors.SatchelError, match=r"satchel.toml: allow_pickle must be true or false, not 'yes'"):
        load_settings(tmp_path)
    (tmp_path / "satchel.toml").write_text("[projects.demo]\ntrusted = ['x.Y']\n")
    with pytest.raises(satchel.errors.SatchelError, match=r"unknown setting\(s\) trusted in \[projects.demo\]"):
        load_settings(tmp_path)


# -- finding 5: a recorded class is never imported or built on the store's say-so -----------------------


def test_a_planted_class_in_a_record_is_not_imported(store: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "imported.txt"
    (tmp_path / "planted_class_mod.py").write_text(
        f"import dataclasses\nopen({str(marker)!r}, 'w').write('ran')\n"
        "@dataclasses.dataclass\nclass Evil:\n    sensor: str\n    value: float\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    project = get_or_create_project("demo", store=store)
    run = project.run(lambda: Reading("t1", 2.5), returns=["reading"])
    record = project.store.get_run("demo", run.uid)
    record["result_meta"]["reading"]["instructions"]["class"] = "planted_class_mod.Evil"
    project.store.save_run("demo", run.uid + "0", {**record, "uid": run.uid + "0"})
    planted = project.get_run(run.uid + "0")
    assert {"sensor": "t1", "value": 2.5} == planted.results["reading"]
    assert Reading("t1", 2.5) == planted.result("reading", Reading)
    stored = project.run(lambda: Reading("t2", 1.0), returns=["reading : file"]).outputs["reading"]
    assert {"sensor": "t2", "value": 1.0} == project.get_artifact(stored).unpack()
    assert Reading("t2", 1.0) == project.get_artifact(stored).unpack(Reading)
    assert not marker.exists() and "planted_class_mod" not in sys.modules


# -- forbid refuses every pickle, naming the offending value -------------------------------------------


@pytest.mark.parametrize(("value", "where"), [
    (Opaque(1), "the value itself"),
    ({"a": [1, Opaque(2)]}, "['a'][1]"),
    ([0, {"deep": Opaque(3)}], "[1]['deep']"),
    (Reading("x", 1.0).__class__("x", Opaque(4)), ".value"),  # type: ignore[arg-type]
])
def test_forbid_refuses_every_pickle_with_the_path_to_the_offending_value(store: str, value: object, where: str) -> None:
    project = get_or_create_project("demo", store=store)
    project.set_pickle_policy("forbid")
    with pytest.raises(RunError, match="forbids pickles") as raised:
        project.run(lambda: value, returns=["out"])
    assert where in str(raised.value)
    with pytest.raises(PackingError, match="forbids pickles"):
        project.log(value, "out")


# -- a planted config of the wrong shape is refused, never coerced ---------------------------------


@pytest.mark.parametrize(("fields", "message"), [
    ({"custom_packagers": [{"packager": "m.P", "priority": "5"}]},
     r"custom_packagers\[0\]\.priority must be an integer, not the text '5'"),
    ({"custom_packagers": [{"packager": "m.P", "is_mandatory": "yes"}]},
     r"custom_packagers\[0\]\.is_mandatory must be true or false, not the text 'yes'"),
    ({"labels": {"team": 7}}, r"labels\.team must be text, not the number 7"),
    ({"functions": {"f": {"name": "f", "source": "s.py", "handler": "h", "run_as_root": True}}},
     r"functions\.f has the unknown field 'run_as_root'"),
    ({"workflows": []}, r"workflows must be a mapping, not a list"),
])
def test_a_planted_config_of_the_wrong_shape_is_refused_with_where(store: str, fields: dict[str, object], message: str) -> None:
    writer = get_or_create_project("demo", store=store)
    _plant(writer, **fields)
    reader = Project("demo", writer.store)
    with pytest.raises(SatchelError, match=rf"the configuration of project 'demo' in .* is not valid \({message}.*fix or delete projects/demo/project\.json"):
        reader.config  # noqa: B018 - reading it is the test


def test_a_planted_config_naming_another_project_is_refused(store: str) -> None:
    writer = get_or_create_project("demo", store=store)
    writer.store.write_document("demo/project.json", json.dumps({"name": "other", "pickle_policy": "allow"}))
    with pytest.raises(SatchelError, match=r"names another project, 'other'; fix or delete projects/demo/project\.json"):
        Project("demo", writer.store).config  # noqa: B018
