"""A project's functions and workflows: code (a ``store://`` code artifact, a local file or an
importable module) and a handler in it, saved in the project's config and run like ``project.run``.

A function's code is resolved when it runs, not when it is set: ``store://code/p/k`` means the
version tagged ``latest`` at that moment, so a code-only change is picked up by the next run, and
the run record names the exact version (uri with uid, and content digest) that ran.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import attrs

from satchel.artifacts import ArtifactRecord
from satchel.code.cache import code_tree
from satchel.code.loader import CodeTree, activated, find_handler, load_handler, split_handler
from satchel.code.requirements import merge_requirements, parse_requirements, require
from satchel.errors import ArtifactNotFoundError, CodeError, RunError
from satchel.loghints import LogHint, parse_log_hint
from satchel.packagers.base import is_json_value
from satchel.projectconfig import FunctionSpec, WorkflowSpec
from satchel.runs import Run, current_workflow, execute, note_step
from satchel.scope import Scope
from satchel.settings import load_settings
from satchel.store.uids import new_uid
from satchel.uri import is_store_uri, parse_uri


class FunctionOwner(Protocol):
    """What a Function needs of the project it belongs to (satchel.project.Project is one)."""

    def scope(self, allow_pickle: bool | None = None) -> Scope: ...

    def _reading_scope(self) -> Scope: ...

    def _save_function(self, spec: FunctionSpec) -> None: ...

    def get_run(self, uid: str) -> Run: ...

    def _confirmed_packager_names(self) -> list[dict[str, Any]]: ...

__all__ = [
    "ENVIRONMENTS",
    "Function",
    "FunctionOwner",
    "FunctionSpec",
    "Resolved",
    "WorkflowSpec",
    "check_code_record",
    "check_trusted",
    "confirm",
    "normalize_source",
    "resolve",
    "source_kind",
    "workflow_handler",
]

logger = logging.getLogger("satchel.code")
ENVIRONMENTS = ("local", "isolated")
#: (store url, project, source) of local sources set by this process's own calls.
_confirmed: set[tuple[str, str, str]] = set()


def source_kind(source: str) -> str:
    """``"store"`` for a ``store://`` URI, ``"file"`` for a path to a ``.py`` file, else ``"module"``."""
    if is_store_uri(source):
        return "store"
    if source.endswith(".py") or "/" in source or os.sep in source:
        return "file"
    return "module"


def normalize_source(source: str | os.PathLike[str], what: str) -> str:
    """The source as it is saved: a URI as given, a file as an absolute path, a module as named."""
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str) or not source.strip():
        raise CodeError(f"{what}: the code must be a store://code/... URI, a .py file or a module name, not {source!r}")
    source = source.strip()
    kind = source_kind(source)
    if kind == "store":
        parse_uri(source)
        return source
    if kind == "file":
        full = os.path.abspath(source)
        if not os.path.isfile(full):
            raise CodeError(f"{what}: no such file {source!r}; pass an existing .py file, a module name or a store://code/... URI")
        return full
    if not all(part.isidentifier() for part in source.split(".")):
        raise CodeError(f"{what}: {source!r} is neither a file, a module name nor a store:// URI")
    return source


def check_code_record(record: ArtifactRecord, role: str, what: str) -> None:
    """Refuse an artifact that is not code, or code of the other type (a workflow used as a function)."""
    if record.kind != "code":
        raise CodeError(f"{what}: {record.uri} is a {record.kind} artifact, not code; log the code with project.log_code_file()")
    code_type = record.extra.get("code_type", "function")
    if code_type != role:
        setter = "set_workflow" if code_type == "workflow" else "set_function"
        raise CodeError(
            f"{what}: {record.uri} is a {code_type} code artifact (code_type={code_type!r}), not a {role}; "
            f"use it with project.{setter}(), or log the code with code_type={role!r}"
        )


def confirm(store_url: str, project: str, source: str) -> None:
    """Note that this process's caller set ``source`` itself."""
    _confirmed.add((store_url, project, source))


def check_trusted(store_url: str, project: str, source: str, what: str) -> None:
    """A local file or module named only by the stored config runs only when the caller trusts it."""
    if source_kind(source) == "store" or (store_url, project, source) in _confirmed:
        return
    settings = load_settings()
    if settings.trusts_code(project, source):
        return
    raise CodeError(
        f"{what} runs {source!r} from this machine, as the project's stored config says; the store cannot "
        f"decide what local code runs. If you trust it, add it to trusted_code under [projects.{project}] in "
        f"{settings.where()}, or set the function again in this process"
    )


@attrs.frozen
class Resolved:
    """A function ready to call: the callable, the tree to activate around it, what the run records."""

    function: Callable[..., Any] | None
    tree: CodeTree | None
    code: dict[str, Any]
    requirements: list[str]
    record: ArtifactRecord | None = None

    def load(self, what: str) -> Callable[..., Any]:
        """The handler, imported now if it was resolved without loading."""
        if self.function is not None:
            return self.function
        source, handler = self.code["source"], self.code["handler"]
        if self.tree is not None:
            return _load(self.tree, handler if ":" in handler or self.record is not None else f"{self.tree.modules[0]}:{handler}", what)
        try:
            return load_handler(f"{source}:{handler.rpartition(':')[2]}")
        except ImportError as error:
            raise CodeError(f"{what}: {error}") from error

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        if self.tree is None:
            yield
        else:
            with activated(self.tree):
                yield


def _store_record(scope: Scope, source: str, role: str, what: str) -> ArtifactRecord:
    uri = parse_uri(source)
    if uri.kind not in ("code", "artifacts"):
        raise CodeError(f"{what}: {source} is not code; a code artifact's URI is store://code/<project>/<key>")
    try:
        record = scope.store.get_artifact(uri)
    except ArtifactNotFoundError as error:
        raise CodeError(f"{what}: {error}") from error
    check_code_record(record, role, what)
    return record


