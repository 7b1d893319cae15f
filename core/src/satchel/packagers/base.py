"""The Packager base class: MLRun's DefaultPackager convention, turned into satchel hook implementations.

A subclass sets class variables and writes ``pack_<artifact type>`` / ``unpack_<artifact type>``
methods; the artifact types it supports are discovered from those names, each direction on its own.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

from satchel import tempdirs
from satchel.answers import Offer, PackagerInfo
from satchel.artifacts import Artifact, ArtifactType, Packed, Producer
from satchel.callcontext import clearing_paths, staging_digest, staging_directory
from satchel.errors import (
    InvalidPluginError,
    PackingError,
    PickleRequested,
    UnknownPackingKwargError,
    UnpackingError,
)
from satchel.hookspecs import hookimpl
from satchel.priorities import CUSTOM_PRIORITY, LOWEST_PRIORITY, check_priority
from satchel.spelling import did_you_mean
from satchel.stacklevels import outside_satchel
from satchel.typenames import resolve_if_imported, type_name, why_unresolved

if TYPE_CHECKING:
    from satchel.dataitem import DataItem

__all__ = ["PackableTypeWarning", "Packager", "is_json_value"]

# Packager class -> its packable types, once every module they name is imported.
_RESOLVED: dict[type, tuple[type, ...]] = {}
# (Packager class, dotted name) -> why the name resolves to nothing although its module is imported.
_UNRESOLVED: dict[tuple[type, str], str] = {}
_ARTIFACT_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_JSON_SCALARS = (str, int, float, bool, type(None))
#: The artifact types satchel itself knows; a class that packs or unpacks another declares it.
CORE_ARTIFACT_TYPES = tuple(member.value for member in ArtifactType)


class PackableTypeWarning(UserWarning):
    """A packager's ``PACKABLE_OBJECT_TYPE`` names something its module, now imported, does not have."""


def is_json_value(value: Any) -> bool:
    """Whether JSON holds ``value`` exactly: what a result may be."""
    if isinstance(value, _JSON_SCALARS):
        return not isinstance(value, float) or (value == value and value not in (float("inf"), float("-inf")))
    if isinstance(value, list):
        return all(is_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json_value(v) for k, v in value.items())
    return False


class _Method:
    """A discovered ``pack_<type>`` or ``unpack_<type>`` method and the options it accepts."""

    __slots__ = ("accepts_any", "defaults", "name", "options")

    def __init__(self, name: str, options: tuple[str, ...], accepts_any: bool, defaults: Mapping[str, Any]) -> None:
        self.name = name
        self.options = options
        self.accepts_any = accepts_any
        self.defaults = dict(defaults)


def _inspect_method(owner: str, name: str, function: Callable[..., Any], fixed: int) -> _Method:
    """Read a method's option parameters; every option needs a default (a hint may leave it out)."""
    parameters = list(inspect.signature(function).parameters.values())[1 + fixed :]
    options: list[str] = []
    defaults: dict[str, Any] = {}
    accepts_any = False
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            accepts_any = True
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if parameter.default is inspect.Parameter.empty:
            raise InvalidPluginError(
                f"{owner}.{name}: parameter {parameter.name!r} needs a default value, because a log "
                f"hint or an artifact written without it must still work "
                f"(write e.g. `{parameter.name}: str = ...`)"
            )
        options.append(parameter.name)
        defaults[parameter.name] = parameter.default
    return _Method(name, tuple(options), accepts_any, defaults)


