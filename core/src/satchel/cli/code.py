"""``satchel code``, ``functions``, ``workflows`` and ``project``: log and show code artifacts, save a
project's functions and workflows, run a workflow, export and import the project.

A code artifact's record comes from the store, which is untrusted input: showing one imports and
runs nothing, its source is read verified (``Store.read_bytes``) and every text goes through
``output.printable``.
"""

from __future__ import annotations

import os
import shlex
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from satchel.cli.context import EXIT_FAILED, EXIT_OK, PROG, Context
from satchel.cli.json_output import (
    CODE_KEYS,
    CODE_SHOW_KEYS,
    FUNCTION_KEYS,
    RUN_KEYS,
    STEP_KEYS,
    WORKFLOW_KEYS,
    documented,
    print_json,
)
from satchel.cli.output import human_size, print_fields, print_mapping, print_table, printable, short_time
from satchel.cli.targets import parse_value
from satchel.code.cache import code_digest
from satchel.code.sources import CodeWarning
from satchel.errors import CodeError, SatchelError
from satchel.functions import source_kind
from satchel.project import default_store_url
from satchel.settings import load_settings
from satchel.uri import is_store_uri

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.runs import Run

__all__ = ["SOURCE_SHOWN_MAX", "cmd_code", "cmd_functions", "cmd_project", "cmd_workflows", "pairs"]

#: `code show` prints the source of one .py file up to this size; larger code is exported instead.
SOURCE_SHOWN_MAX = 64 * 1024


def pairs(items: Sequence[str], option: str, *, identifiers: bool = False) -> dict[str, str]:
    """``["k=v", …]`` -> ``{"k": "v"}``; a key given twice, or an item without ``=``, is an error."""
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"{option} {item!r} is not key=value; write e.g. {option} p1=3")
        if identifiers and not key.isidentifier():
            raise ValueError(f"{option} {item!r}: {key!r} is not an argument name (a Python identifier)")
        if key in found:
            raise ValueError(f"{option} {key}=… is given twice; give each once")
        found[key] = value
    return found


# -- code ------------------------------------------------------------------------------------------


def cmd_code(ctx: Context) -> int:
    sub = ctx.args.code_command
    if sub == "log":
        return _log_code(ctx)
    if sub == "show":
        return _show_code(ctx)
    return _list_code(ctx)


def _log_code(ctx: Context) -> int:
    args = ctx.args
    path: str | None = args.path
    body: bytes | None = None
    file_name: str | None = None
    if path == "-" or args.body_file:
        if path is None:
            raise ValueError("--body-file needs PATH: the file holding the code, or '-' to read it from stdin")
        if path == "-":
            body = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                body = handle.read()
            file_name = os.path.basename(path)
        path = None
    elif path is None and args.target_path is None:
        raise ValueError(
            f"code log {args.key}: give PATH (a .py file, notebook, archive or folder), '-' to read the code "
            "from stdin, or --target-path URL to reference code already there"
        )
    tags = list(dict.fromkeys(["latest", *args.tags]))
    with warnings.catch_warnings():
        # A notebook's dropped lines are reported below, with how to see them.
        warnings.simplefilter("ignore", CodeWarning)
        artifact = ctx.project.log_code_file(
            args.key, path, body=body, file_name=file_name, target_path=args.target_path,
            code_type=args.code_type, requirements=args.requirements, language=args.language,
            labels=pairs(args.labels, "--label"), tags=tags,
        )
    record = artifact.record
    if ctx.json:
        print_json(_code_document(record, CODE_KEYS, notebook=_notebook(record)))
        return EXIT_OK
    print(printable(record.uri))
    modules = _strings(record.extra.get("modules"))
    notebook = _notebook(record)
    if notebook is not None:
        dropped = notebook.get("dropped_lines", 0)
        print(
            f"notebook {printable(notebook.get('file'))}: {dropped} line(s) dropped (magics and shell "
            f"commands); they are listed by {printable(ctx.command('code', 'show', record.uri))}"
        )
    if modules:
        print(f"modules: {printable(', '.join(modules))}")
    latest = f"store://code/{record.project}/{record.key}"
    if args.code_type == "workflow":
        print(f"use it: {printable(ctx.command('workflows', 'set', 'NAME', latest))}")
    else:
        example = f"{modules[0]}:FUNCTION" if modules else "MODULE:FUNCTION"
        print(f"run it: {printable(ctx.command('run', latest, '--handler', example))}")
    return EXIT_OK


def _list_code(ctx: Context) -> int:
    found = [a.record for a in ctx.project.list_code(code_type=ctx.args.code_type)]
    if ctx.json:
        print_json([_code_document(record, CODE_KEYS) for record in found])
        return EXIT_OK
    if not found:
        only = f" of type {ctx.args.code_type}" if ctx.args.code_type else ""
        print(f"no code artifacts{only} in project {ctx.project_name!r}; log one with `{PROG} code log KEY PATH`")
        return EXIT_OK
    print_table(
        ["uri", "type", "layout", "modules", "tags", "size", "created"],
        (
            [r.uri, r.extra.get("code_type", "function"), r.extra.get("layout"), ", ".join(_strings(r.extra.get("modules"))) or None,
             ",".join(r.tags) or None, human_size(r.size), short_time(r.created)]
            for r in found
        ),
    )
    return EXIT_OK


