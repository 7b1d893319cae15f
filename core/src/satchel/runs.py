"""Runs: execute a handler, unpack its inputs by type hints, pack its outputs by log hints, record it."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import os
import platform
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from satchel.errors import PackingError, RunError
from satchel.hints import LogHint, parse_log_hint
from satchel.names import validate_name

if TYPE_CHECKING:
    from satchel.project import Project

__all__ = ["ResultMeta", "Run", "RunRecord", "execute", "handler"]


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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _handler_name(function: Callable[..., Any]) -> str:
    target = inspect.unwrap(function)
    module = getattr(target, "__module__", None) or "?"
    source = getattr(target, "__satchel_source__", None)
    return source or f"{module}:{getattr(target, '__qualname__', repr(target))}"


class Run:
    """A finished run: its record, and its outputs and results as objects on demand."""

    def __init__(self, project: Project, record: RunRecord) -> None:
        self.project = project
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
        """Result key -> value, restored to the type it was packed from (Decimal, datetime…)."""
        return {key: self.result(key) for key in self.record.results}

    def result(self, key: str) -> Any:
        if key not in self.record.results:
            raise KeyError(f"run {self.uid} has no result {key!r}; it has {sorted(self.record.results)}")
        meta = self.record.result_meta.get(key)
        value = self.record.results[key]
        if meta is None:
            return value
        from satchel.artifacts import Producer
        from satchel.plugins import get_host

        producer = Producer(meta.plugin, meta.distribution, meta.version, meta.format_version)
        return get_host().unpack_result(value, producer=producer, instructions=meta.instructions, key=key)

    def output(self, key: str, type_hint: Any = None, *, allow_pickle: bool | None = None) -> Any:
        """The object stored as output ``key``, unpacked (its files verified first)."""
        if key not in self.record.outputs:
            raise KeyError(f"run {self.uid} has no output {key!r}; it has {sorted(self.record.outputs)}")
        return self.project.get_artifact(self.record.outputs[key]).unpack(type_hint, allow_pickle=allow_pickle)

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
    project: Project,
    function: Callable[..., Any],
    *,
    params: Mapping[str, Any] | None,
    inputs: Mapping[str, Any] | None,
    returns: Sequence[str | Mapping[str, Any] | LogHint] | None,
    name: str | None,
    allow_pickle: bool | None,
    raise_on_failure: bool = True,
) -> tuple[Run, Any]:
    """Run ``function`` in ``project``; returns the Run and the handler's own return value."""
    from satchel.plugins import get_host
    from satchel.store.uids import new_uid
    from satchel.storing import log_packed, staging

    hints = [parse_log_hint(h) for h in (returns if returns is not None else getattr(function, "__satchel_returns__", ()))]
    # A @handler-decorated function makes each call a run; call the function inside it, once.
    function = getattr(function, "__satchel_handler__", function)
    run_name = validate_name(name or _default_name(function), "run name")
    record = RunRecord(
        uid=new_uid(), project=project.name, name=run_name, handler=_handler_name(function),
        params=_jsonable_params(params or {}), inputs={k: _describe_input(v) for k, v in (inputs or {}).items()},
        returns=[str(h) for h in hints], start=_now(),
    )
    run = Run(project, record)
    returned: Any = None
    store = project.store
    host = get_host()
    try:
        project.prepare_packagers()
        arguments = dict(params or {})
        arguments.update(project.resolve_inputs(function, inputs or {}, allow_pickle=allow_pickle))
        _check_arguments(function, arguments)
        returned = function(**arguments)
        with staging(store):
            for hint, value in _outputs_for(hints, returned):
                for packed in _pack_output(host, hint, value, project):
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
                        stored = log_packed(store, project.name, packed, run=record.uid)
                        record.outputs[packed.key] = stored.uri
        record.status = "completed"
    except BaseException as error:
        # Whatever happened, the record, the error and the traceback are kept.
        record.status = "failed"
        record.error = f"{type(error).__name__}: {error}"
        record.traceback = traceback.format_exc()
        _finish(project, record)
        if not isinstance(error, Exception):
            raise
        if not raise_on_failure:
            return run, None
        raise RunError(
            f"run {record.name} ({record.uid}) failed: {record.error}; its record and traceback "
            f"are kept: satchel runs show {record.uid}"
        ) from error
    _finish(project, record)
    return run, returned


def _pack_output(host: Any, hint: LogHint, value: Any, project: Project) -> list[Any]:
    from satchel.packing import unbundle

    pairs = unbundle(value, hint) if hint.unbundle else [(hint.key, value)]
    packed = []
    for key, item in pairs:
        project.check_pickle_policy(host, item, hint.artifact_type, key)
        packed.append(host.pack(item, key, hint.artifact_type, hint.options))
    return packed


def _finish(project: Project, record: RunRecord) -> None:
    from satchel._version import __version__
    from satchel.serde import converter

    record.end = _now()
    record.versions.update({"python": platform.python_version(), "satchel": __version__})
    project.store.save_run(project.name, record.uid, converter.unstructure(record))


def _default_name(function: Callable[..., Any]) -> str:
    raw = getattr(inspect.unwrap(function), "__name__", "run")
    cleaned = "".join(c if c.isalnum() or c in "-." else "-" for c in raw.lower()).strip("-._")
    return cleaned or "run"


def _jsonable_params(params: Mapping[str, Any]) -> dict[str, Any]:
    from satchel.packager import _is_json_value

    return {k: (v if _is_json_value(v) else repr(v)) for k, v in params.items()}


def _describe_input(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_describe_input(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _describe_input(v) for k, v in value.items()}
    return os.fspath(value) if isinstance(value, (str, os.PathLike)) else repr(value)


def _check_arguments(function: Callable[..., Any], arguments: Mapping[str, Any]) -> None:
    signature = inspect.signature(function)
    try:
        signature.bind(**arguments)
    except TypeError as error:
        accepted = ", ".join(signature.parameters) or "none"
        raise RunError(f"cannot call {_handler_name(function)}: {error}; it takes: {accepted}") from error


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
            from satchel.project import get_or_create_project
            from satchel.uri import is_store_uri

            bound = inspect.signature(function).bind(*args, **kwargs)
            inputs = {k: v for k, v in bound.arguments.items() if _has_store_uri(v, is_store_uri)}
            params = {k: v for k, v in bound.arguments.items() if k not in inputs}
            target = get_or_create_project(project or os.environ.get("SATCHEL_PROJECT", "default"))
            run, returned = execute(target, function, params=params, inputs=inputs, returns=hints,
                                    name=name, allow_pickle=None)
            wrapper.last_run = run  # type: ignore[attr-defined]
            return returned

        wrapper.__satchel_returns__ = hints  # type: ignore[attr-defined]
        wrapper.__satchel_handler__ = function  # type: ignore[attr-defined]
        wrapper.last_run = None  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _has_store_uri(value: Any, is_store_uri: Callable[[object], bool]) -> bool:
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_has_store_uri(v, is_store_uri) for v in value)
    if isinstance(value, Mapping):
        return bool(value) and all(_has_store_uri(v, is_store_uri) for v in value.values())
    return is_store_uri(value)

