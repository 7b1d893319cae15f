"""``satchel runs`` and ``satchel artifacts``: list what a project holds, show one record, export an artifact.

A store is untrusted input: showing a record imports nothing it names (results are shown as
their stored JSON values, beside their recorded type), every text goes through
``output.printable``, and files are written only where the user says (``-o``, else the current
folder), never over an existing file without ``--force``.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from satchel.cli.context import EXIT_OK, PROG, Context, result_texts
from satchel.cli.json_output import (
    ARTIFACT_KEYS,
    ARTIFACT_SHOW_KEYS,
    RUN_KEYS,
    RUN_LISTING_KEYS,
    documented,
    print_json,
)
from satchel.cli.output import (
    Progress,
    human_size,
    print_fields,
    print_mapping,
    print_table,
    printable,
    short_time,
    summarize,
)
from satchel.errors import StoreError

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord

__all__ = ["cmd_artifacts", "cmd_runs"]


# -- runs ------------------------------------------------------------------------------------------


def cmd_runs(ctx: Context) -> int:
    if ctx.args.runs_command == "show":
        return _show_run(ctx)
    limit = ctx.args.limit or None
    runs = ctx.project.list_runs(limit=limit)
    if ctx.json:
        print_json([documented(run.record, RUN_LISTING_KEYS) for run in runs])
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


def _show_run(ctx: Context) -> int:
    record = ctx.project.get_run(ctx.args.uid).record
    if ctx.json:
        print_json(documented(record, RUN_KEYS))
        return EXIT_OK
    fields: list[tuple[str, object]] = [
        ("uid", record.uid), ("name", record.name), ("project", record.project), ("kind", record.kind),
        ("handler", record.handler), ("status", record.status), ("start", short_time(record.start)),
        ("end", short_time(record.end)),
    ]
    if record.returns:
        fields.append(("returns", ", ".join(record.returns)))
    print_fields(fields)
    if record.code:
        print_mapping("code", _code_fields(record.code))
    if record.environment:
        print(f"environment: {printable(_environment_text(record.environment))}")
    if record.workflow:
        print(f"step of workflow: {printable(_run_text(ctx, record.workflow))}")
    if record.steps:
        print("steps:")
        print_table(["  uid", "name", "status"], (_step_row(ctx, uid) for uid in record.steps))
    print_mapping("params", {k: summarize(v) for k, v in record.params.items()})
    print_mapping("inputs", {k: _input_text(v) for k, v in record.inputs.items()})
    print_mapping("results", result_texts(record))
    print_mapping("outputs", record.outputs, separator="  ")
    if record.versions:
        print(f"versions: {printable(_versions_text(record.versions))}")
    print_mapping("labels", record.labels)
    if record.error:
        print(f"error:    {printable(record.error)}")
    if record.traceback:
        print("traceback:")
        for line in record.traceback.rstrip().splitlines():
            print(f"  {printable(line)}")
    return EXIT_OK


#: The fields of a run's code that say what ran, first; the others follow as recorded.
_CODE_ORDER = ("uri", "handler", "digest", "source", "code_type")


def _code_fields(code: dict[str, Any]) -> dict[str, str]:
    ordered = [key for key in _CODE_ORDER if key in code] + [key for key in code if key not in _CODE_ORDER and key != "uid"]
    return {key: code[key] if isinstance(code[key], str) else summarize(code[key]) for key in ordered}


def _environment_text(environment: dict[str, Any]) -> str:
    """``local``, or ``isolated <key>``, with the requirements it was checked or built for."""
    text = str(environment.get("kind", "?"))
    if environment.get("key"):
        text += f" {environment['key']}"
    if environment.get("path"):
        text += f" at {environment['path']}"
    requirements = environment.get("requirements")
    if isinstance(requirements, list) and requirements:
        text += f"; requirements: {', '.join(str(r) for r in requirements)}"
    return text


def _run_text(ctx: Context, uid: str) -> str:
    """``<uid> (<name>, <status>)``, or the uid alone when that run's record cannot be read."""
    try:
        record = ctx.project.get_run(uid).record
    except (StoreError, ValueError):  # a missing record, or a uid the store refuses
        return uid
    return f"{uid} ({record.name}, {record.status})"


def _step_row(ctx: Context, uid: str) -> list[object]:
    """A step's uid, name and status; ``missing`` when its record cannot be read."""
    try:
        step = ctx.project.get_run(uid).record
    except (StoreError, ValueError):
        return [f"  {uid}", None, "missing"]
    return [f"  {uid}", step.name, step.status]


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
        print_json([documented(record, ARTIFACT_KEYS, uri=record.uri) for record in found])
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


