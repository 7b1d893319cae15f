"""The ``satchel`` command: run handlers, and list, show, export and check what the store holds.

Exit status: 0 on success; 1 when a run failed, ``verify`` found problems, a model package
failed verification or a model failed on a payload; 2 for a usage error or bad input (a payload
that does not match the model's signature too; the message says what was wrong, without a
traceback).

Every listing and show command takes ``--json`` and then prints one JSON document to stdout;
its keys are stable and listed in ``JSON_KEYS`` (and in each command's ``--help``).

This module reads the command line and dispatches it; each command lives in the module of its
group (run, browse, plugins, explain, maintenance, code, models), over the shared ``context``.
"""

# A command's module is imported only once argparse has chosen it, so `satchel --help` imports
# the standard library and satchel's light modules alone.

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import cast

from satchel._version import __version__
from satchel.cli.context import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    USER_ERRORS,
    Context,
    print_error,
    short_warnings,
)

__all__ = ["COMMANDS", "JSON_KEYS", "build_parser", "dispatch", "main"]

#: The module and function that carry out each command.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("satchel.cli.run", "cmd_run"),
    "runs": ("satchel.cli.browse", "cmd_runs"),
    "artifacts": ("satchel.cli.browse", "cmd_artifacts"),
    "plugins": ("satchel.cli.plugins", "cmd_plugins"),
    "explain": ("satchel.cli.explain", "cmd_explain"),
    "verify": ("satchel.cli.maintenance", "cmd_verify"),
    "gc": ("satchel.cli.maintenance", "cmd_gc"),
    "reindex": ("satchel.cli.maintenance", "cmd_reindex"),
    "cache": ("satchel.cli.maintenance", "cmd_cache"),
    "code": ("satchel.cli.code", "cmd_code"),
    "functions": ("satchel.cli.code", "cmd_functions"),
    "workflows": ("satchel.cli.code", "cmd_workflows"),
    "workflow": ("satchel.cli.code", "cmd_workflows"),
    "project": ("satchel.cli.code", "cmd_project"),
    "models": ("satchel.cli.models", "cmd_models"),
    "new-plugin": ("satchel.cli.scaffold", "cmd_new_plugin"),
}

