"""Projects: a named set of runs and artifacts in a store, with its own configuration."""

from __future__ import annotations

import os
import pathlib
import tomllib
import typing
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from satchel.errors import PackingError, PluginLoadError, SatchelError
from satchel.names import validate_name

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.hints import LogHint
    from satchel.plugins import PluginHost
    from satchel.runs import Run
    from satchel.store import Store

__all__ = [
    "CustomPackagerSpec",
    "Project",
    "ProjectConfig",
    "StoredArtifact",
    "default_store_url",
    "get_or_create_project",
]

STORE_ENV = "SATCHEL_STORE"
LOCAL_SETTINGS = "satchel.toml"
DEFAULT_STORE = ".satchel"
PICKLE_POLICIES = ("warn", "allow", "forbid")


@attrs.define(kw_only=True)
class CustomPackagerSpec:
    """A project's own packager: ``module.Class``, whether a failed import stops runs, its priority."""

    packager: str
    is_mandatory: bool = False
    priority: int = 3


@attrs.define(kw_only=True)
class ProjectConfig:
    """What a project remembers between sessions; saved as JSON in the store, read through cattrs.

    ``pickle_policy``: ``warn`` (pickle as a fallback with a warning; loading needs an opt-in),
    ``allow`` (also load pickles without asking: only for stores you trust), ``forbid`` (never pickle).
    ``artifact_path`` is where ``satchel artifacts get`` writes by default.
    """

    name: str
    custom_packagers: list[CustomPackagerSpec] = attrs.field(factory=list)
    pickle_policy: str = "warn"
    artifact_path: str | None = None
    labels: dict[str, str] = attrs.field(factory=dict)


def default_store_url(directory: str | os.PathLike[str] | None = None) -> str:
    """The store to use when none is given: ``SATCHEL_STORE``, else ``store`` in ./satchel.toml, else ./.satchel."""
    from_env = os.environ.get(STORE_ENV)
    if from_env:
        return from_env
    base = os.fspath(directory or os.getcwd())
    settings_path = os.path.join(base, LOCAL_SETTINGS)
    if os.path.exists(settings_path):
        with open(settings_path, "rb") as handle:
            try:
                settings = tomllib.load(handle)
            except tomllib.TOMLDecodeError as error:
                raise SatchelError(f"{settings_path} is not valid TOML ({error}); write e.g. store = \".satchel\"") from error
        store = settings.get("store")
        if store is not None:
            if not isinstance(store, str):
                raise SatchelError(f"{settings_path}: 'store' must be a path or URL string, not {store!r}")
            return store if "://" in store else os.path.join(base, store)
    return os.path.join(base, DEFAULT_STORE)


_open_stores: dict[str, Store] = {}


def _open_store(store: Store | str | os.PathLike[str] | None) -> Store:
    from satchel.store import Store

    if isinstance(store, Store):
        return store
    url = os.fspath(store) if store is not None else default_store_url()
    key = url if "://" in url else os.path.abspath(url)
    if key not in _open_stores:
        _open_stores[key] = Store(url)
    return _open_stores[key]


def get_or_create_project(name: str, store: Store | str | os.PathLike[str] | None = None) -> Project:
    """The project called ``name`` in ``store`` (default: the embedded store in ./.satchel), created if new."""
    validate_name(name, "project name")
    opened = _open_store(store)
    return Project(name, opened)


class StoredArtifact:
    """A stored artifact's metadata (the record's fields are attributes), and the object on demand."""

    def __init__(self, project: Project, record: ArtifactRecord) -> None:
        self.project = project
        self.record = record

    def __getattr__(self, name: str) -> Any:
        return getattr(self.record, name)

    @property
    def uri(self) -> str:
        return self.record.uri

    def unpack(self, type_hint: Any = None, *, allow_pickle: bool | None = None) -> Any:
        """The object this artifact holds, unpacked by the packager that wrote it; files verified first."""
        from satchel.storing import unpack_record
        from satchel.typehints import unwrap_hint

        hint, _optional = unwrap_hint(type_hint)
        return unpack_record(
            self.project.store, self.record, hint if isinstance(hint, type) else None,
            allow_pickle=self.project.pickle_allowed(allow_pickle),
        )

    def __repr__(self) -> str:
        return f"<StoredArtifact {self.record.uri} kind={self.record.kind} size={self.record.size}>"


