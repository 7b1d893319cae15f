"""Runs on a Dask cluster: each run is a task on a worker process, which writes the outputs to the
shared store and the record to the shared catalog; the caller then reads the runs back from the
store, so it holds the same `Run` objects as after a local run.

What crosses to the worker is the caller's own request — store and catalog URLs, the handler by
name (``module:function``, ``FILE.py:function``, or a project function whose code is pinned to the
exact version resolved here), params, inputs, log hints and the permissions the caller gave
(pickle, custom packagers). Nothing the store holds decides what the worker imports.

A worker that dies mid-run (killed, out of memory) commits nothing half-way: each output is an
artifact committed whole or not at all. The run's record says ``running`` with the attempt from its
start; when the scheduler hands the task to another worker, that worker sees the attempt and runs it
again if ``retries`` allow, else records the run as failed, naming the worker that was lost. The
caller records that failure itself when the scheduler gives up on the task first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from satchel.code.loader import load_handler
from satchel.code.requirements import require
from satchel.errors import ArtifactNotFoundError, CodeError, PluginLoadError, RunError, SatchelError
from satchel.functions import confirm, resolve
from satchel.packagers.base import is_json_value
from satchel.runs import execute, note_step
from satchel.scope import Scope
from satchel.signatures import handler_name
from satchel.store import Store

__all__ = ["ClusterProject", "handler_reference", "open_client", "run_on_cluster", "work"]

_NOT_FINISHED = "running"


class ClusterProject(Protocol):
    """What a worker needs of the project a run belongs to (satchel.project.Project is one)."""

    name: str
    store: Store

    def scope(self, allow_pickle: bool | None = None) -> Scope: ...

    def _core_scope(self) -> Scope: ...


def open_client(executor: object) -> tuple[Any, bool]:
    """(a ``distributed.Client``, whether this call opened it) for *executor*: a Client as it is, or
    a scheduler address such as ``tcp://scheduler:8786``."""
    if hasattr(executor, "submit") and hasattr(executor, "gather"):
        return executor, False
    if not isinstance(executor, str) or "://" not in executor:
        raise SatchelError(
            f"executor must be a dask.distributed.Client or a scheduler address such as "
            f"tcp://scheduler:8786, not {executor!r}"
        )
    try:
        from distributed import Client
    except ImportError as error:
        raise SatchelError(f"executor={executor!r} needs Dask's distributed, which is not installed: "
                           "pip install 'satchel[dask]'") from error
    try:
        return Client(executor, timeout=30), True  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as error:
        raise SatchelError(
            f"cannot reach the Dask scheduler at {executor}: {error}; start one (`dask scheduler`) or "
            "give the address it prints"
        ) from error


def handler_reference(function: Callable[..., Any]) -> str:
    """How a worker imports *function*: the ``FILE.py:function`` it was loaded from, else
    ``module:qualname``; CodeError for a function no other process can import."""
    inner = getattr(function, "__satchel_handler__", function)
    source = getattr(inner, "__satchel_source__", None)
    if isinstance(source, str):
        return source
    module, qualname = getattr(inner, "__module__", None), getattr(inner, "__qualname__", None)
    if not module or not qualname or module == "__main__" or "<" in qualname:
        where = "the main script" if module == "__main__" else f"{module}:{qualname}"
        raise CodeError(
            f"a run on a cluster imports its handler on the worker by name, and {handler_name(inner)} "
            f"({where}) cannot be imported there: move it into a module the workers can import, or log "
            "it as code (project.log_code_file) and run it as a function (project.set_function)"
        )
    return f"{module}:{qualname}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "not a dask worker"


def _claim(store: Store, request: Mapping[str, Any], worker: str) -> tuple[int, dict[str, Any] | None]:
    """(this attempt's number, the record of a lost attempt that used up the last one, or None).

    A run whose record is final already is not run again (attempt 0)."""
    try:
        found = store.get_run(request["project"], request["uid"])
    except ArtifactNotFoundError:
        found = None
    environment = found.get("environment") if isinstance(found, dict) else None
    if found is not None and found.get("status") != _NOT_FINISHED:
        return 0, None
    previous = environment.get("attempt", 0) if isinstance(environment, dict) else 0
    previous = previous if isinstance(previous, int) and previous >= 0 else 0
    if previous >= request["attempts"]:
        assert found is not None
        return previous, found
    attempt = previous + 1
    store.save_run(request["project"], request["uid"], {
        "uid": request["uid"], "project": request["project"], "name": request["name"] or "run",
        "handler": request["handler"], "status": _NOT_FINISHED, "start": _now(), "returns": request["returns"] or [],
        "params": {k: v if is_json_value(v) else repr(v) for k, v in request["params"].items()},
        "environment": {"kind": "dask", "worker": worker, "attempt": attempt, "attempts": request["attempts"]},
    })
    return attempt, None


def _lost(store: Store, project: str, found: Mapping[str, Any], reason: str) -> None:
    """Record a run whose last attempt died with its worker as failed, saying so."""
    record = dict(found)
    record.update(status="failed", error=reason, end=_now())
    store.save_run(project, str(found["uid"]), record)


