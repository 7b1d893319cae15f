"""The plugin host: discovers packager plugins, loads each alone, and selects one per type.

Plugins come from the entry-point group ``satchel``: an entry point names a module with hook
implementations or a :class:`~satchel.Packager` subclass. Core's own packagers go through the same
loader. Selection never depends on load order: candidates rank by fallback-last, priority,
closeness of the matched type, then plugin name.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from satchel import hookspecs
from satchel.errors import PackagerNotFoundError, PluginLoadError, UnpackingError
from satchel.hookspecs import CUSTOM_PRIORITY
from satchel.typeref import type_name

if TYPE_CHECKING:
    from satchel.artifacts import Producer
    from satchel.dataitem import DataItem
    from satchel.entrypoints import FoundEntryPoint
    from satchel.packed import Packed
    from satchel.reports import Explanation, PackagerInfo, PluginFailure

__all__ = [
    "DEFAULT_PLUGINS",
    "PluginHost",
    "PluginLoadWarning",
    "get_host",
]

ENTRY_POINT_GROUP = "satchel"
DISABLE_ENV = "SATCHEL_DISABLE_PLUGINS"

# Core's packagers, loaded by the same path as entry points (and blockable the same way).
DEFAULT_PLUGINS: dict[str, str] = {
    "builtins": "satchel.packagers.primitives:PrimitivesPackager",
    "collections": "satchel.packagers.collections:CollectionsPackager",
    "paths": "satchel.packagers.paths:PathPackager",
    "structured": "satchel.packagers.structured:StructuredPackager",
    "values": "satchel.packagers.values:ValuesPackager",
    "pickle": "satchel.packagers.pickle:PicklePackager",
}


class PluginLoadWarning(UserWarning):
    """A plugin failed to load and was skipped."""


class _Plugin:
    """A registered plugin: its object, identity, and its hook functions called without pluggy's loop."""

    __slots__ = ("_info", "distribution", "hooks", "mandatory", "name", "obj", "priority", "source", "version")

    def __init__(self, name: str, obj: Any, source: str, distribution: str | None, version: str | None) -> None:
        self.name = name
        self.obj = obj
        self.source = source
        self.distribution = distribution
        self.version = version
        self.hooks: dict[str, pluggy.HookImpl] = {}
        self.priority = CUSTOM_PRIORITY
        self.mandatory = False
        self._info: PackagerInfo | bool | None = False  # False: not asked yet

    def info(self) -> PackagerInfo | None:
        """The plugin's own description, asked for once (it is not needed to load the plugin)."""
        if self._info is False:
            self._info = self.call("satchel_describe")
        return self._info  # type: ignore[return-value]

    @property
    def fallback(self) -> bool:
        # Packagers say it as a class variable; only module plugins need their description built.
        declared = getattr(self.obj, "FALLBACK", None)
        if declared is not None:
            return bool(declared)
        info = self.info()
        return bool(info.fallback) if info is not None else False

    @property
    def format_version(self) -> int:
        declared = getattr(self.obj, "FORMAT_VERSION", None)
        if isinstance(declared, int):
            return declared
        info = self.info()
        return info.format_version if info is not None else 1

    def call(self, hook: str, **kwargs: Any) -> Any:
        impl = self.hooks.get(hook)
        if impl is None:
            return None
        return impl.function(*[kwargs[name] for name in impl.argnames])


def _core_version() -> str:
    from satchel._version import __version__

    return __version__


