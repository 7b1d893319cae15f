"""The plugin host: discovers packager plugins, loads each alone, and asks them through pluggy.

Plugins come from the entry-point group ``satchel``: an entry point names a module with hook
implementations or a :class:`~satchel.Packager` subclass. Core's own packagers go through the same
loader. Every question goes through a pluggy hook call: each plugin is asked through a caller that
holds only its own implementation plus every wrapper (``pm.subset_hook_caller``), so wrappers,
tracing and hook monitoring see each call, and the host knows which plugin gave which answer.
Selection ranks the offers: fallback last, then priority, then closeness of type, then plugin
name; never registration or installation order.

Discovering plugins must not import attrs (about 40 ms): the attrs-based answer and report types,
and the Packager base, are imported inside the functions that first need them.
"""

from __future__ import annotations

import importlib
import inspect
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from satchel import hookspecs
from satchel._version import __version__
from satchel.callcontext import pickle_permission
from satchel.entrypoints import FoundEntryPoint, scan_entry_points
from satchel.errors import (
    InvalidPluginError,
    PackagerNotFoundError,
    PackingError,
    PickleRequested,
    PluginLoadError,
    UnpackingError,
)
from satchel.priorities import CUSTOM_PRIORITY, check_priority
from satchel.spelling import did_you_mean
from satchel.stacklevels import outside_satchel
from satchel.typenames import type_name

if TYPE_CHECKING:
    from satchel.answers import Offer, PackagerInfo
    from satchel.artifacts import ArtifactRecord, Packed, Producer
    from satchel.dataitem import DataItem
    from satchel.diagnostics import Explanation, PluginFailure
    from satchel.previews import Preview, Reader

__all__ = [
    "DEFAULT_PLUGINS",
    "PluginHost",
    "PluginLoadWarning",
    "get_host",
]

ENTRY_POINT_GROUP = "satchel"
DISABLE_ENV = "SATCHEL_DISABLE_PLUGINS"
PICKLE_PLUGIN = "pickle"

# Core's packagers, loaded by the same path as entry points (and blockable the same way).
DEFAULT_PLUGINS: dict[str, str] = {
    "builtins": "satchel.packagers.primitives:PrimitivesPackager",
    "collections": "satchel.packagers.collections:CollectionsPackager",
    "paths": "satchel.packagers.paths:PathPackager",
    "structured": "satchel.packagers.structured:StructuredPackager",
    "values": "satchel.packagers.values:ValuesPackager",
    PICKLE_PLUGIN: "satchel.packagers.pickle:PicklePackager",
}


class PluginLoadWarning(UserWarning):
    """A plugin failed to load and was skipped."""


class _Plugin:
    """A registered plugin: its object, its identity, and a hook caller per hook that asks only it."""

    __slots__ = ("_callers", "_info", "distribution", "host", "name", "obj", "priority", "source", "version")

    def __init__(self, host: PluginHost, name: str, obj: Any, source: str,
                 distribution: str | None, version: str | None) -> None:
        self.host = host
        self.name = name
        self.obj = obj
        self.source = source
        self.distribution = distribution
        self.version = version
        self.priority = CUSTOM_PRIORITY
        self._callers: dict[str, pluggy.HookCaller | None] = {}
        self._info: PackagerInfo | bool | None = False  # False: not asked yet

    def caller(self, hook: str) -> pluggy.HookCaller | None:
        """A caller of ``hook`` holding this plugin's implementation and every wrapper (None: it has none)."""
        try:
            return self._callers[hook]
        except KeyError:
            self.host.build_callers(hook)
            return self._callers[hook]

    def ask(self, hook: str, **kwargs: Any) -> Any:
        """This plugin's answer to ``hook`` through pluggy (None when it does not implement it)."""
        caller = self.caller(hook)
        if caller is None:
            return None
        answer = caller(**kwargs)
        if isinstance(answer, list):  # a hook without firstresult: this plugin's answer, if any
            return next((item for item in answer if item is not None), None)
        return answer

    def forget_callers(self) -> None:
        self._callers.clear()

    def info(self) -> PackagerInfo | None:
        """The plugin's own description, asked once (loading does not need it)."""
        if self._info is False:
            self._info = self.ask("satchel_describe")
        return self._info  # type: ignore[return-value]

    @property
    def format_version(self) -> int:
        info = self.info()
        return info.format_version if info is not None else 1

    def producer(self) -> Producer:
        """This plugin's identity as recorded in what it packs."""
        from satchel.artifacts import Producer  # attrs: loaded once something is packed

        return Producer(self.name, self.distribution, self.version, self.format_version)


