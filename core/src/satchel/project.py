"""Projects: a named set of runs and artifacts in a store, with its own configuration."""

from __future__ import annotations

import functools
import inspect
import json
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from satchel.cluster import check_retries, handler_reference, run_on_cluster
from satchel.code.cache import code_tree
from satchel.code.loader import split_handler
from satchel.code.logcode import log_code
from satchel.code.requirements import parse_requirements, require
from satchel.errors import (
    CodeError,
    PackingError,
    PluginLoadError,
    RunError,
    SatchelError,
    StoreError,
    UnpackingError,
)
from satchel.functions import (
    Function,
    check_code_record,
    check_trusted,
    confirm,
    normalize_source,
    resolve,
    source_kind,
    workflow_handler,
)
from satchel.host import PluginHost, get_host
from satchel.loghints import LogHint, parse_log_hint
from satchel.models.package import LoadedModel, ModelRequest, loading_options, model_request
from satchel.models.signature import ModelSignature
from satchel.names import validate_name
from satchel.packing import log_packed, pack_for
from satchel.priorities import CUSTOM_PRIORITY, check_priority
from satchel.projectconfig import (
    PICKLE_POLICIES,
    CustomPackagerSpec,
    FunctionSpec,
    ProjectConfig,
    WorkflowSpec,
)
from satchel.projectfiles import export_project, load_project_file
from satchel.runs import Run, current_workflow, execute, load_run_record
from satchel.scope import Scope
from satchel.serde import ShapeError, ValidationErrors, check_shape, converter, dumps
from satchel.settings import Settings, load_settings
from satchel.store import Store, new_uid
from satchel.typenames import import_dotted
from satchel.unpacking import unpack_record
from satchel.uri import is_store_uri, parse_uri

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord

__all__ = [
    "CustomPackagerSpec",
    "Function",
    "FunctionSpec",
    "Project",
    "ProjectConfig",
    "StoredArtifact",
    "UntrustedConfigWarning",
    "WorkflowSpec",
    "default_store_url",
    "get_or_create_project",
    "handler",
    "load_model",
    "load_project",
]

STORE_ENV = "SATCHEL_STORE"
CATALOG_ENV = "SATCHEL_CATALOG"
DEFAULT_STORE = ".satchel"
ALLOW_PICKLE_ENV = "SATCHEL_ALLOW_PICKLE"

# Custom packagers this process added itself (store url, project, packager): the caller's own
# call confirms them; one named only by the stored config needs the caller's settings to.
_confirmed: set[tuple[str, str, str]] = set()


def default_store_url(directory: str | os.PathLike[str] | None = None) -> str:
    """The store to use when none is given: ``SATCHEL_STORE``, else ``store`` in ./satchel.toml, else ./.satchel."""
    from_env = os.environ.get(STORE_ENV)
    if from_env:
        return from_env
    base = os.fspath(directory or os.getcwd())
    return load_settings(base).store or os.path.join(base, DEFAULT_STORE)


def default_catalog_url(directory: str | os.PathLike[str] | None = None) -> str | None:
    """The catalog to keep the store's index in when none is given: ``SATCHEL_CATALOG``, else
    ``catalog`` in ./satchel.toml (or the user's config), else None (the store's own SQLite index)."""
    from_env = os.environ.get(CATALOG_ENV)
    if from_env:
        return from_env
    return load_settings(os.fspath(directory or os.getcwd())).catalog


_open_stores: dict[tuple[str, str | None], Store] = {}


def _open_store(store: Store | str | os.PathLike[str] | None, catalog: str | None = None) -> Store:
    if isinstance(store, Store):
        if catalog is not None:
            raise SatchelError("catalog= goes with a store URL or path; a Store object has its own (Store(url, catalog=...))")
        return store
    url = os.fspath(store) if store is not None else default_store_url()
    chosen = catalog if catalog is not None else default_catalog_url()
    key = (url if "://" in url else os.path.abspath(url), chosen)
    if key not in _open_stores:
        _open_stores[key] = Store(url, catalog=chosen)
    return _open_stores[key]


