"""The caller's own settings: ``./satchel.toml`` and the user's config file, never the store.

Privileges — loading pickles, importing a project's custom packagers — come only from the caller's
side: arguments, the environment, or these files. A project's configuration in the store may ask
for them; it takes effect only when the caller confirms it here::

    # ./satchel.toml, or ~/.config/satchel/config.toml (SATCHEL_CONFIG names another file)
    store = ".satchel"                      # the default store (./satchel.toml only)
    catalog = "postgresql://team@db/satchel"  # the store's index in a database (SATCHEL_CATALOG wins)
    allow_pickle = false                    # for every project
    trusted_packagers = ["my_pkg.MyPackager"]

    [projects.demo]
    allow_pickle = true
    trusted_packagers = ["custom_packagers.CelsiusPackager"]
    trusted_code = ["/home/me/work/train.py", "my_pkg.flows"]   # local sources of saved functions

Functions and workflows saved in a project's config whose code is a ``store://`` code artifact run
that artifact (whoever may write the store may write its code: sign the store to control that);
one whose code is a local file or module runs it only when this process set it, or it is listed in
``trusted_code``.

The working directory's file wins over the user's for the keys it sets.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from typing import Any

import attrs

from satchel.errors import SatchelError

__all__ = ["CACHE_ENV", "LOCAL_SETTINGS", "Settings", "cache_dir", "load_settings", "user_settings_path"]

LOCAL_SETTINGS = "satchel.toml"
CONFIG_ENV = "SATCHEL_CONFIG"
_PROJECT_KEYS = frozenset({"allow_pickle", "trusted_packagers", "trusted_code"})
_TOP_KEYS = frozenset({"store", "catalog", "projects"}) | _PROJECT_KEYS


@attrs.frozen
class ProjectSettings:
    """What the caller allows one project: None leaves it to the top-level setting."""

    allow_pickle: bool | None = None
    trusted_packagers: frozenset[str] = frozenset()
    trusted_code: frozenset[str] = frozenset()


@attrs.frozen
class Settings:
    """The caller's settings, merged from the user's file and the working directory's."""

    store: str | None = None
    allow_pickle: bool = False
    trusted_packagers: frozenset[str] = frozenset()
    projects: Mapping[str, ProjectSettings] = attrs.field(factory=dict)
    sources: tuple[str, ...] = ()
    trusted_code: frozenset[str] = frozenset()
    catalog: str | None = None

    def allows_pickle(self, project: str) -> bool:
        """Whether the caller lets ``project``'s artifacts be unpickled."""
        own = self.projects.get(project)
        if own is not None and own.allow_pickle is not None:
            return own.allow_pickle
        return self.allow_pickle

    def trusts_packager(self, project: str, packager: str) -> bool:
        """Whether the caller lets ``project`` import the custom packager ``packager``."""
        own = self.projects.get(project)
        return packager in self.trusted_packagers or (own is not None and packager in own.trusted_packagers)

    def trusts_code(self, project: str, source: str) -> bool:
        """Whether a function or workflow of ``project`` saved in the store may run ``source`` (a
        local file's absolute path or a module name) from the caller's machine."""
        own = self.projects.get(project)
        return source in self.trusted_code or (own is not None and source in own.trusted_code)

    def where(self) -> str:
        """Where these settings are read from, for messages."""
        return " or ".join(self.sources) if self.sources else f"./{LOCAL_SETTINGS} or {user_settings_path()}"


CACHE_ENV = "SATCHEL_CACHE_DIR"


def cache_dir(*parts: str) -> str:
    """The caller's cache folder (``SATCHEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/satchel``,
    ``~/.cache/satchel`` by default), or a folder under it; not created here.

    It holds what satchel derives from verified store content (extracted code, built
    environments): the user's own files, like their home, never the store's.
    """
    base = os.environ.get(CACHE_ENV)
    if not base:
        root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(root, "satchel")
    return os.path.join(base, *parts)