class Packager:
    """Base class for packagers, following MLRun's DefaultPackager convention.

    Set ``PACKABLE_OBJECT_TYPE`` (a type, a dotted name such as ``"PIL.Image.Image"``, or a tuple of
    them), and write ``pack_<artifact type>(self, obj, key, **options)`` methods returning
    ``(Artifact, instructions)``, and/or ``unpack_<artifact type>(self, data_item, **instructions)``.
    ``result`` is always packable. ``object`` (a pickle) is never written here: a packager that
    chooses it by value (``get_default_packing_artifact_type``) hands the object to the one pickle
    packager, which warns.
    """

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = None
    PACK_SUBCLASSES: ClassVar[bool] = False
    DEFAULT_PACKING_ARTIFACT_TYPE: ClassVar[str] = "result"
    DEFAULT_UNPACKING_ARTIFACT_TYPE: ClassVar[str] = "result"
    PRIORITY: ClassVar[int] = CUSTOM_PRIORITY
    FORMAT_VERSION: ClassVar[int] = 1
    #: The priority a refusal ranks at: below any packager that takes the type, above the pickle fallback.
    REFUSAL_PRIORITY: ClassVar[int] = LOWEST_PRIORITY - 1
    #: True only for the declared last resort (pickle): it ranks after every other packager.
    FALLBACK: ClassVar[bool] = False
    #: Libraries the pack/unpack methods import, as {import name: pip distribution}; a missing one is
    #: reported by ``satchel plugins`` instead of failing at discovery.
    REQUIRES: ClassVar[Mapping[str, str]] = {}
    #: Artifact types this class adds beyond satchel's own (``satchel.ArtifactType``); a
    #: ``pack_<type>`` / ``unpack_<type>`` method for a type in neither is an error at class
    #: definition, so a misspelt method name (``pack_fiel``) cannot add a type by accident.
    ARTIFACT_TYPES: ClassVar[tuple[str, ...]] = ()
    #: False for a class whose objects are never JSON values: it then neither packs nor unpacks
    #: ``result`` (``satchel plugins`` does not list it, and the test kit does not try it).
    PACKS_RESULT: ClassVar[bool] = True
    #: The values a packing option takes when it takes only some, by option name, e.g.
    #: ``{"format": ("csv", "parquet")}``: any other value (but the parameter's default) is a
    #: PackingError naming these, and the test kit round-trips each one.
    OPTION_CHOICES: ClassVar[Mapping[str, Sequence[Any]]] = {}

    _pack_methods: ClassVar[dict[str, _Method]] = {}
    _unpack_methods: ClassVar[dict[str, _Method]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        owner = cls.__qualname__
        pack: dict[str, _Method] = {}
        unpack: dict[str, _Method] = {}
        for attribute in dir(cls):
            for prefix, found, fixed in (("pack_", pack, 2), ("unpack_", unpack, 1)):
                if attribute.startswith(prefix):
                    artifact_type = attribute[len(prefix) :]
                    function = getattr(cls, attribute)
                    if not artifact_type or not callable(function):
                        continue
                    if not set(artifact_type) <= _ARTIFACT_TYPE_CHARS:
                        continue
                    found[artifact_type] = _inspect_method(owner, attribute, function, fixed)
        _check_declared_types(cls, pack, unpack)
        if not cls.PACKS_RESULT:
            _drop_result(cls, pack, unpack)
        cls._pack_methods = pack
        cls._unpack_methods = unpack
        try:
            check_priority(cls.PRIORITY, f"{owner}.PRIORITY")
        except ValueError as error:
            raise InvalidPluginError(str(error)) from None
        if cls.PACKABLE_OBJECT_TYPE is None:
            return  # an abstract intermediate base; checked when a concrete subclass names its type
        _check_option_choices(cls, pack)
        unused = [t for t in cls.ARTIFACT_TYPES if t not in pack and t not in unpack]
        if unused:
            raise InvalidPluginError(
                f"{owner}.ARTIFACT_TYPES declares {', '.join(map(repr, unused))}, but the class has no "
                f"pack_<type> or unpack_<type> method for it; it packs {sorted(pack)} and unpacks "
                f"{sorted(unpack)}"
            )
        if cls.DEFAULT_PACKING_ARTIFACT_TYPE not in pack:
            raise InvalidPluginError(
                f"{owner}.DEFAULT_PACKING_ARTIFACT_TYPE is {cls.DEFAULT_PACKING_ARTIFACT_TYPE!r}, but "
                f"the class packs only {sorted(pack)}; define pack_{cls.DEFAULT_PACKING_ARTIFACT_TYPE}() "
                "or choose one of those"
            )
        if unpack and cls.DEFAULT_UNPACKING_ARTIFACT_TYPE not in unpack:  # a pack-only class unpacks nothing
            raise InvalidPluginError(
                f"{owner}.DEFAULT_UNPACKING_ARTIFACT_TYPE is {cls.DEFAULT_UNPACKING_ARTIFACT_TYPE!r}, "
                f"but the class unpacks only {sorted(unpack)}; define "
                f"unpack_{cls.DEFAULT_UNPACKING_ARTIFACT_TYPE}() or choose one of those"
            )

    def __init__(self) -> None:
        refs = self.PACKABLE_OBJECT_TYPE
        self._type_refs: tuple[Any, ...] = refs if isinstance(refs, tuple) else (refs,)
        # Filled in by the host when the plugin is registered; used for the producer record.
        self.plugin_name: str = type(self).__name__
        self.distribution: str | None = None
        self.version: str | None = None
        self.future_clearing_paths: list[str] = []
        self._producer: Producer | None = None

    def identify(self, name: str, distribution: str | None, version: str | None) -> None:
        """Set the identity the host registered this packager under; it is recorded as the producer."""
        self.plugin_name = name
        self.distribution = distribution
        self.version = version
        self._producer = None

    # -- What this packager handles -------------------------------------------------------------

    @property
    def packable_types(self) -> tuple[type, ...]:
        """The packable types whose modules are imported (the others cannot have instances yet)."""
        known = _RESOLVED.get(type(self))
        if known is not None:
            return known
        resolved = []
        for ref in self._type_refs:
            obj_type = resolve_if_imported(ref) if isinstance(ref, str) else ref
            if isinstance(obj_type, type):
                resolved.append(obj_type)
            elif isinstance(ref, str):
                self._report_unresolved(ref)
        found = tuple(resolved)
        if len(found) == len(self._type_refs):
            _RESOLVED[type(self)] = found  # every module is imported: the answer cannot change any more
        return found

    def _report_unresolved(self, ref: str) -> None:
        """Warn, once per class and name, when ``ref``'s module is imported but names nothing."""
        key = (type(self), ref)
        if key in _UNRESOLVED:
            return
        why = why_unresolved(ref)
        if why is None:
            return  # its module is not imported yet: no object of the type can exist
        _UNRESOLVED[key] = message = (
            f"{type(self).__qualname__}.PACKABLE_OBJECT_TYPE names {ref!r}, which does not exist: {why}; "
            "the packager packs nothing of that name until it is corrected"
        )
        warnings.warn(message, PackableTypeWarning, stacklevel=outside_satchel())

    def type_names(self) -> list[str]:
        return [ref if isinstance(ref, str) else type_name(ref) for ref in self._type_refs]

    def match_distance(self, obj_type: type) -> int | None:
        """How far up ``obj_type``'s MRO the nearest packable type is (0: exact), or None."""
        packable = self.packable_types
        if obj_type in packable:
            return 0
        if not self.PACK_SUBCLASSES:
            return None
        for distance, base in enumerate(obj_type.__mro__):
            if base in packable:
                return distance
        return None

    @property
    def packing_artifact_types(self) -> list[str]:
        return sorted(self._pack_methods)

    @classmethod
    def options_for(cls, artifact_type: str | None = None) -> frozenset[str] | None:
        """The packing options ``pack_<artifact_type>`` takes (every pack method's for None); None
        when a method takes any option (``**kwargs``)."""
        chosen = list(cls._pack_methods.values()) if artifact_type is None else (
            [cls._pack_methods[artifact_type]] if artifact_type in cls._pack_methods else []
        )
        if any(method.accepts_any for method in chosen):
            return None
        return frozenset(option for method in chosen for option in method.options)

    @property
    def unpacking_artifact_types(self) -> list[str]:
        return sorted(self._unpack_methods)

    def get_default_packing_artifact_type(self, obj: Any) -> str:
        """The artifact type used when the log hint names none; override to decide by value."""
        return self.DEFAULT_PACKING_ARTIFACT_TYPE

    def get_default_unpacking_artifact_type(self, data_item: DataItem) -> str:
        return self.DEFAULT_UNPACKING_ARTIFACT_TYPE

    def is_packable(self, obj: Any, artifact_type: str | None = None) -> bool:
        return self.match_distance(type(obj)) is not None and (
            artifact_type is None or artifact_type in self._pack_methods
        )

    def is_unpackable(self, obj_type: type | None, artifact_type: str | None = None) -> bool:
        if artifact_type is not None and artifact_type not in self._unpack_methods:
            return False
        return obj_type is None or self.match_distance(obj_type) is not None

    def can_unpack_item(self, data_item: DataItem, obj_type: type | None, artifact_type: str | None) -> bool:
        """Whether this packager makes ``obj_type`` from ``data_item``.

        By default: artifacts it wrote itself or with no recorded producer (local files) whose
        type it unpacks. Override to make your type from other plugins' artifacts.
        """
        record = data_item.record
        producer = record.producer if record is not None else None
        if producer is not None and producer.plugin != self.plugin_name:
            return False
        return self.is_unpackable(obj_type, artifact_type)

    def convert(self, obj: Any, obj_type: type) -> Any:
        """Turn an unpacked ``obj`` into ``obj_type`` when the caller's hint asks for another type
        than the one stored (an image as an array); return ``obj`` unchanged when it cannot."""
        return obj

    # -- Helpers for pack methods ---------------------------------------------------------------

    def add_future_clearing_path(self, path: str | os.PathLike[str]) -> None:
        """Delete ``path`` (file or directory) once the artifact is stored, or if packing fails."""
        current = clearing_paths().get()
        (current if current is not None else self.future_clearing_paths).append(os.fspath(path))

    def make_temp_dir(self) -> str:
        """A fresh directory for files being packed, cleared automatically once they are stored.

        It is made on the store's filesystem when packing for a store, so storing moves the files
        instead of copying them.
        """
        path = tempfile.mkdtemp(prefix="pack-", dir=staging_directory().get() or tempdirs.process_dir())
        self.add_future_clearing_path(path)
        return path

    def create_file(self, path: str | os.PathLike[str]) -> BinaryIO:
        """Open a new file (in `make_temp_dir`) for writing, hashed as it is written.

        Write through it and close it (``with self.create_file(path) as out: ...``): large writes
        are hashed on another thread while they go to disk, and storing the file then reads it no
        second time, unless it changed after it was closed. It is a plain binary stream with
        ``write`` and ``tell``, not a real file descriptor: libraries that insist on one
        (``ndarray.tofile``) bypass the hash and are better given the path.
        """
        # The store's modules (and blake3) load on the first file written, not at discovery.
        from satchel.store.hashedio import HashingWriter
        from satchel.store.hashing import DEFAULT_ALGORITHM

        return HashingWriter(path, staging_digest().get() or DEFAULT_ALGORITHM)  # type: ignore[return-value]

    # -- The always-available artifact type ----------------------------------------------------

    def pack_result(self, obj: Any, key: str) -> dict[str, Any]:
        """Record ``obj`` itself as a result in the run (it must be JSON-compatible)."""
        return {key: obj}

    def unpack_result(self, value: Any) -> Any:
        return value

    # -- Hook implementations -------------------------------------------------------------------

    def describe(self) -> PackagerInfo:
        return PackagerInfo(
            name=self.plugin_name,
            distribution=self.distribution,
            version=self.version,
            priority=self.PRIORITY,
            types=self.type_names(),
            pack_subclasses=self.PACK_SUBCLASSES,
            packing_artifact_types=self.packing_artifact_types,
            unpacking_artifact_types=self.unpacking_artifact_types,
            default_packing_artifact_type=self.DEFAULT_PACKING_ARTIFACT_TYPE,
            default_unpacking_artifact_type=self.DEFAULT_UNPACKING_ARTIFACT_TYPE,
            format_version=self.FORMAT_VERSION,
            fallback=self.FALLBACK,
            doc=(inspect.getdoc(self) or "").split("\n", 1)[0],
            error=self.problems(),
        )

    def problems(self) -> str | None:
        """What ``satchel plugins`` says is wrong: missing libraries, packable type names that name nothing."""
        self.packable_types  # noqa: B018 - resolving the names reports the ones that name nothing
        found = [self.missing_requirements(), *(why for (cls, _ref), why in _UNRESOLVED.items() if cls is type(self))]
        return "; ".join(problem for problem in found if problem) or None

    def missing_requirements(self) -> str | None:
        """A message naming the libraries in ``REQUIRES`` that are not installed, or None."""
        missing = [dist for module, dist in self.REQUIRES.items() if importlib.util.find_spec(module) is None]
        if not missing:
            return None
        return f"missing dependency: {', '.join(missing)} (pip install {' '.join(missing)})"

    @hookimpl
    def satchel_describe(self) -> PackagerInfo:
        return self.describe()

    @hookimpl
    def satchel_priority(self) -> int:
        return self.PRIORITY

    def can_pack_type(self, obj_type: type, artifact_type: str | None) -> bool:
        """Whether objects of ``obj_type`` pack as ``artifact_type``; override for per-type limits."""
        if artifact_type is not None and artifact_type not in self._pack_methods:
            return False
        return self.match_distance(obj_type) is not None

    def refusal(self, obj_type: type, artifact_type: str | None) -> str | None:
        """A message to refuse ``obj_type`` with, instead of letting a lower-ranked packager take it;
        consulted only for types ``can_pack_type`` declines. None: no opinion."""
        return None

    def offer(self, obj_type: type, artifact_type: str | None) -> Offer | None:
        """This packager's answer to ``satchel_can_pack``: an offer at its match distance, a refusal, or None."""
        if self.can_pack_type(obj_type, artifact_type):
            distance = self.match_distance(obj_type)
            return Offer(distance=distance or 0, fallback=self.FALLBACK)
        refusal = self.refusal(obj_type, artifact_type)
        if refusal is not None:
            return Offer(refusal=refusal, priority=self.REFUSAL_PRIORITY)
        return None

    @hookimpl
    def satchel_can_pack(self, obj_type: type, artifact_type: str | None) -> Offer | None:
        return self.offer(obj_type, artifact_type)

    @hookimpl
    def satchel_can_unpack(self, data_item: DataItem, obj_type: type | None, artifact_type: str | None) -> Offer | None:
        if not self.can_unpack_item(data_item, obj_type, artifact_type):
            return None
        distance = self.match_distance(obj_type) if obj_type is not None else None
        return Offer(distance=distance or 0, fallback=self.FALLBACK)

    @hookimpl
    def satchel_pack(
        self, obj: Any, key: str, artifact_type: str | None, options: Mapping[str, Any]
    ) -> Packed:
        if artifact_type is None:
            artifact_type = self.get_default_packing_artifact_type(obj)
        method = self._pack_methods.get(artifact_type)
        if method is None and artifact_type == "object":
            raise PickleRequested(key)
        if method is None:
            raise PackingError(
                f"{self.plugin_name} cannot pack {type_name(type(obj))} as {artifact_type!r}; "
                f"it packs it as one of {self.packing_artifact_types}"
            )
        if options and not method.accepts_any:
            unknown = [name for name in options if name not in method.options]
            if unknown:
                valid = ", ".join(method.options) or "none"
                raise UnknownPackingKwargError(
                    f"log hint for {key!r}: {self.plugin_name} does not take option(s) "
                    f"{', '.join(map(repr, unknown))} for artifact type {artifact_type!r}; "
                    f"valid options: {valid}"
                )
        for name, value in options.items():
            choices = self.OPTION_CHOICES.get(name)
            if choices is None or value in choices or value == method.defaults.get(name, _NO_DEFAULT):
                continue
            raise PackingError(
                f"log hint for {key!r}: {self.plugin_name} does not take {name}={_short(value)} for "
                f"artifact type {artifact_type!r}; {name} is one of {', '.join(map(repr, choices))}"
            )
        clearing: list[str] = []
        token = clearing_paths().set(clearing)
        try:
            returned = getattr(self, method.name)(obj, key, **options)
            return self._to_packed(obj, key, artifact_type, returned, clearing)
        except BaseException:
            Packed.clear_paths(clearing)
            raise
        finally:
            clearing_paths().reset(token)

    def producer(self) -> Producer:
        """The identity written into what this packager packs; unpacking routes by it."""
        if self._producer is None:
            self._producer = Producer(
                plugin=self.plugin_name,
                distribution=self.distribution,
                version=self.version,
                format_version=self.FORMAT_VERSION,
            )
        return self._producer

    def _to_packed(
        self, obj: Any, key: str, artifact_type: str, returned: Any, clearing: list[str]
    ) -> Packed:
        instructions: dict[str, Any] = {}
        if isinstance(returned, tuple) and len(returned) == 2 and isinstance(returned[1], dict):
            returned, instructions = returned
        if isinstance(returned, Artifact):
            return Packed(
                key=key,
                artifact_type=artifact_type,
                producer=self.producer(),
                object_type=type_name(type(obj)),
                artifact=returned,
                instructions=instructions,
                clearing_paths=clearing,
            )
        if isinstance(returned, dict) and len(returned) == 1:
            (value,) = returned.values()
            if not is_json_value(value):
                raise PackingError(
                    f"cannot log {key!r} as a result: a {type_name(type(value))} is not a JSON value "
                    f"(results hold numbers, strings, booleans, None, lists and string-keyed dicts); "
                    f"log it as one of {[t for t in self.packing_artifact_types if t != 'result']}"
                )
            return Packed(
                key=key,
                artifact_type=artifact_type,
                producer=self.producer(),
                object_type=type_name(type(obj)),
                value=value,
                instructions=instructions,
                clearing_paths=clearing,
            )
        raise PackingError(
            f"{type(self).__qualname__}.pack_{artifact_type} returned {type(returned).__name__}; "
            "a pack method returns (Artifact, instructions), an Artifact, or {key: value} for a result"
        )

    @hookimpl
    def satchel_unpack(
        self,
        data_item: DataItem,
        artifact_type: str | None,
        instructions: Mapping[str, Any],
        obj_type: type | None,
    ) -> Any:
        if artifact_type is None:
            artifact_type = self.get_default_unpacking_artifact_type(data_item)
        method = self._unpack_methods.get(artifact_type)
        if method is None:
            raise UnpackingError(
                f"{self.plugin_name} cannot unpack artifact {data_item.key!r} of type "
                f"{artifact_type!r}; it unpacks {self.unpacking_artifact_types}"
            )
        kwargs = self._accepted(method, instructions)
        if "type_hint" in method.options:
            kwargs["type_hint"] = obj_type
        obj = getattr(self, method.name)(data_item, **kwargs)
        if isinstance(obj_type, type) and not isinstance(obj, obj_type):
            obj = self.convert(obj, obj_type)
        return obj

    @hookimpl
    def satchel_unpack_result(
        self, value: Any, instructions: Mapping[str, Any], obj_type: type | None
    ) -> Any:
        method = self._unpack_methods.get("result")
        if method is None:
            raise UnpackingError(
                f"{self.plugin_name} does not unpack results (its objects are not JSON values); it "
                f"unpacks {self.unpacking_artifact_types}"
            )
        kwargs = self._accepted(method, instructions)
        if "type_hint" in method.options:
            kwargs["type_hint"] = obj_type
        return self.unpack_result(value, **kwargs)

    @staticmethod
    def _accepted(method: _Method, instructions: Mapping[str, Any]) -> dict[str, Any]:
        # Instructions a newer writer added are ignored rather than breaking older readers.
        if method.accepts_any:
            return {k: v for k, v in instructions.items() if k != "type_hint"}
        return {k: v for k, v in instructions.items() if k in method.options and k != "type_hint"}


def _check_declared_types(cls: type[Packager], pack: Mapping[str, _Method], unpack: Mapping[str, _Method]) -> None:
    """A ``pack_``/``unpack_`` method for an artifact type neither satchel nor the class declares is a
    mistake (a misspelt ``pack_fiel`` would store artifacts no unpacker reads)."""
    known = (*CORE_ARTIFACT_TYPES, *cls.ARTIFACT_TYPES)
    for prefix, found in (("pack_", pack), ("unpack_", unpack)):
        for artifact_type in found:
            if artifact_type not in known:
                raise InvalidPluginError(
                    f"{cls.__qualname__}.{prefix}{artifact_type} is for artifact type {artifact_type!r}, which "
                    f"neither satchel nor the class declares{did_you_mean(artifact_type, known)}; satchel's "
                    f"artifact types are {', '.join(CORE_ARTIFACT_TYPES)}. A class that adds a type declares "
                    f"it: ARTIFACT_TYPES = ({artifact_type!r},)"
                )


def _drop_result(cls: type[Packager], pack: dict[str, _Method], unpack: dict[str, _Method]) -> None:
    """``PACKS_RESULT = False``: the inherited ``result`` methods are not the class's artifact types."""
    for name in ("pack_result", "unpack_result"):
        if getattr(cls, name) is not getattr(Packager, name):
            raise InvalidPluginError(
                f"{cls.__qualname__} sets PACKS_RESULT = False but defines {name}(); remove one of the two"
            )
    del pack["result"], unpack["result"]


_NO_DEFAULT = object()


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:59] + "…"


def _check_option_choices(cls: type[Packager], pack: Mapping[str, _Method]) -> None:
    """Every option ``OPTION_CHOICES`` names is one a pack method takes (a misspelt key checks nothing)."""
    taken = sorted({option for method in pack.values() for option in method.options})
    for name, choices in cls.OPTION_CHOICES.items():
        if name not in taken and not any(method.accepts_any for method in pack.values()):
            raise InvalidPluginError(
                f"{cls.__qualname__}.OPTION_CHOICES names option {name!r}, which no pack method takes"
                f"{did_you_mean(name, taken)}; the pack methods take {', '.join(taken) or 'no options'}"
            )
        if isinstance(choices, str) or not isinstance(choices, Sequence) or not choices:
            raise InvalidPluginError(
                f"{cls.__qualname__}.OPTION_CHOICES[{name!r}] is {choices!r}; give the values as a non-empty "
                "tuple, e.g. ('csv', 'parquet')"
            )
