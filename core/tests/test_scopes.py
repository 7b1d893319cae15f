"""What a user notices of the redesign: projects keep their packagers to themselves, inputs honour
their type hints, and params are converted to theirs before the handler runs."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import pathlib
import re
import uuid
from typing import Any, Literal

import pytest
from custom_packagers import Celsius

from satchel import Artifact, Packager
from satchel.dataitem import DataItem
from satchel.errors import RunError, UnpackingError
from satchel.host import PluginHost
from satchel.packagers.pickle import PickleFallbackWarning
from satchel.project import Project, get_or_create_project


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    return str(tmp_path / "store") if request.param == "local" else f"memory://scopes-{uuid.uuid4().hex}"


# -- Custom packagers belong to their project --------------------------------------------------------


def test_a_projects_custom_packager_is_not_seen_by_another_project(store: str) -> None:
    a = get_or_create_project("alpha", store=store)
    b = get_or_create_project("beta", store=store)
    a.add_custom_packager("custom_packagers.CelsiusPackager")
    first = a.run(lambda: Celsius(21.5), returns=["temp"], name="a-weather")
    with pytest.warns(PickleFallbackWarning):
        second = b.run(lambda: Celsius(21.5), returns=["temp"], name="b-weather")
    assert ("custom_packagers.CelsiusPackager", Celsius) == (first.record.result_meta["temp"].plugin, type(first.results["temp"]))
    # beta never added it: a float subclass is no built-in's exact type, so it is pickled there.
    assert {"temp": "store://artifacts/beta/temp@" + second.outputs["temp"].rsplit("@", 1)[1]} == second.outputs
    assert "pickle" == b.get_artifact("temp").producer.plugin
    assert "custom_packagers.CelsiusPackager" not in b.host.names
    assert "custom_packagers.CelsiusPackager" in a.host.names


def test_the_process_wide_host_is_left_unchanged_by_a_project(store: str, host: PluginHost) -> None:
    before = host.names
    project = get_or_create_project("alpha", store=store)
    project.add_custom_packager("custom_packagers.CelsiusPackager")
    assert "custom_packagers.CelsiusPackager" == project.run(lambda: Celsius(1.0), returns=["t"]).record.result_meta["t"].plugin
    assert before == host.names
    assert host is not project.host


def test_removing_a_custom_packager_takes_it_out_of_the_projects_runs(store: str) -> None:
    project = get_or_create_project("alpha", store=store)
    project.add_custom_packager("custom_packagers.CelsiusPackager")
    assert "custom_packagers.CelsiusPackager" in project.host.names
    project.remove_custom_packager("custom_packagers.CelsiusPackager")
    assert "custom_packagers.CelsiusPackager" not in project.host.names


# -- Inputs honour their type hints ------------------------------------------------------------------


class Shout(str):
    """Text in capitals, which a test plugin makes from any stored text file."""


class ShoutPackager(Packager):
    """Makes Shout from another plugin's .txt file: a conversion offered through satchel_can_unpack."""

    PACKABLE_OBJECT_TYPE = Shout
    DEFAULT_PACKING_ARTIFACT_TYPE = "file"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"

    def can_unpack_item(self, data_item: DataItem, obj_type: type | None, artifact_type: str | None) -> bool:
        record = data_item.record
        return obj_type is Shout and record is not None and record.format == "txt"

    def pack_file(self, obj: Shout, key: str) -> Artifact:
        return Artifact(key=key, body=str(obj), file_name=f"{key}.txt", format="txt")

    def unpack_file(self, data_item: DataItem) -> Shout:
        return Shout(data_item.read_text().upper())


def text_file() -> str:
    return "hello"


def test_an_input_of_the_wrong_type_is_an_error_and_the_handler_never_runs(store: str) -> None:
    project = get_or_create_project("demo", store=store)
    made = project.run(text_file, returns=["greeting : file"])
    seen: list[Any] = []

    def count(numbers: list) -> int:  # type: ignore[type-arg]
        seen.append(numbers)
        return len(numbers)

    uri = made.outputs["greeting"]
    failed = project.run(count, inputs={"numbers": uri}, raise_on_failure=False)
    assert [] == seen
    assert "failed" == failed.status
    assert uri in (failed.error or "")
    assert "builtins.str" in (failed.error or "") and "builtins.list" in (failed.error or "")


def test_unpack_with_a_type_hint_never_returns_another_type(store: str) -> None:
    project = get_or_create_project("demo", store=store)
    uri = project.run(text_file, returns=["greeting : file"]).outputs["greeting"]
    artifact = project.get_artifact(uri)
    assert "hello" == artifact.unpack(str) == artifact.unpack()
    with pytest.raises(UnpackingError, match=r"holds a builtins\.str, packed by 'builtins', but the type hint asks for builtins\.dict"):
        artifact.unpack(dict)