_RUN_KEYS = (
    "uid, name, project, handler, status, start, end, params, inputs, returns, results, "
    "outputs (key -> store:// URI), error, traceback, versions, labels, kind (function or workflow), "
    "code (the code that ran: uri with uid, source, handler, digest, code_type; or null), "
    "environment (kind: local or isolated, key, requirements), workflow (the uid of the workflow "
    "run this is a step of, or null), steps (a workflow's step run uids)"
)
_CODE_KEYS = (
    "uri, key, project, uid, kind, code_type (function or workflow), language, layout (file or archive), "
    "modules, requirements, target (url, sha256, size, name, copy; or null), size, digest, tags, created"
)
_FUNCTION_KEYS = "name, source, handler, requirements, kind"
_WORKFLOW_KEYS = "name, source, handler, arguments"
_MODEL_KEYS = "uri, key, uid, framework, format, version, size, created, tags"
_ARTIFACT_KEYS = (
    "uri, key, project, uid, kind, iteration, tags, size, created, producer (plugin, "
    "distribution, version, format_version; or null), run, format, artifact_type, object_type"
)
#: The keys of what ``--json`` prints, per command; scripts may rely on them.
JSON_KEYS: dict[str, str] = {
    "run": f"an object: {_RUN_KEYS}",
    "runs": f"a list of objects: {_RUN_KEYS.replace('traceback, ', '')}",
    "runs show": f"an object: {_RUN_KEYS}",
    "artifacts": f"a list of objects: {_ARTIFACT_KEYS}",
    "artifacts show": f"an object: {_ARTIFACT_KEYS}, hash, files (name, digest, size), instructions, labels, extra, preview",
    "artifacts get": "an object: uri, paths (the files written)",
    "plugins": (
        "a list of objects: name, status (loaded, failed, blocked), distribution, version, priority, "
        "fallback, source, types, packing_artifact_types, unpacking_artifact_types, "
        "default_packing_artifact_type, error"
    ),
    "explain": (
        "an object: target, note, outputs (a list of: output, hint, type, artifact_type, winner, "
        "packs_as, note, candidates (plugin, priority, accepted, fallback, winner, reason))"
    ),
    "verify": "an object: ok, problems (a list of: uri, file, problem, expected, actual)",
    "gc": "an object: dry_run, blobs_removed, blob_bytes_removed, blobs_kept, tmp_removed, tmp_bytes_removed, bytes_removed",
    "reindex": "an object: artifacts (the number of versions indexed)",
    "cache": "an object: root, dry_run, entries (a list of: kind, path, size, last_used), removed (the same, or null), bytes_removed",
    "code log": f"an object: {_CODE_KEYS}, notebook (file, code_cells, dropped_lines, dropped; or null)",
    "code list": f"a list of objects: {_CODE_KEYS}",
    "code show": (
        f"an object: {_CODE_KEYS}, labels, files (name, digest, size), notebook (file, code_cells, "
        "dropped_lines, dropped; or null), source (the text of one small .py file, else null)"
    ),
    "functions": f"a list of objects: {_FUNCTION_KEYS}",
    "functions set": f"an object: {_FUNCTION_KEYS}",
    "workflows": f"a list of objects: {_WORKFLOW_KEYS}",
    "workflows set": f"an object: {_WORKFLOW_KEYS}",
    "workflow run": f"an object: run (an object: {_RUN_KEYS}), steps (a list of: uid, name, status, error)",
    "project export": "an object: path (the file written)",
    "project import": "an object: project, store, functions (names), workflows (names)",
    "models list": f"a list of objects: {_MODEL_KEYS}",
    "models show": (
        f"an object: {_MODEL_KEYS}, project, run, root_digest, requirements, versions, metrics, params, notes, "
        "labels, files (name, digest, size), signature (layout, inputs, outputs, params; or null), "
        "card (the model-card.md text, or null)"
    ),
    "models verify": "an object: ok, target (the URI or folder), files (how many), root_digest, error (or null)",
    "models predict": "an object: uri, root_digest, outputs",
    "models export": "an object: uri, path (the folder written)",
    "new-plugin": "an object: path (the folder written), distribution, entry_point, module, packager, type",
}

_DESCRIPTION = "Run functions whose results become stored, versioned, verifiable artifacts."
_EPILOG = """\
examples:
  satchel run images.py:generate -p width=128 --returns "gradient : file[format=jpeg]"
  satchel run images.py:thumbnail -i img=store://artifacts/default/gradient --returns thumb
  satchel runs                      newest runs first
  satchel artifacts show gradient   an artifact by key (latest) or by store:// URI
  satchel plugins                   what is installed, and what packs what
  satchel explain images.py:generate
  satchel code log my_pkg my_pkg.zip                    code as a versioned artifact
  satchel run store://code/default/my_pkg --handler trainer:main -p p1=5 --returns out
  satchel functions set store://code/default/my_pkg --handler trainer:main --name trainer
  satchel run trainer -p p1=5 --returns out             a saved function, by name
  satchel workflow run main -a p1=3
  satchel models show clf                               a model package: signature and card
  satchel models predict clf --input payload.json       outputs as JSON
  satchel models serve clf --port 8765                  GET /health, /signature; POST /predict
  satchel new-plugin polars --type polars.DataFrame     a packager plugin distribution to start from

the store: --store, else $SATCHEL_STORE, else `store = ...` in ./satchel.toml, else ./.satchel
"""