def _show_code(ctx: Context) -> int:
    ref = ctx.args.ref
    project = ctx.project
    uri = ref if is_store_uri(ref) else f"store://code/{project.name}/{ref}"
    record = project.store.get_artifact(uri)
    if record.kind != "code":
        raise CodeError(f"{record.uri} is a {record.kind} artifact, not code; see it with `{PROG} artifacts show {record.uri}`")
    source, why_not = _source_text(ctx, record)
    if ctx.json:
        print_json(_code_document(record, CODE_SHOW_KEYS, notebook=_notebook(record), source=source))
        return EXIT_OK
    extra = record.extra
    print_fields([
        ("uri", record.uri), ("kind", record.kind), ("code type", extra.get("code_type", "function")),
        ("language", extra.get("language")), ("layout", extra.get("layout")),
        ("modules", ", ".join(_strings(extra.get("modules"))) or None),
        ("requirements", ", ".join(_strings(extra.get("requirements"))) or None),
        ("target", _target_text(extra.get("target"))),
        ("size", f"{human_size(record.size)} ({record.size} bytes)"), ("digest", _digest(record)),
        ("tags", ", ".join(record.tags) or None), ("created", short_time(record.created)),
    ])
    print_mapping("labels", record.labels)
    notebook = _notebook(record)
    if notebook is not None:
        dropped = notebook.get("dropped")
        print(f"notebook {printable(notebook.get('file'))}: {notebook.get('code_cells')} code cell(s), {notebook.get('dropped_lines')} line(s) dropped")
        for line in dropped if isinstance(dropped, list) else []:
            if isinstance(line, dict):
                print(f"  cell {printable(line.get('cell'))} line {printable(line.get('line'))}: {printable(line.get('text'))}")
    if source is None:
        print(f"source: not shown ({why_not}); export it: {printable(ctx.command('artifacts', 'get', record.uri, '-o', 'PATH'))}")
        return EXIT_OK
    (entry,) = record.files
    print(f"source ({printable(entry.name)}, not run):")
    for line in source.splitlines():
        print(f"  {printable(line.expandtabs(4))}" if line else "")
    return EXIT_OK


def _source_text(ctx: Context, record: ArtifactRecord) -> tuple[str | None, str]:
    """The text of a one-file ``.py`` artifact of at most SOURCE_SHOWN_MAX bytes, read verified; else why not."""
    if not record.files:
        return None, "the code is an object elsewhere, referenced by its URL"
    if record.extra.get("layout") != "file" or len(record.files) != 1:
        return None, "an archive"
    (entry,) = record.files
    if not entry.name.endswith(".py"):
        return None, f"{entry.name} is not a .py file"
    if entry.size > SOURCE_SHOWN_MAX:
        return None, f"larger than {human_size(SOURCE_SHOWN_MAX)}"
    data = ctx.project.store.read_bytes(record)
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        return None, "not UTF-8 text"


def _code_document(record: ArtifactRecord, keys: Sequence[str], **computed: Any) -> dict[str, Any]:
    extra = record.extra
    values = {
        "uri": record.uri, "code_type": extra.get("code_type", "function"), "language": extra.get("language"),
        "layout": extra.get("layout"), "modules": extra.get("modules", []), "requirements": extra.get("requirements", []),
        "target": extra.get("target"), "digest": _digest(record), **computed,
    }
    return documented(record, keys, **values)


def _digest(record: ArtifactRecord) -> str | None:
    try:
        return code_digest(record)
    except CodeError:
        return None


def _notebook(record: ArtifactRecord) -> dict[str, Any] | None:
    notebook = record.extra.get("notebook")
    return notebook if isinstance(notebook, dict) else None


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _target_text(target: object) -> str | None:
    if not isinstance(target, dict):
        return None
    how = "copied there" if target.get("copy") else "referenced, checked against its sha256 on every run"
    return f"{target.get('url')} ({how}; sha256 {target.get('sha256')})"


# -- functions -------------------------------------------------------------------------------------


def cmd_functions(ctx: Context) -> int:
    project = ctx.project
    if ctx.args.functions_command == "set":
        args = ctx.args
        function = project.set_function(args.source, name=args.name, handler=args.handler, requirements=args.requirements)
        if ctx.json:
            print_json(documented(function.spec, FUNCTION_KEYS))
            return EXIT_OK
        print(f"function {printable(function.name)}: {printable(function.source)}  {printable(function.handler)}")
        print(f"run it: {printable(ctx.command('run', function.name))}")
        _trust_note(ctx, function.source)
        return EXIT_OK
    functions = project.list_functions()
    if ctx.json:
        print_json([documented(f.spec, FUNCTION_KEYS) for f in functions])
        return EXIT_OK
    if not functions:
        print(f"no functions in project {ctx.project_name!r}; save one with `{PROG} functions set SOURCE --handler MODULE:FUNCTION`")
        return EXIT_OK
    print_table(
        ["name", "source", "handler", "requirements"],
        ([f.name, f.source, f.handler, ", ".join(f.requirements) or None] for f in functions),
    )
    return EXIT_OK