def test_another_plugin_can_make_the_hinted_type_from_an_artifact(store: str, host: PluginHost) -> None:
    host.register(ShoutPackager, name="shout")
    project = get_or_create_project("demo", store=store)
    uri = project.run(text_file, returns=["greeting : file"]).outputs["greeting"]

    def shout(text: Shout) -> str:
        assert isinstance(text, Shout)
        return text + "!"

    assert {"out": "HELLO!"} == project.run(shout, inputs={"text": uri}, returns=["out"]).results
    assert Shout("HELLO") == project.get_artifact(uri).unpack(Shout)
    assert "hello" == project.get_artifact(uri).unpack(str | None)  # the producer's type still fits


def test_a_union_hint_takes_the_first_member_a_plugin_makes(store: str, host: PluginHost) -> None:
    host.register(ShoutPackager, name="shout")
    project = get_or_create_project("demo", store=store)
    uri = project.run(text_file, returns=["greeting : file"]).outputs["greeting"]
    assert Shout("HELLO") == project.get_artifact(uri).unpack(int | Shout)
    with pytest.raises(UnpackingError, match=r"asks for builtins\.int \| builtins\.float"):
        project.get_artifact(uri).unpack(int | float)


# -- Params are converted by the handler's type hints -----------------------------------------------


CALLED: list[dict[str, Any]] = []


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


def configure(
    width: int, ratio: float, enabled: bool, when: dt.date, price: decimal.Decimal, mode: Mode,
    out: pathlib.Path, level: Literal["low", "high"] = "low", note: str | None = None,
) -> dict[str, Any]:
    CALLED.append({"width": width})
    return {
        "width": width, "ratio": ratio, "enabled": enabled, "when": when.isoformat(), "price": str(price),
        "mode": mode.value, "out": out.name, "level": level, "note": note,
    }


def test_params_given_as_text_are_converted_to_their_hints(store: str) -> None:
    project = get_or_create_project("demo", store=store)
    run = project.run(configure, params={
        "width": "128", "ratio": 1, "enabled": "false", "when": "2024-02-29", "price": "0.10",
        "mode": "fast", "out": "model.bin", "level": "high", "note": None,
    }, returns=["config"])
    assert {
        "width": 128, "ratio": 1.0, "enabled": False, "when": "2024-02-29", "price": "0.10",
        "mode": "fast", "out": "model.bin", "level": "high", "note": None,
    } == run.results["config"]


@pytest.mark.parametrize(("param", "value", "type_text"), [
    ("width", "abc", "an int"),
    ("ratio", "fast", "a float"),
    ("enabled", "maybe", "a bool"),
    ("when", "yesterday", "a date"),
    ("mode", "medium", "a Mode"),
    ("level", "max", "a Literal['low', 'high']"),
])
def test_a_param_that_does_not_convert_stops_the_run_before_the_handler(
    store: str, param: str, value: str, type_text: str
) -> None:
    project = get_or_create_project("demo", store=store)
    good = {"width": 1, "ratio": 1.0, "enabled": True, "when": "2024-01-01", "price": "1", "mode": "slow", "out": "x"}
    CALLED.clear()
    with pytest.raises(RunError, match=rf"parameter '{param}' of .*configure: '{value}' is not {re.escape(type_text)}"):
        project.run(configure, params={**good, param: value})
    assert [] == CALLED
    assert "failed" == project.list_runs()[0].status


def test_unannotated_params_pass_as_they_are(store: str) -> None:
    project = get_or_create_project("demo", store=store)

    def echo(value):  # type: ignore[no-untyped-def]
        return value

    assert {"value": "128"} == project.run(echo, params={"value": "128"}, returns=["value"]).results


def test_a_custom_packagers_priority_ranks_in_its_projects_host(store: str) -> None:
    project: Project = get_or_create_project("demo", store=store)
    project.add_custom_packager("custom_packagers.CelsiusPackager", priority=2)
    (offer,) = [c for c in project.host.explain(Celsius(1.0)).candidates if c.winner]
    assert ("custom_packagers.CelsiusPackager", 2) == (offer.plugin, offer.priority)


class Fragile:
    pass


class FragilePackager(Packager):
    """Offers to read any local file, then fails with a raw KeyError."""

    PACKABLE_OBJECT_TYPE = Fragile
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"

    def unpack_file(self, data_item: DataItem) -> Fragile:
        raise KeyError("no such column")


def test_a_plugin_failing_on_a_local_input_is_named_not_raised_raw(store: str, host: PluginHost, tmp_path: pathlib.Path) -> None:
    host.register(FragilePackager, name="fragile")
    local = tmp_path / "input.bin"
    local.write_bytes(b"data")
    project = get_or_create_project("demo", store=store)

    def use(thing: Fragile) -> int:
        return 1

    failed = project.run(use, inputs={"thing": str(local)}, raise_on_failure=False)
    assert "PackagerNotFoundError" in (failed.error or "")
    assert "'fragile': KeyError: 'no such column'" in (failed.error or "")
