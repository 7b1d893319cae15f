"""``satchel run``: check a handler's arguments before anything is recorded, run it, and show what it stored.

The target is a handler (``FILE.py:FUNCTION``, ``package.module:FUNCTION``), one of the project's
saved functions by name, or a ``store://code/...`` code artifact with ``--handler``.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from satchel.cli.context import EXIT_FAILED, EXIT_OK, PROG, Context, result_texts
from satchel.cli.json_output import RUN_KEYS, documented, print_json
from satchel.cli.output import print_mapping, printable
from satchel.cli.preflight import check_arguments_given, check_input_uris, check_local_inputs, check_returns
from satchel.cli.targets import load_handler, parse_inputs, parse_params
from satchel.code.requirements import require
from satchel.errors import CodeError
from satchel.functions import Function, FunctionSpec
from satchel.uri import is_store_uri

if TYPE_CHECKING:
    from satchel.runs import Run

__all__ = ["cmd_run", "is_function_name"]


def is_function_name(target: str) -> bool:
    """Whether ``target`` names a saved function: no ``:``, and not a file (``FILE.py:FUNCTION`` is one)."""
    return ":" not in target and not target.endswith(".py") and "/" not in target and os.sep not in target and not os.path.exists(target)


def cmd_run(ctx: Context) -> int:
    args = ctx.args
    if args.retries and not args.executor:
        raise ValueError("--retries is for runs on a cluster (--executor tcp://HOST:PORT): a local run is not retried")
    params = parse_params(args.params)
    inputs = parse_inputs(args.inputs)
    check_local_inputs(inputs)
    if is_store_uri(args.target) or is_function_name(args.target):
        return _run_function(ctx, _function(ctx), params, inputs)
    if args.env == "isolated":
        raise ValueError(
            f"--env isolated runs a saved function or a store://code/... artifact, not {args.target}: "
            f"log the code first ({PROG} code log KEY FILE.py) and run store://code/<project>/KEY with --handler"
        )
    if args.handler is not None:
        raise ValueError(f"--handler is for a store://code/... target; {args.target} names its function itself")
    handler = load_handler(args.target)
    check_arguments_given(handler, params, inputs)
    project = ctx.project
    check_input_uris(project, inputs)
    check_returns(project.host, handler, args.returns)
    _note_no_returns(ctx, handler)
    run = project.run(
        handler, params=params, inputs=inputs, returns=args.returns, name=args.name,
        allow_pickle=True if args.allow_pickle else None, raise_on_failure=False,
        executor=args.executor, retries=args.retries,
    )
    return _report(ctx, run)


def _function(ctx: Context) -> Function:
    """The function a store:// target (with --handler) or a saved function's name stands for."""
    args = ctx.args
    project = ctx.project
    if not is_store_uri(args.target):
        if args.handler is not None:
            raise ValueError(
                f"--handler is for a store://code/... target; function {args.target!r} runs the handler it was "
                f"saved with (save it again with `{PROG} functions set`)"
            )
        try:
            return project.get_function(args.target)
        except KeyError as error:
            error.add_note("(or give FILE.py:FUNCTION, package.module:FUNCTION, or a store://code/... URI with --handler)")
            raise
    record = project.store.get_artifact(args.target)
    if record.kind != "code":
        raise CodeError(f"{record.uri} is a {record.kind} artifact, not code; log code with `{PROG} code log KEY PATH`")
    modules = record.extra.get("modules")
    held = ", ".join(str(m) for m in modules) if isinstance(modules, list) and modules else "no Python modules"
    example = f"{modules[0]}:main" if isinstance(modules, list) and modules else "trainer:main"
    if not args.handler:
        raise ValueError(
            f"{args.target} is code: give --handler MODULE:FUNCTION, a function in one of its modules "
            f"(it holds: {held}), e.g. --handler {example}"
        )
    if ":" not in args.handler:
        raise ValueError(
            f"--handler {args.handler!r} must be MODULE:FUNCTION, the module being a file of the code without .py "
            f"(it holds: {held}), e.g. --handler {example.partition(':')[0]}:{args.handler}"
        )
    # Run as it is, not saved in the project's config.
    return Function(project, FunctionSpec(name=record.key, source=args.target, handler=args.handler))


def _run_function(ctx: Context, function: Function, params: dict[str, Any], inputs: dict[str, Any]) -> int:
    args = ctx.args
    project = ctx.project
    env = args.env or "local"
    check_input_uris(project, inputs)
    if env == "local":
        # Checked here, as the run will, so that a mistake stops before a run is recorded: first the
        # requirements, then (the code imported) the arguments and log hints. An isolated run's code
        # may need what only its own environment has, so it is not imported here.
        what = f"function {function.name!r}"
        resolved = function.resolve(load=False)
        require(resolved.requirements, what)
        handler = resolved.load(what)
        with resolved.active():
            check_arguments_given(handler, params, inputs)
            check_returns(project.host, handler, args.returns)
            _note_no_returns(ctx, handler)
    if args.executor:
        if env != "local":
            raise ValueError("--executor runs on the cluster's workers, in their environment; it does not go with --env isolated")
        run = project.run(function, params, inputs, args.returns, args.name, allow_pickle=True if args.allow_pickle else None,
                          raise_on_failure=False, executor=args.executor, retries=args.retries)
        return _report(ctx, run)
    run = function.run(
        params, inputs, args.returns, args.name, env=env, allow_pickle=True if args.allow_pickle else None,
        raise_on_failure=False, announce=_announce if env == "isolated" else None,
    )
    return _report(ctx, run)


def _announce(message: str) -> None:
    print(f"{PROG}: {printable(message)}", file=sys.stderr)


def _note_no_returns(ctx: Context, handler: Callable[..., Any]) -> None:
    if ctx.args.returns is None and not getattr(handler, "__satchel_returns__", None) and _returns_something(handler):
        print(
            f"{PROG}: note: no --returns given, so what {ctx.args.target} returns is not stored; "
            'e.g. --returns result, or --returns "a" "b : file" for a tuple',
            file=sys.stderr,
        )


def _report(ctx: Context, run: Run) -> int:
    if ctx.json:
        print_json(documented(run.record, RUN_KEYS))
    else:
        _print_run_summary(ctx, run)
    if run.status != "completed":
        print(f"{PROG}: run {printable(run.record.name)} failed: {printable(run.error)}", file=sys.stderr)
        print(f"the record and traceback are kept: {ctx.command('runs', 'show', run.uid)}", file=sys.stderr)
        if run.error and run.error.startswith("PickleNotAllowedError"):
            print("try: --allow-pickle, if you trust where the artifact came from", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _returns_something(handler: Callable[..., Any]) -> bool:
    try:
        annotation = inspect.signature(handler).return_annotation
    except (TypeError, ValueError):
        return True
    return annotation not in (None, "None")


def _print_run_summary(ctx: Context, run: Run) -> None:
    record = run.record
    print(f"run {printable(record.name)}  {record.uid}  {record.status}")
    if record.code:
        print(f"code: {printable(_code_text(record.code))}")
    print_mapping("results", result_texts(record))
    print_mapping("outputs", record.outputs, separator="  ")
    print("look at them:")
    for uri in record.outputs.values():
        print(f"  {printable(ctx.command('artifacts', 'show', uri))}")
    print(f"  {printable(ctx.command('runs', 'show', record.uid))}")


def _code_text(code: Mapping[str, Any]) -> str:
    return f"{code.get('uri') or code.get('source')}  {code.get('handler')}"