def _disabled_from_env() -> frozenset[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


class PluginHost:
    """Discovers, loads and ranks packager plugins; one per process is shared through :func:`get_host`."""

    def __init__(self, *, load_entry_points: bool = True, load_defaults: bool = True) -> None:
        self.pm = pluggy.PluginManager("satchel")
        self.pm.add_hookspecs(hookspecs)
        self._load_entry_points = load_entry_points
        self._load_defaults = load_defaults
        self._loaded = False
        self._lock = threading.RLock()
        self._plugins: dict[str, _Plugin] = {}
        self.failures: dict[str, PluginFailure] = {}
        self.blocked: set[str] = set()
        self._known_distributions: dict[str, tuple[str | None, str | None]] = {}
        self._discovered: list[FoundEntryPoint] | None = None
        self._pack_cache: dict[tuple[type, str | None], _Plugin] = {}

    # -- Loading ----------------------------------------------------------------------------------

    def discover(self) -> list[FoundEntryPoint]:
        """Every plugin that could be loaded — core's and the entry points' — without importing any.

        Cheap: it reads installed distributions' entry-point metadata only. Loading (importing each
        plugin) happens on first use, in :meth:`ensure_loaded`.
        """
        if self._discovered is None:
            from satchel.entrypoints import FoundEntryPoint

            found: list[FoundEntryPoint] = []
            if self._load_defaults:
                version = _core_version()
                found.extend(
                    FoundEntryPoint(name, target, "satchel", version, source="builtin")
                    for name, target in DEFAULT_PLUGINS.items()
                )
            if self._load_entry_points:
                found.extend(_entry_points())
            self._discovered = found
        return self._discovered

    def ensure_loaded(self) -> None:
        """Load every discovered plugin once, one at a time, honouring ``SATCHEL_DISABLE_PLUGINS``."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._load_all()
                    self._loaded = True

    def _load_all(self) -> None:
        disabled = _disabled_from_env()
        for plugin in self.discover():
            self._known_distributions[plugin.name] = (plugin.distribution, plugin.version)
            if plugin.name in disabled:
                self.blocked.add(plugin.name)
                continue
            if plugin.name in self._plugins:
                if plugin.source != "builtin":
                    self._record_failure(
                        plugin.name, plugin.distribution, plugin.version,
                        f"another plugin is already registered under the name {plugin.name!r}; "
                        "rename one of the entry points",
                    )
                continue
            self._load_one(plugin)
        self.pm.check_pending()

    def _load_one(self, plugin: FoundEntryPoint) -> None:
        try:
            obj = _import_target(plugin.value)
            self.register(obj, name=plugin.name, source=plugin.source, distribution=plugin.distribution, version=plugin.version)
        except Exception as error:  # noqa: BLE001 - one bad plugin never takes the host down
            self._record_failure(plugin.name, plugin.distribution, plugin.version, f"{type(error).__name__}: {error}")

    def _record_failure(self, name: str, distribution: str | None, version: str | None, error: str, mandatory: bool = False) -> PluginFailure:
        from satchel.reports import PluginFailure

        failure = PluginFailure(name, distribution, version, _core_version(), error, mandatory)
        self.failures[name] = failure
        warnings.warn(failure.message() + "; it is skipped", PluginLoadWarning, stacklevel=2)
        return failure

    def register(
        self,
        plugin: Any,
        name: str | None = None,
        *,
        source: str = "registered",
        distribution: str | None = None,
        version: str | None = None,
        priority: int | None = None,
    ) -> str:
        """Register a plugin: a module with hook implementations, a Packager subclass, or an instance.

        ``priority`` overrides the plugin's own (used for project custom packagers).
        Returns the name it is registered under.
        """
        from satchel.packager import Packager

        if isinstance(plugin, type):
            if not issubclass(plugin, Packager):
                raise TypeError(
                    f"{plugin.__qualname__} is not a satchel.Packager subclass; an entry point names "
                    "a Packager subclass or a module with @satchel.hookimpl functions"
                )
            plugin = plugin()
        name = name or getattr(plugin, "__name__", None) or type(plugin).__qualname__
        with self._lock:
            if name in self._plugins:
                raise ValueError(f"a plugin named {name!r} is already registered; unregister it first")
            if isinstance(plugin, Packager):
                plugin.plugin_name = name
                plugin.distribution = distribution
                plugin.version = version
            self.pm.register(plugin, name=name)
            record = _Plugin(name, plugin, source, distribution, version)
            for hook_name in (
                "satchel_describe", "satchel_priority", "satchel_can_pack", "satchel_pack",
                "satchel_can_unpack", "satchel_unpack", "satchel_unpack_result",
            ):
                for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                    if impl.plugin is plugin:
                        record.hooks[hook_name] = impl
            own_priority = record.call("satchel_priority")
            record.priority = priority if priority is not None else (own_priority or CUSTOM_PRIORITY)
            self._plugins[name] = record
            self.failures.pop(name, None)
            self._pack_cache = {}
        return name

    def unregister(self, name: str) -> None:
        with self._lock:
            record = self._plugins.pop(name, None)
            if record is None:
                raise KeyError(f"no plugin named {name!r} is registered; registered: {sorted(self._plugins)}")
            self.pm.unregister(record.obj, name=name)
            self._pack_cache = {}

    def plugin(self, name: str) -> Any:
        """The registered plugin object called ``name``."""
        self.ensure_loaded()
        return self._plugins[name].obj

    @property
    def names(self) -> list[str]:
        self.ensure_loaded()
        return sorted(self._plugins)

    # -- Listing ----------------------------------------------------------------------------------

    def infos(self) -> list[PackagerInfo]:
        """Every plugin, loaded or failed, in selection order (failed ones last)."""
        import attrs

        from satchel.reports import PackagerInfo

        self.ensure_loaded()
        found: list[PackagerInfo] = []
        for record in self._ranked(self._plugins.values()):
            info = record.info() or PackagerInfo(name=record.name)
            found.append(
                attrs.evolve(
                    info, name=record.name, distribution=record.distribution, version=record.version,
                    priority=record.priority, fallback=record.fallback, source=record.source,
                )
            )
        for failure in self.failures.values():
            found.append(
                PackagerInfo(
                    name=failure.name, distribution=failure.distribution, version=failure.version,
                    source="entry point", error=failure.error,
                )
            )
        return found

    # -- Selection --------------------------------------------------------------------------------

    @staticmethod
    def _ranked(records: Iterable[_Plugin]) -> list[_Plugin]:
        return sorted(records, key=lambda r: (r.fallback, r.priority, r.name))

    def _distance(self, record: _Plugin, obj_type: type) -> int:
        measure = getattr(record.obj, "match_distance", None)
        distance = measure(obj_type) if measure is not None else None
        return distance if distance is not None else 0

    def _candidates(self, obj_type: type, artifact_type: str | None) -> list[tuple[tuple[Any, ...], _Plugin, bool]]:
        rows = []
        for record in self._plugins.values():
            accepted = bool(record.call("satchel_can_pack", obj_type=obj_type, artifact_type=artifact_type))
            distance = self._distance(record, obj_type) if accepted else 0
            rows.append(((not accepted, record.fallback, record.priority, distance, record.name), record, accepted))
        rows.sort(key=lambda row: row[0])
        return rows

    def select_packer(self, obj_type: type, artifact_type: str | None = None) -> _Plugin:
        key = (obj_type, artifact_type)
        winner = self._pack_cache.get(key)
        if winner is not None:
            return winner
        self.ensure_loaded()
        with self._lock:
            rows = self._candidates(obj_type, artifact_type)
            if not rows or not rows[0][2]:
                wanted = f" as {artifact_type!r}" if artifact_type else ""
                hint = (
                    "; leave the artifact type out to let satchel choose, or see `satchel explain`"
                    if artifact_type else "; install a packager plugin for it (see `satchel plugins`)"
                )
                raise PackagerNotFoundError(f"no installed packager packs {type_name(obj_type)}{wanted}{hint}")
            winner = rows[0][1]
            self._pack_cache[key] = winner
            return winner

    def explain(self, obj: Any, artifact_type: str | None = None) -> Explanation:
        """Every candidate for packing ``obj``, its priority, and why it won or lost."""
        return self.explain_type(type(obj), artifact_type)

    def explain_type(self, obj_type: type, artifact_type: str | None = None) -> Explanation:
        from satchel.reports import Candidate, Explanation

        """Every candidate for packing objects of ``obj_type``, its priority, and why it won or lost."""
        self.ensure_loaded()
        rows = self._candidates(obj_type, artifact_type)
        winner_found = False
        candidates = []
        for _rank, record, accepted in rows:
            is_winner = accepted and not winner_found
            if not accepted:
                reason = "declines this type" + (f" as {artifact_type!r}" if artifact_type else "")
            elif is_winner:
                reason = "wins: " + ("the fallback, nothing else accepts it" if record.fallback else "highest rank among those that accept it")
            else:
                reason = "accepts, but ranks lower" + (" (fallback ranks last)" if record.fallback else "")
            distance = self._distance(record, obj_type) if accepted else None
            if distance:
                reason += f"; matches a base class {distance} step(s) up the MRO"
            winner_found = winner_found or is_winner
            candidates.append(Candidate(record.name, record.priority, accepted, distance, record.fallback, is_winner, reason))
        for name, failure in self.failures.items():
            candidates.append(Candidate(name, 0, False, reason=f"failed to load: {failure.error}"))
        return Explanation(type_name(obj_type), artifact_type, candidates)

    # -- Packing and unpacking ----------------------------------------------------------------------

    def pack(self, obj: Any, key: str, artifact_type: str | None = None, options: Mapping[str, Any] | None = None) -> Packed:
        """Pack ``obj`` with the selected plugin; the result names that plugin as its producer."""
        record = self.select_packer(type(obj), artifact_type)
        packed: Packed | None = record.call(
            "satchel_pack", obj=obj, key=key, artifact_type=artifact_type, options=options or {}
        )
        if packed is None:
            raise PackagerNotFoundError(
                f"plugin {record.name!r} accepted {type_name(type(obj))} but packed nothing; "
                "report this to the plugin's authors"
            )
        return packed

    def _unpacker(self, producer: Producer | None, obj_type: type | None, artifact_type: str | None, what: str) -> _Plugin:
        self.ensure_loaded()
        if producer is not None:
            record = self._plugins.get(producer.plugin)
            if record is None:
                raise PackagerNotFoundError(self._missing_message(producer, what))
            if producer.format_version > record.format_version:
                raise UnpackingError(
                    f"{what} was written in format version {producer.format_version} of plugin "
                    f"{producer.plugin!r}, newer than the installed {record.distribution} "
                    f"{record.version} reads ({record.format_version}); upgrade "
                    f"{producer.distribution or record.distribution}"
                )
            return record
        for record in self._ranked(self._plugins.values()):
            if record.call("satchel_can_unpack", obj_type=obj_type, artifact_type=artifact_type):
                return record
        hint = type_name(obj_type) if obj_type is not None else "no type hint"
        raise PackagerNotFoundError(
            f"no installed packager can unpack {what} into {hint}; annotate the parameter with the "
            "type you want, or install a packager for it (see `satchel plugins`)"
        )

    def _missing_message(self, producer: Producer, what: str) -> str:
        failure = self.failures.get(producer.plugin)
        if failure is not None:
            return f"{what} was packed by plugin {producer.plugin!r}, which failed to load: {failure.error}"
        if producer.plugin in self.blocked:
            return (
                f"{what} was packed by plugin {producer.plugin!r}, which is disabled by "
                f"{DISABLE_ENV}; remove it from that list to unpack"
            )
        dist = producer.distribution or f"the distribution providing {producer.plugin!r}"
        version = f">={producer.version}" if producer.version else ""
        return (
            f"{what} was packed by plugin {producer.plugin!r} from {dist}, which is not installed: "
            f"pip install '{dist}{version}'"
        )

    def unpack(
        self,
        data_item: DataItem,
        *,
        producer: Producer | None,
        artifact_type: str | None,
        instructions: Mapping[str, Any] | None = None,
        obj_type: type | None = None,
        allow_pickle: bool = False,
    ) -> Any:
        """Turn a stored artifact back into an object, routed by the packager recorded as its producer."""
        from satchel.packager import allow_pickle as pickle_flag

        record = self._unpacker(producer, obj_type, artifact_type, f"artifact {data_item.key!r}")
        token = pickle_flag().set(allow_pickle or _pickle_allowed_by_env())
        try:
            return record.call(
                "satchel_unpack", data_item=data_item, artifact_type=artifact_type,
                instructions=instructions or {}, obj_type=obj_type,
            )
        finally:
            pickle_flag().reset(token)

    def unpack_result(
        self, value: Any, *, producer: Producer | None, instructions: Mapping[str, Any] | None = None,
        obj_type: type | None = None, key: str = "result",
    ) -> Any:
        """Turn a result value back into the type it was packed from."""
        if producer is None:
            return value
        record = self._unpacker(producer, obj_type, "result", f"result {key!r}")
        if "satchel_unpack_result" not in record.hooks:
            return value
        return record.call("satchel_unpack_result", value=value, instructions=instructions or {}, obj_type=obj_type)

    def require(self, name: str) -> None:
        """Fail (PluginLoadError) if the plugin ``name`` did not load; for mandatory plugins."""
        self.ensure_loaded()
        if name in self._plugins:
            return
        failure = self.failures.get(name)
        if failure is not None:
            raise PluginLoadError(failure.message() + "; it is marked mandatory, so nothing ran")
        raise PluginLoadError(f"mandatory plugin {name!r} is not installed; installed: {self.names}")


def _pickle_allowed_by_env() -> bool:
    return os.environ.get("SATCHEL_ALLOW_PICKLE", "").lower() in ("1", "true", "yes")


def _import_target(target: str) -> Any:
    """Import what an entry point names, exactly: ``module`` or ``module:attr.attr``."""
    import importlib

    module_name, _, attributes = target.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for attribute in filter(None, attributes.strip().split(".")):
        obj = getattr(obj, attribute)
    return obj


def _entry_points() -> list[FoundEntryPoint]:
    from satchel.entrypoints import scan_entry_points

    return scan_entry_points(ENTRY_POINT_GROUP)


_host: PluginHost | None = None
_host_lock = threading.Lock()


def get_host() -> PluginHost:
    """The process-wide plugin host (plugins are discovered on first use)."""
    global _host
    if _host is None:
        with _host_lock:
            if _host is None:
                _host = PluginHost()
    return _host


def __getattr__(name: str) -> Any:
    # The report classes live in satchel.reports (attrs), imported only when something reports.
    if name in ("Candidate", "Explanation", "PackagerInfo", "PluginFailure"):
        from satchel import reports

        return getattr(reports, name)
    raise AttributeError(f"module 'satchel.plugins' has no attribute {name!r}")


def set_host(host: PluginHost | None) -> PluginHost | None:
    """Replace the process-wide host (tests); returns the previous one."""
    global _host
    previous, _host = _host, host
    return previous