def _is_wrapper(impl: pluggy.HookImpl) -> bool:
    return bool(impl.wrapper or impl.hookwrapper)


def _core_version() -> str:
    return __version__


def _disabled_from_env() -> frozenset[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


class _Choice:
    """A ranked offer: the plugin that made it and its answer."""

    __slots__ = ("offer", "plugin", "priority", "rank")

    def __init__(self, plugin: _Plugin, offer: Offer) -> None:
        self.plugin = plugin
        self.offer = offer
        self.priority = offer.priority if offer.priority is not None else plugin.priority
        self.rank = (offer.fallback, self.priority, offer.distance, plugin.name)


class PluginHost:
    """Discovers, loads and asks packager plugins; one per process is shared through :func:`get_host`."""

    def __init__(
        self,
        *,
        load_entry_points: bool = True,
        load_defaults: bool = True,
        select: Callable[[FoundEntryPoint], bool] | None = None,
    ) -> None:
        """``select`` keeps only the entry points it accepts (the test kit checks one distribution
        alone, whatever else is installed); core's own packagers are never filtered by it."""
        self.pm = pluggy.PluginManager("satchel")
        self.pm.add_hookspecs(hookspecs)
        self._load_entry_points = load_entry_points
        self._load_defaults = load_defaults
        self._select_entry_point = select
        self._loaded = False
        self._lock = threading.RLock()
        self._plugins: dict[str, _Plugin] = {}
        self.failures: dict[str, PluginFailure] = {}
        self.blocked: set[str] = set()
        self._discovered: list[FoundEntryPoint] | None = None
        self._pack_cache: dict[tuple[type, str | None], _Choice] = {}
        #: Bumped on every (un)registration, so views derived from this host know to rebuild.
        self.generation = 0

    # -- Loading ----------------------------------------------------------------------------------

    def discover(self) -> list[FoundEntryPoint]:
        """Every plugin that could be loaded — core's and the entry points' — without importing any.

        Cheap: it reads installed distributions' entry-point metadata only. Loading (importing each
        plugin) happens on first use, in :meth:`ensure_loaded`.
        """
        if self._discovered is None:
            found: list[FoundEntryPoint] = []
            if self._load_defaults:
                version = _core_version()
                found.extend(
                    FoundEntryPoint(name, target, "satchel", version, source="builtin")
                    for name, target in DEFAULT_PLUGINS.items()
                )
            if self._load_entry_points:
                chosen = self._select_entry_point
                found.extend(ep for ep in _entry_points() if chosen is None or chosen(ep))
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
        for hook in ("satchel_can_pack", "satchel_pack"):  # the hot path's callers, built once here
            self.build_callers(hook)

    def _load_one(self, plugin: FoundEntryPoint) -> None:
        try:
            obj = _import_target(plugin)
        except Exception as error:  # noqa: BLE001 - one bad plugin never takes the host down
            self._record_failure(plugin.name, plugin.distribution, plugin.version, _import_problem(plugin, error))
            return
        try:
            self.register(obj, name=plugin.name, source=plugin.source, distribution=plugin.distribution, version=plugin.version)
        except Exception as error:  # noqa: BLE001 - one bad plugin never takes the host down
            self._record_failure(plugin.name, plugin.distribution, plugin.version, f"{type(error).__name__}: {error}")

    def _record_failure(self, name: str, distribution: str | None, version: str | None, error: str) -> PluginFailure:
        from satchel.diagnostics import PluginFailure

        failure = PluginFailure(name, distribution, version, _core_version(), error)
        self.failures[name] = failure
        warnings.warn(failure.message() + "; it is skipped", PluginLoadWarning, stacklevel=outside_satchel())
        return failure

    def _check_hooks(self, plugin: Any, name: str) -> None:
        """Raise InvalidPluginError for a hook implementation satchel has no hook for, or one taking
        an argument its hook does not pass, before pluggy sees it (pluggy's own error names neither
        the hooks there are nor the arguments)."""
        for attribute in dir(plugin):
            options = self.pm.parse_hookimpl_opts(plugin, attribute)
            if options is None:
                continue
            hook = options.get("specname") or attribute
            caller = getattr(self.pm.hook, hook, None)
            spec = caller.spec if caller is not None else None
            if spec is None:
                if options.get("optionalhook"):
                    continue
                hooks = _hook_names()
                raise InvalidPluginError(
                    f"unknown hook {hook!r} in plugin {name!r}{did_you_mean(hook, hooks)}; satchel's hooks "
                    f"are {', '.join(hooks)}"
                )
            try:
                parameters = inspect.signature(getattr(plugin, attribute)).parameters
            except (TypeError, ValueError):
                continue  # pluggy reports what it cannot inspect
            passed = list(spec.argnames)
            unknown = [argument for argument in parameters if argument not in passed and argument != "self"]
            if unknown:
                hints = "".join(did_you_mean(argument, passed) for argument in unknown)
                raise InvalidPluginError(
                    f"hook {hook!r} of plugin {name!r} takes argument(s) {', '.join(map(repr, unknown))}, "
                    f"which the hook does not pass{hints}; it passes {', '.join(passed) or 'nothing'} "
                    "(take only the ones you need)"
                )

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

        ``priority`` overrides the plugin's own answer to ``satchel_priority`` (a project's custom
        packagers). A misspelt hook name is an error here, naming the hooks there are.
        Returns the name it is registered under.
        """
        from satchel.packagers.base import Packager

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
                plugin.identify(name, distribution, version)
            self._check_hooks(plugin, name)
            self.pm.register(plugin, name=name)
            record = _Plugin(self, name, plugin, source, distribution, version)
            self._plugins[name] = record
            self._forget_answers()
            try:
                self.pm.check_pending()
                own = record.ask("satchel_priority")
                chosen = priority if priority is not None else (own if own is not None else CUSTOM_PRIORITY)
                record.priority = check_priority(chosen, f"plugin {name!r}")
            except Exception:
                del self._plugins[name]
                self.pm.unregister(plugin, name=name)
                self._forget_answers()
                raise
            self.failures.pop(name, None)
        return name

    def unregister(self, name: str) -> None:
        with self._lock:
            record = self._plugins.pop(name, None)
            if record is None:
                raise KeyError(f"no plugin named {name!r} is registered; registered: {sorted(self._plugins)}")
            self.pm.unregister(record.obj, name=name)
            self._forget_answers()

    def build_callers(self, hook: str) -> None:
        """Give every plugin its caller of ``hook``: its own implementation plus every wrapper."""
        pm = self.pm
        implementers = [impl.plugin for impl in getattr(pm.hook, hook).get_hookimpls() if not _is_wrapper(impl)]
        for record in self._plugins.values():
            if any(plugin is record.obj for plugin in implementers):
                others = [plugin for plugin in implementers if plugin is not record.obj]
                record._callers[hook] = pm.subset_hook_caller(hook, others)
            else:
                record._callers[hook] = None

    def _forget_answers(self) -> None:
        # A subset caller names the plugins it leaves out, so a new plugin needs new callers.
        for record in self._plugins.values():
            record.forget_callers()
        self._pack_cache = {}
        self.generation += 1

    def plugin(self, name: str) -> Any:
        """The registered plugin object called ``name``."""
        self.ensure_loaded()
        return self._plugins[name].obj

    @property
    def names(self) -> list[str]:
        self.ensure_loaded()
        return sorted(self._plugins)

    def derive(self, plugins: Iterable[tuple[str, Any, int | None]]) -> PluginHost:
        """A new host with this one's plugins (and their failures) plus ``plugins`` (name, object,
        priority): one project's view, which leaves this host and every other project unchanged."""
        self.ensure_loaded()
        child = PluginHost(load_entry_points=False, load_defaults=False)
        child._loaded = True
        child.failures = dict(self.failures)
        child.blocked = set(self.blocked)
        with self._lock:
            records = list(self._plugins.values())
            wrappers = [p for p in self.pm.get_plugins() if self.pm.get_name(p) not in self._plugins]
        for record in records:
            child.pm.register(record.obj, name=record.name)
            copied = _Plugin(child, record.name, record.obj, record.source, record.distribution, record.version)
            copied.priority = record.priority
            child._plugins[record.name] = copied
        for extra in wrappers:
            child.pm.register(extra, name=self.pm.get_name(extra))
        for name, obj, priority in plugins:
            try:
                child.register(obj, name=name, source="custom", priority=priority)
            except Exception as error:  # noqa: BLE001 - a broken custom packager is reported, not fatal
                child._record_failure(name, None, None, f"{type(error).__name__}: {error}")
        return child

    # -- Listing ----------------------------------------------------------------------------------

    def infos(self) -> list[PackagerInfo]:
        """Every plugin, loaded or failed, in listing order (fallback last, then priority, then name)."""
        import attrs

        from satchel.answers import PackagerInfo

        self.ensure_loaded()
        found: list[PackagerInfo] = []
        for record in self._plugins.values():
            info = record.info() or PackagerInfo(name=record.name)
            found.append(
                attrs.evolve(
                    info, name=record.name, distribution=record.distribution, version=record.version,
                    priority=record.priority, source=record.source,
                )
            )
        found.sort(key=lambda info: (info.fallback, info.priority, info.name))
        for failure in self.failures.values():
            found.append(
                PackagerInfo(
                    name=failure.name, distribution=failure.distribution, version=failure.version,
                    source="entry point", error=failure.error,
                )
            )
        return found

    # -- Selection --------------------------------------------------------------------------------

    def _offers(self, obj_type: type, artifact_type: str | None) -> tuple[list[_Choice], list[_Plugin]]:
        """Ask every plugin ``satchel_can_pack``; the offers ranked, and the plugins that declined."""
        offers: list[_Choice] = []
        declined: list[_Plugin] = []
        for record in list(self._plugins.values()):
            answer = record.ask("satchel_can_pack", obj_type=obj_type, artifact_type=artifact_type)
            if answer is None or answer is False:
                declined.append(record)
            else:
                offers.append(_Choice(record, _as_offer(answer, record.name, "satchel_can_pack")))
        offers.sort(key=lambda choice: choice.rank)
        declined.sort(key=lambda record: record.name)
        return offers, declined

    def _select(self, obj_type: type, artifact_type: str | None) -> _Choice:
        key = (obj_type, artifact_type)
        choice = self._pack_cache.get(key)
        if choice is not None:
            return choice
        self.ensure_loaded()
        with self._lock:
            offers, _declined = self._offers(obj_type, artifact_type)
            if not offers:
                wanted = f" as {artifact_type!r}" if artifact_type else ""
                hint = (
                    "; leave the artifact type out to let satchel choose, or see `satchel explain`"
                    if artifact_type else "; install a packager plugin for it (see `satchel plugins`)"
                )
                raise PackagerNotFoundError(f"no installed packager packs {type_name(obj_type)}{wanted}{hint}")
            self._pack_cache[key] = offers[0]
            return offers[0]

    def select_packer(self, obj_type: type, artifact_type: str | None = None) -> str:
        """The name of the plugin that packs ``obj_type`` as ``artifact_type`` (cached per pair)."""
        return self._select(obj_type, artifact_type).plugin.name

    def will_pickle(self, obj_type: type, artifact_type: str | None = None) -> bool:
        """Whether packing ``obj_type`` as ``artifact_type`` goes to the pickle fallback."""
        return self._select(obj_type, artifact_type).plugin.name == PICKLE_PLUGIN

    def explain(self, obj: Any, artifact_type: str | None = None) -> Explanation:
        """Every candidate for packing ``obj``, its priority, and why it won or lost."""
        return self.explain_type(type(obj), artifact_type)

    def explain_type(self, obj_type: type, artifact_type: str | None = None) -> Explanation:
        """Every plugin's answer for ``obj_type``, ranked as selection ranks them, and why each won or lost."""
        from satchel.diagnostics import Candidate, Explanation

        self.ensure_loaded()
        with self._lock:
            offers, declined = self._offers(obj_type, artifact_type)
        candidates = []
        for position, choice in enumerate(offers):
            offer = choice.offer
            if position == 0:
                if offer.refusal is not None:
                    reason = f"wins, and refuses it: {offer.refusal}"
                elif offer.fallback:
                    reason = "wins: the fallback, nothing else accepts it"
                else:
                    reason = "wins: highest rank among those that accept it"
            else:
                reason = "accepts, but ranks lower" + (" (fallback ranks last)" if offer.fallback else "")
                if offer.refusal is not None:
                    reason = "would refuse it, but ranks lower"
            if offer.distance:
                reason += f"; matches a base class {offer.distance} step(s) up the MRO"
            candidates.append(Candidate(
                choice.plugin.name, choice.priority, True, offer.distance, offer.fallback,
                position == 0, reason, offer.refusal,
            ))
        for record in declined:
            reason = "declines this type" + (f" as {artifact_type!r}" if artifact_type else "")
            candidates.append(Candidate(record.name, record.priority, False, reason=reason))
        for name, failure in self.failures.items():
            candidates.append(Candidate(name, 0, False, reason=f"failed to load: {failure.error}"))
        return Explanation(type_name(obj_type), artifact_type, candidates)

    # -- Packing and unpacking ----------------------------------------------------------------------

    def pack(self, obj: Any, key: str, artifact_type: str | None = None, options: Mapping[str, Any] | None = None) -> Packed:
        """Pack ``obj`` with the plugin that wins for its type; the result names that plugin as its producer."""
        choice = self._select(type(obj), artifact_type)
        if choice.offer.refusal is not None:
            raise PackingError(f"{key!r}: {choice.offer.refusal}")
        record = choice.plugin
        caller = record.caller("satchel_pack")
        if caller is None:
            raise PackingError(
                f"plugin {record.name!r} offers to pack {type_name(type(obj))} but implements no "
                "satchel_pack; report this to the plugin's authors"
            )
        try:
            packed: Packed | None = caller(obj=obj, key=key, artifact_type=artifact_type, options=options or {})
        except PickleRequested:
            # The packager chose a pickle by value; the one pickle packager makes it (and warns).
            if artifact_type == "object" or record.name == PICKLE_PLUGIN:
                raise
            return self.pack(obj, key, "object", options)
        if packed is None:
            raise PackingError(
                f"plugin {record.name!r} accepted {type_name(type(obj))} but packed nothing; "
                "report this to the plugin's authors"
            )
        if packed.producer.plugin != record.name:
            packed.producer = record.producer()  # unpacking routes by the registered identity
        return packed

    def _producer_plugin(self, producer: Producer, what: str) -> _Plugin:
        self.ensure_loaded()
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

    def unpackers(self, data_item: DataItem, obj_type: type | None, artifact_type: str | None) -> list[str]:
        """The plugins that offer to produce ``obj_type`` from ``data_item`` (``satchel_can_unpack``), best first."""
        self.ensure_loaded()
        offers: list[_Choice] = []
        for record in list(self._plugins.values()):
            answer = record.ask("satchel_can_unpack", data_item=data_item, obj_type=obj_type, artifact_type=artifact_type)
            if answer is not None and answer is not False:
                offers.append(_Choice(record, _as_offer(answer, record.name, "satchel_can_unpack")))
        offers.sort(key=lambda choice: choice.rank)
        return [choice.plugin.name for choice in offers if choice.offer.refusal is None]

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
        plugin: str | None = None,
    ) -> Any:
        """Turn a stored artifact back into an object: by ``plugin`` when given, else by the packager
        recorded as its producer, else by the best ``satchel_can_unpack`` offer for ``obj_type``."""
        what = f"artifact {data_item.key!r}"
        if plugin is not None:
            record = self._plugins[plugin]
        elif producer is not None:
            record = self._producer_plugin(producer, what)
        else:
            found = self.unpackers(data_item, obj_type, artifact_type)
            if not found:
                hint = type_name(obj_type) if obj_type is not None else "no type hint"
                raise PackagerNotFoundError(
                    f"no installed packager can unpack {what} into {hint}; annotate the parameter with the "
                    "type you want, or install a packager for it (see `satchel plugins`)"
                )
            record = self._plugins[found[0]]
        caller = record.caller("satchel_unpack")
        if caller is None:
            raise PackagerNotFoundError(f"{what}: plugin {record.name!r} implements no satchel_unpack")
        token = pickle_permission().set(allow_pickle or _pickle_allowed_by_env())
        try:
            return caller(
                data_item=data_item, artifact_type=artifact_type,
                instructions=instructions or {}, obj_type=obj_type,
            )
        finally:
            pickle_permission().reset(token)

    def unpack_result(
        self, value: Any, *, producer: Producer | None, instructions: Mapping[str, Any] | None = None,
        obj_type: type | None = None, key: str = "result",
    ) -> Any:
        """Turn a result value back into the type it was packed from."""
        if producer is None:
            return value
        record = self._producer_plugin(producer, f"result {key!r}")
        caller = record.caller("satchel_unpack_result")
        if caller is None:
            return value
        return caller(value=value, instructions=instructions or {}, obj_type=obj_type)

    # -- Previews ---------------------------------------------------------------------------------

    def render_preview(self, record: ArtifactRecord, read: Reader) -> tuple[str | None, Preview | None, list[str]]:
        """The first preview of ``record`` a plugin gives, asking them by priority then name.

        Returns (the plugin that answered, its preview, problems): a plugin that fails or answers
        with something that is not a Preview is skipped, and what went wrong is one of the problems,
        so one bad plugin costs its own preview and nothing else.
        """
        from satchel.previews import Preview  # attrs: loaded once a preview is asked for

        self.ensure_loaded()
        with self._lock:
            ranked = sorted(self._plugins.values(), key=lambda plugin: (plugin.priority, plugin.name))
        problems: list[str] = []
        for plugin in ranked:
            try:
                answer = plugin.ask("satchel_render_preview", record=record, read=read)
            except Exception as error:  # noqa: BLE001 - a plugin's failure is reported, not raised
                problems.append(f"plugin {plugin.name!r} failed to preview it: {type(error).__name__}: {error}")
                continue
            if answer is None:
                continue
            if not isinstance(answer, Preview):
                problems.append(
                    f"plugin {plugin.name!r} answered satchel_render_preview with a "
                    f"{type(answer).__name__}; answer with satchel.previews.Preview(...) or None"
                )
                continue
            return plugin.name, answer, problems
        return None, None, problems

    def require(self, name: str) -> None:
        """Fail (PluginLoadError) if the plugin ``name`` did not load; for mandatory plugins."""
        self.ensure_loaded()
        if name in self._plugins:
            return
        failure = self.failures.get(name)
        if failure is not None:
            raise PluginLoadError(failure.message() + "; it is marked mandatory, so nothing ran")
        raise PluginLoadError(f"mandatory plugin {name!r} is not installed; installed: {self.names}")


