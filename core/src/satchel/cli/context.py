"""What every command shares: the exit codes, the options and the project they name, and how
errors and warnings are shown."""

# `satchel --help` imports this module, so the project (and with it the store and the plugin
# host) is imported only when a command first asks for it.

from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from satchel.cli.output import printable, summarize
from satchel.errors import SatchelError

if TYPE_CHECKING:
    from satchel.project import Project
    from satchel.runs import RunRecord

__all__ = [
    "DEFAULT_PROJECT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "PROJECT_ENV",
    "USER_ERRORS",
    "Context",
    "print_error",
    "result_texts",
    "short_warnings",
]

PROG = "satchel"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
PROJECT_ENV = "SATCHEL_PROJECT"
DEFAULT_PROJECT = "default"
# What a user's mistake raises: one `satchel: error:` line and exit 2, without a traceback.
USER_ERRORS = (SatchelError, FileNotFoundError, ImportError, ValueError, KeyError, OSError)


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


def result_texts(record: RunRecord) -> dict[str, str]:
    """Each result as its stored JSON value, one line, beside the type it was recorded as.

    Never unpacked: a run record comes from the store, and restoring a value would let its
    ``result_meta`` choose a packager, a module to import and a class to build.
    """
    texts = {}
    for key, value in record.results.items():
        meta = record.result_meta.get(key)
        recorded = getattr(meta, "object_type", None)
        texts[key] = f"{summarize(value)}  ({recorded})" if recorded else summarize(value)
    return texts


def print_error(error: BaseException) -> None:
    """``satchel: error: <message>``, with the notes added to the error on its way up."""
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        message = error.args[0]  # str(KeyError) would quote the message
    elif isinstance(error, OSError) and error.strerror and error.filename and not isinstance(error, FileNotFoundError):
        message = f"{error.strerror}: {error.filename}"
    else:
        message = str(error) or type(error).__name__
    for note in getattr(error, "__notes__", ()):
        message += f" {note}"
    # Messages quote what they were given, which may come from a store; a caret diagram keeps its lines.
    print(f"{PROG}: error: {printable(message, keep_newlines=True)}", file=sys.stderr)


@contextmanager
def short_warnings() -> Iterator[None]:
    """Warnings as one ``satchel: warning:`` line each, not with the source line that raised them."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: str | None = None) -> None:
        print(f"{PROG}: warning: {printable(message, keep_newlines=True)}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield
