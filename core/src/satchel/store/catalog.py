"""The catalog: what a store asks of its index of artifacts, tags and runs, wherever it lives.

Two implementations answer it: `satchel.store.index.Index`, the embedded SQLite file (or memory)
on the standard library's sqlite3, and `satchel.store.sqlcatalog.SqlCatalog`, a database named by
URL (``postgresql://…``, or ``sqlite:///…``) on SQLAlchemy Core. Either is a cache of the store's
files, never their owner: ``reindex`` rebuilds it from them, and nothing read from it decides what
code runs or where a file goes. Where the bytes live (`satchel.store.backend`) is a separate matter:
any backend works with either catalog.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Protocol

from satchel.errors import StoreError
from satchel.store.index import ArtifactRow, RunRow

__all__ = ["CATALOG_ENV", "Catalog", "CatalogWriter", "check_catalog_url", "open_catalog"]

#: The environment variable naming the catalog when no ``catalog=`` is given.
CATALOG_ENV = "SATCHEL_CATALOG"
_SCHEMES = ("postgresql", "postgres", "sqlite")


class CatalogWriter(Protocol):
    """Writes inside one catalog transaction (see `Catalog.write`)."""

    def add_artifacts(self, rows: Iterable[ArtifactRow]) -> None: ...

    def set_tag(self, project: str, key: str, iteration: int, tag: str, uid: str | None) -> None: ...

    def add_runs(self, rows: Iterable[RunRow]) -> None: ...

    def clear(self) -> None: ...

    def taken(self, uid: str) -> str | None: ...

    def announce(self, uid: str, path: str) -> None: ...

    def settle(self, uid: str) -> None: ...

    def announced(self) -> list[tuple[str, str, float]]: ...

    def is_indexed(self, uid: str) -> bool: ...


class Catalog(Protocol):
    """The index of one store: listing, lookups and write transactions."""

    #: Where it is, for messages (None: in memory); never holds a password.
    location: str | None
    #: Whether its write transactions exclude each other for every writer of the store, on any
    #: machine (a database server's lock); then tags move inside them, so a newly logged version
    #: only ever takes a tag from an older one.
    shared: bool

    def close(self) -> None: ...

    def open_fresh(self) -> bool: ...

    def write(self) -> AbstractContextManager[CatalogWriter]: ...

    def try_write(self, action: Callable[[CatalogWriter], None], what: str) -> bool: ...

    def has_pending(self) -> bool: ...

    def count_artifacts(self) -> int: ...

    def artifact_copies(self) -> list[tuple[str, str, str, str]]:
        """(uid, uri, metadata path, record JSON) of every indexed version."""
        ...

    def tag_rows(self) -> list[tuple[str, str, int, str, str]]:
        """(project, key, iteration, tag, uid) of every indexed tag."""
        ...

    def artifacts(self, project: str | None, key: str | None, kind: str | None, tag: str | None,
                  limit: int | None) -> list[tuple[str, str | None, str]]:
        """(record JSON, space-separated tags, metadata path) of the matching versions, newest first."""
        ...

    def lookup(self, project: str, key: str, iteration: int, *, uid: str | None = None,
               tag: str | None = None) -> tuple[str, str | None, str] | None:
        """(record JSON, tags, metadata path) of the version a URI names — by *uid*, else by *tag*
        (default ``latest``) — as the index knows it; None when it does not."""
        ...

    def recent_runs(self, project: str | None, limit: int | None) -> list[str]:
        """Run record JSON texts, newest first."""
        ...

    def find_runs(self, project: str | None, uid: str, *, prefix: bool) -> list[tuple[str, str]]:
        """(project, uid) of the runs whose uid is *uid*, or starts with it (at most 50)."""
        ...


def check_catalog_url(url: object, where: str = "") -> str:
    """*url* when it names a database satchel can keep a catalog in; StoreError otherwise."""
    scheme = url.partition("://")[0].partition("+")[0].lower() if isinstance(url, str) else ""
    if not isinstance(url, str) or "://" not in url or scheme not in _SCHEMES:
        shown = url if not isinstance(url, str) else url.partition("://")[0] + "://…"
        raise StoreError(
            f"catalog{where} must be a database URL such as postgresql://user@host/dbname or "
            f"sqlite:///path/catalog.sqlite, not {shown!r}"
        )
    return url


def open_catalog(url: str | None, rebuild: Callable[[CatalogWriter], None], store: str) -> Catalog | None:
    """The catalog at *url* (else ``$SATCHEL_CATALOG``) of the store at *store*, None when neither
    names one.

    SQLAlchemy is imported here, on first use, and only for a catalog named by URL: the embedded
    index must not pay its import time (see `satchel.store.sqlcatalog`).
    """
    chosen = url if url is not None else os.environ.get(CATALOG_ENV) or None
    if chosen is None:
        return None
    check_catalog_url(chosen, "" if url is not None else f" (${CATALOG_ENV})")
    try:
        from satchel.store.sqlcatalog import SqlCatalog
    except ImportError as exc:
        raise StoreError(
            f"a catalog at {chosen.partition('://')[0]}://… needs SQLAlchemy and psycopg, which are not "
            f"installed ({exc}); pip install 'satchel[postgres]'"
        ) from exc
    return SqlCatalog(chosen, rebuild, store)