def get_or_create_project(
    name: str, store: Store | str | os.PathLike[str] | None = None, *, catalog: str | None = None
) -> Project:
    """The project called ``name`` in ``store`` (default: the embedded store in ./.satchel), created
    if new; ``catalog`` keeps the store's index in a database (default: ``SATCHEL_CATALOG``, else
    ``catalog`` in satchel.toml, else the store's own SQLite file)."""
    validate_name(name, "project name")
    opened = _open_store(store, catalog)
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
        """The object this artifact holds, as ``type_hint`` asks (a wrong type is an error, never
        returned); unpacked by the packager that wrote it, files verified first."""
        scope = self.project.scope(allow_pickle)
        return unpack_record(scope.store, self.record, type_hint, allow_pickle=scope.allow_pickle, host=scope.host)

    def __repr__(self) -> str:
        return f"<StoredArtifact {self.record.uri} kind={self.record.kind} size={self.record.size}>"


class Project:
    """A named set of runs and artifacts in one store, with its own configuration and packagers."""

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.store = store
        self._config: ProjectConfig | None = None
        # The host with this project's custom packagers, and what it was built from.
        self._host: PluginHost | None = None
        self._host_basis: tuple[int, tuple[tuple[str, int, bool], ...]] | None = None

    def __repr__(self) -> str:
        return f"<Project {self.name} in {self.store.url}>"

    # -- Configuration ----------------------------------------------------------------------------

    @property
    def _config_path(self) -> str:
        return f"{self.name}/project.json"

    @property
    def config(self) -> ProjectConfig:
        if self._config is None:
            text = self.store.read_document(self._config_path)
            if text is None:
                self._config = ProjectConfig(name=self.name)
            else:
                self._config = self._read_config(text)
        return self._config

    def _read_config(self, text: str) -> ProjectConfig:
        """The stored config, checked field by field before it is structured: it comes from the
        store, so nothing in it is coerced (a priority of "5" is refused, not read as 5)."""
        where = f"the configuration of project {self.name!r} in {self.store.url}"
        fix = f"fix or delete projects/{self._config_path}"
        try:
            data = json.loads(text)
            check_shape(data, ProjectConfig)
            config = converter.structure(data, ProjectConfig)
        except (ShapeError, ValueError, TypeError, RecursionError, ValidationErrors) as error:
            raise SatchelError(f"{where} is not valid ({error}); {fix}") from error
        if config.name != self.name:
            raise SatchelError(f"{where} names another project, {config.name!r}; {fix}")
        return config

    def save_config(self) -> None:
        self.store.write_document(self._config_path, dumps(self.config).decode("utf-8"))

    def add_custom_packager(self, packager: str, is_mandatory: bool = False, priority: int = CUSTOM_PRIORITY) -> None:
        """Use ``module.Class`` as a packager in this project's runs (and no other project's); saved
        in the project's config."""
        check_priority(priority, f"custom packager {packager!r}")
        if "." not in packager and ":" not in packager:
            raise ValueError(f"packager {packager!r} must be a dotted path like 'my_module.MyPackager'")
        specs = [s for s in self.config.custom_packagers if s.packager != packager]
        specs.append(CustomPackagerSpec(packager=packager, is_mandatory=is_mandatory, priority=priority))
        self.config.custom_packagers = specs
        self.save_config()
        _confirmed.add((self.store.url, self.name, packager))  # this caller asked for it itself

    def remove_custom_packager(self, packager: str) -> None:
        names = [s.packager for s in self.config.custom_packagers]
        if packager not in names:
            raise KeyError(f"project {self.name!r} has no custom packager {packager!r}; it has {names}")
        self.config.custom_packagers = [s for s in self.config.custom_packagers if s.packager != packager]
        self.save_config()
        _confirmed.discard((self.store.url, self.name, packager))

    def set_pickle_policy(self, policy: str) -> None:
        if policy not in PICKLE_POLICIES:
            raise ValueError(f"unknown pickle policy {policy!r}; use one of {', '.join(PICKLE_POLICIES)}")
        self.config.pickle_policy = policy
        self.save_config()

    # -- What this project's work sees ------------------------------------------------------------

    @property
    def host(self) -> PluginHost:
        """The plugin host of this project: core, the installed plugins and its own custom packagers.

        A mandatory custom packager that fails to import is a PluginLoadError; an optional one is
        skipped with a warning.
        """
        base = get_host()
        base.ensure_loaded()
        specs = self._confirmed_packagers(load_settings())
        if not specs:
            return base
        basis = (base.generation, tuple((s.packager, s.priority, s.is_mandatory) for s in specs))
        if self._host is None or self._host_basis != basis:
            host = base.derive(self._custom_packagers(specs))
            for spec in specs:
                if spec.is_mandatory and spec.packager in host.failures:
                    host.require(spec.packager)  # a mandatory one that would not register: nothing runs
            self._host = host
            self._host_basis = basis
        return self._host

    def _confirmed_packagers(self, settings: Settings) -> list[CustomPackagerSpec]:
        """The stored custom packagers the caller confirmed; the others are not imported, with a
        warning (or, for a mandatory one, a PluginLoadError)."""
        confirmed: list[CustomPackagerSpec] = []
        for spec in self.config.custom_packagers:
            if (self.store.url, self.name, spec.packager) in _confirmed or settings.trusts_packager(self.name, spec.packager):
                confirmed.append(spec)
                continue
            message = (
                f"project {self.name!r} in {self.store.url} names custom packager {spec.packager!r} in its "
                "stored config, which is not imported: the store cannot decide what code runs. If you "
                f"trust it, add it to trusted_packagers under [projects.{self.name}] in {settings.where()}, "
                "or call project.add_custom_packager() in this process"
            )
            if spec.is_mandatory:
                raise PluginLoadError(message + "; it is mandatory, so the handler did not run")
            warnings.warn(message, UntrustedConfigWarning, stacklevel=4)
        return confirmed

    def _custom_packagers(self, specs: Sequence[CustomPackagerSpec]) -> list[tuple[str, Any, int | None]]:
        found: list[tuple[str, Any, int | None]] = []
        for spec in specs:
            try:
                found.append((spec.packager, import_dotted(spec.packager), spec.priority))
            except Exception as error:
                message = f"custom packager {spec.packager!r} of project {self.name!r} failed to load: {type(error).__name__}: {error}"
                if spec.is_mandatory:
                    raise PluginLoadError(message + "; it is mandatory, so the handler did not run") from error
                warnings.warn(message + "; it is optional, so runs go on without it", UserWarning, stacklevel=4)
        return found

    def scope(self, allow_pickle: bool | None = None) -> Scope:
        """What this project's work sees: its store, its host, and the pickle permissions.

        ``allow_pickle`` is the caller's opt-in; None falls back to ``SATCHEL_ALLOW_PICKLE`` and
        the caller's settings — never to the store's config alone.
        """
        policy = self.config.pickle_policy
        if allow_pickle is None:
            allow_pickle = _env_allows_pickle() or load_settings().allows_pickle(self.name)
        return Scope(self.name, self.store, self.host, allow_pickle=allow_pickle, forbid_pickle=policy == "forbid")

    # -- Runs -------------------------------------------------------------------------------------

    def run(
        self,
        handler: Callable[..., Any] | str | Function | None = None,
        params: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        returns: Sequence[str | Mapping[str, Any] | LogHint] | None = None,
        name: str | None = None,
        *,
        arguments: Mapping[str, Any] | None = None,
        allow_pickle: bool | None = None,
        raise_on_failure: bool = True,
        executor: object = None,
        retries: int = 0,
    ) -> Run:
        """Run ``handler``: inputs (store URIs or local paths) arrive as objects of its type hints,
        params are converted to them, its return value is packed by the ``returns`` log hints, and
        the run is recorded.

        ``handler`` may also name one of the project's functions (or be a `Function`); with no
        handler, ``name`` names one of its workflows, run with ``arguments`` (as ``run_workflow``).

        ``executor`` runs it on a Dask cluster instead (a ``distributed.Client``, or a scheduler
        address such as ``tcp://scheduler:8786``; see `satchel.cluster`): the worker imports the
        handler by name, writes to this store and catalog, and the Run is read back from them.
        ``retries`` is how many more attempts a run gets when its worker dies.

        A failing handler raises :class:`~satchel.errors.RunError` after its record, error and
        traceback are saved (``raise_on_failure=False`` returns the failed Run instead).
        """
        if executor is not None:
            if handler is None:
                raise CodeError("a workflow runs here, its steps wherever they say; give executor= to the runs in it")
            (run,) = self.map(handler, [params or {}], inputs=inputs, returns=returns, name=name, allow_pickle=allow_pickle,
                              raise_on_failure=raise_on_failure, executor=executor, retries=retries)
            return run
        if isinstance(handler, Function):
            return handler.run(params, inputs, returns, name, allow_pickle=allow_pickle, raise_on_failure=raise_on_failure)
        if handler is None:
            if name is None or name not in self.config.workflows:
                raise CodeError(
                    f"project {self.name!r}: pass a handler to run, or name= one of its workflows "
                    f"({', '.join(sorted(self.config.workflows)) or 'none set: project.set_workflow()'})"
                )
            return self.run_workflow(name, arguments, allow_pickle=allow_pickle, raise_on_failure=raise_on_failure)
        if isinstance(handler, str):
            return self.get_function(handler).run(
                params, inputs, returns, name, allow_pickle=allow_pickle, raise_on_failure=raise_on_failure
            )
        if arguments is not None:
            raise CodeError("arguments= are a workflow's; a handler takes params= and inputs=")
        run, _returned = self._execute(handler, params, inputs, returns, name, allow_pickle, raise_on_failure)
        return run

    def map(
        self,
        handler: Callable[..., Any] | str | Function,
        params: Sequence[Mapping[str, Any]],
        *,
        inputs: Mapping[str, Any] | None = None,
        returns: Sequence[str | Mapping[str, Any] | LogHint] | None = None,
        name: str | None = None,
        allow_pickle: bool | None = None,
        raise_on_failure: bool = True,
        executor: object = None,
        retries: int = 0,
    ) -> list[Run]:
        """One run of ``handler`` per item of ``params`` (each with the same ``inputs`` and ``returns``),
        all at once on a Dask cluster when ``executor`` is given (see :meth:`run`), else one after
        another here. Returns the Runs in the order of ``params``, once every run has ended; with
        ``raise_on_failure`` a RunError then names the failed ones (their records are kept)."""
        if isinstance(params, Mapping) or not all(isinstance(item, Mapping) for item in params):
            raise CodeError("map takes a list of params dicts, one per run, e.g. [{'n': 1}, {'n': 2}]")
        retries = check_retries(retries)
        if executor is None:
            runs = [self.run(handler, item, inputs, returns, name, allow_pickle=allow_pickle, raise_on_failure=False)
                    for item in params]
        else:
            runs = self._map_on_cluster(handler, params, inputs, returns, name, allow_pickle, executor, retries)
        failed = [run for run in runs if run.status != "completed"]
        if failed and raise_on_failure:
            first = failed[0]
            raise RunError(
                f"{len(failed)} of {len(runs)} runs failed; the first, {first.record.name} ({first.uid}): {first.error}; "
                f"their records and tracebacks are kept: satchel runs show {first.uid}"
            )
        return runs

    def _map_on_cluster(
        self, handler: Callable[..., Any] | str | Function, params: Sequence[Mapping[str, Any]],
        inputs: Mapping[str, Any] | None, returns: Sequence[str | Mapping[str, Any] | LogHint] | None,
        name: str | None, allow_pickle: bool | None, executor: object, retries: int,
    ) -> list[Run]:
        if self.store.url.startswith("memory://"):
            raise CodeError(f"runs on a cluster write from other processes, which cannot see the memory store {self.store.url}; "
                            "use a store on disk or object storage")
        scope = self.scope(allow_pickle)
        target: dict[str, Any] = {"function": None}
        if isinstance(handler, str):
            handler = self.get_function(handler)
        if isinstance(handler, Function):
            # The code is resolved (and checked against the caller's trust) here, once, and pinned
            # to the exact version, so every run of the map runs the same code.
            resolved = handler.resolve(scope, load=False)
            source = resolved.code.get("uri", handler.source)
            target = {"function": {"name": handler.name, "source": source, "handler": handler.handler,
                                   "requirements": list(resolved.requirements)},
                      "handler": handler.handler, "name": name or handler.name}
        else:
            inner = getattr(handler, "__satchel_handler__", handler)
            target["handler"] = handler_reference(handler)
            target["name"] = name or _clean_name(getattr(inner, "__name__", "run"))
            if returns is None:
                returns = getattr(handler, "__satchel_returns__", None)
        validate_name(target["name"], "run name")
        hints = None if returns is None else [str(parse_log_hint(h)) for h in returns]
        base = {
            "store": self.store.url, "catalog": self.store.catalog, "project": self.name,
            "returns": hints, "inputs": {k: _reference(v) for k, v in (inputs or {}).items()},
            "allow_pickle": scope.allow_pickle, "attempts": retries + 1, "workflow": current_workflow(),
            "packagers": [spec["packager"] for spec in self._confirmed_packager_names()], **target,
        }
        requests = [{**base, "uid": new_uid(), "params": dict(item)} for item in params]
        run_on_cluster(executor, _open_for_run, self.store, requests)
        return [self.get_run(request["uid"]) for request in requests]

    def _execute(
        self, handler: Callable[..., Any], params: Mapping[str, Any] | None, inputs: Mapping[str, Any] | None,
        returns: Sequence[str | Mapping[str, Any] | LogHint] | None, name: str | None,
        allow_pickle: bool | None, raise_on_failure: bool = True,
    ) -> tuple[Run, Any]:
        not_started: PluginLoadError | None = None
        try:
            scope = self.scope(allow_pickle)
        except PluginLoadError as error:
            # Recorded as a failed run; the handler does not run.
            scope = self._core_scope()
            not_started = error
        return execute(
            scope, handler, params=params, inputs=inputs, returns=returns, name=name,
            raise_on_failure=raise_on_failure, not_started=not_started,
        )

    def _core_scope(self) -> Scope:
        """A scope without the custom packagers, for reading when a mandatory one fails to load."""
        return Scope(self.name, self.store, get_host(), forbid_pickle=self.config.pickle_policy == "forbid")

    def _reading_scope(self) -> Scope:
        try:
            return self.scope()
        except PluginLoadError:
            return self._core_scope()

    def get_run(self, uid: str) -> Run:
        """A run by uid; a record the store holds in a bad shape is a StoreError naming it."""
        data = self.store.get_run(self.name, uid)
        return Run(self._reading_scope(), load_run_record(data, f"run {uid} of project {self.name!r}"))

    def list_runs(self, limit: int | None = None) -> list[Run]:
        """The project's runs, newest first; a record in a bad shape is skipped with a warning."""
        scope = self._reading_scope()
        runs: list[Run] = []
        for data in self.store.list_runs(self.name, limit=limit):
            uid = data.get("uid") if isinstance(data, dict) else None
            try:
                runs.append(Run(scope, load_run_record(data, f"run {uid!r} of project {self.name!r}")))
            except StoreError as error:
                warnings.warn(f"{error}; it is left out of the list (satchel verify)", RuntimeWarning, stacklevel=2)
        return runs

    # -- Code, functions and workflows ------------------------------------------------------------

    def log_code_file(
        self,
        key: str,
        local_path: str | os.PathLike[str] | None = None,
        *,
        body: bytes | str | None = None,
        file_name: str | None = None,
        target_path: str | None = None,
        code_type: str = "function",
        requirements: Sequence[str] | None = None,
        language: str | None = None,
        labels: Mapping[str, str] | None = None,
        tags: Sequence[str] = ("latest",),
    ) -> StoredArtifact:
        """Store code as a versioned ``code`` artifact, ``store://code/<project>/<key>``.

        ``local_path`` is a ``.py`` file, a ``.ipynb`` notebook (its code cells become the module),
        a ``.zip``/``.tar.gz``/``.tgz`` archive or a folder (stored as a zip); ``body`` is a small
        file's code itself, its module named by ``file_name`` or the key. ``target_path`` (any fsspec
        URL) also copies the code there, or, given alone, references the object already there (its
        sha256 is checked whenever the code runs). ``requirements`` are pip requirement strings.
        """
        record = log_code(
            self.store, self.name, key, local_path, body=body, file_name=file_name, target_path=target_path,
            code_type=code_type, requirements=requirements, language=language, labels=labels, tags=tags,
        )
        return StoredArtifact(self, record)

    def list_code(self, *, code_type: str | None = None) -> list[StoredArtifact]:
        """The project's code artifacts (latest first), optionally only functions or workflows."""
        found = self.list_artifacts(kind="code")
        return [a for a in found if code_type is None or a.record.extra.get("code_type", "function") == code_type]

    def set_function(
        self,
        func: str | os.PathLike[str],
        name: str | None = None,
        handler: str | None = None,
        requirements: Sequence[str] | None = None,
        kind: str = "job",
    ) -> Function:
        """Save a function of this project: ``func`` is a ``store://code/...`` URI (``handler`` is
        then ``"<module>:<function>"``), a local ``.py`` file or an importable module (``handler``
        the function's name). Returns the Function; ``project.get_function(name)`` finds it again."""
        what = f"function {name!r}" if name else "set_function"
        source = normalize_source(func, what)
        if handler is None or not str(handler).strip():
            raise CodeError(f"{what}: pass handler=, e.g. handler='trainer:main' (a file of the code and a function in it)")
        handler = str(handler).strip()
        parsed = parse_requirements(requirements, f"{what}: requirements")
        kind_of_source = source_kind(source)
        if kind_of_source == "store":
            module, _function = split_handler(handler, what)
            record = self.store.get_artifact(parse_uri(source))
            check_code_record(record, "function", what)
            tree = code_tree(self.store, record)
            if module.partition(".")[0] not in tree.modules:
                raise CodeError(
                    f"{what}: handler {handler!r} names module {module!r}, which {record.uri} does not hold; "
                    f"it holds: {', '.join(tree.modules)}"
                )
            default_name = record.key
        else:
            confirm(self.store.url, self.name, source)
            default_name = os.path.splitext(os.path.basename(source))[0] if kind_of_source == "file" else source.rpartition(".")[2]
        function_name = validate_name(name or _clean_name(default_name), "function name")
        spec = FunctionSpec(name=function_name, source=source, handler=handler, requirements=parsed, kind=kind)
        self._save_function(spec)
        return Function(self, spec)

    def _save_function(self, spec: FunctionSpec) -> None:
        self.config.functions[spec.name] = spec
        self.save_config()

    def get_function(self, name: str) -> Function:
        """A function set before (in this process or another); KeyError listing them if there is none."""
        spec = self.config.functions.get(name)
        if spec is None:
            raise KeyError(f"project {self.name!r} has no function {name!r}; it has: {', '.join(sorted(self.config.functions)) or 'none (project.set_function())'}")
        return Function(self, spec)

    def list_functions(self) -> list[Function]:
        return [Function(self, spec) for _name, spec in sorted(self.config.functions.items())]

    def remove_function(self, name: str) -> None:
        self.get_function(name)
        del self.config.functions[name]
        self.save_config()

    def run_function(
        self,
        function: str | Function,
        params: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        returns: Sequence[str | Mapping[str, Any] | LogHint] | None = None,
        name: str | None = None,
        **options: Any,
    ) -> Run:
        """Run one of the project's functions by name (what a workflow's steps call)."""
        target = function if isinstance(function, Function) else self.get_function(function)
        return target.run(params, inputs, returns, name, **options)

    def set_workflow(
        self, name: str, workflow_path: str | os.PathLike[str], handler: str | None = None,
        arguments: Mapping[str, Any] | None = None,
    ) -> WorkflowSpec:
        """Save a workflow: code (a ``store://`` workflow code artifact, a file or a module) whose
        ``handler`` (default ``workflow``) receives the project and the arguments and runs its functions."""
        what = f"workflow {name!r}"
        validate_name(name, "workflow name")
        source = normalize_source(workflow_path, what)
        handler = (handler or "workflow").strip()
        if source_kind(source) == "store":
            record = self.store.get_artifact(parse_uri(source))
            check_code_record(record, "workflow", what)
            tree = code_tree(self.store, record)
            handler = _workflow_handler(handler, tree.modules, what)
        else:
            confirm(self.store.url, self.name, source)
        spec = WorkflowSpec(name=name, source=source, handler=handler, arguments=dict(arguments or {}))
        self.config.workflows[name] = spec
        self.save_config()
        return spec

    def list_workflows(self) -> list[WorkflowSpec]:
        return [spec for _name, spec in sorted(self.config.workflows.items())]

    def run_workflow(
        self, name: str, arguments: Mapping[str, Any] | None = None, *, allow_pickle: bool | None = None,
        raise_on_failure: bool = True,
    ) -> Run:
        """Run a workflow on the local engine: its handler gets this project and the arguments, and
        each run it makes is recorded as one of its steps; a failing step fails the workflow."""
        spec = self.config.workflows.get(name)
        if spec is None:
            raise KeyError(f"project {self.name!r} has no workflow {name!r}; it has: {', '.join(sorted(self.config.workflows)) or 'none (project.set_workflow())'}")
        what = f"workflow {name!r}"
        scope = self.scope(allow_pickle)
        check_trusted(scope.store.url, scope.project, spec.source, what)
        resolved = resolve(scope, spec.source, spec.handler, [], "workflow", what, load=False)
        require(resolved.requirements, what)
        handler = workflow_handler(resolved, self, what)
        with resolved.active():
            run, _returned = execute(
                scope, handler, params={**spec.arguments, **(arguments or {})}, inputs=None,
                returns=None, name=name, raise_on_failure=raise_on_failure, handler=spec.handler, kind="workflow",
                code=resolved.code,
            )
        return run

    def export(self, path: str | os.PathLike[str]) -> str:
        """Write the project's spec (config, functions, workflows) to ``path``: a ``.zip`` embeds
        the code of every function and workflow (references rewritten to paths inside the zip);
        a ``.yaml``/``.yml`` keeps ``store://`` URIs as they are. Returns the path written."""
        return export_project(self, path)

    def _confirmed_packager_names(self) -> list[dict[str, Any]]:
        """The custom packagers this caller confirmed, for a run in another process."""
        return [attrs.asdict(spec) for spec in self._confirmed_packagers(load_settings())]

    # -- Artifacts --------------------------------------------------------------------------------

    def get_artifact(self, ref: str) -> StoredArtifact:
        """An artifact by ``store://`` URI, or by key in this project (its ``latest`` version)."""
        uri = ref if is_store_uri(ref) else f"store://artifacts/{self.name}/{ref}"
        return StoredArtifact(self, self.store.get_artifact(uri))

    def list_artifacts(self, *, key: str | None = None, kind: str | None = None, tag: str | None = None, limit: int | None = None) -> list[StoredArtifact]:
        return [StoredArtifact(self, r) for r in self.store.list_artifacts(self.name, key=key, kind=kind, tag=tag, limit=limit)]

    def log_model(
        self,
        key: str,
        model: Any,
        *,
        input_example: Any = None,
        signature: ModelSignature | Mapping[str, Any] | None = None,
        requirements: Sequence[str] | None = None,
        card: str | Mapping[str, str] | None = None,
        metrics: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
        code_paths: Sequence[str | os.PathLike[str]] | None = None,
        format: str | None = None,  # noqa: A002 - the log hint option's name
        options: Mapping[str, Any] | None = None,
        version: str | None = None,
        tags: Sequence[str] = ("latest",),
    ) -> StoredArtifact:
        """Store ``model`` as a model package, ``store://models/<project>/<key>``: its files, pinned
        requirements, ``predict.py``, a signature (given, or inferred from ``input_example`` and the
        output the model gives for it), the examples, a model card (with ``card=`` text for its
        intended use and limitations, ``metrics`` and ``params``) and a manifest of every file's
        digest. ``format`` picks the framework packager's format (e.g. ``'skops'``, ``'onnx'``);
        ``options`` are its other packing options (as in ``"key : model[tolerance=1e-5]"``)."""
        validate_name(key, "key")
        given = dict(options or {})
        if format:
            given["format"] = format
        hint = parse_log_hint({"key": key, "artifact_type": "model", **given})
        request = ModelRequest(
            input_example=input_example, signature=signature, requirements=requirements, card=card,
            metrics=dict(metrics or {}), params=dict(params or {}), code_paths=tuple(code_paths or ()), version=version,
        )
        with model_request(request):
            (packed,) = pack_for(self.scope(), model, hint)
        if packed.artifact is None or packed.artifact.kind != "model":
            raise PackingError(
                f"the packager that took a {type(model).__name__} ({packed.producer.plugin}) did not make a model "
                "package; install the framework's plugin (e.g. pip install satchel-sklearn)"
            )
        packed.artifact.labels.update(labels or {})
        return StoredArtifact(self, log_packed(self.store, self.name, packed, tags=tags))

    def load_model(
        self, ref: str, *, allow_pickle: bool | None = None, trusted_types: Sequence[str] | None = None
    ) -> LoadedModel:
        """A model package of this project by key or URI, every file verified before the framework's
        loader reads any. ``trusted_types`` are the caller's explicit trust for types a secure format
        (skops) does not trust by default; ``allow_pickle`` the opt-in a pickle or joblib package needs."""
        if isinstance(trusted_types, str):
            raise UnpackingError(f"trusted_types must be a list of type names, e.g. [{trusted_types!r}], not one string")
        uri = ref if is_store_uri(ref) else f"store://models/{self.name}/{ref}"
        scope = self.scope(allow_pickle)
        record = scope.store.get_artifact(uri)
        if record.kind != "model":
            raise UnpackingError(f"{record.uri} is a {record.kind} artifact, not a model package; load it with project.get_artifact(uri).unpack()")
        with loading_options(trusted_types=tuple(trusted_types or ())):
            loaded = unpack_record(scope.store, record, LoadedModel, allow_pickle=scope.allow_pickle, host=scope.host)
        if not isinstance(loaded, LoadedModel):
            raise UnpackingError(f"{record.uri}: its packager gave a {type(loaded).__name__}, not a LoadedModel")
        return loaded

    def log(self, obj: Any, hint: str | Mapping[str, Any] | LogHint, *, tags: Sequence[str] = ("latest",)) -> StoredArtifact | Any:
        """Pack ``obj`` by its log hint and store it outside a run; a result is returned as its value."""
        parsed = parse_log_hint(hint)
        if parsed.unbundle:
            raise SatchelError(f"log hint {str(parsed)!r} unbundles into several artifacts; log each item, or use a run")
        (packed,) = pack_for(self.scope(), obj, parsed)
        if packed.is_result:
            return packed.value
        return StoredArtifact(self, log_packed(self.store, self.name, packed, tags=tags))


