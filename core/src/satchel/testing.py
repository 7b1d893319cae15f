"""The packager test kit: a contract every packager plugin's tests subclass, checked with Hypothesis.

A plugin's test module needs about ten lines::

    from hypothesis import strategies as st
    from satchel.testing import PackagerContract

    class TestMyPackager(PackagerContract):
        packager = MyPackager
        strategy = st.builds(MyType, ...)

and gets, for every artifact type the packager declares: round-trip fidelity through a real store,
``can_pack`` agreeing with ``pack``, packing options validated, temporary files cleared (after storing
and after a failure), the caller's object left unmutated, and the stored metadata naming the packager.
Override :meth:`PackagerContract.assert_same` where ``==`` is not the right comparison, and
:meth:`PackagerContract.strategy_for` where an artifact type takes only some objects.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from satchel.artifacts import FileEntry
from satchel.errors import PackagerNotFoundError, SatchelError, UnknownPackingKwargError
from satchel.host import PluginHost
from satchel.packagers.base import Packager
from satchel.packing import log_packed, staging
from satchel.store import Store
from satchel.store.paths import blob_path
from satchel.typenames import type_name
from satchel.unpacking import unpack_record

__all__ = [
    "EntryPointContract",
    "PackagerContract",
    "blob_file",
    "check_hostile_instructions",
    "corrupt_blob",
    "hostile_values",
    "isolated_host",
    "json_values",
    "load_hypothesis_profile",
    "temp_dir_in_tmp_path",
]

PROFILE_ENV = "SATCHEL_HYPOTHESIS_PROFILE"


def load_hypothesis_profile() -> str:
    """Register the ``dev`` (fast, default) and ``ci`` (thorough) profiles and load the one
    ``SATCHEL_HYPOTHESIS_PROFILE`` names; call it from a ``conftest.py``."""
    settings.register_profile("dev", max_examples=25, deadline=None)
    settings.register_profile("ci", max_examples=150, deadline=None, print_blob=True)
    name = os.environ.get(PROFILE_ENV, "dev")
    settings.load_profile(name)
    return name

PLUGIN_NAME = "under-test"
PROJECT = "contract"


def blob_file(store: Store, entry: FileEntry) -> pathlib.Path:
    """The file of a local *store* that holds *entry*'s bytes (``objects/<algorithm>/ab/…``), for a
    test that looks at how a blob is kept or changes it behind the store's back."""
    if not store._backend.is_local:
        raise ValueError(f"{store.url} is not a local store; use corrupt_blob, or its backend")
    return pathlib.Path(store.url, *blob_path(entry.digest).split("/"))


def corrupt_blob(store: Store, entry: FileEntry) -> None:
    """Flip the first byte of *entry*'s blob in *store* (local or not), as a failing disk would."""
    if store._backend.is_local:
        path = blob_file(store, entry)
        path.chmod(0o644)  # blobs are read-only
        path.write_bytes(_flipped(path.read_bytes(), entry))
    else:
        rel = blob_path(entry.digest)
        store._backend.write_atomic(rel, _flipped(store._backend.read(rel) or b"", entry))


def _flipped(data: bytes, entry: FileEntry) -> bytes:
    if not data:
        raise ValueError(f"the blob of {entry.name!r} is empty: there is no byte to change")
    return bytes([data[0] ^ 0xFF]) + data[1:]


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any JSON value: None, booleans, integers, finite floats, text, and lists/dicts of them."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
        max_leaves=max_leaves,
    )


def isolated_host(*packagers: type[Packager] | tuple[str, type[Packager]], builtins: bool = True) -> PluginHost:
    """A plugin host that sees only core's built-ins (optional) and the packagers given, never installed plugins."""
    host = PluginHost(load_entry_points=False, load_defaults=builtins)
    host.ensure_loaded()
    for entry in packagers:
        name, packager = entry if isinstance(entry, tuple) else (PLUGIN_NAME, entry)
        host.register(packager, name=name, distribution="satchel-test-plugin", version="0.0.0")
    return host



