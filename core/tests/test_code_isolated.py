"""Isolated runs: a function whose requirements this environment lacks runs in a virtual
environment built with uv for exactly that set (offline, from a wheel made here), writing to the
same store; the environment is reused, and a changed set gets a new one that the record names."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest
from wheels import offline_uv

from satchel.errors import CodeError, RequirementsError
from satchel.project import Project, get_or_create_project
from satchel.store import Store

HANDLER = "import tinydep\n\ndef main(n: int = 1) -> str:\n    return f'{tinydep.VALUE} x{n}'\n"


@pytest.fixture(scope="module", autouse=True)
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pathlib.Path]:
    with offline_uv(tmp_path_factory) as folder:
        yield folder


@pytest.fixture(scope="module")
def env_cache(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """One cache of built environments for the module's tests: building one takes a second."""
    return tmp_path_factory.mktemp("satchel-cache")


@pytest.fixture
def project(tmp_path: pathlib.Path, env_cache: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("SATCHEL_CACHE_DIR", str(env_cache))
    return get_or_create_project("demo", Store(tmp_path / "store"))


def test_a_requirement_missing_here_runs_in_an_isolated_environment(project: Project) -> None:
    artifact = project.log_code_file("uses_tinydep", body=HANDLER, requirements=["tinydep==1.0"])
    fn = project.set_function(artifact.uri, name="tiny", handler="uses_tinydep:main")
    with pytest.raises(RequirementsError, match="tinydep==1.0: not installed"):
        fn.run(params={"n": 2}, returns=["text"])
    said: list[str] = []
    run = fn.run(params={"n": 2}, returns=["text"], env="isolated", announce=said.append)
    assert run.status == "completed"
    assert run.results == {"text": "1.0 x2"}
    environment = run.record.environment or {}
    assert environment["kind"] == "isolated" and environment["requirements"] == ["tinydep==1.0"]
    assert run.record.code is not None and run.record.code["uid"] == artifact.uid
    assert any("tinydep==1.0" in line or "isolated environment" in line for line in said)
    # The same store holds the record the other process wrote.
    assert project.get_run(run.uid).results == {"text": "1.0 x2"}

    again = fn.run(params={"n": 3}, returns=["text"], env="isolated")
    assert (again.record.environment or {})["key"] == environment["key"]
    assert (again.record.environment or {})["built"] is False


def test_a_changed_requirement_set_builds_another_environment(project: Project) -> None:
    project.log_code_file("uses_tinydep", body=HANDLER, requirements=["tinydep==1.0"])
    fn = project.set_function("store://code/demo/uses_tinydep", name="tiny", handler="uses_tinydep:main")
    one = fn.run(returns=["text"], env="isolated")
    two = fn.with_requirements(["tinydep==2.0"]).run(returns=["text"], env="isolated")
    assert (one.results["text"], two.results["text"]) == ("1.0 x1", "2.0 x1")
    keys = {(r.record.environment or {})["key"] for r in (one, two)}
    assert len(keys) == 2


def test_outputs_of_an_isolated_run_are_artifacts_in_the_same_store(project: Project, tmp_path: pathlib.Path) -> None:
    body = "import tinydep\n\ndef main() -> bytes:\n    return tinydep.VALUE.encode() * 3\n"
    project.log_code_file("bytes_out", body=body, requirements=["tinydep==1.0"])
    fn = project.set_function("store://code/demo/bytes_out", handler="bytes_out:main")
    run = fn.run(returns=["blob : file"], env="isolated")
    assert run.output("blob") == b"1.01.01.0"
    assert run.outputs["blob"].startswith("store://artifacts/demo/blob@")


def test_a_failing_handler_in_an_isolated_run_keeps_its_record(project: Project) -> None:
    body = "import tinydep\n\ndef main():\n    raise RuntimeError('broken ' + tinydep.VALUE)\n"
    project.log_code_file("fails", body=body, requirements=["tinydep==1.0"])
    fn = project.set_function("store://code/demo/fails", handler="fails:main")
    run = fn.run(env="isolated", raise_on_failure=False)
    assert run.status == "failed" and "broken 1.0" in (run.error or "")
    assert "RuntimeError" in (project.get_run(run.uid).record.traceback or "")


def test_isolated_runs_take_json_params_and_a_store_another_process_can_see(project: Project) -> None:
    project.log_code_file("uses_tinydep", body=HANDLER, requirements=["tinydep==1.0"])
    fn = project.set_function("store://code/demo/uses_tinydep", handler="uses_tinydep:main")
    with pytest.raises(CodeError, match="JSON params"):
        fn.run(params={"n": object()}, env="isolated")
    memory = get_or_create_project("demo", Store("memory://isolated-test"))
    memory.log_code_file("uses_tinydep", body=HANDLER)
    with pytest.raises(CodeError, match="memory store"):
        memory.set_function("store://code/demo/uses_tinydep", handler="uses_tinydep:main").run(env="isolated")
    with pytest.raises(CodeError, match="env 'docker' is not one of local, isolated"):
        fn.run(env="docker")
