"""What each ``satchel`` command does, once argparse has read the command line."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from satchel.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, PROG
from satchel.cli.output import Progress, human_size, print_json, print_table, short_time, summarize

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.project import Project
    from satchel.answers import PackagerInfo
    from satchel.runs import Run, RunRecord

__all__ = ["dispatch"]

PROJECT_ENV = "SATCHEL_PROJECT"
DEFAULT_PROJECT = "default"
# Exports at least this large show a progress bar, when stderr is a terminal.
PROGRESS_MIN_BYTES = 8 * 1024 * 1024
_CHUNK = 1024 * 1024


class Context:
    """The options every command shares, and the project they name, opened on first use."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.project_name: str = args.project or os.environ.get(PROJECT_ENV) or DEFAULT_PROJECT
        self._project: Project | None = None

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    @property
    def project(self) -> Project:
        if self._project is None:
            from satchel.project import default_store_url, get_or_create_project

            self._project = get_or_create_project(self.project_name, self.args.store or default_store_url())
        return self._project

    def command(self, *words: str) -> str:
        """A ``satchel …`` command line to suggest, with the --store/--project this one used."""
        parts = [PROG]
        if self.args.store:
            parts += ["--store", self.args.store]
        if self.args.project:
            parts += ["--project", self.args.project]
        return shlex.join([*parts, *words])


# -- run -------------------------------------------------------------------------------------------