def _as_offer(answer: Any, plugin: str, hook: str) -> Offer:
    from satchel.answers import Offer

    if answer is True:
        return Offer()
    if isinstance(answer, Offer):
        return answer
    raise PackingError(
        f"plugin {plugin!r} answered {hook} with {answer!r}; answer with satchel.Offer(...), True, "
        "or None for 'not mine'"
    )


def _entry_points() -> list[FoundEntryPoint]:
    return scan_entry_points(ENTRY_POINT_GROUP)


def _pickle_allowed_by_env() -> bool:
    return os.environ.get("SATCHEL_ALLOW_PICKLE", "").lower() in ("1", "true", "yes")


class _MissingAttribute(Exception):
    """An entry point's module imported, but has no attribute of the name the entry point gives."""

    def __init__(self, owner: Any, owner_name: str, attribute: str) -> None:
        super().__init__(attribute)
        self.owner = owner
        self.owner_name = owner_name
        self.attribute = attribute


def _import_target(plugin: FoundEntryPoint) -> Any:
    """Import what an entry point names, exactly: ``module`` or ``module:attr.attr``."""
    module_name, _, attributes = plugin.value.partition(":")
    owner_name = module_name.strip()
    obj: Any = importlib.import_module(owner_name)
    for attribute in filter(None, attributes.strip().split(".")):
        try:
            obj = getattr(obj, attribute)
        except AttributeError:
            raise _MissingAttribute(obj, owner_name, attribute) from None
        owner_name = f"{owner_name}.{attribute}"
    return obj


def _import_problem(plugin: FoundEntryPoint, error: Exception) -> str:
    """What went wrong importing ``plugin``, quoting the entry point or the line that raised."""
    quoted = f"entry point `{plugin.written}` ({plugin.where()})"
    if isinstance(error, _MissingAttribute):
        names = [name for name in dir(error.owner) if not name.startswith("_")]
        return (
            f"{quoted} names {error.attribute!r}, which {error.owner_name!r} does not have"
            f"{did_you_mean(error.attribute, names)}"
        )
    module_name = plugin.value.partition(":")[0].strip()
    if isinstance(error, ModuleNotFoundError) and error.name is not None and (
        module_name == error.name or module_name.startswith(error.name + ".")
    ):
        return f"{quoted} names module {module_name!r}, which cannot be found: {error}"
    where = _raised_at(error)
    return f"{type(error).__name__}: {error}" + (f" (raised at {where}, importing {quoted})" if where else f" (importing {quoted})")


def _raised_at(error: BaseException) -> str | None:
    """``file, line N`` where ``error`` was raised (for a SyntaxError: the faulty line)."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}, line {error.lineno}"
    found = None
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if not filename.startswith("<frozen"):  # importlib's own frames say nothing to an author
            found = f"{filename}, line {traceback.tb_lineno}"
        traceback = traceback.tb_next
    return found


def _hook_names() -> list[str]:
    return sorted(name for name in dir(hookspecs) if name.startswith("satchel_"))


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


def set_host(host: PluginHost | None) -> PluginHost | None:
    """Replace the process-wide host (tests); returns the previous one."""
    global _host
    previous, _host = _host, host
    return previous
