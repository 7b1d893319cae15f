"""Runs on a Dask cluster (a real LocalCluster of worker processes on loopback): each run executes
on a worker, writes to the shared store and catalog, and comes back as the same Run as locally."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cluster_handlers  # the workers import it by name too
import pytest

from satchel.errors import CodeError, RunError
from satchel.project import Project
from satchel.store import Store

# Every test here is left out where satchel[dask] or satchel[postgres] is missing (see conftest.py).
pytestmark = [pytest.mark.cluster, pytest.mark.postgres]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Two worker processes on 127.0.0.1 (code activation takes a process-wide lock: processes,
    not threads), their cache, user config and Dask's scratch space under a temporary folder."""
    import dask
    import distributed

    home = tmp_path_factory.mktemp("workers")
    env = {"SATCHEL_CACHE_DIR": str(home / "cache"), "SATCHEL_CONFIG": str(home / "config.toml")}
    with dask.config.set({"temporary-directory": str(home / "dask")}), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None, env=env,
    ) as cluster, distributed.Client(cluster) as opened:
        yield opened


@pytest.fixture
def project(tmp_path: Path, catalog_url: str) -> Project:
    return Project("team", Store(tmp_path / "store", catalog=catalog_url))


def test_a_run_on_a_worker_is_the_same_run_as_a_local_one(project: Project, client: Any) -> None:
    local = project.run(cluster_handlers.square, {"n": 3}, returns=["value", "info"])
    remote = project.run(cluster_handlers.square, {"n": 3}, returns=["value", "info"], executor=client)

    assert ("completed", {"value": 9}) == (remote.status, {"value": remote.results["value"]})
    assert (local.record.name, local.record.handler, local.record.returns) == (remote.record.name, remote.record.handler, remote.record.returns)
    assert os.getpid() != remote.results["info"]["pid"]  # it ran in a worker process
    environment = remote.record.environment or {}
    assert ("dask", 1, 1) == (environment["kind"], environment["attempt"], environment["attempts"])
    assert environment["worker"] in client.scheduler_info()["workers"]
    # Its record is in the shared catalog: another reader lists and reads it.
    with Store(project.store.url, catalog=project.store.catalog) as reader:
        assert {local.uid, remote.uid} == {r["uid"] for r in reader.list_runs("team")}


def test_outputs_are_written_by_the_worker_and_read_back_here(project: Project, client: Any) -> None:
    run = project.run(cluster_handlers.write_lines, {"n": 4}, returns=["lines : file"], executor=client)
    uri = run.outputs["lines"]
    record = project.store.get_artifact(uri)
    assert run.uid == record.run
    assert b"line 0\nline 1\nline 2\nline 3\n" == project.store.read_bytes(record)
    assert [record.uid] == [r.uid for r in project.store.list_artifacts("team", key="lines")]


def test_map_runs_many_at_once_and_returns_them_in_order(project: Project, client: Any) -> None:
    runs = project.map(cluster_handlers.square, [{"n": n} for n in range(8)], returns=["value", "info"], executor=client)
    assert [n * n for n in range(8)] == [run.results["value"] for run in runs]
    assert 8 == len({run.uid for run in runs})
    assert ["completed"] * 8 == [run.status for run in runs]
    # The same call without an executor runs them here, one after another.
    assert [0, 1, 4] == [r.results["value"] for r in project.map(cluster_handlers.square, [{"n": n} for n in range(3)], returns=["value", "info"])]


def test_a_failing_run_fails_alone_and_map_says_which(project: Project, client: Any) -> None:
    with pytest.raises(RunError, match=r"^2 of 2 runs failed; the first, fail \(\w+\): ValueError: nope; their records"):
        project.map(cluster_handlers.fail, [{"reason": "nope"}, {"reason": "nope"}], executor=client)
    runs = project.map(cluster_handlers.square, [{"n": 2}, {"n": "two"}], returns=["value", "info"], executor=client,
                       raise_on_failure=False)
    assert ["completed", "failed"] == [run.status for run in runs]
    assert runs[1].record.traceback