def cmd_run(ctx: Context) -> int:
    from satchel.cli.targets import load_handler, parse_inputs, parse_params

    args = ctx.args
    params = parse_params(args.params)
    inputs = parse_inputs(args.inputs)
    handler = load_handler(args.target)
    _check_arguments(handler, {**params, **inputs}, args.target)
    project = ctx.project
    _check_input_uris(project, inputs)
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
    failed = run.status != "completed"
    if ctx.json:
        print_json(run_json(run.record))
    else:
        _print_run_summary(ctx, run)
    if failed:
        print(f"{PROG}: run {run.record.name} failed: {run.error}", file=sys.stderr)
        print(f"the record and traceback are kept: {ctx.command('runs', 'show', run.uid)}", file=sys.stderr)
        if run.error and run.error.startswith("PickleNotAllowedError"):
            print("try: --allow-pickle, if you trust where the artifact came from", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _check_arguments(handler: Callable[..., Any], arguments: dict[str, Any], target: str) -> None:
    """Unknown or missing parameters are a usage error, found before a run is recorded."""
    import inspect

    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return  # some callables have no signature; the run reports what goes wrong
    try:
        signature.bind(**arguments)
    except TypeError as error:
        accepted = ", ".join(signature.parameters) or "no parameters"
        raise ValueError(f"cannot call {target}: {error}; it takes: {accepted} (give them with -p or -i)") from None


def _returns_something(handler: Callable[..., Any]) -> bool:
    import inspect

    try:
        annotation = inspect.signature(handler).return_annotation
    except (TypeError, ValueError):
        return True
    return annotation not in (None, "None")


def _check_input_uris(project: Project, inputs: dict[str, Any]) -> None:
    """A store:// input that is malformed or missing is a usage error, found before the handler runs."""
    from satchel.uri import is_store_uri

    for key, value in inputs.items():
        for item in value if isinstance(value, list) else [value]:
            if is_store_uri(item):
                try:
                    project.store.get_artifact(item)
                except Exception as error:
                    error.add_note(f"(input {key!r})")
                    raise


def _print_run_summary(ctx: Context, run: Run) -> None:
    record = run.record
    print(f"run {record.name}  {record.uid}  {record.status}")
    if record.results:
        print("results:")
        width = max(len(key) for key in record.results)
        for key in record.results:
            print(f"  {key.ljust(width)} = {summarize(_result_value(run, key))}")
    if record.outputs:
        print("outputs:")
        width = max(len(key) for key in record.outputs)
        for key, uri in record.outputs.items():
            print(f"  {key.ljust(width)}  {uri}")
    print("look at them:")
    for uri in record.outputs.values():
        print(f"  {ctx.command('artifacts', 'show', uri)}")
    print(f"  {ctx.command('runs', 'show', record.uid)}")


def _result_value(run: Run, key: str) -> Any:
    """The result restored to its type when its packager is installed, else the stored JSON value."""
    try:
        return run.result(key)
    except Exception:  # noqa: BLE001 - showing the stored value is better than failing to show
        return run.record.results[key]


def run_json(record: RunRecord, *, traceback: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uid": record.uid, "name": record.name, "project": record.project, "handler": record.handler,
        "status": record.status, "start": record.start, "end": record.end, "params": record.params,
        "inputs": record.inputs, "returns": record.returns, "results": record.results,
        "outputs": record.outputs, "error": record.error,
    }
    if traceback:
        data["traceback"] = record.traceback
    data["versions"] = record.versions
    data["labels"] = record.labels
    return data


# -- runs ------------------------------------------------------------------------------------------


def cmd_runs(ctx: Context) -> int:
    if ctx.args.runs_command == "show":
        return _show_run(ctx)
    limit = ctx.args.limit or None
    runs = ctx.project.list_runs(limit=limit)
    if ctx.json:
        print_json([run_json(run.record, traceback=False) for run in runs])
        return EXIT_OK
    if not runs:
        print(f"no runs in project {ctx.project_name!r} ({ctx.project.store.url}); start one with `{PROG} run FILE.py:FUNCTION`")
        return EXIT_OK
    print_table(
        ["uid", "name", "status", "start", "outputs"],
        ([r.uid, r.record.name, r.status, short_time(r.record.start), len(r.record.outputs)] for r in runs),
    )
    _more_hint(len(runs), limit)
    return EXIT_OK


def _more_hint(shown: int, limit: int | None) -> None:
    if limit is not None and shown == limit:
        print(f"(the newest {limit}; --limit N for more, --limit 0 for all)", file=sys.stderr)


def _show_run(ctx: Context) -> int:
    run = ctx.project.get_run(ctx.args.uid)
    record = run.record
    if ctx.json:
        print_json(run_json(record))
        return EXIT_OK
    fields: list[tuple[str, object]] = [
        ("uid", record.uid), ("name", record.name), ("project", record.project), ("handler", record.handler),
        ("status", record.status), ("start", short_time(record.start)), ("end", short_time(record.end)),
    ]
    if record.returns:
        fields.append(("returns", ", ".join(record.returns)))
    _print_fields(fields)
    _print_mapping("params", {k: summarize(v) for k, v in record.params.items()})
    _print_mapping("inputs", {k: _input_text(v) for k, v in record.inputs.items()})
    _print_mapping("results", {k: summarize(_result_value(run, k)) for k in record.results})
    _print_mapping("outputs", record.outputs, separator="  ")
    if record.versions:
        print(f"versions: {_versions_text(record.versions)}")
    if record.labels:
        _print_mapping("labels", record.labels)
    if record.error:
        print(f"error:    {record.error}")
    if record.traceback:
        print("traceback:")
        for line in record.traceback.rstrip().splitlines():
            print(f"  {line}")
    return EXIT_OK


def _input_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _versions_text(versions: dict[str, Any]) -> str:
    parts = [f"{name} {value}" for name, value in versions.items() if not isinstance(value, dict)]
    plugins = versions.get("plugins")
    if isinstance(plugins, dict) and plugins:
        parts.append("plugins: " + ", ".join(f"{name} {version}" for name, version in sorted(plugins.items())))
    return "; ".join(parts)


def _print_fields(fields: list[tuple[str, object]]) -> None:
    width = max(len(label) for label, _value in fields) + 1
    for label, value in fields:
        print(f"{(label + ':').ljust(width)}  {'-' if value is None else value}")


def _print_mapping(title: str, mapping: dict[str, Any], *, separator: str = " = ") -> None:
    if not mapping:
        return
    print(f"{title}:")
    width = max(len(str(key)) for key in mapping)
    for key, value in mapping.items():
        print(f"  {str(key).ljust(width)}{separator}{value}")


# -- artifacts -------------------------------------------------------------------------------------


def cmd_artifacts(ctx: Context) -> int:
    sub = ctx.args.artifacts_command
    if sub == "show":
        return _show_artifact(ctx)
    if sub == "get":
        return _get_artifact(ctx)
    args = ctx.args
    limit = args.limit or None
    found = [a.record for a in ctx.project.list_artifacts(key=args.key, kind=args.kind, tag=args.tag, limit=limit)]
    if ctx.json:
        print_json([artifact_json(record) for record in found])
        return EXIT_OK
    if not found:
        filters = [f"--{name} {value}" for name, value in (("key", args.key), ("kind", args.kind), ("tag", args.tag)) if value]
        matching = f" matching {' '.join(filters)}" if filters else ""
        print(f"no artifacts{matching} in project {ctx.project_name!r} ({ctx.project.store.url})")
        return EXIT_OK
    print_table(
        ["uri", "kind", "tags", "size", "created", "producer"],
        (
            [r.uri, r.kind, ",".join(r.tags) or None, human_size(r.size), short_time(r.created),
             r.producer.plugin if r.producer else None]
            for r in found
        ),
    )
    _more_hint(len(found), limit)
    return EXIT_OK


def artifact_json(record: ArtifactRecord, *, full: bool = False) -> dict[str, Any]:
    producer = record.producer
    data: dict[str, Any] = {
        "uri": record.uri, "key": record.key, "project": record.project, "uid": record.uid,
        "kind": record.kind, "iteration": record.iteration, "tags": list(record.tags), "size": record.size,
        "created": record.created,
        "producer": None if producer is None else {
            "plugin": producer.plugin, "distribution": producer.distribution,
            "version": producer.version, "format_version": producer.format_version,
        },
        "run": record.run, "format": record.format, "artifact_type": record.artifact_type,
        "object_type": record.object_type,
    }
    if full:
        data.update({
            "hash": record.hash,
            "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in record.files],
            "instructions": record.instructions, "labels": record.labels, "extra": record.extra,
            "preview": record.preview,
        })
    return data


def _show_artifact(ctx: Context) -> int:
    record = ctx.project.get_artifact(ctx.args.ref).record
    if ctx.json:
        print_json(artifact_json(record, full=True))
        return EXIT_OK
    producer = record.producer
    made_by = (
        f"{producer.plugin} ({producer.distribution or '?'} {producer.version or '?'}, format {producer.format_version})"
        if producer is not None else None
    )
    stored_as = ", ".join(
        part for part in (
            f"artifact type {record.artifact_type}" if record.artifact_type else "",
            f"format {record.format}" if record.format else "",
        ) if part
    )
    _print_fields([
        ("uri", record.uri), ("key", record.key), ("project", record.project),
        ("kind", f"{record.kind} ({stored_as})" if stored_as else record.kind),
        ("tags", ", ".join(record.tags) or None), ("size", f"{human_size(record.size)} ({record.size} bytes)"),
        ("created", short_time(record.created)), ("run", record.run), ("object type", record.object_type),
        ("producer", made_by), ("hash", record.hash),
    ])
    print("files:")
    print_table(
        ["  name", "size", "sha256"],
        ([f"  {f.name}", human_size(f.size), f.sha256] for f in record.files),
    )
    _print_mapping("instructions", {k: summarize(v) for k, v in record.instructions.items()})
    _print_mapping("labels", record.labels)
    _print_mapping("extra", {k: summarize(v) for k, v in record.extra.items()})
    if record.preview:
        _print_mapping("preview", {k: summarize(v) for k, v in record.preview.items()})
    print(f"export it: {ctx.command('artifacts', 'get', record.uri, '-o', 'PATH')}")
    return EXIT_OK


def _get_artifact(ctx: Context) -> int:
    project = ctx.project
    record = project.get_artifact(ctx.args.ref).record
    dest = ctx.args.output or project.config.artifact_path or os.curdir
    progress = sys.stderr.isatty() and record.size >= PROGRESS_MIN_BYTES
    paths = export(project.store, record, dest, progress=progress)
    if ctx.json:
        print_json({"uri": record.uri, "paths": paths})
    else:
        for path in paths:
            print(path)
    return EXIT_OK


def export(store: Any, record: ArtifactRecord, dest: str, *, progress: bool = False) -> list[str]:
    """Copy ``record``'s files to ``dest``, hashing each again on the way; returns the paths written.

    A one-file artifact goes to ``dest`` itself unless ``dest`` is a folder (or ends with a
    separator); otherwise files go under ``dest`` by their names. Each file appears only once
    complete and verified.
    """
    import hashlib
    import secrets

    from satchel.errors import IntegrityError

    item = store.data_item(record)
    root = item.local_dir()  # verified against the record's sha256 before it is returned
    into_folder = len(record.files) != 1 or os.path.isdir(dest) or dest.endswith(("/", os.sep))
    bar = Progress(record.size, record.key) if progress else None
    written: list[str] = []
    try:
        for entry in record.files:
            source = os.path.join(root, *entry.name.split("/"))
            target = os.path.join(dest, *entry.name.split("/")) if into_folder else dest
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            partial = f"{target}.{secrets.token_hex(6)}.part"
            digest = hashlib.sha256()
            try:
                with open(source, "rb") as reader, open(partial, "xb") as writer:
                    while chunk := reader.read(_CHUNK):
                        digest.update(chunk)
                        writer.write(chunk)
                        if bar is not None:
                            bar.advance(len(chunk))
                if digest.hexdigest() != entry.sha256:
                    raise IntegrityError(
                        f"artifact {record.uri}: file {entry.name!r} changed while it was copied "
                        f"(sha256 {digest.hexdigest()}, expected {entry.sha256}); nothing was written. "
                        f"Run `{PROG} verify` to check the store"
                    )
                os.replace(partial, target)
            finally:
                if os.path.exists(partial):
                    os.unlink(partial)
            written.append(target)
    finally:
        if bar is not None:
            bar.finish()
    return written


# -- plugins ---------------------------------------------------------------------------------------


def cmd_plugins(ctx: Context) -> int:
    from satchel.host import DISABLE_ENV, get_host

    host = get_host()
    infos = host.infos()
    blocked = sorted(host.blocked)
    failed = set(host.failures) - set(host.names)
    rows = [_plugin_json(info, failed) for info in infos]
    rows += [
        {**_plugin_json(None, set()), "name": name, "status": "blocked", "error": f"disabled by {DISABLE_ENV}"}
        for name in blocked
    ]
    if ctx.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("no packager plugins are loaded")
        return EXIT_OK
    print_table(
        ["name", "distribution", "version", "priority", "packs", "unpacks", "types"],
        (
            [
                row["name"], row["distribution"], row["version"],
                _priority_text(row),
                _artifact_types_text(row["packing_artifact_types"], row["default_packing_artifact_type"]),
                ", ".join(row["unpacking_artifact_types"]) or None,
                _plugin_last_column(row),
            ]
            for row in rows
        ),
    )
    print("(packs: the artifact types it writes, * the default; selection: priority 1 wins, then the name)")
    return EXIT_OK


def _plugin_json(info: PackagerInfo | None, failed_names: set[str]) -> dict[str, Any]:
    if info is None:
        return {
            "name": None, "status": "blocked", "distribution": None, "version": None, "priority": None,
            "fallback": False, "source": None, "types": [], "packing_artifact_types": [],
            "unpacking_artifact_types": [], "default_packing_artifact_type": None, "error": None,
        }
    failed = info.name in failed_names
    return {
        "name": info.name, "status": "failed" if failed else "loaded", "distribution": info.distribution,
        "version": info.version, "priority": None if failed else info.priority, "fallback": info.fallback,
        "source": info.source, "types": list(info.types),
        "packing_artifact_types": list(info.packing_artifact_types),
        "unpacking_artifact_types": list(info.unpacking_artifact_types),
        "default_packing_artifact_type": info.default_packing_artifact_type, "error": info.error,
    }


def _priority_text(row: dict[str, Any]) -> str | None:
    if row["priority"] is None:
        return None
    return f"{row['priority']} (fallback)" if row["fallback"] else str(row["priority"])


def _artifact_types_text(types: list[str], default: str | None) -> str | None:
    ordered = ([default] if default in types else []) + [t for t in types if t != default]
    return ", ".join(f"{t}*" if t == default else t for t in ordered) or None


def _plugin_last_column(row: dict[str, Any]) -> str:
    if row["status"] == "failed":
        return f"FAILED to load: {row['error']}"
    if row["status"] == "blocked":
        return f"blocked: {row['error']}"
    types = ", ".join(_short_type(t) for t in row["types"]) or "-"
    return f"{types}  [{row['error']}]" if row["error"] else types


def _short_type(name: str) -> str:
    return name.removeprefix("builtins.")


# -- explain ---------------------------------------------------------------------------------------


def cmd_explain(ctx: Context) -> int:
    from satchel.cli.explaining import explain_handler, explain_type, resolve_type_name
    from satchel.host import get_host

    args = ctx.args
    if (args.target is None) == (args.type_name is None):
        raise ValueError(
            "explain needs a handler or a type, not both or neither: "
            f"`{PROG} explain FILE.py:FUNCTION` or `{PROG} explain --type pathlib.Path`"
        )
    host = get_host()
    note: str | None = None
    if args.type_name is not None:
        if args.returns:
            raise ValueError("--returns goes with a handler; with --type, use --artifact-type")
        outputs = [explain_type(host, resolve_type_name(args.type_name), args.artifact_type)]
        target = args.type_name
    else:
        if args.artifact_type:
            raise ValueError("--artifact-type goes with --type; for a handler, give the type in --returns, e.g. 'key : file'")
        from satchel.cli.targets import load_handler

        outputs, note = explain_handler(host, load_handler(args.target), args.returns)
        target = args.target
    if ctx.json:
        print_json({"target": target, "note": note, "outputs": [o.to_json() for o in outputs]})
        return EXIT_OK
    if note:
        print(f"note: {note}\n")
    for number, output in enumerate(outputs):
        if number:
            print()
        _print_output_explanation(output)
    return EXIT_OK


def _print_output_explanation(output: Any) -> None:
    title = f"output {output.output!r}" if output.output else "the return value"
    hint = f" (log hint {output.hint!r})" if output.hint else ""
    typed = f": {output.type_name}" if output.type_name else ""
    print(f"{title}{hint}{typed}")
    explanation = output.explanation
    if explanation is not None:
        accepting = [c for c in explanation.candidates if c.accepted]
        if accepting:
            print_table(
                ["", "plugin", "priority", "why"],
                ([" ->" if c.winner else "", c.plugin, c.priority, c.reason] for c in accepting),
            )
        declining = [c.plugin for c in explanation.candidates if not c.accepted and not c.reason.startswith("failed")]
        if declining:
            wanted = f" as {output.artifact_type!r}" if output.artifact_type else ""
            print(f"     declined{wanted}: {', '.join(declining)}")
        for candidate in explanation.candidates:
            if candidate.reason.startswith("failed"):
                print(f"     {candidate.plugin}: {candidate.reason}")
    if output.winner is not None:
        packs_as = f" as {output.packs_as!r}" if output.packs_as else ""
        print(f"=> {output.winner} packs it{packs_as}")
    if output.note:
        print(f"note: {output.note}")


# -- maintenance -----------------------------------------------------------------------------------


def cmd_verify(ctx: Context) -> int:
    from satchel.uri import is_store_uri

    ref = ctx.args.ref
    store = ctx.project.store
    if ref is not None and not is_store_uri(ref):
        ref = ctx.project.get_artifact(ref).uri
    problems = store.verify(ref)
    if ctx.json:
        print_json({
            "ok": not problems,
            "problems": [
                {"uri": p.uri, "file": p.file, "problem": p.problem, "expected": p.expected, "actual": p.actual}
                for p in problems
            ],
        })
        return EXIT_FAILED if problems else EXIT_OK
    what = ref if ref is not None else f"every artifact in {store.url}"
    if not problems:
        print(f"ok: {what}: every file matches its sha256")
        return EXIT_OK
    for problem in problems:
        print(str(problem))
    print(f"{PROG}: {len(problems)} problem(s) in {what}", file=sys.stderr)
    return EXIT_FAILED


def cmd_gc(ctx: Context) -> int:
    import attrs

    store = ctx.project.store
    _require_existing(store)
    report = store.gc(dry_run=ctx.args.dry_run, older_than=ctx.args.older_than)
    if ctx.json:
        print_json({**attrs.asdict(report), "bytes_removed": report.bytes_removed})
    else:
        print(str(report))
    return EXIT_OK


def cmd_reindex(ctx: Context) -> int:
    store = ctx.project.store
    _require_existing(store)
    count = store.reindex()
    if ctx.json:
        print_json({"artifacts": count})
    else:
        print(f"indexed {count} artifact version(s) in {store.url}")
    return EXIT_OK


def _require_existing(store: Any) -> None:
    from satchel.errors import StoreError

    if "://" not in store.url and not os.path.isdir(store.url):
        raise StoreError(f"there is no store at {store.url}; give --store PATH, or run something to create it")


# -- dispatch and errors ---------------------------------------------------------------------------

COMMANDS: dict[str, Callable[[Context], int]] = {
    "run": cmd_run,
    "runs": cmd_runs,
    "artifacts": cmd_artifacts,
    "plugins": cmd_plugins,
    "explain": cmd_explain,
    "verify": cmd_verify,
    "gc": cmd_gc,
    "reindex": cmd_reindex,
}


def dispatch(args: argparse.Namespace) -> int:
    """Run the command ``args`` names; user mistakes become one ``satchel: error:`` line and exit 2."""
    from satchel.errors import SatchelError

    ctx = Context(args)
    try:
        with _short_warnings():
            return COMMANDS[args.command](ctx)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (SatchelError, FileNotFoundError, ImportError, ValueError, KeyError, OSError) as error:
        _print_error(error)
        return EXIT_USAGE


def _print_error(error: BaseException) -> None:
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        message = error.args[0]  # str(KeyError) would quote the message
    elif isinstance(error, OSError) and error.strerror and error.filename and not isinstance(error, FileNotFoundError):
        message = f"{error.strerror}: {error.filename}"
    else:
        message = str(error) or type(error).__name__
    for note in getattr(error, "__notes__", ()):
        message += f" {note}"
    print(f"{PROG}: error: {message}", file=sys.stderr)


@contextmanager
def _short_warnings() -> Iterator[None]:
    """Warnings as one ``satchel: warning:`` line each, not with the source line that raised them."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: str | None = None) -> None:
        print(f"{PROG}: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield
