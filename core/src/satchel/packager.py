"""The Packager base class: MLRun's DefaultPackager convention, turned into satchel hook implementations.

A subclass sets class variables and writes ``pack_<artifact type>`` / ``unpack_<artifact type>``
methods; the artifact types it supports are discovered from those names, each direction on its own.
"""

from __future__ import annotations

import contextvars
import inspect
import os
import pickle
import tempfile
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from satchel.errors import (
    PackingError,
    PickleNotAllowedError,
    UnknownPackingKwargError,
    UnpackingError,
)
from satchel.hookspecs import hookimpl
from satchel.typeref import resolve_if_imported, type_name

if TYPE_CHECKING:
    from satchel.artifacts import Artifact, Producer
    from satchel.dataitem import DataItem
    from satchel.packed import Packed
    from satchel.reports import PackagerInfo

__all__ = ["Packager", "PickleFallbackWarning", "allow_pickle", "staging_directory"]

# Set by the host for the duration of one pack call; add_future_clearing_path appends here.
_clearing_paths: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "satchel_clearing_paths", default=None
)
# Set by whoever stores the artifact: a directory on the store's filesystem, so files move, not copy.
_staging: contextvars.ContextVar[str | None] = contextvars.ContextVar("satchel_staging", default=None)
# Set by the host when the caller opted in to loading pickles.
_pickle_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "satchel_pickle_allowed", default=False
)

_ARTIFACT_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_JSON_SCALARS = (str, int, float, bool, type(None))


class PickleFallbackWarning(UserWarning):
    """An object was pickled because no packager knows its type."""


def staging_directory() -> contextvars.ContextVar[str | None]:
    """The context variable naming where packagers should write temporary files (the store's staging)."""
    return _staging


def allow_pickle() -> contextvars.ContextVar[bool]:
    """The context variable that, when true, lets ``unpack_object`` load pickles."""
    return _pickle_allowed


def _is_json_value(value: Any) -> bool:
    if isinstance(value, _JSON_SCALARS):
        return not isinstance(value, float) or (value == value and value not in (
            float("inf"),
            float("-inf"),
        ))
    if isinstance(value, list):
        return all(_is_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_value(v) for k, v in value.items())
    return False


class _Method:
    """A discovered ``pack_<type>`` or ``unpack_<type>`` method and the options it accepts."""

    __slots__ = ("accepts_any", "name", "options")

    def __init__(self, name: str, options: tuple[str, ...], accepts_any: bool) -> None:
        self.name = name
        self.options = options
        self.accepts_any = accepts_any


def _inspect_method(owner: str, name: str, function: Callable[..., Any], fixed: int) -> _Method:
    """Read a method's option parameters; every option needs a default (a hint may leave it out)."""
    parameters = list(inspect.signature(function).parameters.values())[1 + fixed :]
    options: list[str] = []
    accepts_any = False
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            accepts_any = True
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if parameter.default is inspect.Parameter.empty:
            raise TypeError(
                f"{owner}.{name}: parameter {parameter.name!r} needs a default value, because a log "
                f"hint or an artifact written without it must still work "
                f"(write e.g. `{parameter.name}: str = ...`)"
            )
        options.append(parameter.name)
    return _Method(name, tuple(options), accepts_any)


class Packager:
    """Base class for packagers, following MLRun's DefaultPackager convention.

    Set ``PACKABLE_OBJECT_TYPE`` (a type, a dotted name such as ``"PIL.Image.Image"``, or a tuple of
    them), and write ``pack_<artifact type>(self, obj, key, **options)`` methods returning
    ``(Artifact, instructions)``, and/or ``unpack_<artifact type>(self, data_item, **instructions)``.
    ``result`` is always packable and ``object`` (pickle) always packable and unpackable.
    """

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = None
    PACK_SUBCLASSES: ClassVar[bool] = False
    DEFAULT_PACKING_ARTIFACT_TYPE: ClassVar[str] = "object"
    DEFAULT_UNPACKING_ARTIFACT_TYPE: ClassVar[str] = "object"
    PRIORITY: ClassVar[int] = 3
    FORMAT_VERSION: ClassVar[int] = 1
    #: True only for the declared last resort (pickle): it ranks after every other packager.
    FALLBACK: ClassVar[bool] = False
    #: Libraries the pack/unpack methods import, as {import name: pip distribution}; a missing one is
    #: reported by ``satchel plugins`` instead of failing at discovery.
    REQUIRES: ClassVar[Mapping[str, str]] = {}

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
        cls._pack_methods = pack
        cls._unpack_methods = unpack
        if not 1 <= cls.PRIORITY <= 10:
            raise TypeError(f"{owner}.PRIORITY is {cls.PRIORITY!r}; use an integer from 1 (highest) to 10")
        if cls.PACKABLE_OBJECT_TYPE is None:
            return  # an abstract intermediate base; checked when a concrete subclass names its type
        if cls.DEFAULT_PACKING_ARTIFACT_TYPE not in pack:
            raise TypeError(
                f"{owner}.DEFAULT_PACKING_ARTIFACT_TYPE is {cls.DEFAULT_PACKING_ARTIFACT_TYPE!r}, but "
                f"the class packs only {sorted(pack)}; define pack_{cls.DEFAULT_PACKING_ARTIFACT_TYPE}() "
                "or choose one of those"
            )
        if cls.DEFAULT_UNPACKING_ARTIFACT_TYPE not in unpack:
            raise TypeError(
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
        self._producers: dict[str, Producer] = {}

    # -- What this packager handles -------------------------------------------------------------

    @property
    def packable_types(self) -> tuple[type, ...]:
        """The packable types whose modules are imported (the others cannot have instances yet)."""
        resolved = []
        for ref in self._type_refs:
            obj_type = resolve_if_imported(ref) if isinstance(ref, str) else ref
            if isinstance(obj_type, type):
                resolved.append(obj_type)
        return tuple(resolved)

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

    # -- Helpers for pack methods ---------------------------------------------------------------

    def add_future_clearing_path(self, path: str | os.PathLike[str]) -> None:
        """Delete ``path`` (file or directory) once the artifact is stored, or if packing fails."""
        current = _clearing_paths.get()
        (current if current is not None else self.future_clearing_paths).append(os.fspath(path))

    def make_temp_dir(self) -> str:
        """A fresh directory for files being packed, cleared automatically once they are stored.

        It is made on the store's filesystem when packing for a store, so storing moves the files
        instead of copying them.
        """
        path = tempfile.mkdtemp(prefix="satchel-pack-", dir=_staging.get())
        self.add_future_clearing_path(path)
        return path

    # -- The always-available artifact types ----------------------------------------------------

    def pack_result(self, obj: Any, key: str) -> dict[str, Any]:
        """Record ``obj`` itself as a result in the run (it must be JSON-compatible)."""
        return {key: obj}

    def unpack_result(self, value: Any) -> Any:
        return value

    def pack_object(self, obj: Any, key: str, protocol: int = pickle.HIGHEST_PROTOCOL) -> tuple[Artifact, dict[str, Any]]:
        """Pickle ``obj``; loading it back needs an explicit opt-in, because unpickling runs code."""
        from satchel.artifacts import ObjectArtifact

        try:
            data = pickle.dumps(obj, protocol=protocol)
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            raise PackingError(
                f"{key!r}: a {type_name(type(obj))} cannot be pickled ({error}); write or install a "
                "packager for this type (see `satchel plugins`)"
            ) from error
        artifact = ObjectArtifact(key=key, body=data, file_name=f"{key}.pkl", format="pickle")
        return artifact, {"object_type": type_name(type(obj)), "python": _python_version()}

    def unpack_object(self, data_item: DataItem, object_type: str | None = None, python: str | None = None) -> Any:
        if not _pickle_allowed.get():
            raise PickleNotAllowedError(
                f"artifact {data_item.key!r} is a pickle of {object_type or 'an object'}; loading a "
                "pickle runs code from the file, so it needs an explicit opt-in: pass "
                "allow_pickle=True, set SATCHEL_ALLOW_PICKLE=1, or set the project's pickle "
                "policy to 'allow' — only for artifacts you trust"
            )
        with open(data_item.local(), "rb") as handle:
            return pickle.load(handle)  # noqa: S301 - opted in above

    # -- Hook implementations -------------------------------------------------------------------

    def describe(self) -> PackagerInfo:
        from satchel.reports import PackagerInfo

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
            error=self.missing_requirements(),
        )

    def missing_requirements(self) -> str | None:
        """A message naming the libraries in ``REQUIRES`` that are not installed, or None."""
        import importlib.util

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

    @hookimpl
    def satchel_can_pack(self, obj_type: type, artifact_type: str | None) -> bool:
        return self.can_pack_type(obj_type, artifact_type)

    @hookimpl
    def satchel_can_unpack(self, obj_type: type | None, artifact_type: str | None) -> bool:
        return self.is_unpackable(obj_type, artifact_type)

    @hookimpl
    def satchel_pack(
        self, obj: Any, key: str, artifact_type: str | None, options: Mapping[str, Any]
    ) -> Packed:
        if artifact_type is None:
            artifact_type = self.get_default_packing_artifact_type(obj)
        method = self._pack_methods.get(artifact_type)
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
        clearing: list[str] = []
        token = _clearing_paths.set(clearing)
        try:
            returned = getattr(self, method.name)(obj, key, **options)
            return self._to_packed(obj, key, artifact_type, returned, clearing)
        except BaseException:
            from satchel.packed import Packed

            Packed.clear_paths(clearing)
            raise
        finally:
            _clearing_paths.reset(token)

    def _producer(self) -> Producer:
        producer = self._producers.get(self.plugin_name)
        if producer is None:
            from satchel.artifacts import Producer

            producer = Producer(
                plugin=self.plugin_name,
                distribution=self.distribution,
                version=self.version,
                format_version=self.FORMAT_VERSION,
            )
            self._producers[self.plugin_name] = producer
        return producer

    def _to_packed(
        self, obj: Any, key: str, artifact_type: str, returned: Any, clearing: list[str]
    ) -> Packed:
        from satchel.artifacts import Artifact
        from satchel.packed import Packed

        instructions: dict[str, Any] = {}
        if isinstance(returned, tuple) and len(returned) == 2 and isinstance(returned[1], dict):
            returned, instructions = returned
        if isinstance(returned, Artifact):
            return Packed(
                key=key,
                artifact_type=artifact_type,
                producer=self._producer(),
                object_type=type_name(type(obj)),
                artifact=returned,
                instructions=instructions,
                clearing_paths=clearing,
            )
        if isinstance(returned, dict) and len(returned) == 1:
            (value,) = returned.values()
            if not _is_json_value(value):
                raise PackingError(
                    f"cannot log {key!r} as a result: a {type_name(type(value))} is not a JSON value "
                    f"(results hold numbers, strings, booleans, None, lists and string-keyed dicts); "
                    f"log it as one of {[t for t in self.packing_artifact_types if t != 'result']}"
                )
            return Packed(
                key=key,
                artifact_type=artifact_type,
                producer=self._producer(),
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
        return getattr(self, method.name)(data_item, **kwargs)

    @hookimpl
    def satchel_unpack_result(
        self, value: Any, instructions: Mapping[str, Any], obj_type: type | None
    ) -> Any:
        method = self._unpack_methods["result"]
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


def _python_version() -> str:
    import sys

    return "{}.{}.{}".format(*sys.version_info[:3])


def warn_pickle(obj: Any, key: str) -> None:
    warnings.warn(
        f"{key!r}: no packager handles {type_name(type(obj))}, so it is pickled; pickles are tied to "
        "library versions and loading one needs an explicit opt-in. Install or write a packager "
        "for this type (see `satchel plugins`).",
        PickleFallbackWarning,
        stacklevel=4,
    )
