"""Runs: execute a handler within a project's scope — inputs unpacked by its type hints, params
converted to them, outputs packed by log hints — and record what happened."""

from __future__ import annotations

import contextvars
import datetime as dt
import inspect
import os
import platform
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from satchel._version import __version__
from satchel.artifacts import Producer
from satchel.errors import PackingError, RunError, StoreError
from satchel.inputs import resolve_inputs
from satchel.loghints import LogHint, parse_log_hint
from satchel.models.package import ModelRequest, current_request, has_request, model_request
from satchel.names import validate_name
from satchel.packagers.base import is_json_value
from satchel.packing import log_packed, pack_for
from satchel.scope import Scope
from satchel.serde import converter
from satchel.signatures import check_arguments, convert_params, handler_name
from satchel.store.uids import new_uid
from satchel.unpacking import unpack_record

__all__ = ["ResultMeta", "Run", "RunRecord", "current_workflow", "execute", "load_run_record", "note_step"]


@attrs.define(kw_only=True)
class ResultMeta:
    """How to turn a result value back into its type: the packager that wrote it and its instructions."""

    plugin: str
    distribution: str | None = None
    version: str | None = None
    format_version: int = 1
    object_type: str | None = None
    instructions: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class RunRecord:
    """Everything about one run, saved to the store as JSON once it ends (completed or failed)."""

    uid: str
    project: str
    name: str
    handler: str
    params: dict[str, Any] = attrs.field(factory=dict)
    inputs: dict[str, Any] = attrs.field(factory=dict)
    returns: list[str] = attrs.field(factory=list)
    results: dict[str, Any] = attrs.field(factory=dict)
    result_meta: dict[str, ResultMeta] = attrs.field(factory=dict)
    outputs: dict[str, str] = attrs.field(factory=dict)
    status: str = "running"
    error: str | None = None
    traceback: str | None = None
    start: str = ""
    end: str | None = None
    versions: dict[str, Any] = attrs.field(factory=dict)
    labels: dict[str, str] = attrs.field(factory=dict)
    #: "function" for a handler's run, "workflow" for a workflow's (whose ``steps`` are runs).
    kind: str = "function"
    #: The code that ran when it came from a code artifact or a file: uri (exact, with uid), uid,
    #: source (as the function names it), handler, digest.
    code: dict[str, Any] | None = None
    #: Where it ran: "local" (this environment) or "isolated" with the environment's key.
    environment: dict[str, Any] | None = None
    #: The uid of the workflow run this run is a step of.
    workflow: str | None = None
    steps: list[str] = attrs.field(factory=list)


def load_run_record(data: object, what: str) -> RunRecord:
    """A run record from the JSON a store holds; StoreError naming ``what`` when it is not one."""
    try:
        record = converter.structure(data, RunRecord)
    except Exception as error:  # cattrs reports bad shapes as many exception types (and groups)
        detail = "; ".join(_messages(error))[:500]
        raise StoreError(f"{what} is not a valid run record ({detail}); fix or delete it") from error
    if not isinstance(record, RunRecord):
        raise StoreError(f"{what} is not a valid run record")
    return record


def _messages(error: BaseException) -> list[str]:
    if isinstance(error, BaseExceptionGroup):
        return [text for inner in error.exceptions for text in _messages(inner)]
    notes = getattr(error, "__notes__", [])
    return [f"{type(error).__name__}: {error}" + (f" ({notes[-1]})" if notes else "")]


#: The steps list of the workflow run in progress in this context, if any.
_workflow: contextvars.ContextVar[tuple[str, list[str]] | None] = contextvars.ContextVar("satchel_workflow", default=None)


def current_workflow() -> str | None:
    """The uid of the workflow run in progress in this context, if any."""
    parent = _workflow.get()
    return parent[0] if parent is not None else None


def note_step(uid: str) -> None:
    """Record the run ``uid`` (made elsewhere, e.g. in another process) as a step of the workflow in progress."""
    parent = _workflow.get()
    if parent is not None and uid not in parent[1]:
        parent[1].append(uid)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class Run:
    """A finished run: its record, and its outputs and results as objects on demand."""

    def __init__(self, scope: Scope, record: RunRecord) -> None:
        self.scope = scope
        self.record = record

    @property
    def uid(self) -> str:
        return self.record.uid

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def error(self) -> str | None:
        return self.record.error

    @property
    def outputs(self) -> dict[str, str]:
        """Output key -> exact ``store://`` URI of the artifact."""
        return dict(self.record.outputs)

    @property
    def results(self) -> dict[str, Any]:
        """Result key -> value, restored to the type it was packed from (Decimal, datetime…); an
        attrs class or dataclass comes back as its plain data (``result(key, TheClass)`` builds it)."""
        return {key: self.result(key) for key in self.record.results}

    def result(self, key: str, type_hint: Any = None) -> Any:
        """One result, restored by the plugin that packed it; ``type_hint`` names the class to build
        where the value holds one (the class recorded in the store is never imported)."""
        if key not in self.record.results:
            raise KeyError(f"run {self.uid} has no result {key!r}; it has {sorted(self.record.results)}")
        meta = self.record.result_meta.get(key)
        value = self.record.results[key]
        if meta is None:
            return value
        producer = Producer(meta.plugin, meta.distribution, meta.version, meta.format_version)
        return self.scope.host.unpack_result(
            value, producer=producer, instructions=meta.instructions, obj_type=type_hint if isinstance(type_hint, type) else None, key=key
        )

    def output(self, key: str, type_hint: Any = None, *, allow_pickle: bool | None = None) -> Any:
        """The object stored as output ``key``, as ``type_hint`` asks (its files verified first)."""
        if key not in self.record.outputs:
            raise KeyError(f"run {self.uid} has no output {key!r}; it has {sorted(self.record.outputs)}")
        store = self.scope.store
        record = store.get_artifact(self.record.outputs[key])
        allowed = self.scope.allow_pickle if allow_pickle is None else allow_pickle
        return unpack_record(store, record, type_hint, allow_pickle=allowed, host=self.scope.host)

    def __repr__(self) -> str:
        return f"<Run {self.record.name} {self.uid} {self.status} outputs={sorted(self.record.outputs)} results={sorted(self.record.results)}>"


def _outputs_for(returns: Sequence[LogHint], returned: Any) -> list[tuple[LogHint, Any]]:
    """Match a handler's return value to its log hints: one hint takes it whole, several a tuple."""
    if not returns:
        return []
    if len(returns) == 1:
        return [(returns[0], returned)]
    if not isinstance(returned, tuple) or len(returned) != len(returns):
        got = f"a tuple of {len(returned)}" if isinstance(returned, tuple) else f"one {type(returned).__name__}"
        raise PackingError(
            f"the handler has {len(returns)} log hints ({', '.join(h.key for h in returns)}) but returned "
            f"{got}; return a tuple with one value per hint, in order"
        )
    return list(zip(returns, returned, strict=True))


def execute(
    scope: Scope,
    function: Callable[..., Any],
    *,
    params: Mapping[str, Any] | None,
    inputs: Mapping[str, Any] | None,
    returns: Sequence[str | Mapping[str, Any] | LogHint] | None,
    name: str | None,
    raise_on_failure: bool = True,
    not_started: BaseException | None = None,
    uid: str | None = None,
    handler: str | None = None,
    kind: str = "function",
    code: Mapping[str, Any] | None = None,
    environment: Mapping[str, Any] | None = None,
    workflow: str | None = None,
) -> tuple[Run, Any]:
    """Run ``function`` in ``scope``; returns the Run and the handler's own return value.

    ``not_started`` is a failure found while preparing the scope: the run is recorded as failed
    with it, and the handler does not run. ``handler`` names the handler in the record (default:
    where the function comes from); ``code`` and ``environment`` say what code ran, and where.
    A run inside a workflow's run is recorded as one of its steps.
    """
    hints = [parse_log_hint(h) for h in (returns if returns is not None else getattr(function, "__satchel_returns__", ()))]
    # A @handler-decorated function makes each call a run; call the function inside it, once.
    function = getattr(function, "__satchel_handler__", function)
    run_name = validate_name(name or _default_name(function), "run name")
    parent = _workflow.get()
    record = RunRecord(
        uid=uid or new_uid(), project=scope.project, name=run_name, handler=handler or handler_name(function),
        params=_jsonable_params(params or {}), inputs={k: _describe_input(v) for k, v in (inputs or {}).items()},
        returns=[str(h) for h in hints], start=_now(), kind=kind,
        code=dict(code) if code is not None else None,
        environment=dict(environment) if environment is not None else {"kind": "local"},
        workflow=parent[0] if parent is not None else workflow,
    )
    if parent is not None:
        parent[1].append(record.uid)
    run = Run(scope, record)
    returned: Any = None
    try:
        if not_started is not None:
            raise not_started
        arguments = convert_params(function, params or {})
        arguments.update(resolve_inputs(scope, function, inputs or {}))
        check_arguments(function, arguments)
        token = _workflow.set((record.uid, record.steps)) if kind == "workflow" else None
        try:
            returned = function(**arguments)
        finally:
            if token is not None:
                _workflow.reset(token)
        # A model packed from a run's outputs names the run (and its params) in its card.
        request = current_request() if has_request() else ModelRequest(
            run={"uid": record.uid, "name": record.name, "handler": record.handler}, params=record.params,
        )
        with model_request(request):
            for hint, value in _outputs_for(hints, returned):
                for packed in pack_for(scope, value, hint):
                    producer = packed.producer
                    record.versions.setdefault("plugins", {})[producer.plugin] = producer.version
                    if packed.is_result:
                        record.results[packed.key] = packed.value
                        record.result_meta[packed.key] = ResultMeta(
                            plugin=producer.plugin, distribution=producer.distribution, version=producer.version,
                            format_version=producer.format_version, object_type=packed.object_type,
                            instructions=packed.instructions,
                        )
                    else:
                        stored = log_packed(scope.store, scope.project, packed, run=record.uid)
                        record.outputs[packed.key] = stored.uri
        record.status = "completed"
    except BaseException as error:
        # Whatever happened, the record, the error and the traceback are kept.
        record.status = "failed"
        record.error = f"{type(error).__name__}: {error}"
        record.traceback = traceback.format_exc()
        _finish(scope, record)
        if not isinstance(error, Exception):
            raise
        if not raise_on_failure:
            return run, None
        raise RunError(
            f"run {record.name} ({record.uid}) failed: {record.error}; its record and traceback "
            f"are kept: satchel runs show {record.uid}"
        ) from error
    _finish(scope, record)
    return run, returned


def _finish(scope: Scope, record: RunRecord) -> None:
    record.end = _now()
    record.versions.update({"python": platform.python_version(), "satchel": __version__})
    scope.store.save_run(scope.project, record.uid, converter.unstructure(record))


def _default_name(function: Callable[..., Any]) -> str:
    raw = getattr(inspect.unwrap(function), "__name__", "run")
    cleaned = "".join(c if c.isalnum() or c in "-." else "-" for c in raw.lower()).strip("-._")
    return cleaned or "run"


def _jsonable_params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v if is_json_value(v) else repr(v)) for k, v in params.items()}


def _describe_input(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_describe_input(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _describe_input(v) for k, v in value.items()}
    return os.fspath(value) if isinstance(value, (str, os.PathLike)) else repr(value)