def _common_options(*, with_defaults: bool) -> argparse.ArgumentParser:
    """--store, --project and --json, accepted before the command and after it.

    After the command their default is SUPPRESS, so an option given before the command is
    not overwritten by the subcommand's default.
    """
    parent = argparse.ArgumentParser(add_help=False)
    default = None if with_defaults else argparse.SUPPRESS
    parent.add_argument(
        "--store", metavar="PATH_OR_URL", default=default,
        help="the store: a folder or fsspec URL (default: $SATCHEL_STORE, ./satchel.toml, ./.satchel)",
    )
    parent.add_argument(
        "--project", metavar="NAME", default=default,
        help="the project (default: $SATCHEL_PROJECT, else 'default')",
    )
    parent.add_argument(
        "--json", action="store_true", default=False if with_defaults else argparse.SUPPRESS,
        help="print JSON for scripts instead of text (its keys are listed in each command's --help)",
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(with_defaults=False)
    parser = argparse.ArgumentParser(
        prog=PROG, description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common_options(with_defaults=True)],
    )
    parser.add_argument("--version", action="version", version=f"satchel {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str, aliases: Sequence[str] = ()) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=help_text, description=help_text, parents=[common], epilog=_json_epilog(name),
            aliases=list(aliases),
        )

    run = command("run", "run a handler and store what it returns")
    run.add_argument(
        "target", metavar="TARGET",
        help="the handler: FILE.py:FUNCTION, package.module:FUNCTION, the NAME of a saved function "
        "(`satchel functions`), or a store://code/... URI (with --handler)",
    )
    run.add_argument(
        "--handler", metavar="MODULE:FUNCTION",
        help="with a store://code/... TARGET: the function to run, in a module of the code (e.g. trainer:main)",
    )
    run.add_argument(
        "--env", choices=("local", "isolated"),
        help="for a saved function or store://code/... TARGET: run here (local, the default) or in a "
        "virtual environment built for the code's requirements (isolated)",
    )
    run.add_argument(
        "-p", "--param", dest="params", action="append", default=[], metavar="KEY=VALUE",
        help="a parameter; VALUE is read as a Python literal (3, 0.5, [1, 2], 'x', None), else as text",
    )
    run.add_argument(
        "-i", "--input", dest="inputs", action="append", default=[], metavar="KEY=URI_OR_PATH",
        help="an input, unpacked to the parameter's type hint; repeat a key to pass a list",
    )
    run.add_argument(
        "--returns", action="extend", nargs="+", metavar="HINT",
        help="log hints, one per returned value: 'key', 'key : type', 'key : type[option=value]', '*key'",
    )
    run.add_argument("--name", help="the run's name (default: the function's name)")
    run.add_argument(
        "--allow-pickle", action="store_true",
        help="let pickled inputs be loaded (loading a pickle runs code: only for artifacts you trust)",
    )
    run.add_argument(
        "--executor", metavar="tcp://HOST:PORT",
        help="run it on the Dask cluster whose scheduler is there (pip install 'satchel[dask]'); the worker "
        "writes to the same store and catalog, which it must reach too",
    )
    run.add_argument(
        "--retries", type=_count, default=0, metavar="N",
        help="with --executor: run it again, up to N more times, when the worker running it dies",
    )

    runs = command("runs", "list runs, newest first; `runs show UID` for one")
    runs.add_argument("--limit", type=_count, default=50, metavar="N", help="show at most N runs (default 50; 0: all)")
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="{show}")
    show_run = runs_sub.add_parser(
        "show", help="one run in full: params, inputs, results, outputs, error and traceback", parents=[common],
        epilog=_json_epilog("runs show"),
    )
    show_run.add_argument("uid", metavar="UID", help="the run's uid, or its first 6 or more characters")

    artifacts = command("artifacts", "list artifacts, newest first; `show` or `get` one")
    artifacts.add_argument("--key", help="only versions of this key")
    artifacts.add_argument("--kind", help="only this kind (file, dir, plot, dataset, model, code, object, prompt)")
    artifacts.add_argument("--tag", help="only versions with this tag, e.g. latest")
    artifacts.add_argument("--limit", type=_count, default=50, metavar="N", help="show at most N (default 50; 0: all)")
    artifacts_sub = artifacts.add_subparsers(dest="artifacts_command", metavar="{show,get}")
    show_artifact = artifacts_sub.add_parser(
        "show", help="an artifact's metadata: producer, files with their digests, instructions, preview", parents=[common],
        epilog=_json_epilog("artifacts show"),
    )
    show_artifact.add_argument("ref", metavar="URI", help="a store:// URI, or a key of the project (its latest version)")
    get_artifact = artifacts_sub.add_parser(
        "get", help="copy an artifact's files out of the store, verified", parents=[common],
        epilog=_json_epilog("artifacts get"),
    )
    get_artifact.add_argument("ref", metavar="URI", help="a store:// URI, or a key of the project (its latest version)")
    get_artifact.add_argument(
        "-o", "--output", metavar="PATH",
        help="where to write: a file path for a one-file artifact, else a folder (default: the current folder)",
    )
    get_artifact.add_argument(
        "--force", action="store_true",
        help="overwrite files that already exist (without it, an existing file is an error and nothing is written)",
    )

    command("plugins", "list packager plugins: what each packs, and any that failed to load")

    explain = command(
        "explain", "show which packager would store each output of a handler (or a type), and why",
    )
    explain.add_argument("target", metavar="TARGET", nargs="?", help="the handler: FILE.py:FUNCTION or package.module:FUNCTION")
    explain.add_argument("--returns", action="extend", nargs="+", metavar="HINT", help="log hints, as for `satchel run`")
    explain.add_argument("--type", dest="type_name", metavar="DOTTED.TYPE", help="explain a type instead, e.g. pathlib.Path or dict")
    explain.add_argument("--artifact-type", metavar="TYPE", help="with --type: the artifact type asked for, e.g. file")

    verify = command("verify", "hash stored files again and report any that do not match; exit 1 if any")
    verify.add_argument("ref", metavar="URI", nargs="?", help="one artifact (URI or key); default: the whole store")

    gc = command("gc", "remove blobs no artifact refers to, and stale temporary files")
    gc.add_argument("--dry-run", action="store_true", help="only report what would be removed")
    gc.add_argument(
        "--older-than", type=float, default=3600, metavar="SECONDS",
        help="only remove what has not changed for this long (default 3600), so writers in progress are safe",
    )

    command("reindex", "rebuild the listing index from the store's files")

    cache = command("cache", "list the extracted code and isolated environments in your cache; prune what is unused")
    cache.add_argument("action", nargs="?", choices=("list", "prune", "clear"), default="list",
                       help="list (the default); prune what has not been used for --older-than days; clear it all")
    cache.add_argument("--older-than", type=float, default=30, metavar="DAYS",
                       help="with prune: remove what has not been used for this many days (default 30)")
    cache.add_argument("--dry-run", action="store_true", help="with prune or clear: only say what would go")

    new_plugin = command(
        "new-plugin", "write a new packager plugin distribution, satchel-NAME: packager, tests, pyproject.toml, README",
    )
    new_plugin.add_argument("name", metavar="NAME", help="the plugin's name, e.g. polars: distribution satchel-NAME, package satchel_NAME")
    new_plugin.add_argument(
        "--type", dest="type_name", metavar="DOTTED.TYPE",
        help="the type it packs, e.g. polars.DataFrame (default: a stand-in type of the plugin's own, to replace)",
    )
    new_plugin.add_argument("--dir", metavar="DIR", help="the folder to write, new or empty (default: ./satchel-NAME)")
    _code_commands(command, common)
    _model_commands(command, common)
    return parser


