"""Selection is pluggy hook resolution: wrappers, tracing, monitoring and module-style plugins behave
as pluggy documents, and ranking is priority, then closeness of type, then name."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fake_plugins import shapes

import satchel
from satchel import Artifact, Offer, Packager, hookimpl
from satchel.dataitem import DataItem
from satchel.errors import PackingError, PickleNotAllowedError
from satchel.host import PluginHost
from satchel.packagers.pickle import PickleFallbackWarning
from satchel.store import Store
from satchel.unpacking import unpack_record

ROOT = Path(__file__).resolve().parents[2]


class Opaque:
    """No packager knows it; module-level so it can be pickled."""


class Secret:
    """A type one plugin refuses to have pickled silently."""


class PackTracer:
    """A plugin of new-style wrappers only, as pluggy documents them."""

    def __init__(self) -> None:
        self.packs: list[tuple[str, str]] = []
        self.offers_seen: list[list[Any]] = []

    @hookimpl(wrapper=True)
    def satchel_pack(self, obj: Any, key: str) -> Generator[None, Any, Any]:
        packed = yield
        self.packs.append((key, packed.producer.plugin))
        return packed

    @hookimpl(wrapper=True)
    def satchel_can_pack(self, obj_type: type) -> Generator[None, Any, Any]:
        answers = yield
        self.offers_seen.append(answers)
        return answers


def test_a_wrapper_sees_each_pack_once_around_the_winner(host: PluginHost) -> None:
    tracer = PackTracer()
    host.register(tracer, name="tracer")
    satchel.pack(5, "n", host=host)
    satchel.pack({"a": [1, 2]}, "d", host=host)
    satchel.pack(dt.date(2020, 1, 1), "when", host=host)
    assert [("n", "builtins"), ("d", "collections"), ("when", "values")] == tracer.packs


def test_a_wrapper_that_only_yields_is_not_taken_for_a_packager(host: PluginHost) -> None:
    tracer = PackTracer()
    host.register(tracer, name="tracer")
    explanation = host.explain(5)
    assert "builtins" == explanation.winner.plugin  # type: ignore[union-attr]
    accepted = {c.plugin for c in explanation.candidates if c.accepted}
    assert "tracer" not in accepted
    # It wrapped every plugin's answer: one list per plugin asked, each its one answer or nothing.
    assert all(len(answers) <= 1 for answers in tracer.offers_seen)
    assert any(answers and isinstance(answers[0], Offer) for answers in tracer.offers_seen)


def test_a_wrapper_can_change_the_answers_and_selection_follows(host: PluginHost) -> None:
    class ExactOnly:
        """Drops every offer that matches only a base class (so no pickle fallback for subclasses)."""

        @hookimpl(wrapper=True)
        def satchel_can_pack(self, obj_type: type) -> Generator[None, Any, Any]:
            answers = yield
            return [offer for offer in answers if offer.distance == 0]

    assert "pickle" == host.select_packer(Opaque)
    host.register(ExactOnly(), name="exact-only")
    assert "collections" == host.select_packer(dict)
    with pytest.raises(satchel.errors.PackagerNotFoundError, match="no installed packager packs test_hooks.Opaque"):
        satchel.pack(Opaque(), "o", host=host)


def test_tracing_names_the_winner(host: PluginHost) -> None:
    lines: list[str] = []
    host.pm.trace.root.setwriter(lines.append)
    undo = host.pm.enable_tracing()
    try:
        satchel.pack(dt.time(12, 30), "noon", host=host)
    finally:
        undo()
    finished = [line for line in lines if "finish satchel_pack" in line]
    assert 1 == len(finished)
    assert "plugin='values'" in finished[0]


def test_hook_call_monitoring_sees_every_question(host: PluginHost) -> None:
    calls: list[str] = []
    undo = host.pm.add_hookcall_monitoring(lambda name, impls, kwargs: calls.append(name), lambda *args: None)
    try:
        satchel.pack(7, "n", host=host)
    finally:
        undo()
    assert calls.count("satchel_can_pack") == len(host.names)  # each plugin asked once
    assert 1 == calls.count("satchel_pack")  # and only the winner packs


def test_tryfirst_orders_calls_but_never_ranks(host: PluginHost) -> None:
    class Eager:
        """Asks to be called first, at a lower priority than the built-ins: it must still lose."""

        @hookimpl(tryfirst=True)
        def satchel_priority(self) -> int:
            return 6

        @hookimpl(tryfirst=True)
        def satchel_can_pack(self, obj_type: type) -> Offer | None:
            return Offer() if obj_type is int else None

        @hookimpl(tryfirst=True)
        def satchel_pack(self, obj: Any, key: str) -> Any:
            raise AssertionError("a lower-ranked plugin was asked to pack")

    host.register(Eager(), name="aaa-eager")  # a name that sorts first, too
    assert "builtins" == host.select_packer(int)
    assert 3 == satchel.pack(3, "n", host=host).value


def test_a_module_style_plugin_says_priority_and_distance_through_hooks(host: PluginHost, tmp_path: Path) -> None:
    class PolygonPackager(Packager):
        """Packs polygons and their subclasses, at the module plugin's own priority (4)."""

        PACKABLE_OBJECT_TYPE = shapes.Polygon
        PACK_SUBCLASSES = True
        PRIORITY = 4
        DEFAULT_PACKING_ARTIFACT_TYPE = "file"

        def pack_file(self, obj: Any, key: str) -> Artifact:
            return Artifact(key=key, body=str(obj.sides))

    host.register(shapes, name="shapes")
    host.register(PolygonPackager, name="polygons")
    # Square: 2 steps to Shape (shapes), 1 step to Polygon (polygons) -> polygons is closer.
    assert "polygons" == host.select_packer(shapes.Square)
    # Shape itself: only the module plugin takes it; priority 4 beats nothing, the pickle fallback loses.
    assert "shapes" == host.select_packer(shapes.Shape)
    explanation = host.explain(shapes.Square(4))
    by_name = {c.plugin: c for c in explanation.candidates}
    assert (4, 2, False) == (by_name["shapes"].priority, by_name["shapes"].distance, by_name["shapes"].winner)
    assert (1, True) == (by_name["polygons"].distance, by_name["polygons"].winner)
    # The module plugin's pack is stamped with its registered identity, and unpacking routes back to it.
    packed = satchel.pack(shapes.Shape(3), "tri", host=host)
    assert ("shapes", 2) == (packed.producer.plugin, packed.producer.format_version)
    store = Store(tmp_path / "store")
    record = satchel.packing.log_packed(store, "demo", packed)
    assert shapes.Shape(3) == unpack_record(store, record, shapes.Shape, host=host)


