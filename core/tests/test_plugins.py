"""The plugin host: discovery, isolation of failures, block lists, and explicit selection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import satchel
from satchel import Artifact, Packager
from satchel.artifacts import Producer
from satchel.dataitem import DataItem
from satchel.entrypoints import FoundEntryPoint
from satchel.errors import PackagerNotFoundError, PluginLoadError, UnknownPackingKwargError, UnpackingError
from satchel.host import PluginHost, PluginLoadWarning
from satchel.testing import isolated_host

HERE = Path(__file__).parent


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the host see the given entry points instead of the installed ones."""
    monkeypatch.syspath_prepend(str(HERE))

    def install(**targets: str) -> None:
        points = [FoundEntryPoint(name, value, None, None) for name, value in targets.items()]
        monkeypatch.setattr("satchel.host._entry_points", lambda: sorted(points, key=lambda p: p.name))

    return install


class Thing:
    pass


class SubThing(Thing):
    pass


def _thing_packager(priority: int, subclasses: bool = False, packs: type = Thing) -> type[Packager]:
    class ThingPackager(Packager):
        PACKABLE_OBJECT_TYPE = packs
        PACK_SUBCLASSES = subclasses
        PRIORITY = priority
        DEFAULT_PACKING_ARTIFACT_TYPE = "result"

        def pack_result(self, obj: Any, key: str) -> dict[str, Any]:
            return {key: type(obj).__name__}

    return ThingPackager


def test_higher_priority_wins_whatever_the_registration_order() -> None:
    for order in (("alpha", "beta"), ("beta", "alpha")):
        host = isolated_host(builtins=False)
        priorities = {"alpha": 4, "beta": 2}
        for name in order:
            host.register(_thing_packager(priorities[name]), name=name)
        assert "beta" == host.pack(Thing(), "k").producer.plugin


def test_equal_priorities_are_decided_by_plugin_name_not_order() -> None:
    for order in (("zeta", "alpha"), ("alpha", "zeta")):
        host = isolated_host(builtins=False)
        for name in order:
            host.register(_thing_packager(3), name=name)
        assert "alpha" == host.pack(Thing(), "k").producer.plugin


def test_custom_packager_default_priority_beats_built_ins() -> None:
    class IntPackager(Packager):
        PACKABLE_OBJECT_TYPE = int
        DEFAULT_PACKING_ARTIFACT_TYPE = "result"

    host = isolated_host(("my-ints", IntPackager))
    assert (3, "my-ints") == (IntPackager.PRIORITY, host.pack(5, "k").producer.plugin)


def test_exact_type_only_unless_pack_subclasses() -> None:
    host = isolated_host(("exact", _thing_packager(3)), builtins=False)
    with pytest.raises(PackagerNotFoundError, match=r"no installed packager packs test_plugins\.SubThing"):
        host.pack(SubThing(), "k")
    host.register(_thing_packager(3, subclasses=True), name="family")
    assert "family" == host.pack(SubThing(), "k").producer.plugin
    assert "exact" == host.pack(Thing(), "k").producer.plugin


def test_nearer_base_class_wins_at_equal_priority() -> None:
    host = isolated_host(("a-far", _thing_packager(3, True, object)), ("b-near", _thing_packager(3, True, Thing)), builtins=False)
    assert "b-near" == host.pack(SubThing(), "k").producer.plugin


def test_selection_is_cached_and_the_cache_is_dropped_when_plugins_change() -> None:
    calls: list[type] = []

    class Counting(_thing_packager(3)):  # type: ignore[misc]
        def can_pack_type(self, obj_type: type, artifact_type: str | None) -> bool:
            calls.append(obj_type)
            return super().can_pack_type(obj_type, artifact_type)

    host = isolated_host(("counting", Counting), builtins=False)
    for _ in range(100):
        host.pack(Thing(), "k")
    assert [Thing] == calls
    host.register(_thing_packager(1), name="urgent")
    assert "urgent" == host.pack(Thing(), "k").producer.plugin
    host.unregister("urgent")
    assert "counting" == host.pack(Thing(), "k").producer.plugin