def _lost_reason(environment: Mapping[str, Any], attempts: int, detail: str = "") -> str:
    worker = environment.get("worker", "?")
    attempt = environment.get("attempt", "?")
    more = f" ({detail})" if detail else ""
    return (f"WorkerLost: the Dask worker {worker} running attempt {attempt} of {attempts} stopped before "
            f"the run ended (killed, or out of memory){more}; nothing it had not committed is visible. "
            "Pass retries=N to run it again on another worker")


def work(open_project: Callable[[Mapping[str, Any]], ClusterProject], request: Mapping[str, Any]) -> dict[str, Any]:
    """The worker's side of one run: claim an attempt, resolve the handler, execute, record."""
    project = open_project(request)
    store = project.store
    worker = _worker_address()
    attempt, lost = _claim(store, request, worker)
    if lost is not None:
        _lost(store, project.name, lost, _lost_reason(lost.get("environment") or {}, request["attempts"]))
        return {"uid": request["uid"], "status": "failed"}
    if attempt == 0:
        return {"uid": request["uid"], "status": "done before"}
    environment = {"kind": "dask", "worker": worker, "attempt": attempt, "attempts": request["attempts"]}
    not_started: BaseException | None = None
    try:
        scope = project.scope(bool(request["allow_pickle"]))
    except PluginLoadError as error:
        scope, not_started = project._core_scope(), error
    code: dict[str, Any] | None = None
    function: Callable[..., Any] = _not_resolved
    resolved = None
    try:
        if request.get("function") is not None:
            spec = request["function"]
            what = f"function {spec['name']!r}"
            confirm(store.url, project.name, spec["source"])  # the caller's process checked its trust
            resolved = resolve(scope, spec["source"], spec["handler"], spec["requirements"], "function", what, load=False)
            require(resolved.requirements, what)
            function = resolved.load(what)
            code = resolved.code
            environment["requirements"] = resolved.requirements
        else:
            function = load_handler(request["handler"])
    except (SatchelError, ImportError, AttributeError) as error:
        not_started = not_started or error
    if resolved is not None:
        with resolved.active():
            run, _returned = _execute(scope, function, request, not_started, code, environment)
    else:
        run, _returned = _execute(scope, function, request, not_started, code, environment)
    return {"uid": run.uid, "status": run.status}


def _not_resolved() -> None:
    """Stands in for a handler the worker could not load; the run fails before it would start."""


def _execute(scope: Scope, function: Callable[..., Any], request: Mapping[str, Any], not_started: BaseException | None,
             code: Mapping[str, Any] | None, environment: Mapping[str, Any]) -> tuple[Any, Any]:
    return execute(
        scope, function, params=request["params"], inputs=request["inputs"], returns=request["returns"],
        name=request["name"], raise_on_failure=False,
        not_started=not_started, uid=request["uid"], handler=request["handler"], code=code,
        environment=environment, workflow=request.get("workflow"),
    )


def run_on_cluster(
    executor: object, open_project: Callable[[Mapping[str, Any]], ClusterProject], store: Store,
    requests: Sequence[Mapping[str, Any]],
) -> None:
    """Run each request as a task on the cluster and wait for all; every run ends recorded.

    A task the scheduler gave up on (its workers kept dying) is submitted again while its run has
    attempts left, else recorded as failed here.
    """
    client, opened = open_client(executor)
    try:
        pending = list(requests)
        round_ = 0
        while pending:
            round_ += 1
            futures = [client.submit(work, open_project, request, key=f"satchel-run-{request['uid']}-{round_}",
                                     pure=False) for request in pending]
            again = []
            for request, future in zip(pending, futures, strict=True):
                try:
                    future.result()
                except Exception as error:  # noqa: BLE001 - a task's failure, whatever Dask raised, is recorded
                    if _gave_up(store, request, error):
                        again.append(request)
            pending = again
    finally:
        if opened:
            client.close()
    for request in requests:
        note_step(request["uid"])


def _gave_up(store: Store, request: Mapping[str, Any], error: BaseException) -> bool:
    """After the task failed on the cluster: True to submit it again, else its run is recorded failed."""
    project, uid = request["project"], request["uid"]
    try:
        found: dict[str, Any] | None = store.get_run(project, uid)
    except ArtifactNotFoundError:
        found = None
    if found is not None and found.get("status") != _NOT_FINISHED:
        return False
    environment = (found or {}).get("environment") or {}
    attempt = environment.get("attempt", 0) if isinstance(environment, dict) else 0
    if isinstance(attempt, int) and attempt < request["attempts"] and type(error).__name__ == "KilledWorker":
        return True
    reason = (_lost_reason(environment, request["attempts"], f"{type(error).__name__}: {error}")
              if type(error).__name__ == "KilledWorker" else
              f"the run could not run on the cluster: {type(error).__name__}: {error}")
    base = found or {"uid": uid, "project": project, "name": request["name"] or "run", "handler": request["handler"],
                     "start": _now(), "environment": {"kind": "dask"}}
    _lost(store, project, base, reason)
    return False


def check_retries(retries: object) -> int:
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise RunError(f"retries must be a whole number >= 0 (the extra attempts after a worker dies), not {retries!r}")
    return retries