def user_settings_path() -> str:
    """``SATCHEL_CONFIG``, else ``$XDG_CONFIG_HOME/satchel/config.toml`` (``~/.config`` by default)."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return named
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "satchel", "config.toml")


_cache: dict[str, tuple[tuple[int, int] | None, dict[str, Any]]] = {}


def _read(path: str) -> dict[str, Any]:
    """The TOML table in ``path`` ({} when there is none), cached until the file changes."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise SatchelError(f"cannot read settings {path}: {error.strerror}") from error
    stamp = (info.st_mtime_ns, info.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise SatchelError(f"{path} is not valid TOML ({error}); write e.g. store = \".satchel\"") from error
    except OSError as error:
        raise SatchelError(f"cannot read settings {path}: {error.strerror}") from error
    _cache[path] = (stamp, data)
    return data


def _strings(value: object, path: str, key: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SatchelError(f"{path}: {key} must be a list of dotted names like [\"my_pkg.MyPackager\"], not {value!r}")
    return frozenset(value)


def _flag(value: object, path: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise SatchelError(f"{path}: {key} must be true or false, not {value!r}")
    return value


def _unknown(table: Mapping[str, object], known: frozenset[str], path: str, where: str) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise SatchelError(f"{path}: unknown setting(s) {', '.join(extra)} {where}; known: {', '.join(sorted(known))}")


def load_settings(directory: str | os.PathLike[str] | None = None) -> Settings:
    """The caller's settings: the user's file, then ``satchel.toml`` in ``directory`` (the working directory)."""
    base = os.fspath(directory) if directory is not None else os.getcwd()
    store: str | None = None
    catalog: str | None = None
    allow_pickle = False
    trusted: frozenset[str] = frozenset()
    trusted_code: frozenset[str] = frozenset()
    projects: dict[str, ProjectSettings] = {}
    sources: list[str] = []
    for path, local in ((user_settings_path(), False), (os.path.join(base, LOCAL_SETTINGS), True)):
        data = _read(path)
        if not data:
            continue
        sources.append(path)
        _unknown(data, _TOP_KEYS, path, "at the top")
        if "store" in data:
            value = data["store"]
            if not isinstance(value, str):
                raise SatchelError(f"{path}: 'store' must be a path or URL string, not {value!r}")
            if local:  # a relative store is relative to the file that names it
                store = value if "://" in value else os.path.join(base, value)
        if "catalog" in data:
            value = data["catalog"]
            if not isinstance(value, str) or "://" not in value:
                raise SatchelError(
                    f"{path}: 'catalog' must be a database URL string such as "
                    f"\"postgresql://user@host/dbname\", not {value!r}"
                )
            catalog = value
        if "allow_pickle" in data:
            allow_pickle = _flag(data["allow_pickle"], path, "allow_pickle")
        if "trusted_packagers" in data:
            trusted = trusted | _strings(data["trusted_packagers"], path, "trusted_packagers")
        if "trusted_code" in data:
            trusted_code = trusted_code | _strings(data["trusted_code"], path, "trusted_code")
        tables = data.get("projects", {})
        if not isinstance(tables, dict):
            raise SatchelError(f"{path}: [projects] must be a table of project names")
        for name, table in tables.items():
            if not isinstance(table, dict):
                raise SatchelError(f"{path}: [projects.{name}] must be a table")
            _unknown(table, _PROJECT_KEYS, path, f"in [projects.{name}]")
            earlier = projects.get(name, ProjectSettings())
            projects[name] = ProjectSettings(
                allow_pickle=_flag(table["allow_pickle"], path, f"projects.{name}.allow_pickle")
                if "allow_pickle" in table else earlier.allow_pickle,
                trusted_packagers=earlier.trusted_packagers
                | _strings(table.get("trusted_packagers", []), path, f"projects.{name}.trusted_packagers"),
                trusted_code=earlier.trusted_code
                | _strings(table.get("trusted_code", []), path, f"projects.{name}.trusted_code"),
            )
    return Settings(store, allow_pickle, trusted, projects, tuple(sources), trusted_code, catalog)