def _code_commands(command: Callable[..., argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """``code``, ``functions``, ``workflows`` (also ``workflow``) and ``project``."""

    def sub(parent: argparse._SubParsersAction[argparse.ArgumentParser], name: str, json_name: str, help_text: str) -> argparse.ArgumentParser:
        return parent.add_parser(name, help=help_text, description=help_text, parents=[common], epilog=_json_epilog(json_name))

    def requirement_option(parser: argparse.ArgumentParser, what: str) -> None:
        parser.add_argument(
            "--requirement", dest="requirements", action="append", default=[], metavar="REQ",
            help=f"a pip requirement of {what}, e.g. 'pandas>=2.0' (repeat for more)",
        )

    code = command("code", "log code as a versioned artifact, list code artifacts, show one")
    code_sub = code.add_subparsers(dest="code_command", metavar="{log,list,show}", required=True)
    log = sub(code_sub, "log", "code log", "store a .py file, notebook, archive or folder as a code artifact")
    log.add_argument("key", metavar="KEY", help="the artifact's key: store://code/<project>/KEY")
    log.add_argument(
        "path", metavar="PATH", nargs="?",
        help="a .py file, .ipynb notebook, .zip/.tar.gz archive or folder; with --body-file, a file whose "
        "text is the code ('-': read it from stdin, the module named after KEY)",
    )
    log.add_argument("--body-file", action="store_true", help="store PATH's text as one module named after PATH's file name")
    log.add_argument("--type", dest="code_type", choices=("function", "workflow"), default="function", help="what the code is for (default: function)")
    requirement_option(log, "the code")
    log.add_argument(
        "--target-path", metavar="URL",
        help="also copy the code there (any fsspec URL); without PATH, reference the object already there",
    )
    log.add_argument("--language", metavar="L", help="the code's language (default: from PATH's suffix)")
    log.add_argument("--label", dest="labels", action="append", default=[], metavar="KEY=VALUE", help="a label (repeat for more)")
    log.add_argument("--tag", dest="tags", action="append", default=[], metavar="TAG", help="tag this version TAG as well as latest (repeat for more)")
    listing = sub(code_sub, "list", "code list", "the project's code artifacts, newest first")
    listing.add_argument("--type", dest="code_type", choices=("function", "workflow"), help="only code of this type")
    show = sub(code_sub, "show", "code show", "one code artifact: modules, requirements, digest, and the source of a small .py file")
    show.add_argument("ref", metavar="URI", help="a store://code/... URI, or a key of the project (its latest version)")

    functions = command("functions", "list the project's saved functions; `functions set` saves one")
    functions_sub = functions.add_subparsers(dest="functions_command", metavar="{set}")
    set_function = sub(functions_sub, "set", "functions set", "save a function of the project (run it with `satchel run NAME`)")
    set_function.add_argument(
        "source", metavar="SOURCE", help="the code: a store://code/... URI, a .py file or an importable module",
    )
    set_function.add_argument(
        "--handler", required=True, metavar="HANDLER",
        help="the function: MODULE:FUNCTION for a store:// URI (e.g. trainer:main), else the function's name",
    )
    set_function.add_argument("--name", help="the function's name (default: from the code artifact's key or the file)")
    requirement_option(set_function, "the function (they win over the code artifact's)")

    workflows = command(
        "workflows", "list the project's workflows; `set` saves one, `run` runs one", aliases=["workflow"],
    )
    workflows_sub = workflows.add_subparsers(dest="workflows_command", metavar="{set,run}")
    set_workflow = sub(workflows_sub, "set", "workflows set", "save a workflow: code whose handler gets the project and the arguments")
    set_workflow.add_argument("name", metavar="NAME", help="the workflow's name")
    set_workflow.add_argument("source", metavar="SOURCE", help="a store://code/... workflow URI, a .py file or an importable module")
    set_workflow.add_argument("--handler", help="the function to call (default: workflow, in the code's one module)")
    run_workflow = sub(workflows_sub, "run", "workflow run", "run a workflow; each run it makes is one of its steps")
    run_workflow.add_argument("name", metavar="NAME", help="the workflow's name (`satchel workflows`)")
    run_workflow.add_argument(
        "-a", "--argument", dest="arguments", action="append", default=[], metavar="KEY=VALUE",
        help="an argument; VALUE is read as a Python literal, else as text",
    )

    project = command("project", "export the project's functions and workflows to a file, or import one")
    project_sub = project.add_subparsers(dest="project_command", metavar="{export,import}", required=True)
    export = sub(project_sub, "export", "project export", "write the project's spec: a .zip embeds the code, a .yaml keeps store:// URIs")
    export.add_argument("path", metavar="PATH", help="the file to write (.zip or .yaml)")
    load = sub(project_sub, "import", "project import", "load a project exported with `project export` into the store")
    load.add_argument("path", metavar="PATH", help="the exported .zip or .yaml file")
    load.add_argument("--name", help="the project's name in the store (default: --project, else the name in the file)")


def _model_commands(command: Callable[..., argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """``models list|show|verify|predict|export|serve``."""
    models = command("models", "model packages: list, show, verify, predict with, export and serve them")
    models_sub = models.add_subparsers(dest="models_command", metavar="{list,show,verify,predict,export,serve}", required=True)

    def sub(name: str, help_text: str) -> argparse.ArgumentParser:
        return models_sub.add_parser(
            name, help=help_text, description=help_text, parents=[common], epilog=_json_epilog(f"models {name}"),
        )

    def model_ref(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref", metavar="URI", help="a store://models/... URI, or a key of the project (its latest version)")

    def loading_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--allow-pickle", action="store_true",
            help="let a pickle or joblib package be loaded (loading a pickle runs code: only for models you trust)",
        )
        parser.add_argument(
            "--trust", dest="trusted_types", action="append", default=[], metavar="TYPE",
            help="trust this type when a secure format (skops) loads the model, e.g. sklearn.tree._tree.Tree (repeat for more)",
        )

    listing = sub("list", "the project's model packages, newest first")
    listing.add_argument("--limit", type=_count, default=50, metavar="N", help="show at most N (default 50; 0: all)")
    model_ref(sub("show", "a model package: what it is, its signature and its card (shown as text; nothing is run)"))
    verify = sub("verify", "check every file of a model package, stored or exported; exit 1 if one does not match")
    verify.add_argument(
        "ref", metavar="URI_OR_DIR",
        help="a store://models/... URI, a key of the project, or an exported package's folder (DIR/<name>/<version>)",
    )
    predict = sub("predict", "load a model package (verified) and print its outputs for a JSON payload")
    model_ref(predict)
    predict.add_argument(
        "--input", required=True, metavar="PAYLOAD.json",
        help="the payload: a JSON file, or '-' to read it from stdin (checked against the signature first)",
    )
    loading_options(predict)
    export = sub("export", "write a model package, verified, to DIR/<name>/<version>/, to run without satchel")
    model_ref(export)
    export.add_argument("dest", metavar="DIR", help="the folder to export into (an existing version folder is never overwritten)")
    serve = sub("serve", "serve a model package over HTTP: GET /health, GET /signature, POST /predict (needs satchel[serve])")
    model_ref(serve)
    serve.add_argument(
        "--host", default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1, this machine only; anything else serves the "
        "network and needs --token)",
    )
    serve.add_argument("--port", type=_port, default=8765, metavar="N", help="the port (default 8765; 0: any free one)")
    serve.add_argument(
        "--token", metavar="SECRET",
        help="answer only requests with Authorization: Bearer SECRET (default: $SATCHEL_SERVE_TOKEN; "
        "prefer it, as a command line is visible to others on this machine)",
    )
    loading_options(serve)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return value


def _json_epilog(command: str) -> str | None:
    keys = JSON_KEYS.get(command)
    return None if keys is None else f"--json prints {keys}"


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative; give 0 (all) or more")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``satchel`` command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return _exit_code(exit_)
    return dispatch(args)


def dispatch(args: argparse.Namespace) -> int:
    """Run the command ``args`` names; user mistakes become one ``satchel: error:`` line and exit 2."""
    module, function = COMMANDS[args.command]
    command = cast(Callable[[Context], int], getattr(importlib.import_module(module), function))
    ctx = Context(args)
    try:
        with short_warnings():
            return command(ctx)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except USER_ERRORS as error:
        print_error(error)
        return EXIT_USAGE


def _exit_code(exit_: SystemExit) -> int:
    code = exit_.code
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_USAGE