def test_a_refusal_wins_over_the_pickle_fallback_with_its_message(host: PluginHost) -> None:
    class Refuser(Packager):
        PACKABLE_OBJECT_TYPE = "no.such.Type"

        def refusal(self, obj_type: type, artifact_type: str | None) -> str | None:
            if obj_type is Secret and artifact_type is None:
                return "Secret objects hold credentials; log their public part instead"
            return None

    host.register(Refuser, name="refuser")
    with pytest.raises(PackingError, match="'s': Secret objects hold credentials"):
        satchel.pack(Secret(), "s", host=host)
    winner = host.explain(Secret()).winner
    assert ("refuser", 9) == (winner.plugin, winner.priority)  # type: ignore[union-attr]
    assert "refuses it" in winner.reason  # type: ignore[union-attr]
    # Asking for a pickle explicitly is the caller's decision; the refusal does not apply.
    with pytest.warns(PickleFallbackWarning):
        assert "pickle" == satchel.pack(Secret(), "s : object", host=host).producer.plugin


def test_every_pickle_comes_from_the_pickle_packager_with_a_warning(host: PluginHost, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    for obj, hint in ((dt.date(2020, 1, 1), "d : object"), ({"x": Opaque()}, "d"), ([Opaque()], "d")):
        with pytest.warns(PickleFallbackWarning, match="is pickled"):
            packed = satchel.pack(obj, hint, host=host)
        assert ("pickle", "object") == (packed.producer.plugin, packed.artifact_type)
        record = satchel.packing.log_packed(store, "demo", packed)
        with pytest.raises(PickleNotAllowedError, match="needs your explicit opt-in"):
            unpack_record(store, record, host=host)
    assert dt.date(2020, 1, 1) == unpack_record(
        store, store.list_artifacts("demo", limit=3)[-1], host=host, allow_pickle=True
    )


def test_a_non_offer_answer_is_an_error_naming_the_plugin(host: PluginHost) -> None:
    class Sloppy:
        @hookimpl
        def satchel_can_pack(self, obj_type: type) -> Any:
            return "yes please"

    host.register(Sloppy(), name="sloppy")
    with pytest.raises(PackingError, match=r"plugin 'sloppy' answered satchel_can_pack with 'yes please'"):
        host.select_packer(int)


def test_registering_a_plugin_drops_cached_selections(host: PluginHost) -> None:
    assert "builtins" == host.select_packer(int)

    class Ints:
        @hookimpl
        def satchel_priority(self) -> int:
            return 1

        @hookimpl
        def satchel_can_pack(self, obj_type: type) -> Offer | None:
            return Offer() if obj_type is int else None

        @hookimpl
        def satchel_pack(self, obj: Any, key: str, options: Mapping[str, Any]) -> Any:
            return satchel.Packed(key=key, artifact_type="result", object_type="builtins.int", value=obj * 2)

        @hookimpl
        def satchel_unpack_result(self, value: Any) -> int:
            return int(value) // 2

    host.register(Ints(), name="ints")
    packed = satchel.pack(5, "n", host=host)
    assert ("ints", 10) == (host.select_packer(int), packed.value)
    assert 5 == host.unpack_result(packed.value, producer=packed.producer)
    host.unregister("ints")
    assert "builtins" == host.select_packer(int)


def test_local_files_are_unpacked_by_the_best_can_unpack_offer(host: PluginHost, tmp_path: Path) -> None:
    host.register(shapes, name="shapes")
    path = tmp_path / "shape.json"
    path.write_text('{"kind": "Square", "sides": 4}')
    item = DataItem.from_local_path(path)
    assert ["shapes"] == host.unpackers(item, shapes.Square, None)  # not the pickle packager: no .pkl
    assert shapes.Square(4) == satchel.unpacking.unpack_local(item, shapes.Square, host=host)


# -- The contract's edges: every hook documented and exercised ------------------------------------

HOOKS = sorted(name for name in dir(satchel.hookspecs) if name.startswith("satchel_"))


def test_the_contract_has_the_hooks_the_docs_name() -> None:
    assert [
        "satchel_can_pack", "satchel_can_unpack", "satchel_describe", "satchel_pack", "satchel_priority",
        "satchel_unpack", "satchel_unpack_result",
    ] == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook: str) -> None:
    text = (ROOT / "docs" / "hooks.md").read_text()
    assert re.search(rf"^## `{hook}\(", text, re.MULTILINE), f"docs/hooks.md has no section for {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_exercised_by_a_test(hook: str) -> None:
    sources = [p.read_text() for p in Path(__file__).resolve().parent.rglob("*.py")]
    assert any(f"def {hook}(" in source or f"hook.{hook}(" in source for source in sources), (
        f"no test implements or calls {hook}"
    )