def resolve(
    scope: Scope, source: str, handler: str, requirements: Sequence[str], role: str, what: str, *, load: bool = True
) -> Resolved:
    """Fetch and verify the code ``source`` names, and (with ``load``) import it and find ``handler``.

    Without ``load`` nothing from the code is imported (an isolated run imports it in its own
    environment); a store artifact's handler is still checked against the modules it holds.
    """
    kind = source_kind(source)
    if kind == "store":
        record = _store_record(scope, source, role, what)
        tree = code_tree(scope.store, record)
        merged = merge_requirements(list(requirements), list(record.extra.get("requirements") or []))
        module, _function = split_handler(handler, what)
        if module.partition(".")[0] not in tree.modules:
            raise CodeError(
                f"{what}: handler {handler!r} names module {module!r}, which {tree.label} does not hold; "
                f"it holds: {', '.join(tree.modules) or 'no Python modules'}"
            )
        function = _load(tree, handler, what) if load else None
        code = {
            "source": source, "uri": record.uri, "uid": record.uid, "handler": handler,
            "digest": tree.digest, "code_type": record.extra.get("code_type", "function"),
        }
        return Resolved(function, tree, code, merged, record)
    if kind == "file":
        if not os.path.isfile(source):
            raise CodeError(f"{what}: the file {source!r} no longer exists")
        with open(source, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        stem = os.path.splitext(os.path.basename(source))[0]
        module, _sep, function_name = handler.rpartition(":")
        if module and module != stem:
            raise CodeError(f"{what}: handler {handler!r} names module {module!r}, but the file is {stem}.py; write {stem}:{function_name}")
        tree = CodeTree(root=os.path.dirname(source), digest=f"file:{digest}", modules=(stem,), label=f"file {source}")
        function = _load(tree, f"{stem}:{function_name}", what) if load else None
        code = {"source": source, "handler": handler, "digest": f"sha256:{digest}"}
        return Resolved(function, tree, code, list(requirements))
    module, _sep, function_name = handler.rpartition(":")
    if module and module != source:
        raise CodeError(f"{what}: handler {handler!r} names module {module!r}, but the function's code is module {source!r}")
    function = None
    if load:
        try:
            function = load_handler(f"{source}:{function_name}")
        except ImportError as error:
            raise CodeError(f"{what}: {error}") from error
    return Resolved(function, None, {"source": source, "handler": handler}, list(requirements))


def _load(tree: CodeTree, handler: str, what: str) -> Callable[..., Any]:
    with activated(tree):
        return find_handler(tree, handler, what)


class Function:
    """A project's function: ``run()`` it like ``project.run``; ``with_requirements()`` adds requirements."""

    def __init__(self, project: FunctionOwner, spec: FunctionSpec) -> None:
        self.project = project
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def source(self) -> str:
        return self.spec.source

    @property
    def handler(self) -> str:
        return self.spec.handler

    @property
    def requirements(self) -> list[str]:
        return list(self.spec.requirements)

    def __repr__(self) -> str:
        return f"<Function {self.name} {self.source} {self.handler}>"

    def with_requirements(self, requirements: Sequence[str], *, overwrite: bool = False) -> Function:
        """Add ``requirements`` (or, with ``overwrite``, replace them); they win over the code
        artifact's own. Saved in the project's config; returns the function."""
        parsed = parse_requirements(requirements, f"function {self.name!r}: requirements")
        self.spec.requirements = parsed if overwrite else merge_requirements(parsed, self.spec.requirements)
        self.project._save_function(self.spec)
        return self

    def resolve(self, scope: Scope | None = None, *, load: bool = True) -> Resolved:
        """The code as it would run now (fetched and verified; imported unless ``load`` is False),
        without running it."""
        scope = scope or self.project._reading_scope()
        check_trusted(scope.store.url, scope.project, self.spec.source, f"function {self.name!r}")
        return resolve(
            scope, self.spec.source, self.spec.handler, self.spec.requirements, "function", f"function {self.name!r}", load=load
        )

    def run(
        self,
        params: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        returns: Sequence[str | Mapping[str, Any] | LogHint] | None = None,
        name: str | None = None,
        *,
        env: str = "local",
        allow_pickle: bool | None = None,
        raise_on_failure: bool = True,
        announce: Callable[[str], None] | None = None,
    ) -> Run:
        """Run the function as ``project.run`` would, with its code resolved now.

        ``env="local"`` runs it here, after checking its requirements against this environment (a
        missing or mismatching one is a RequirementsError listing each). ``env="isolated"`` runs it
        in a virtual environment built with uv for exactly its requirements (made once per set and
        reused), writing to the same store; ``announce`` is told what was built or reused.
        """
        if env not in ENVIRONMENTS:
            raise CodeError(f"function {self.name!r}: env {env!r} is not one of {', '.join(ENVIRONMENTS)}")
        scope = self.project.scope(allow_pickle)
        say = announce or logger.info
        if env == "isolated":
            resolved = self.resolve(scope, load=False)
            return self._run_isolated(scope, resolved, params, inputs, returns, name, raise_on_failure, say)
        resolved = self.resolve(scope, load=False)
        # Requirements are checked before anything from the code is imported.
        require(resolved.requirements, f"function {self.name!r}")
        function = resolved.load(f"function {self.name!r}")
        with resolved.active():
            run, _returned = execute(
                scope, function, params=params, inputs=inputs, returns=returns, name=name or self.name,
                raise_on_failure=raise_on_failure, handler=self.spec.handler, code=resolved.code,
                environment={"kind": "local", "requirements": resolved.requirements},
            )
        return run

    def _run_isolated(
        self, scope: Scope, resolved: Resolved, params: Mapping[str, Any] | None, inputs: Mapping[str, Any] | None,
        returns: Sequence[str | Mapping[str, Any] | LogHint] | None, name: str | None, raise_on_failure: bool,
        say: Callable[[str], None],
    ) -> Run:
        from satchel.code.environments import ensure_environment

        what = f"function {self.name!r}"
        if scope.store.url.startswith("memory://"):
            raise CodeError(f"{what}: an isolated run writes from another process, which cannot see the memory store {scope.store.url}; use a store on disk or object storage")
        for key, value in (params or {}).items():
            if not is_json_value(value):
                raise CodeError(f"{what}: an isolated run takes JSON params; {key!r} is a {type(value).__name__}. Pass it as an input (a store:// URI) instead")
        for key, value in (inputs or {}).items():
            if not _is_reference(value):
                raise CodeError(f"{what}: an isolated run takes inputs as store:// URIs or paths; {key!r} is a {type(value).__name__}")
        environment = ensure_environment(resolved.requirements, announce=say)
        uid = new_uid()
        source = resolved.code.get("uri", self.spec.source)  # the exact version resolved here
        request = {
            "store": scope.store.url, "project": scope.project, "uid": uid, "name": name or self.name,
            "function": attrs.asdict(FunctionSpec(name=self.name, source=source, handler=self.spec.handler, requirements=resolved.requirements)),
            "params": dict(params or {}), "inputs": {k: _reference(v) for k, v in (inputs or {}).items()},
            "returns": [str(parse_log_hint(h)) for h in returns] if returns is not None else None,
            "allow_pickle": scope.allow_pickle, "workflow": current_workflow(),
            "environment": {"kind": "isolated", "key": environment.key, "path": environment.path, "requirements": list(environment.requirements), "built": environment.built},
            "packagers": self.project._confirmed_packager_names(),
        }
        say(f"running {self.name} ({self.spec.handler}) in the isolated environment {environment.key[:12]} at {environment.path}")
        completed = environment.run_module("satchel.isolated", [json.dumps(request)], cwd=os.getcwd())
        note_step(uid)
        try:
            run = self.project.get_run(uid)
        except Exception as error:
            raise RunError(
                f"{what}: the isolated run ({uid}) did not record itself (exit status {completed.returncode}); "
                f"its output:\n{_tail(completed.stderr or completed.stdout)}"
            ) from error
        if run.status != "completed" and raise_on_failure:
            raise RunError(f"run {run.record.name} ({uid}) failed: {run.error}; its record and traceback are kept: satchel runs show {uid}")
        return run


def _is_reference(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_reference(v) for v in value)
    return isinstance(value, (str, os.PathLike))


def _reference(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_reference(v) for v in value]
    text = os.fspath(value)
    return text if is_store_uri(text) else os.path.abspath(text)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def workflow_handler(resolved: Resolved, project: object, what: str) -> Callable[..., Any]:
    """The workflow's function with the project given as its first argument."""
    return functools.partial(resolved.load(what), project)