def test_a_function_from_a_code_artifact_is_resolved_on_the_worker_by_its_uri(project: Project, client: Any) -> None:
    code = project.log_code_file("tools", body="def triple(n: int = 1) -> int:\n    return 3 * n\n", file_name="tools.py")
    project.set_function(code.uri, handler="tools:triple", name="triple")
    run = project.run("triple", {"n": 5}, returns=["value"], executor=client)
    assert 15 == run.results["value"]
    assert (run.record.code or {})["uid"] == code.uid  # the exact version resolved by the caller
    assert "store" == (run.record.code or {})["source"][:5]


def test_a_worker_killed_mid_run_leaves_nothing_half_written_and_the_run_failed(project: Project, client: Any) -> None:
    run = project.run(cluster_handlers.die, {"marker": ""}, returns=["value"], executor=client, raise_on_failure=False)
    assert ("failed", {"marker": ""}, ["value"]) == (run.status, run.record.params, run.record.returns)
    assert run.error is not None and run.error.startswith("WorkerLost: the Dask worker tcp://127.0.0.1:")
    assert "attempt 1 of 1 stopped before the run ended (killed, or out of memory)" in run.error
    assert "Pass retries=N" in run.error
    assert [] == project.store.list_artifacts("team")
    assert [] == project.store.verify()
    with pytest.raises(RunError, match="WorkerLost"):
        project.run(cluster_handlers.die, executor=client)


def test_retries_run_it_again_on_another_worker(project: Project, client: Any, tmp_path: Path) -> None:
    marker = tmp_path / "attempted"
    run = project.run(cluster_handlers.die, {"marker": str(marker)}, returns=["value"], executor=client, retries=1)
    assert ("completed", 42) == (run.status, run.results["value"])
    assert (2, 2) == ((run.record.environment or {})["attempt"], (run.record.environment or {})["attempts"])


def test_a_handler_no_worker_can_import_is_refused_before_anything_runs(project: Project, client: Any) -> None:
    def local(n: int = 1) -> int:
        return n

    with pytest.raises(CodeError, match=r"cannot be imported there: move it into a module the workers can import"):
        project.run(local, executor=client)
    with pytest.raises(CodeError, match="memory store"):
        Project("team", Store("memory://cluster-test")).run(cluster_handlers.square, executor=client)
    assert [] == project.store.list_runs("team")


def test_satchel_run_takes_an_executor_address(project: Project, client: Any, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from satchel.cli import main

    monkeypatch.setenv("SATCHEL_CATALOG", str(project.store.catalog))
    code = main(["--store", project.store.url, "--project", "team", "run", "cluster_handlers:square", "-p", "n=6",
                 "--returns", "value", "info", "--executor", client.scheduler.address])
    out = capsys.readouterr().out
    assert 0 == code, out
    (run,) = project.list_runs()
    assert (36, "dask") == (run.results["value"], (run.record.environment or {})["kind"])


def test_satchel_run_sends_a_saved_function_to_the_cluster(project: Project, client: Any, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from satchel.cli import main

    code = project.log_code_file("tools", body="def double(n: int = 1) -> int:\n    return 2 * n\n", file_name="tools.py")
    project.set_function(code.uri, handler="tools:double", name="double")
    monkeypatch.setenv("SATCHEL_CATALOG", str(project.store.catalog))
    status = main(["--store", project.store.url, "--project", "team", "run", "double", "-p", "n=21", "--returns", "value",
                   "--executor", client.scheduler.address, "--retries", "1"])
    assert 0 == status, capsys.readouterr()
    (run,) = project.list_runs()
    assert (42, code.uid, 2) == (run.results["value"], (run.record.code or {})["uid"], (run.record.environment or {})["attempts"])


def test_satchel_run_sends_a_handler_file_by_its_path(project: Project, client: Any, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from satchel.cli import main

    handlers = tmp_path / "code" / "shapes.py"
    handlers.parent.mkdir()
    handlers.write_text("import os\n\ndef area(w: int = 1, h: int = 1) -> tuple[int, int]:\n    return w * h, os.getpid()\n")
    monkeypatch.setenv("SATCHEL_CATALOG", str(project.store.catalog))
    status = main(["--store", project.store.url, "--project", "team", "run", f"{handlers}:area", "-p", "w=6", "-p", "h=7",
                   "--returns", "area", "pid", "--executor", client.scheduler.address])
    assert 0 == status, capsys.readouterr()
    (run,) = project.list_runs()
    assert (42, f"{handlers}:area") == (run.results["area"], run.record.handler)
    assert os.getpid() != run.results["pid"]