def load_model(
    uri: str,
    *,
    store: Store | str | os.PathLike[str] | None = None,
    allow_pickle: bool | None = None,
    trusted_types: Sequence[str] | None = None,
) -> LoadedModel:
    """The model package ``uri`` names (``store://models/<project>/<key>``), every file verified
    before the framework's loader reads any; see :meth:`Project.load_model`."""
    parsed = parse_uri(uri)
    project = get_or_create_project(parsed.project, store)
    return project.load_model(uri, allow_pickle=allow_pickle, trusted_types=trusted_types)


def load_project(
    path: str | os.PathLike[str], store: Store | str | os.PathLike[str] | None = None, *, name: str | None = None
) -> Project:
    """The project a ``.zip`` or ``.yaml``/``.yml`` export describes, saved into ``store`` under
    ``name`` (default: the file's); see :mod:`satchel.projectfiles` for both forms and the trust rules."""
    project = load_project_file(get_or_create_project, path, store, name=name)
    assert isinstance(project, Project)
    return project


def _open_for_run(request: Mapping[str, Any]) -> Project:
    """On a worker: the project a cluster run writes to, with the custom packagers the caller
    confirmed (the caller's permission, carried by its request; never the store's)."""
    key = (request["store"], request["catalog"])
    if key not in _open_stores:
        _open_stores[key] = Store(request["store"], catalog=request["catalog"])
    project = Project(request["project"], _open_stores[key])
    for packager in request.get("packagers", ()):
        _confirmed.add((project.store.url, project.name, packager))
    return project


