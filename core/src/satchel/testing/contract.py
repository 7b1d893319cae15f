"""The packager contract: what every packager promises, checked with Hypothesis through a real store.

A plugin's test module needs about ten lines::

    from hypothesis import strategies as st
    from satchel.testing import PackagerContract

    class TestMyPackager(PackagerContract):
        packager = MyPackager
        strategy = st.builds(MyType, ...)

and gets, for every artifact type the packager declares: round-trip fidelity through a real store,
with the default options and with each value of each option it can sweep; the default artifact type
round-tripped with non-empty objects; unpacking by the type hint alone and from a plain local copy of
the files; ``can_pack`` agreeing with ``pack``; unknown options and option values outside
``OPTION_CHOICES`` refused with the valid ones named; previews, metadata and instructions that JSON
holds exactly; temporary files cleared (after storing and after a failure); the caller's object left
unmutated; and the stored metadata naming the packager. Override
:meth:`PackagerContract.assert_same` where ``==`` is not the right comparison, and
:meth:`PackagerContract.strategy_for` where an artifact type takes only some objects.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from satchel.artifacts import Packed
from satchel.dataitem import DataItem
from satchel.errors import PackagerNotFoundError, PackingError, UnknownPackingKwargError
from satchel.host import PluginHost
from satchel.packagers.base import Packager, is_json_value
from satchel.packing import log_packed, staging
from satchel.store import Store
from satchel.testing.support import PLUGIN_NAME, PROJECT, isolated_host
from satchel.typenames import type_name
from satchel.unpacking import unpack_local, unpack_record

__all__ = ["PackagerContract"]

#: A value no option's choices hold: packing with it must be refused.
NOT_A_CHOICE = "no-such-value"


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


def _json_problem(value: Any, where: str) -> str | None:
    """Where in ``value`` JSON would not hold it exactly (``preview['size']`` is a tuple), or None."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where} has the key {key!r}, a {type(key).__name__} (JSON keys are text)"
            found = _json_problem(item, f"{where}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _json_problem(item, f"{where}[{index}]")
            if found:
                return found
        return None
    if is_json_value(value):
        return None
    return f"{where} is {value!r}, a {type_name(type(value))}"


def _option_id(case: tuple[str, str, Any]) -> str:
    artifact_type, option, value = case
    return f"{artifact_type}-{option}={value!r}"


class PackagerContract:
    """What every packager promises; subclass it as ``Test…`` with ``packager`` and ``strategy``."""

    packager: ClassVar[type[Packager]]
    strategy: ClassVar[st.SearchStrategy[Any]]
    #: Artifact types to round-trip; None means every type the packager both packs and unpacks
    #: (``object``, the pickle, is checked only when listed here).
    round_trip_types: ClassVar[Sequence[str] | None] = None
    #: Packing options to use per artifact type in every check, e.g. {"file": {"format": "png"}};
    #: an option fixed here is not swept.
    options: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    #: The values to round-trip each packing option with, one option at a time, per artifact type:
    #: {"file": {"quality": (50, 95)}}. An option not named here is swept over the packager's
    #: ``OPTION_CHOICES`` for it, or, for an option whose default is a bool, over the other bool;
    #: an empty tuple leaves an option out of the sweep.
    option_values: ClassVar[Mapping[str, Mapping[str, Sequence[Any]]]] = {}
    #: Examples per swept option value (never more than the profile's ``max_examples``).
    option_examples: ClassVar[int] = 5
    #: Artifact types to unpack from a plain local copy of their files, by the type hint alone;
    #: None means every round-trip type that stores files; () checks none.
    local_file_types: ClassVar[Sequence[str] | None] = None
    max_examples: ClassVar[int | None] = None

    # -- Extension points -----------------------------------------------------------------------

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        """Assert ``restored`` is a faithful copy of ``original``; override for arrays, images, frames."""
        assert type(original) is type(restored)
        assert original == restored

    def assert_same_from_file(self, original: Any, restored: Any, artifact_type: str) -> None:
        """Assert what was unpacked from a plain file, with no instructions, matches ``original``;
        default: :meth:`assert_same`. Override where the file alone holds less than the artifact."""
        self.assert_same(original, restored, artifact_type)

    def strategy_for(self, artifact_type: str) -> st.SearchStrategy[Any]:
        """Objects the packager should round-trip as ``artifact_type``; default: ``strategy``."""
        return self.strategy

    def snapshot(self, obj: Any) -> Any:
        """A copy of ``obj`` taken before packing, to prove packing does not mutate it."""
        return copy.deepcopy(obj)

    def is_empty(self, obj: Any) -> bool:
        """Whether ``obj`` holds no data (a round trip of it proves little); default: ``len(obj) == 0``,
        or None. The default artifact type must round-trip some object that is not empty."""
        try:
            return len(obj) == 0
        except TypeError:
            return obj is None

    # -- Plumbing -------------------------------------------------------------------------------

    def _settings(self, max_examples: int | None = None) -> settings:
        kwargs: dict[str, Any] = {
            "deadline": None,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
        }
        limit = max_examples if max_examples is not None else self.max_examples
        if limit is not None:
            kwargs["max_examples"] = limit
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

    def _local_file_types(self) -> list[str]:
        if self.local_file_types is not None:
            return list(self.local_file_types)
        return [t for t in self._round_trip_types() if t not in ("result", "object")]

    def _option_cases(self) -> list[tuple[str, str, Any]]:
        """``(artifact type, option, value)`` for each swept value (see ``option_values``)."""
        methods = self.packager._pack_methods
        cases: list[tuple[str, str, Any]] = []
        for artifact_type in self._round_trip_types():
            method = methods.get(artifact_type)
            if method is None:
                continue
            fixed = self.options.get(artifact_type, {})
            listed = self.option_values.get(artifact_type, {})
            for option in method.options:
                default = method.defaults[option]
                if option in fixed:
                    continue
                if option in listed:
                    values: Sequence[Any] = listed[option]
                elif option in self.packager.OPTION_CHOICES:
                    values = [v for v in self.packager.OPTION_CHOICES[option] if v != default]
                elif isinstance(default, bool):
                    values = [not default]
                else:
                    values = []
                cases.extend((artifact_type, option, value) for value in values)
        return cases

    def _choice_cases(self) -> list[tuple[str, str]]:
        """``(artifact type, option)`` for each option with ``OPTION_CHOICES`` a pack method takes."""
        methods = self.packager._pack_methods
        return [
            (artifact_type, option)
            for artifact_type in self._round_trip_types() + self._pack_only_types()
            if artifact_type in methods
            for option in methods[artifact_type].options
            if option in self.packager.OPTION_CHOICES
        ]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "round_trip_type" in metafunc.fixturenames:
            metafunc.parametrize("round_trip_type", self._round_trip_types())
        if "pack_only_type" in metafunc.fixturenames:
            metafunc.parametrize("pack_only_type", self._pack_only_types())
        if "option_case" in metafunc.fixturenames:
            cases = self._option_cases()
            metafunc.parametrize("option_case", cases, ids=[_option_id(case) for case in cases])
        if "choice_case" in metafunc.fixturenames:
            choices = self._choice_cases()
            metafunc.parametrize("choice_case", choices, ids=[f"{t}-{o}" for t, o in choices])
        if "local_file_type" in metafunc.fixturenames:
            metafunc.parametrize("local_file_type", self._local_file_types())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        packager = getattr(cls, "packager", None)
        if packager is None:
            return
        for artifact_type, listed in cls.option_values.items():
            method = packager._pack_methods.get(artifact_type)
            taken = method.options if method is not None else ()
            unknown = [option for option in listed if option not in taken]
            if method is None or unknown:
                what = f"option(s) {', '.join(map(repr, unknown))}" if method is not None else "it"
                raise TypeError(
                    f"{cls.__qualname__}.option_values names {what} for artifact type {artifact_type!r}, "
                    f"but {packager.__qualname__} packs {sorted(packager._pack_methods)}"
                    + (f" and pack_{artifact_type} takes {', '.join(taken) or 'no options'}" if method is not None else "")
                )
        contract = cls()
        # A test with nothing to check is not collected.
        if not contract._pack_only_types():
            cls.test_pack_only_types_produce_artifacts = None  # type: ignore[assignment,method-assign]
        if not contract._file_types():
            cls.test_clearing_paths_removed_after_storing_and_after_failure = None  # type: ignore[assignment,method-assign]
        if not contract._option_cases():
            cls.test_round_trip_with_each_option_value = None  # type: ignore[assignment,method-assign]
        if not contract._choice_cases():
            cls.test_an_option_value_outside_its_choices_is_refused_naming_them = None  # type: ignore[assignment,method-assign]
        if not contract._local_file_types():
            cls.test_unpacks_by_type_hint_alone_and_from_a_plain_local_file = None  # type: ignore[assignment,method-assign]

    @pytest.fixture(autouse=True)
    def _temporary_stores(self, tmp_path: Any) -> Iterator[None]:
        """Stores live under the test's own tmp_path, and are removed once it ends."""
        self._stores_root = tmp_path
        self._made: list[str] = []
        yield
        for folder in self._made:
            shutil.rmtree(folder, ignore_errors=True)

    def _store(self) -> Store:
        folder = tempfile.mkdtemp(prefix="store-", dir=self._stores_root)
        self._made.append(folder)
        return Store(folder)

    def _pack(
        self, host: PluginHost, obj: Any, artifact_type: str | None, key: str = "item",
        extra: Mapping[str, Any] | None = None,
    ) -> Packed:
        options = {**self.options.get(artifact_type or "", {}), **(extra or {})}
        packed = host.pack(obj, key, artifact_type, options)
        self._assert_json_safe(packed)
        return packed

    def _assert_json_safe(self, packed: Packed) -> None:
        """What the store keeps as JSON — preview, labels, metadata, instructions — is JSON exactly."""
        parts: dict[str, Any] = {"instructions": packed.instructions}
        if packed.artifact is not None:
            parts.update(
                preview=packed.artifact.preview, labels=packed.artifact.labels,
                metadata=packed.artifact.extra_metadata(),
            )
        for name, value in parts.items():
            problem = _json_problem(value, name)
            assert problem is None, (
                f"pack_{packed.artifact_type} gave an artifact whose {name} JSON does not hold exactly: "
                f"{problem}; the store keeps it as JSON (dicts with text keys, lists, text, finite "
                "numbers, booleans, None), so a reader would get something else"
            )

    def _accepts(self, host: PluginHost, obj: Any, artifact_type: str) -> bool:
        instance = host.plugin(PLUGIN_NAME)
        return bool(instance.satchel_can_pack(obj_type=type(obj), artifact_type=artifact_type))

    def _round_trip(
        self, host: PluginHost, store: Any, obj: Any, artifact_type: str | None,
        extra: Mapping[str, Any] | None = None,
    ) -> tuple[Any, Any]:
        with staging(store):
            packed = self._pack(host, obj, artifact_type, extra=extra)
        if packed.is_result:
            # Results live in the run record as JSON text: go through it, as a later reader would.
            value, instructions = json.loads(json.dumps([packed.value, packed.instructions], allow_nan=False))
            restored = host.unpack_result(value, producer=packed.producer, instructions=instructions, obj_type=type(obj))
            return packed, restored
        record = log_packed(store, PROJECT, packed)
        restored = unpack_record(store, record, type(obj), host=host, allow_pickle="object" == packed.artifact_type)
        return record, restored

    def _sweep_examples(self) -> int:
        current = settings.default  # the loaded profile's
        limit = self.max_examples if self.max_examples is not None else (current.max_examples if current else 100)
        return max(1, min(self.option_examples, limit))

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

    def test_round_trip_with_each_option_value(self, option_case: tuple[str, str, Any]) -> None:
        """Each swept option value (see ``option_values``) packs and gives back an equal object."""
        artifact_type, option, value = option_case
        host = isolated_host(self.packager, builtins=False)
        store = self._store()

        @self._settings(self._sweep_examples())
        @given(self.strategy_for(artifact_type))
        def check(obj: Any) -> None:
            assume(self._accepts(host, obj, artifact_type))
            _stored, restored = self._round_trip(host, store, obj, artifact_type, extra={option: value})
            self.assert_same(obj, restored, artifact_type)

        check()

    def test_default_artifact_type_round_trips_non_empty_objects(self) -> None:
        """With no artifact type in the hint, the packager's own choice packs, and unpacks if the class
        unpacks anything; some object that round-trips this way is not empty."""
        host = isolated_host(self.packager, builtins=False)
        store = self._store()
        instance = host.plugin(PLUGIN_NAME)
        unpacked = set(instance.unpacking_artifact_types)
        filled: list[bool] = []

        @self._settings()
        @given(self.strategy)
        def check(obj: Any) -> None:
            chosen = instance.get_default_packing_artifact_type(obj)
            if chosen not in unpacked:
                others = sorted(unpacked - {"result"})
                assert not others, (
                    f"{type(instance).__qualname__} packs a {type_name(type(obj))} as {chosen!r} by default, "
                    f"which it does not unpack (it unpacks {others}): an output logged with no artifact "
                    f"type could never be read back; define unpack_{chosen}() or choose one of those"
                )
                with staging(store):
                    record = log_packed(store, PROJECT, self._pack(host, obj, None))
                assert record.producer is not None
                assert record.producer.plugin == PLUGIN_NAME
                assert record.size > 0, f"the default artifact type {chosen!r} stored no bytes for {obj!r}"
            else:
                _stored, restored = self._round_trip(host, store, obj, None)
                self.assert_same(obj, restored, chosen)
            filled.append(not self.is_empty(obj))

        check()
        assert any(filled), (
            f"every object the strategy drew for {type(instance).__qualname__} was empty, so the default "
            "round trip proved nothing; draw non-empty objects too (or override is_empty)"
        )

    def test_unpacks_by_type_hint_alone_and_from_a_plain_local_file(self, local_file_type: str) -> None:
        """A stored artifact with no producer recorded unpacks by the type hint alone, and so does a
        plain local copy of its files (an input given as a path)."""
        host = isolated_host(self.packager, builtins=False)
        store = self._store()

        @self._settings(self._sweep_examples())
        @given(self.strategy_for(local_file_type))
        def check(obj: Any) -> None:
            assume(self._accepts(host, obj, local_file_type))
            with staging(store):
                record = log_packed(store, PROJECT, self._pack(host, obj, local_file_type))
            anonymous = attrs.evolve(record, producer=None)
            self.assert_same(obj, unpack_record(store, anonymous, type(obj), host=host), local_file_type)
            source = store.data_item(record).local()
            copy_dir = tempfile.mkdtemp(prefix="plain-", dir=self._stores_root)
            target = os.path.join(copy_dir, os.path.basename(source))
            if os.path.isdir(source):
                shutil.copytree(source, target)
            else:
                shutil.copyfile(source, target)
            restored = unpack_local(DataItem.from_local_path(target), type(obj), host=host)
            self.assert_same_from_file(obj, restored, local_file_type)

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

    def test_an_option_value_outside_its_choices_is_refused_naming_them(self, choice_case: tuple[str, str]) -> None:
        """A value an option's ``OPTION_CHOICES`` do not hold is a PackingError naming every choice."""
        artifact_type, option = choice_case
        host = isolated_host(self.packager, builtins=False)
        choices = self.packager.OPTION_CHOICES[option]

        @self._settings(self._sweep_examples())
        @given(self.strategy_for(artifact_type))
        def check(obj: Any) -> None:
            assume(self._accepts(host, obj, artifact_type))
            options = {**self.options.get(artifact_type, {}), option: NOT_A_CHOICE}
            with pytest.raises(PackingError) as raised:
                host.pack(obj, "item", artifact_type, options).clear()
            message = str(raised.value)
            unnamed = [choice for choice in choices if repr(choice) not in message and str(choice) not in message]
            assert not unnamed, f"packing with {option}={NOT_A_CHOICE!r} failed with {message!r}, which does not name {unnamed}"

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