def _show_artifact(ctx: Context) -> int:
    record = ctx.project.get_artifact(ctx.args.ref).record
    if ctx.json:
        print_json(documented(record, ARTIFACT_SHOW_KEYS, uri=record.uri))
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
    print_fields([
        ("uri", record.uri), ("key", record.key), ("project", record.project),
        ("kind", f"{record.kind} ({stored_as})" if stored_as else record.kind),
        ("tags", ", ".join(record.tags) or None), ("size", f"{human_size(record.size)} ({record.size} bytes)"),
        ("created", short_time(record.created)), ("run", record.run), ("object type", record.object_type),
        ("producer", made_by), ("hash", record.hash),
    ])
    print("files:")
    print_table(
        ["  name", "size", "digest"],
        ([f"  {f.name}", human_size(f.size), f.digest] for f in record.files),
    )
    print_mapping("instructions", {k: summarize(v) for k, v in record.instructions.items()})
    print_mapping("labels", record.labels)
    print_mapping("extra", {k: summarize(v) for k, v in record.extra.items()})
    print_mapping("preview", {k: summarize(v) for k, v in (record.preview or {}).items()})
    print(f"export it: {printable(ctx.command('artifacts', 'get', record.uri, '-o', 'PATH'))}")
    return EXIT_OK


#: Exports at least this large show a progress bar when stderr is a terminal.
PROGRESS_MIN_BYTES = 8 * 1024 * 1024


def _get_artifact(ctx: Context) -> int:
    project = ctx.project
    record = project.get_artifact(ctx.args.ref).record
    # Where files go is the user's choice alone: nothing read from the store names a path.
    dest = ctx.args.output or os.curdir
    _check_writable(_export_targets(record, dest), dest, force=ctx.args.force)
    bar = Progress(record.size, record.key) if sys.stderr.isatty() and record.size >= PROGRESS_MIN_BYTES else None
    try:
        paths = project.store.export(record, dest, progress=bar.advance if bar is not None else None)
    finally:
        if bar is not None:
            bar.finish()
    if ctx.json:
        print_json({"uri": record.uri, "paths": paths})
    else:
        for path in paths:
            print(printable(path))
    return EXIT_OK


def _export_targets(record: ArtifactRecord, dest: str) -> list[str]:
    """The paths ``Store.export`` writes ``record``'s files to under ``dest``, each checked to stay inside it.

    The store validates file names before it writes; this checks the outcome again on the
    caller's side, so that no name read from a record can place a file outside ``dest``.
    """
    if len(record.files) == 1 and not os.path.isdir(dest) and not dest.endswith(("/", os.sep)):
        return [dest]
    root = os.path.abspath(dest)
    targets = []
    for entry in record.files:
        name = entry.name if isinstance(entry.name, str) else ""
        target = os.path.join(dest, *name.split("/"))
        inside = os.path.abspath(target)
        if not name or os.path.commonpath([root, inside]) != root or inside == root:
            raise StoreError(
                f"artifact {record.uri}: file name {entry.name!r} would be written outside "
                f"{dest!r}; nothing was written (a file name is a relative path like 'data.csv')"
            )
        targets.append(target)
    return targets


def _check_writable(targets: list[str], dest: str, *, force: bool) -> None:
    """Refuse, before anything is written, a target that exists (without ``force``) or sits under a file."""
    root = os.path.abspath(dest)
    for target in targets:
        folder = os.path.dirname(os.path.abspath(target))
        while folder != root and len(folder) > len(root):
            if os.path.lexists(folder) and not os.path.isdir(folder):
                raise NotADirectoryError(
                    f"{folder} is not a folder, so {target} cannot be written; nothing was written. "
                    "Give -o another path"
                )
            folder = os.path.dirname(folder)
    if force:
        return
    existing = [target for target in targets if os.path.lexists(target)]
    if existing:
        more = f" (and {len(existing) - 1} more of its files)" if len(existing) > 1 else ""
        raise FileExistsError(
            f"{existing[0]} already exists{more}; nothing was written. Give --force to overwrite, "
            "or -o another path"
        )


# -- text ------------------------------------------------------------------------------------------


def _more_hint(shown: int, limit: int | None) -> None:
    if limit is not None and shown == limit:
        print(f"(the newest {limit}; --limit N for more, --limit 0 for all)", file=sys.stderr)