def _reference(value: Any) -> Any:
    """An input as a worker can find it: a store:// URI as it is, a local path made absolute."""
    if isinstance(value, (list, tuple)):
        return [_reference(v) for v in value]
    if isinstance(value, os.PathLike) or (isinstance(value, str) and not is_store_uri(value)):
        return os.path.abspath(os.fspath(value))
    return value


def _clean_name(raw: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-." else "-" for c in raw.lower()).strip("-._")
    return cleaned or "function"


def _workflow_handler(handler: str, modules: Sequence[str], what: str) -> str:
    """``"workflow"`` -> ``"<the one module>:workflow"``; ``"module:function"`` as it is."""
    if ":" in handler:
        return handler
    if len(modules) != 1:
        raise CodeError(f"{what}: the code holds modules {', '.join(modules)}; name the handler as '<module>:{handler}'")
    return f"{modules[0]}:{handler}"


class UntrustedConfigWarning(UserWarning):
    """A project's stored config asks for something only the caller can allow; it was not done."""


def _env_allows_pickle() -> bool:
    return os.environ.get(ALLOW_PICKLE_ENV, "").lower() in ("1", "true", "yes")


def handler(
    returns: Sequence[str | Mapping[str, Any]] | None = None, *, project: str | None = None, name: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make plain calls of a function runs: inputs given as ``store://`` URIs arrive unpacked, the
    outputs are packed by ``returns`` and recorded. The call returns what the function returned;
    ``fn.last_run`` is the :class:`Run`."""
    hints = [str(parse_log_hint(h)) for h in (returns or [])]

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = inspect.signature(function).bind(*args, **kwargs)
            inputs = {k: v for k, v in bound.arguments.items() if _has_store_uri(v)}
            params = {k: v for k, v in bound.arguments.items() if k not in inputs}
            target = get_or_create_project(project or os.environ.get("SATCHEL_PROJECT", "default"))
            run, returned = target._execute(function, params, inputs, hints, name, None)
            wrapper.last_run = run  # type: ignore[attr-defined]
            return returned

        wrapper.__satchel_returns__ = hints  # type: ignore[attr-defined]
        wrapper.__satchel_handler__ = function  # type: ignore[attr-defined]
        wrapper.last_run = None  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _has_store_uri(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_has_store_uri(v) for v in value)
    if isinstance(value, Mapping):
        return bool(value) and all(_has_store_uri(v) for v in value.values())
    return is_store_uri(value)