def test_explain_lists_every_candidate_with_the_reason() -> None:
    host = isolated_host(("mine", _thing_packager(2, subclasses=True)))
    explanation = satchel.explain(SubThing(), host=host)
    assert "mine" == explanation.winner.plugin
    by_name = {c.plugin: c for c in explanation.candidates}
    assert by_name["pickle"].accepted and not by_name["pickle"].winner
    assert "fallback ranks last" in by_name["pickle"].reason
    assert not by_name["builtins"].accepted
    assert "mine" in str(explanation).splitlines()[1]


def test_unknown_packing_option_is_an_error_naming_the_valid_ones(fake_entry_points: Any) -> None:
    from fake_plugins.good import Widget, WidgetPackager

    host = isolated_host(WidgetPackager)
    with pytest.raises(UnknownPackingKwargError, match=r"does not take option\(s\) 'indnet'.*valid options: indent"):
        host.pack(Widget(1), "w", "file", {"indnet": 2})


def test_entry_point_plugins_load_and_a_broken_one_is_reported_and_skipped(fake_entry_points: Any) -> None:
    fake_entry_points(good="fake_plugins.good:WidgetPackager", broken="fake_plugins.broken")
    host = PluginHost()
    with pytest.warns(PluginLoadWarning, match=r"satchel plugin 'broken' \(unknown distribution\) failed to load with satchel 0\.1\.0: ImportError: No module named 'nonexistent_dependency'"):
        host.ensure_loaded()
    from fake_plugins.good import Widget

    assert "good" == host.pack(Widget(3), "w").producer.plugin
    assert "broken" in host.failures
    assert {"good", "builtins", "pickle"} <= set(host.names)
    listed = {info.name: info for info in host.infos()}
    assert "ImportError" in (listed["broken"].error or "")


