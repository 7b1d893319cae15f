"""``satchel run``: check a handler's arguments before anything is recorded, run it, and show what it stored."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from satchel.cli.context import EXIT_FAILED, EXIT_OK, PROG, Context, result_texts
from satchel.cli.json_output import RUN_KEYS, documented, print_json
from satchel.cli.output import print_mapping, printable
from satchel.cli.preflight import check_arguments_given, check_input_uris, check_local_inputs, check_returns
from satchel.cli.targets import load_handler, parse_inputs, parse_params

if TYPE_CHECKING:
    from satchel.runs import Run

__all__ = ["cmd_run"]


def cmd_run(ctx: Context) -> int:
    args = ctx.args
    params = parse_params(args.params)
    inputs = parse_inputs(args.inputs)
    check_local_inputs(inputs)
    handler = load_handler(args.target)
    check_arguments_given(handler, params, inputs)
    project = ctx.project
    check_input_uris(project, inputs)
    check_returns(project.host, handler, args.returns)
    if args.returns is None and not getattr(handler, "__satchel_returns__", None) and _returns_something(handler):
        print(
            f"{PROG}: note: no --returns given, so what {args.target} returns is not stored; "
            'e.g. --returns result, or --returns "a" "b : file" for a tuple',
            file=sys.stderr,
        )
    run = project.run(
        handler, params=params, inputs=inputs, returns=args.returns, name=args.name,
        allow_pickle=True if args.allow_pickle else None, raise_on_failure=False,
    )
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
    print_mapping("results", result_texts(record))
    print_mapping("outputs", record.outputs, separator="  ")
    print("look at them:")
    for uri in record.outputs.values():
        print(f"  {printable(ctx.command('artifacts', 'show', uri))}")
    print(f"  {printable(ctx.command('runs', 'show', record.uid))}")