@pytest.fixture(autouse=True)
def temp_dir_in_tmp_path(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Whatever satchel, a plugin or a test puts in the system temp directory lands under ``tmp_path``.

    Import it into a suite's ``conftest.py`` (``from satchel.testing import temp_dir_in_tmp_path``)
    and every test there writes only under its own ``tmp_path``.
    """
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))  # for subprocesses
    return folder

@contextmanager
def _recorded_clearing_paths() -> Iterator[list[str]]:
    """Every path a packager asks to have cleared, recorded while the block runs."""
    seen: list[str] = []
    original = Packager.add_future_clearing_path

    def record(self: Packager, path: str | os.PathLike[str]) -> None:
        seen.append(os.fspath(path))
        original(self, path)

    Packager.add_future_clearing_path = record  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Packager.add_future_clearing_path = original  # type: ignore[method-assign]


class PackagerContract:
    """What every packager promises; subclass it as ``Test…`` with ``packager`` and ``strategy``."""

    packager: ClassVar[type[Packager]]
    strategy: ClassVar[st.SearchStrategy[Any]]
    #: Artifact types to round-trip; None means every type the packager both packs and unpacks
    #: (``object``, the pickle, is checked only when listed here).
    round_trip_types: ClassVar[Sequence[str] | None] = None
    #: Packing options to use per artifact type in the round trip, e.g. {"file": {"format": "png"}}.
    options: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    max_examples: ClassVar[int | None] = None

    # -- Extension points -----------------------------------------------------------------------

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        """Assert ``restored`` is a faithful copy of ``original``; override for arrays, images, frames."""
        assert type(original) is type(restored)
        assert original == restored

    def strategy_for(self, artifact_type: str) -> st.SearchStrategy[Any]:
        """Objects the packager should round-trip as ``artifact_type``; default: ``strategy``."""
        return self.strategy

    def snapshot(self, obj: Any) -> Any:
        """A copy of ``obj`` taken before packing, to prove packing does not mutate it."""
        return copy.deepcopy(obj)

    # -- Plumbing -------------------------------------------------------------------------------

    def _settings(self) -> settings:
        kwargs: dict[str, Any] = {
            "deadline": None,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
        }
        if self.max_examples is not None:
            kwargs["max_examples"] = self.max_examples
        return settings(**kwargs)

    def _round_trip_types(self) -> list[str]:
        instance = self.packager()
        if self.round_trip_types is not None:
            return list(self.round_trip_types)
        both = set(instance.packing_artifact_types) & set(instance.unpacking_artifact_types)
        return sorted(both - {"object"})

    def _pack_only_types(self) -> list[str]:
        instance = self.packager()
        return sorted(set(instance.packing_artifact_types) - set(instance.unpacking_artifact_types) - {"result"})

    def _file_types(self) -> list[str]:
        return [t for t in self._round_trip_types() + self._pack_only_types() if t != "result"]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "round_trip_type" in metafunc.fixturenames:
            metafunc.parametrize("round_trip_type", self._round_trip_types())
        if "pack_only_type" in metafunc.fixturenames:
            metafunc.parametrize("pack_only_type", self._pack_only_types())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        packager = getattr(cls, "packager", None)
        if packager is None:
            return
        contract = cls()
        # A test with nothing to check is not collected: no pack-only types, or no type writing files.
        if not contract._pack_only_types():
            cls.test_pack_only_types_produce_artifacts = None  # type: ignore[assignment,method-assign]
        if not contract._file_types():
            cls.test_clearing_paths_removed_after_storing_and_after_failure = None  # type: ignore[assignment,method-assign]

    @pytest.fixture(autouse=True)
    def _temporary_stores(self, tmp_path: Any) -> Iterator[None]:
        """Stores live under the test's own tmp_path, and are removed once it ends."""
        self._stores_root = tmp_path
        self._made: list[str] = []
        yield
        for folder in self._made:
            shutil.rmtree(folder, ignore_errors=True)

    def _store(self) -> Any:
        folder = tempfile.mkdtemp(prefix="store-", dir=self._stores_root)
        self._made.append(folder)
        return Store(folder)

    def _pack(self, host: PluginHost, obj: Any, artifact_type: str | None, key: str = "item") -> Any:
        options = dict(self.options.get(artifact_type or "", {}))
        return host.pack(obj, key, artifact_type, options)

    def _accepts(self, host: PluginHost, obj: Any, artifact_type: str) -> bool:
        instance = host.plugin(PLUGIN_NAME)
        return bool(instance.satchel_can_pack(obj_type=type(obj), artifact_type=artifact_type))

    def _round_trip(self, host: PluginHost, store: Any, obj: Any, artifact_type: str | None) -> tuple[Any, Any]:
        with staging(store):
            packed = self._pack(host, obj, artifact_type)
        if packed.is_result:
            # Results live in the run record as JSON text: go through it, as a later reader would.
            value, instructions = json.loads(json.dumps([packed.value, packed.instructions], allow_nan=False))
            restored = host.unpack_result(value, producer=packed.producer, instructions=instructions, obj_type=type(obj))
            return packed, restored
        record = log_packed(store, PROJECT, packed)
        restored = unpack_record(store, record, type(obj), host=host, allow_pickle="object" == packed.artifact_type)
        return record, restored

    # -- The contract ---------------------------------------------------------------------------

    def test_round_trip(self, round_trip_type: str) -> None:
        """Packing then unpacking as each declared artifact type gives back an equal object."""
        host = isolated_host(self.packager, builtins=False)
        store = self._store()

        @self._settings()
        @given(self.strategy_for(round_trip_type))
        def check(obj: Any) -> None:
            # A type the packager declines for this object is not evidence; Hypothesis reports a
            # strategy that never yields an accepted object as unsatisfiable.
            assume(self._accepts(host, obj, round_trip_type))
            _stored, restored = self._round_trip(host, store, obj, round_trip_type)
            self.assert_same(obj, restored, round_trip_type)

        check()

    def test_default_artifact_type_round_trips_or_packs(self) -> None:
        """With no artifact type in the hint, the packager's own choice packs (and unpacks if it can)."""
        host = isolated_host(self.packager, builtins=False)
        store = self._store()
        instance = host.plugin(PLUGIN_NAME)

        @self._settings()
        @given(self.strategy)
        def check(obj: Any) -> None:
            chosen = instance.get_default_packing_artifact_type(obj)
            if chosen not in self._round_trip_types():
                packed = self._pack(host, obj, None)
                assert packed.producer.plugin == PLUGIN_NAME
                packed.clear()
                return
            _stored, restored = self._round_trip(host, store, obj, None)
            self.assert_same(obj, restored, chosen)

        check()

    def test_pack_only_types_produce_artifacts(self, pack_only_type: str) -> None:
        """Pack-only artifact types store something readable, named after the key."""
        host = isolated_host(self.packager, builtins=False)
        store = self._store()

        @self._settings()
        @given(self.strategy_for(pack_only_type))
        def check(obj: Any) -> None:
            if not self._accepts(host, obj, pack_only_type):
                return
            with staging(store):
                packed = self._pack(host, obj, pack_only_type)
            record = log_packed(store, PROJECT, packed)
            assert record.key == "item"
            assert record.size > 0
            assert record.files

        check()

    def test_can_pack_agrees_with_pack(self) -> None:
        """Every artifact type can_pack accepts packs; an undeclared one is declined and not packed."""
        host = isolated_host(self.packager, builtins=False)
        instance = host.plugin(PLUGIN_NAME)

        types = [t for t in self._round_trip_types() + self._pack_only_types() if t not in ("result", "object")]

        @self._settings()
        @given(st.data())
        def check(data: st.DataObject) -> None:
            obj = data.draw(self.strategy, label="object")
            assert instance.satchel_can_pack(obj_type=type(obj), artifact_type=None)
            if types:
                artifact_type = data.draw(st.sampled_from(types), label="artifact type")
                typed = data.draw(self.strategy_for(artifact_type), label="object for that type")
                if self._accepts(host, typed, artifact_type):
                    packed = self._pack(host, typed, artifact_type)
                    assert packed.artifact_type == artifact_type
                    packed.clear()
            assert not instance.satchel_can_pack(obj_type=type(obj), artifact_type="no_such_artifact_type")
            with pytest.raises(PackagerNotFoundError):
                host.pack(obj, "item", "no_such_artifact_type", {})

        check()

    def test_unknown_packing_option_names_the_valid_ones(self) -> None:
        """An option the pack method does not take is an error naming the options it does take."""
        host = isolated_host(self.packager, builtins=False)
        instance = host.plugin(PLUGIN_NAME)

        @self._settings()
        @given(self.strategy)
        def check(obj: Any) -> None:
            artifact_type = instance.get_default_packing_artifact_type(obj)
            method = instance._pack_methods[artifact_type]
            if method.accepts_any:
                return
            with pytest.raises(UnknownPackingKwargError) as raised:
                host.pack(obj, "item", artifact_type, {"no_such_option": 1})
            assert "no_such_option" in str(raised.value)
            for option in method.options:
                assert option in str(raised.value)

        check()

    def test_clearing_paths_removed_after_storing_and_after_failure(self) -> None:
        """Temporary files a pack method registers are gone once stored, and when packing fails."""
        host = isolated_host(self.packager, builtins=False)
        store = self._store()
        instance = host.plugin(PLUGIN_NAME)
        types = self._file_types()

        @self._settings()
        @given(st.data())
        def check(data: st.DataObject) -> None:
            artifact_type = data.draw(st.sampled_from(types), label="artifact type")
            obj = data.draw(self.strategy_for(artifact_type), label="object")
            assume(self._accepts(host, obj, artifact_type))
            with _recorded_clearing_paths() as seen, staging(store):
                packed = self._pack(host, obj, artifact_type)
            log_packed(store, PROJECT, packed)
            assert [p for p in seen if os.path.exists(p)] == []

            method_name = instance._pack_methods[artifact_type].name
            original = getattr(instance, method_name)

            def failing(*args: Any, **kwargs: Any) -> Any:
                original(*args, **kwargs)
                raise RuntimeError("storage refused")

            setattr(instance, method_name, failing)
            try:
                with _recorded_clearing_paths() as seen, staging(store), pytest.raises(RuntimeError):
                    self._pack(host, obj, artifact_type)
            finally:
                delattr(instance, method_name)
            assert [p for p in seen if os.path.exists(p)] == []

        check()

    def test_packing_does_not_mutate_the_object(self, round_trip_type: str) -> None:
        """The caller's object is unchanged after packing it as each declared artifact type."""
        host = isolated_host(self.packager, builtins=False)

        @self._settings()
        @given(self.strategy_for(round_trip_type))
        def check(obj: Any) -> None:
            # A type the packager declines for this object is not evidence; Hypothesis reports a
            # strategy that never yields an accepted object as unsatisfiable.
            assume(self._accepts(host, obj, round_trip_type))
            before = self.snapshot(obj)
            self._pack(host, obj, round_trip_type).clear()
            self.assert_same(before, obj, round_trip_type)

        check()

    def test_stored_metadata_names_the_packager(self) -> None:
        """The stored artifact records which plugin, distribution and format version wrote it."""
        host = isolated_host(self.packager, builtins=False)
        store = self._store()
        types = self._round_trip_types() + self._pack_only_types()

        @self._settings()
        @given(st.data())
        def check(data: st.DataObject) -> None:
            artifact_type = data.draw(st.sampled_from(types), label="artifact type")
            obj = data.draw(self.strategy_for(artifact_type), label="object")
            assume(self._accepts(host, obj, artifact_type))
            if artifact_type == "result":
                packed = self._pack(host, obj, artifact_type)
                assert (packed.producer.plugin, packed.producer.distribution, packed.producer.format_version) == (
                    PLUGIN_NAME, "satchel-test-plugin", self.packager.FORMAT_VERSION,
                )
                return
            record, _restored = self._round_trip(host, store, obj, artifact_type) if artifact_type in self._round_trip_types() else (None, None)
            if record is None:
                with staging(store):
                    record = log_packed(store, PROJECT, self._pack(host, obj, artifact_type))
            assert record.producer is not None
            assert (record.producer.plugin, record.producer.distribution, record.producer.format_version) == (
                PLUGIN_NAME, "satchel-test-plugin", self.packager.FORMAT_VERSION,
            )
            assert record.object_type == type_name(type(obj))
            assert record.artifact_type == artifact_type

        check()


class EntryPointContract:
    """What every plugin distribution proves from a real install; subclass it as ``Test…``.

    Set ``distribution`` (e.g. ``"satchel-pillow"``), ``entry_points`` ({name: "module:Class"}) and
    ``heavy_modules`` (the libraries discovery and listing must not import, e.g. ``("PIL",)``;
    with them hidden, each plugin must report them as a missing dependency via ``REQUIRES``).
    """

    distribution: ClassVar[str]
    entry_points: ClassVar[Mapping[str, str]]
    heavy_modules: ClassVar[Sequence[str]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.heavy_modules:
            # A plugin that needs no library beyond satchel has no missing dependency to report.
            cls.test_a_missing_library_is_reported_instead_of_crashing = None  # type: ignore[assignment,method-assign]

    def test_entry_points_are_declared_by_the_installed_distribution(self) -> None:
        found = {ep.name: ep for ep in entry_points(group="satchel") if ep.name in self.entry_points}
        assert dict(self.entry_points) == {name: ep.value for name, ep in found.items()}
        assert {self.distribution} == {ep.dist.metadata["Name"] for ep in found.values() if ep.dist is not None}

    def test_real_discovery_loads_them_from_the_distribution(self) -> None:
        host = PluginHost()
        infos = {info.name: info for info in host.infos()}
        for name in self.entry_points:
            assert (self.distribution, None) == (infos[name].distribution, infos[name].error)
            assert "entry point" == infos[name].source

    def test_discovery_and_listing_import_no_heavy_library(self) -> None:
        code = (
            "import sys, satchel.host as p; h = p.PluginHost(); h.ensure_loaded(); h.infos(); "
            f"print(sorted(set(h.names) & set({sorted(self.entry_points)!r}))); "
            f"print([m for m in {list(self.heavy_modules)!r} if m in sys.modules])"
        )
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert [repr(sorted(self.entry_points)), "[]"] == output.strip().splitlines()

    def test_a_missing_library_is_reported_instead_of_crashing(self) -> None:
        """With the heavy libraries absent, the plugins still load and say what to install."""
        code = (
            "import json, sys\n"
            f"for name in {list(self.heavy_modules)!r}:\n"
            "    sys.modules[name] = None  # as if it were not installed\n"
            "import satchel.host as p\n"
            "infos = {i.name: i.error for i in p.PluginHost().infos()}\n"
            f"print(json.dumps({{n: infos.get(n) for n in {sorted(self.entry_points)!r}}}))\n"
        )
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        errors = json.loads(output.strip().splitlines()[-1])
        for name in self.entry_points:
            assert "missing dependency" in (errors[name] or ""), (name, errors[name])
            assert "pip install" in errors[name]


# -- Hostile instructions: what a store writer could plant ---------------------------------------


def hostile_values(planted_path: str) -> st.SearchStrategy[Any]:
    """Values a store writer might plant: wrong types, huge numbers, paths, control characters, unknown names."""
    strings = st.sampled_from([
        "", ".", "..", "../../planted", planted_path, "a/b", "C:\\x", "\x00", "\x1b[2J", "line\nbreak",
        "nope", "unknown", "rar", "bytes", "str", "float", "dict", "set", "object", "pickle", "x" * 300,
        "nan", "inf", "-inf", "1e400", "-1", "0x10", "utf-8", "rot13", "base64", "cp037", "\udc80",
        "builtins.eval", "os.system", "__import__", "png", "EPS", "eps", "pdf", "jpeg", "tiff", "RGBA", "P",
        "<i8", "O", "|O", "V0", "parquet", "csv", "feather", "category", "datetime64[ns]", "range",
    ])
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=2**2000),
        st.integers(min_value=-(2**2000), max_value=-(2**63)), st.floats(), strings, st.text(max_size=20),
        st.lists(st.integers() | strings, max_size=4),
        st.dictionaries(st.text(max_size=8) | strings, st.integers() | strings | st.none(), max_size=3),
        json_values(max_leaves=5),
    )