class Project:
    """A named set of runs and artifacts in one store."""

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.store = store
        self._config: ProjectConfig | None = None
        self._prepared: set[str] = set()

    def __repr__(self) -> str:
        return f"<Project {self.name} in {self.store.url}>"

    # -- Configuration ----------------------------------------------------------------------------

    @property
    def _config_path(self) -> str:
        return f"{self.name}/project.json"

    @property
    def config(self) -> ProjectConfig:
        if self._config is None:
            from satchel.serde import converter

            text = self.store.read_document(self._config_path)
            if text is None:
                self._config = ProjectConfig(name=self.name)
            else:
                try:
                    self._config = converter.loads(text, ProjectConfig)
                except Exception as error:
                    raise SatchelError(
                        f"the configuration of project {self.name!r} in {self.store.url} is not valid "
                        f"({error}); fix or delete projects/{self._config_path}"
                    ) from error
        return self._config

    def save_config(self) -> None:
        from satchel.serde import dumps

        self.store.write_document(self._config_path, dumps(self.config).decode("utf-8"))

    def add_custom_packager(self, packager: str, is_mandatory: bool = False, priority: int = 3) -> None:
        """Use ``module.Class`` as a packager in this project's runs; saved in the project's config."""
        if not 1 <= priority <= 10:
            raise ValueError(f"priority {priority!r} is out of range; use 1 (highest) to 10")
        if "." not in packager and ":" not in packager:
            raise ValueError(f"packager {packager!r} must be a dotted path like 'my_module.MyPackager'")
        specs = [s for s in self.config.custom_packagers if s.packager != packager]
        specs.append(CustomPackagerSpec(packager=packager, is_mandatory=is_mandatory, priority=priority))
        self.config.custom_packagers = specs
        self.save_config()

    def remove_custom_packager(self, packager: str) -> None:
        names = [s.packager for s in self.config.custom_packagers]
        if packager not in names:
            raise KeyError(f"project {self.name!r} has no custom packager {packager!r}; it has {names}")
        self.config.custom_packagers = [s for s in self.config.custom_packagers if s.packager != packager]
        self.save_config()
        from satchel.plugins import get_host

        host = get_host()
        if packager in self._prepared:
            self._prepared.discard(packager)
            if packager in host.names:
                host.unregister(packager)

    def set_pickle_policy(self, policy: str) -> None:
        if policy not in PICKLE_POLICIES:
            raise ValueError(f"unknown pickle policy {policy!r}; use one of {', '.join(PICKLE_POLICIES)}")
        self.config.pickle_policy = policy
        self.save_config()

    def pickle_allowed(self, explicit: bool | None) -> bool:
        if explicit is not None:
            return explicit
        return self.config.pickle_policy == "allow"

    def prepare_packagers(self) -> None:
        """Register the project's custom packagers; a mandatory one that fails to import stops here."""
        from satchel.plugins import get_host
        from satchel.typeref import import_dotted

        host = get_host()
        host.ensure_loaded()
        for spec in self.config.custom_packagers:
            if spec.packager in self._prepared or spec.packager in host.names:
                self._prepared.add(spec.packager)
                continue
            try:
                packager = import_dotted(spec.packager)
                host.register(packager, name=spec.packager, source="custom", priority=spec.priority)
            except Exception as error:
                message = f"custom packager {spec.packager!r} of project {self.name!r} failed to load: {type(error).__name__}: {error}"
                if spec.is_mandatory:
                    raise PluginLoadError(message + "; it is mandatory, so the handler did not run") from error
                warnings.warn(message + "; it is optional, so runs go on without it", UserWarning, stacklevel=3)
                continue
            self._prepared.add(spec.packager)

    def check_pickle_policy(self, host: PluginHost, obj: Any, artifact_type: str | None, key: str) -> None:
        if self.config.pickle_policy != "forbid":
            return
        chosen = host.select_packer(type(obj), artifact_type)
        if artifact_type == "object" or chosen.fallback:
            raise PackingError(
                f"{key!r} would be pickled, and project {self.name!r} forbids pickles; install or "
                "add a packager for this type, or change the project's pickle policy"
            )

    # -- Runs -------------------------------------------------------------------------------------

    def run(
        self,
        handler: Callable[..., Any],
        params: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        returns: Sequence[str | Mapping[str, Any] | LogHint] | None = None,
        name: str | None = None,
        *,
        allow_pickle: bool | None = None,
        raise_on_failure: bool = True,
    ) -> Run:
        """Run ``handler``: inputs (store URIs or local paths) arrive as objects of its type hints,
        its return value is packed by the ``returns`` log hints, and the run is recorded.

        A failing handler raises :class:`~satchel.errors.RunError` after its record, error and
        traceback are saved (``raise_on_failure=False`` returns the failed Run instead).
        """
        from satchel.runs import execute

        run, _returned = execute(
            self, handler, params=params, inputs=inputs, returns=returns, name=name,
            allow_pickle=allow_pickle, raise_on_failure=raise_on_failure,
        )
        return run

    def get_run(self, uid: str) -> Run:
        from satchel.runs import Run, RunRecord
        from satchel.serde import converter

        return Run(self, converter.structure(self.store.get_run(self.name, uid), RunRecord))

    def list_runs(self, limit: int | None = None) -> list[Run]:
        from satchel.runs import Run, RunRecord
        from satchel.serde import converter

        return [Run(self, converter.structure(data, RunRecord)) for data in self.store.list_runs(self.name, limit=limit)]

    # -- Artifacts --------------------------------------------------------------------------------

    def get_artifact(self, ref: str) -> StoredArtifact:
        """An artifact by ``store://`` URI, or by key in this project (its ``latest`` version)."""
        from satchel.uri import is_store_uri

        uri = ref if is_store_uri(ref) else f"store://artifacts/{self.name}/{ref}"
        return StoredArtifact(self, self.store.get_artifact(uri))

    def list_artifacts(self, *, key: str | None = None, kind: str | None = None, tag: str | None = None, limit: int | None = None) -> list[StoredArtifact]:
        return [StoredArtifact(self, r) for r in self.store.list_artifacts(self.name, key=key, kind=kind, tag=tag, limit=limit)]

    def log(self, obj: Any, hint: str | Mapping[str, Any] | LogHint, *, tags: Sequence[str] = ("latest",)) -> StoredArtifact | Any:
        """Pack ``obj`` by its log hint and store it outside a run; a result is returned as its value."""
        from satchel.hints import parse_log_hint
        from satchel.plugins import get_host
        from satchel.storing import log_packed, staging

        parsed = parse_log_hint(hint)
        host = get_host()
        self.prepare_packagers()
        self.check_pickle_policy(host, obj, parsed.artifact_type, parsed.key)
        with staging(self.store):
            packed = host.pack(obj, parsed.key, parsed.artifact_type, parsed.options)
        if packed.is_result:
            return packed.value
        return StoredArtifact(self, log_packed(self.store, self.name, packed, tags=tags))

    # -- Inputs -----------------------------------------------------------------------------------

    def resolve_inputs(self, function: Callable[..., Any], inputs: Mapping[str, Any], *, allow_pickle: bool | None) -> dict[str, Any]:
        """Turn each input (store URI, local path, or a list/dict of them) into an object of the type hint."""
        from satchel.typehints import handler_hints

        hints, _returns = handler_hints(function) if inputs else ({}, None)
        allowed = self.pickle_allowed(allow_pickle)
        return {name: self._resolve(name, value, hints.get(name), allowed) for name, value in inputs.items()}

    def _resolve(self, name: str, value: Any, hint: Any, allowed: bool) -> Any:
        from satchel.typehints import unwrap_hint
        from satchel.uri import is_store_uri

        hint, _optional = unwrap_hint(hint)
        args = typing.get_args(hint)
        if value is None:
            return None
        if isinstance(value, (list, tuple)):
            sequence = typing.get_origin(hint) in (list, tuple, set, frozenset, Sequence)
            item_hint = args[0] if args and sequence else None
            return type(value)(self._resolve(name, v, item_hint, allowed) for v in value)
        if isinstance(value, Mapping):
            item_hint = args[1] if len(args) == 2 else None
            return {k: self._resolve(name, v, item_hint, allowed) for k, v in value.items()}
        candidates = _candidate_types(hint)
        if is_store_uri(value):
            return self._from_uri(value, candidates, allowed)
        if isinstance(value, (str, os.PathLike)) and candidates and not any(c in (str, os.PathLike) for c in candidates):
            return self._from_path(name, os.fspath(value), candidates, allowed)
        return value  # a plain value: passed as it is

    def _from_uri(self, uri: str, candidates: list[type], allowed: bool) -> Any:
        """A stored artifact, unpacked by the packager that wrote it (or as a DataItem if asked)."""
        from satchel.dataitem import DataItem
        from satchel.storing import unpack_record

        record = self.store.get_artifact(uri)
        if DataItem in candidates:
            return self.store.data_item(record)
        return unpack_record(self.store, record, candidates[0] if candidates else None, allow_pickle=allowed)

    def _from_path(self, name: str, path: str, candidates: list[type], allowed: bool) -> Any:
        """A local file or directory, unpacked by the first candidate type a packager can produce."""
        from satchel.dataitem import DataItem
        from satchel.errors import PackagerNotFoundError
        from satchel.plugins import get_host

        for candidate in candidates:
            if issubclass(candidate, pathlib.PurePath):
                return candidate(path)  # a path hint takes the local path as it is
        if not os.path.exists(path):
            raise SatchelError(
                f"input {name!r}: {path!r} is neither a store:// URI nor an existing local path; "
                "give a URI from `satchel artifacts` or a file that exists"
            )
        item = DataItem.from_local_path(path)
        if DataItem in candidates:
            return item
        failures: list[PackagerNotFoundError] = []
        for candidate in candidates:
            try:
                return get_host().unpack(item, producer=None, artifact_type=None, obj_type=candidate, allow_pickle=allowed)
            except PackagerNotFoundError as error:
                failures.append(error)
        raise failures[-1]


def _candidate_types(hint: Any) -> list[type]:
    """The classes a (stripped) hint allows: its members for a union, else the hint if it is a class."""
    if typing.get_origin(hint) is typing.Union:
        return [member for member in typing.get_args(hint) if isinstance(member, type)]
    return [hint] if isinstance(hint, type) else []
