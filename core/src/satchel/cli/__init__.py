"""The ``satchel`` command: run handlers, and list, show, export and check what the store holds.

Exit status: 0 on success; 1 when a run failed or ``verify`` found problems; 2 for a usage
error or bad input (the message says what was wrong, without a traceback).

Every listing and show command takes ``--json`` and then prints one JSON document to stdout;
its keys are stable and listed in ``JSON_KEYS`` (and in each command's ``--help``).

This module reads the command line and dispatches it; each command lives in the module of its
group (run, browse, plugins, explain, maintenance), over the shared ``context``.
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
}

_RUN_KEYS = (
    "uid, name, project, handler, status, start, end, params, inputs, returns, results, "
    "outputs (key -> store:// URI), error, traceback, versions, labels"
)
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
    "artifacts show": f"an object: {_ARTIFACT_KEYS}, hash, files (name, sha256, size), instructions, labels, extra, preview",
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

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=help_text, description=help_text, parents=[common], epilog=_json_epilog(name),
        )

    run = command("run", "run a handler and store what it returns")
    run.add_argument("target", metavar="TARGET", help="the handler: FILE.py:FUNCTION or package.module:FUNCTION")
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
        "show", help="an artifact's metadata: producer, files with sha256, instructions, preview", parents=[common],
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
    return parser


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