def _trust_note(ctx: Context, source: str) -> None:
    """A local source set now runs in this process; a later command runs it only if the caller trusts it."""
    if source_kind(source) == "store":
        return
    print(
        f"{PROG}: note: later commands run {source!r} from this machine only if you trust it: add it to "
        f"trusted_code under [projects.{ctx.project_name}] in {load_settings().where()} "
        f"(or log it with `{PROG} code log`)",
        file=sys.stderr,
    )


# -- workflows -------------------------------------------------------------------------------------


def cmd_workflows(ctx: Context) -> int:
    sub = ctx.args.workflows_command
    if sub == "run":
        return _run_workflow(ctx)
    project = ctx.project
    if sub == "set":
        args = ctx.args
        spec = project.set_workflow(args.name, args.source, handler=args.handler)
        if ctx.json:
            print_json(documented(spec, WORKFLOW_KEYS))
            return EXIT_OK
        print(f"workflow {printable(spec.name)}: {printable(spec.source)}  {printable(spec.handler)}")
        print(f"run it: {printable(ctx.command('workflow', 'run', spec.name))}")
        _trust_note(ctx, spec.source)
        return EXIT_OK
    workflows = project.list_workflows()
    if ctx.json:
        print_json([documented(spec, WORKFLOW_KEYS) for spec in workflows])
        return EXIT_OK
    if not workflows:
        print(f"no workflows in project {ctx.project_name!r}; save one with `{PROG} workflows set NAME SOURCE`")
        return EXIT_OK
    print_table(
        ["name", "source", "handler", "arguments"],
        ([s.name, s.source, s.handler, ", ".join(f"{k}={v!r}" for k, v in s.arguments.items()) or None] for s in workflows),
    )
    return EXIT_OK


def _run_workflow(ctx: Context) -> int:
    args = ctx.args
    arguments = {key: parse_value(value) for key, value in pairs(args.arguments, "-a", identifiers=True).items()}
    project = ctx.project
    run = project.run_workflow(args.name, arguments, raise_on_failure=False)
    record = run.record
    steps = [_step(ctx, uid) for uid in record.steps]
    if ctx.json:
        print_json({"run": documented(record, RUN_KEYS), "steps": steps})
    else:
        print(f"workflow {printable(record.name)}  {record.uid}  {record.status}")
        if steps:
            print("steps:")
            print_table(["  uid", "name", "status"], ([f"  {s['uid']}", s["name"], s["status"]] for s in steps))
        print(f"look at it: {printable(ctx.command('runs', 'show', record.uid))}")
    if run.status == "completed":
        return EXIT_OK
    failed = next((s for s in steps if s["status"] != "completed"), None)
    if failed is not None:
        print(
            f"{PROG}: workflow {printable(record.name)} failed at step {printable(failed['name'])} "
            f"({failed['uid']}): {printable(failed['error'])}",
            file=sys.stderr,
        )
        print(f"the step's record and traceback are kept: {ctx.command('runs', 'show', failed['uid'])}", file=sys.stderr)
    else:
        print(f"{PROG}: workflow {printable(record.name)} failed: {printable(record.error)}", file=sys.stderr)
        print(f"the record and traceback are kept: {ctx.command('runs', 'show', record.uid)}", file=sys.stderr)
    return EXIT_FAILED


def _step(ctx: Context, uid: str) -> dict[str, Any]:
    """A step's uid, name, status and error; a step whose record cannot be read says so."""
    try:
        step: Run = ctx.project.get_run(uid)
    except (SatchelError, ValueError) as error:  # a missing record, or a uid the store refuses
        return {"uid": uid, "name": None, "status": "missing", "error": str(error)}
    return {key: getattr(step.record, key) for key in STEP_KEYS}


# -- project ---------------------------------------------------------------------------------------


def cmd_project(ctx: Context) -> int:
    args = ctx.args
    if args.project_command == "export":
        written = ctx.project.export(args.path)
        if ctx.json:
            print_json({"path": written})
        else:
            print(printable(written))
        return EXIT_OK
    from satchel.project import load_project

    store = args.store or default_store_url()
    project = load_project(args.path, store=store, name=args.name or args.project)
    functions = [f.name for f in project.list_functions()]
    workflows = [w.name for w in project.list_workflows()]
    if ctx.json:
        print_json({"project": project.name, "store": project.store.url, "functions": functions, "workflows": workflows})
        return EXIT_OK
    print(f"imported project {printable(project.name)} into {printable(project.store.url)}")
    print_fields([("functions", ", ".join(functions) or None), ("workflows", ", ".join(workflows) or None)])
    if functions:
        again = [PROG, *(["--store", args.store] if args.store else []), "--project", project.name, "run", functions[0]]
        print(f"run one: {printable(shlex.join(again))}")
    return EXIT_OK
