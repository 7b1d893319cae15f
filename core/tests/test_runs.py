"""Runs and projects end to end: inputs unpacked by type hints, outputs packed by log hints, records kept."""

from __future__ import annotations

import decimal
import pathlib
import uuid
from typing import Annotated

import pytest

import satchel
from satchel.errors import ArtifactNotFoundError, PackingError, PluginLoadError, RunError
from satchel.project import Project, get_or_create_project


@pytest.fixture(params=["local", "memory"])
def project(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Project:
    store = str(tmp_path / "store") if request.param == "local" else f"memory://runs-{uuid.uuid4().hex}"
    return get_or_create_project("demo", store=store)


def produce(rows: int = 3, label: str = "x") -> tuple[int, dict[str, int], list[str], decimal.Decimal]:
    return rows * 2, {label: rows}, [label] * rows, decimal.Decimal("0.10")


def consume(counts: dict[str, int], names: list[str], extra: dict[str, int] | None = None) -> int:
    return sum(counts.values()) + len(names) + len(extra or {})


def test_outputs_are_stored_and_consumed_by_uri(project: Project) -> None:
    run = project.run(produce, params={"rows": 4, "label": "cat"},
                      returns=["doubled", "counts : file", "names : file[format='jsonl']", "price"])
    assert "completed" == run.status
    assert {"doubled": 8, "price": decimal.Decimal("0.10")} == run.results
    assert ["counts", "names"] == sorted(run.outputs)
    assert run.outputs["counts"].startswith("store://artifacts/demo/counts@")
    second = project.run(consume, inputs={"counts": run.outputs["counts"], "names": run.outputs["names"]}, returns=["total"])
    assert {"total": 8} == second.results
    assert {"cat": 4} == project.get_artifact(run.outputs["counts"]).unpack()
    assert ["cat"] * 4 == project.get_artifact("names").unpack()


def test_the_run_record_keeps_what_happened(project: Project) -> None:
    run = project.run(produce, params={"rows": 1}, returns=["doubled", "counts : file", "names", "price"], name="make-data")
    record = project.get_run(run.uid).record
    assert ("make-data", "completed", {"rows": 1}) == (record.name, record.status, record.params)
    assert record.handler.endswith("test_runs:produce")
    assert set(record.versions) >= {"python", "satchel", "plugins"}
    assert {"builtins", "collections", "values"} == set(record.versions["plugins"])
    assert record.start <= (record.end or "")
    assert [run.uid] == [r.uid for r in project.list_runs()]


def test_a_failing_handler_keeps_its_record_and_traceback(project: Project) -> None:
    def explode(n: int) -> int:
        raise ZeroDivisionError(f"cannot split {n} ways")

    with pytest.raises(RunError, match=r"failed: ZeroDivisionError: cannot split 3 ways.*satchel runs show"):
        project.run(explode, params={"n": 3})
    (failed,) = project.list_runs()
    assert ("failed", "ZeroDivisionError: cannot split 3 ways") == (failed.status, failed.error)
    assert "raise ZeroDivisionError" in (failed.record.traceback or "")


def test_outputs_stored_before_a_failure_stay_intact(project: Project) -> None:
    def half_good() -> tuple[dict[str, int], object]:
        return {"a": 1}, object()

    project.set_pickle_policy("forbid")
    run = project.run(half_good, returns=["good : file", "bad"], raise_on_failure=False)
    assert "failed" == run.status
    assert "forbids pickles" in (run.error or "")
    stored = project.list_artifacts()
    assert (["good"], {"a": 1}) == ([a.key for a in stored], stored[0].unpack())


def test_unbundling_stores_one_artifact_per_item(project: Project) -> None:
    def frames() -> list[dict[str, int]]:
        return [{"i": 0}, {"i": 1}, {"i": 2}]

    run = project.run(frames, returns=["3*frame : file"])
    assert ["frame-0", "frame-1", "frame-2"] == sorted(run.outputs)
    with pytest.raises(RunError, match="expects exactly 2 items, the output has 3"):
        project.run(frames, returns=["2*frame : file"])


def test_a_tuple_must_match_the_number_of_hints(project: Project) -> None:
    with pytest.raises(RunError, match=r"has 2 log hints \(a, b\) but returned a tuple of 4"):
        project.run(produce, returns=["a", "b"])


def typed_inputs(
    counts: Annotated[dict[str, int], "metadata"],
    batches: list[list[str]],
    named: dict[str, dict[str, int]],
    maybe: list[str] | None = None,
) -> int:
    return len(counts) + len(batches) + len(named) + len(maybe or [])


def test_inputs_resolve_annotated_optional_list_and_dict_hints(project: Project) -> None:
    first = project.run(produce, params={"rows": 2}, returns=["doubled", "counts : file", "names : file", "price"])
    uri_counts, uri_names = first.outputs["counts"], first.outputs["names"]
    run = project.run(
        typed_inputs,
        inputs={"counts": uri_counts, "batches": [uri_names, uri_names], "named": {"a": uri_counts}, "maybe": uri_names},
        returns=["n"],
    )
    assert {"n": 1 + 2 + 1 + 2} == run.results
    assert [uri_names, uri_names] == run.record.inputs["batches"]


def test_local_paths_are_unpacked_by_the_type_hint(project: Project, tmp_path: pathlib.Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hello")

    def shout(text: str, where: pathlib.Path) -> str:
        return text.upper() + where.name

    run = project.run(shout, inputs={"text": "literal", "where": str(source)}, returns=["out"])
    assert {"out": "LITERALnotes.txt"} == run.results


def test_custom_packagers_are_persisted_and_win_over_built_ins(project: Project) -> None:
    from custom_packagers import Celsius

    project.add_custom_packager("custom_packagers.CelsiusPackager", is_mandatory=True)
    reopened = Project(project.name, project.store)
    assert ["custom_packagers.CelsiusPackager"] == [s.packager for s in reopened.config.custom_packagers]
    run = reopened.run(lambda: Celsius(21.5), returns=["temp"], name="weather")
    assert ("custom_packagers.CelsiusPackager", Celsius) == (run.record.result_meta["temp"].plugin, type(run.results["temp"]))
    reopened.remove_custom_packager("custom_packagers.CelsiusPackager")
    assert [] == Project(project.name, project.store).config.custom_packagers


def test_a_mandatory_packager_that_fails_to_import_stops_the_run_before_the_handler(project: Project) -> None:
    called: list[bool] = []
    project.add_custom_packager("no_such_module.Packager", is_mandatory=True)
    with pytest.raises(RunError, match="mandatory, so the handler did not run"):
        project.run(lambda: called.append(True))
    assert [] == called
    assert isinstance(project.list_runs()[0].record.error, str)


def test_an_optional_packager_that_fails_is_skipped_with_a_warning(project: Project) -> None:
    project.add_custom_packager("no_such_module.Packager", is_mandatory=False)
    with pytest.warns(UserWarning, match="optional, so runs go on without it"):
        run = project.run(lambda: 5, returns=["five"])
    assert {"five": 5} == run.results


def test_the_handler_decorator_records_plain_calls(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SATCHEL_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("SATCHEL_PROJECT", "plain")

    @satchel.handler(returns=["total", "parts : file"])
    def split(total: int) -> tuple[int, list[int]]:
        return total, [total // 2, total - total // 2]

    assert (7, [3, 4]) == split(7)
    run = split.last_run
    assert ({"total": 7}, ["parts"]) == (run.results, sorted(run.outputs))
    assert [3, 4] == get_or_create_project("plain").get_artifact(run.outputs["parts"]).unpack()


def test_unknown_artifact_and_unknown_run_say_how_to_list(project: Project) -> None:
    with pytest.raises(ArtifactNotFoundError, match="satchel artifacts"):
        project.get_artifact("store://artifacts/demo/nothing-here")
    with pytest.raises(ArtifactNotFoundError):
        project.get_run("0123456789abcdef")


def test_pickle_forbidden_fails_at_pack_time(project: Project) -> None:
    project.set_pickle_policy("forbid")
    with pytest.raises(PackingError, match="forbids pickles"):
        project.log(object(), "thing")
    _ = PluginLoadError


def test_logging_a_callers_file_leaves_that_file_alone(tmp_path: pathlib.Path) -> None:
    import stat

    project = get_or_create_project("files", store=str(tmp_path / "store"))
    source = tmp_path / "weights.bin"
    source.write_bytes(b"v1")
    stored = project.log(source, "weights")
    details = source.stat()
    assert (1, 0o200) == (details.st_nlink, stat.S_IMODE(details.st_mode) & 0o200)
    source.write_bytes(b"v2")  # the caller edits its file; the stored version must not change
    assert b"v1" == stored.unpack().read_bytes()