def check_hostile_instructions(
    packager: type[Packager],
    objects: st.SearchStrategy[Any],
    artifact_type: str,
    store: Store,
    planted_path: str,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    max_examples: int | None = None,
    hostile: st.SearchStrategy[Any] | None = None,
    shrink: bool = True,
) -> None:
    """Round-trip an object with the kit, then plant hostile values for its instructions (any keys it
    recorded or the unpack method takes) and, for results, its value: unpacking either works or
    raises one of satchel's own errors. ``shrink=False`` reports the first failure as found, for a
    test that needs only to see one."""
    kit_class = type("Kit", (PackagerContract,), {"packager": packager, "strategy": st.nothing(), "options": options or {}})
    kit = kit_class()
    host = isolated_host(packager, builtins=False)
    instance = host.plugin(PLUGIN_NAME)
    values = hostile if hostile is not None else hostile_values(planted_path)
    limits: dict[str, Any] = {} if max_examples is None else {"max_examples": max_examples}
    if not shrink:
        limits.update(phases=[Phase.explicit, Phase.reuse, Phase.generate], report_multiple_bugs=False)

    @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], **limits)
    @given(objects, st.data())
    def check(obj: Any, data: st.DataObject) -> None:
        if not instance.satchel_can_pack(obj_type=type(obj), artifact_type=artifact_type):
            return
        stored, _restored = kit._round_trip(host, store, obj, artifact_type)
        recorded = dict(stored.instructions)
        method = instance._unpack_methods[artifact_type if artifact_type in instance._unpack_methods else "result"]
        keys = sorted({*recorded, *method.options} - {"type_hint"})
        planted = dict(recorded)
        # Some keys, or (for a result) the value with the recorded instructions kept, or both.
        plant_value = artifact_type == "result" and data.draw(st.booleans(), label="plant the value")
        if keys:
            chosen = st.dictionaries(st.sampled_from(keys), values, min_size=0 if plant_value else 1)
            planted.update(data.draw(chosen, label="planted"))
        hint = data.draw(st.sampled_from([type(obj), None]), label="type hint")
        try:
            if artifact_type == "result":
                value = data.draw(values, label="value") if plant_value else stored.value
                host.unpack_result(value, producer=stored.producer, instructions=planted, obj_type=hint)
            else:
                unpack_record(store, attrs.evolve(stored, instructions=planted), hint, host=host)
        except SatchelError:
            pass  # refusing is right; any other exception fails the test

    check()