def test_disabled_plugins_are_not_even_imported(fake_entry_points: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(good="fake_plugins.good:WidgetPackager", broken="fake_plugins.broken")
    monkeypatch.setenv("SATCHEL_DISABLE_PLUGINS", "broken, good")
    sys.modules.pop("fake_plugins.broken", None)
    host = PluginHost()
    host.ensure_loaded()
    assert "fake_plugins.broken" not in sys.modules
    assert ({"broken", "good"}, {}) == (host.blocked, host.failures)
    assert "good" not in host.names


def test_a_misspelt_hook_is_reported_naming_it_and_the_plugin_is_skipped(fake_entry_points: Any) -> None:
    fake_entry_points(misspelt="fake_plugins.misspelt", good="fake_plugins.good:WidgetPackager")
    host = PluginHost()
    with pytest.warns(PluginLoadWarning, match="unknown hook 'satchel_can_pak'"):
        host.ensure_loaded()
    assert "misspelt" not in host.names and "good" in host.names
    assert "satchel_can_pak" in host.failures["misspelt"].error


def test_dotted_type_names_are_resolved_only_once_their_module_is_imported(fake_entry_points: Any) -> None:
    fake_entry_points(lazy="fake_plugins.lazy:LazyPackager")
    sys.modules.pop("fake_plugins.fake_heavy_lib", None)
    host = PluginHost()
    host.ensure_loaded()
    assert "fake_plugins.fake_heavy_lib" not in sys.modules
    from fake_plugins import fake_heavy_lib

    packed = host.pack(fake_heavy_lib.Tensor([1, 2]), "t")
    assert ("lazy", [1, 2]) == (packed.producer.plugin, packed.value)


def test_unpacking_routes_by_the_recorded_producer_and_names_the_missing_distribution() -> None:
    host = isolated_host()
    item = DataItem("img", kind="file", file_names=["img.png"], materialize=lambda: "/nonexistent")
    producer = Producer(plugin="pillow", distribution="satchel-pillow", version="0.3.0", format_version=1)
    with pytest.raises(PackagerNotFoundError, match=r"packed by plugin 'pillow' from satchel-pillow, which is not installed: pip install 'satchel-pillow>=0\.3\.0'"):
        host.unpack(item, producer=producer, artifact_type="file")


def test_an_artifact_from_a_newer_format_version_asks_for_an_upgrade(fake_entry_points: Any) -> None:
    from fake_plugins.good import WidgetPackager

    host = isolated_host(("widgets", WidgetPackager))
    item = DataItem("w", kind="file", file_names=["w.json"], materialize=lambda: "/nonexistent")
    producer = Producer(plugin="widgets", distribution="satchel-widgets", version="9.0", format_version=2)
    with pytest.raises(UnpackingError, match="format version 2 .* upgrade satchel-widgets"):
        host.unpack(item, producer=producer, artifact_type="file")


def test_without_a_record_the_type_hint_picks_the_unpacker(tmp_path: Path, fake_entry_points: Any) -> None:
    from fake_plugins.good import Widget, WidgetPackager

    path = tmp_path / "w.json"
    path.write_text('{"size": 4}')
    host = isolated_host(("widgets", WidgetPackager))
    restored = host.unpack(DataItem.from_local_path(path), producer=None, artifact_type=None, obj_type=Widget)
    assert Widget(4) == restored


def test_mandatory_plugin_that_failed_stops_before_anything_runs(fake_entry_points: Any) -> None:
    fake_entry_points(broken="fake_plugins.broken")
    host = PluginHost()
    with pytest.warns(PluginLoadWarning):
        host.ensure_loaded()
    with pytest.raises(PluginLoadError, match="marked mandatory"):
        host.require("broken")


def test_import_satchel_and_discovery_import_no_heavy_library() -> None:
    code = (
        "import sys, satchel; satchel.get_host().ensure_loaded(); "
        "heavy = [m for m in ('PIL', 'numpy', 'pandas', 'pyarrow', 'langchain_core') if m in sys.modules]; "
        "print(heavy)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "[]" == output.strip()


def test_packing_failure_clears_temporary_files(tmp_path: Path) -> None:
    written: list[Path] = []

    class Failing(Packager):
        PACKABLE_OBJECT_TYPE = Thing
        DEFAULT_PACKING_ARTIFACT_TYPE = "file"

        def pack_file(self, obj: Thing, key: str) -> tuple[Artifact, dict[str, Any]]:
            path = Path(self.make_temp_dir()) / "partial.bin"
            path.write_bytes(b"half")
            written.append(path)
            raise RuntimeError("disk full")

    host = isolated_host(Failing)
    with pytest.raises(RuntimeError, match="disk full"):
        host.pack(Thing(), "k")
    assert [False] == [p.exists() for p in written]


def test_entry_point_scan_agrees_with_importlib_metadata() -> None:
    from importlib.metadata import entry_points

    from satchel.entrypoints import scan_entry_points

    for group in ("satchel", "console_scripts", "pytest11"):
        expected = sorted((e.name, e.value, e.dist.metadata["Name"] if e.dist else None) for e in entry_points(group=group))
        assert expected == sorted((e.name, e.value, e.distribution) for e in scan_entry_points(group))


def test_entry_point_scan_reads_a_distribution_folder(tmp_path: Path) -> None:
    from satchel.entrypoints import scan_entry_points

    folder = tmp_path / "satchel_demo_plugin-2.0.1.dist-info"
    folder.mkdir()
    (folder / "METADATA").write_text("Metadata-Version: 2.1\nName: satchel-demo-plugin\nVersion: 2.0.1\n\nLong text: ignored\n")
    (folder / "entry_points.txt").write_text("[console_scripts]\ndemo = x:y\n\n[satchel]\ndemo = satchel_demo:DemoPackager [extra]\n")
    found = scan_entry_points("satchel", [str(tmp_path)])
    assert [("demo", "satchel_demo:DemoPackager", "satchel-demo-plugin", "2.0.1")] == [
        (e.name, e.value, e.distribution, e.version) for e in found
    ]
