"""A catalog in a database named by URL — PostgreSQL for a team, or a ``sqlite:///`` file — on
SQLAlchemy Core 2 (psycopg 3 for PostgreSQL): the index of artifacts, tags and runs that many
machines share.

Why the embedded index is not this code too: measured on the development machine (2 shared
cores), ``import sqlalchemy`` takes 400-600 ms, more than twice what ``import satchel.store.store``
costs altogether (~200 ms), and every embedded store would pay it on its first listing or write.
So the embedded SQLite file keeps `satchel.store.index` on the standard library's sqlite3, and this
module — imported only when a catalog URL is given — answers the same `Catalog` calls with one
SQLAlchemy code path for every database it supports; the two differ only in the aggregate that
joins tags (``string_agg`` / ``group_concat``), the upsert construct of each dialect, and how a
write transaction excludes other writers (below).

Writers: each write transaction first takes PostgreSQL's transaction-scoped advisory lock
(``pg_advisory_xact_lock``, a number made from the store's URL), on SQLite ``BEGIN IMMEDIATE``; so write transactions of every process
on every machine run one at a time, and the store moves tags inside them (a new version only takes
a tag from an older one, and no committed version goes unlisted).

The tables are prefixed ``satchel_`` so a catalog can share a database with other tables; put two
stores' catalogs in two databases (or two schemas: ``?options=-csearch_path%3Dteam_a``). The
``satchel_meta`` table holds the schema version and the URL of the store indexed; a catalog of
another store is refused (one catalog for two stores would list one's versions as the other's, and
``reindex`` of one would empty the other). An older catalog is upgraded in place, under the
writers' lock, the first time a newer satchel opens it; a newer one is refused, naming both
versions.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from satchel.store.index import ArtifactRow, IndexFailure, RunRow

__all__ = ["SCHEMA_VERSION", "CatalogError", "SqlCatalog"]

#: The catalog's layout; `_UPGRADES` brings an older one here.
SCHEMA_VERSION = 2
_TIMEOUT_S = 60


class CatalogError(IndexFailure):
    """The catalog cannot be used as it is (unreachable, not satchel's, or a newer schema)."""


# Identifiers compare and sort byte by byte on every database (uids sort by time that way).
_Name = sa.String().with_variant(sa.String(collation="C"), "postgresql")

_metadata = sa.MetaData()
_meta = sa.Table(
    "satchel_meta", _metadata,
    sa.Column("name", _Name, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
_artifacts = sa.Table(
    "satchel_artifacts", _metadata,
    sa.Column("uid", _Name, primary_key=True),
    sa.Column("project", _Name, nullable=False),
    sa.Column("key", _Name, nullable=False),
    sa.Column("iteration", sa.Integer, nullable=False),
    sa.Column("kind", _Name, nullable=False),
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
)
sa.Index("satchel_artifacts_by_project", _artifacts.c.project, _artifacts.c.uid)
sa.Index("satchel_artifacts_by_key", _artifacts.c.project, _artifacts.c.key, _artifacts.c.uid)
_BY_KIND = sa.Index("satchel_artifacts_by_kind", _artifacts.c.project, _artifacts.c.kind, _artifacts.c.uid)
_tags = sa.Table(
    "satchel_tags", _metadata,
    sa.Column("project", _Name, primary_key=True),
    sa.Column("key", _Name, primary_key=True),
    sa.Column("iteration", sa.Integer, primary_key=True),
    sa.Column("tag", _Name, primary_key=True),
    sa.Column("uid", _Name, nullable=False),
)
sa.Index("satchel_tags_by_uid", _tags.c.uid)
sa.Index("satchel_tags_by_tag", _tags.c.tag, _tags.c.project)
_runs = sa.Table(
    "satchel_runs", _metadata,
    sa.Column("uid", _Name, primary_key=True),
    sa.Column("project", _Name, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("started", sa.Text),
    sa.Column("saved", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
)
sa.Index("satchel_runs_by_project", _runs.c.project, _runs.c.started)
_pending = sa.Table(
    "satchel_pending", _metadata,
    sa.Column("uid", _Name, primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("since", sa.Float, nullable=False),
)
_TABLES = (_meta, _artifacts, _tags, _runs, _pending)


def _to_2(conn: Connection, store: str) -> None:
    """1 -> 2: listing by kind (``satchel artifacts --kind model``) no longer scans the project, and
    the catalog names the store it indexes (the one upgrading it, the only one that used it)."""
    _BY_KIND.create(conn, checkfirst=True)
    if conn.execute(sa.select(_meta.c.value).where(_meta.c.name == "store")).first() is None:
        conn.execute(sa.insert(_meta).values(name="store", value=store))


#: version -> the step that upgrades a catalog of that version to the next one (given the store's URL).
_UPGRADES: dict[int, Callable[[Connection, str], None]] = {1: _to_2}


def _reason(exc: BaseException) -> str:
    """The driver's own message, one line, without SQLAlchemy's statement and link."""
    inner = getattr(exc, "orig", None) or exc
    lines = [line for line in str(inner).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(inner).__name__


@functools.cache
def _upsert_statement(dialect: str, table: sa.Table, keys: tuple[str, ...], keep: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (*keys*) DO UPDATE every other column but *keep*; built once."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    columns = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys and c.name not in keep}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=columns)


class SqlWriter:
    """Writes inside one catalog transaction (see `SqlCatalog.write`)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._dialect = conn.dialect.name

    def _upsert(self, table: sa.Table, rows: list[dict[str, Any]], keys: tuple[str, ...], keep: tuple[str, ...] = ()) -> None:
        if rows:
            self._conn.execute(_upsert_statement(self._dialect, table, keys, keep), rows)

    def add_artifacts(self, rows: Iterable[ArtifactRow]) -> None:
        names = [c.name for c in _artifacts.columns]
        self._upsert(_artifacts, [dict(zip(names, row, strict=True)) for row in rows], ("uid",))

    def set_tag(self, project: str, key: str, iteration: int, tag: str, uid: str | None) -> None:
        where = (_tags.c.project == project) & (_tags.c.key == key) & (_tags.c.iteration == iteration) & (_tags.c.tag == tag)
        if uid is None:
            self._conn.execute(_tags.delete().where(where))
        else:
            row = {"project": project, "key": key, "iteration": iteration, "tag": tag, "uid": uid}
            self._upsert(_tags, [row], ("project", "key", "iteration", "tag"))

    def add_runs(self, rows: Iterable[RunRow]) -> None:
        # A run is saved many times; it keeps the time of its first save.
        names = [c.name for c in _runs.columns]
        self._upsert(_runs, [dict(zip(names, row, strict=True)) for row in rows], ("uid",), keep=("saved",))

    def clear(self) -> None:
        """Forget everything the files can tell again; pending versions stay announced."""
        for table in (_artifacts, _tags, _runs):
            self._conn.execute(table.delete())

    def taken(self, uid: str) -> str | None:
        query = sa.union_all(
            sa.select(_artifacts.c.path).where(_artifacts.c.uid == uid),
            sa.select(_pending.c.path).where(_pending.c.uid == uid),
        )
        found = self._conn.execute(query).first()
        return None if found is None else str(found[0])

    def announce(self, uid: str, path: str) -> None:
        self._upsert(_pending, [{"uid": uid, "path": path, "since": time.time()}], ("uid",))

    def settle(self, uid: str) -> None:
        self._conn.execute(_pending.delete().where(_pending.c.uid == uid))

    def announced(self) -> list[tuple[str, str, float]]:
        rows = self._conn.execute(sa.select(_pending.c.uid, _pending.c.path, _pending.c.since).order_by(_pending.c.uid))
        return [(str(u), str(p), float(t)) for u, p, t in rows]

    def is_indexed(self, uid: str) -> bool:
        return self._conn.execute(sa.select(sa.literal(1)).where(_artifacts.c.uid == uid)).first() is not None


def _engine_for(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not SQLAlchemy's default psycopg2
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    engine = sa.create_engine(parsed, connect_args={"timeout": _TIMEOUT_S, "check_same_thread": False})

    # SQLite: let SQLAlchemy say when a transaction begins, and begin it IMMEDIATE, so a write
    # transaction holds the file's write lock from its first statement (SQLAlchemy's documented
    # recipe for pysqlite's own transaction handling).
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout = {_TIMEOUT_S * 1000}")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _dispose(engine: Engine, pid: int) -> None:
    engine.dispose(close=os.getpid() == pid)  # a forked child leaves its parent's connections alone


class SqlCatalog:
    """The catalog in the database at *url*, connected on first use; *rebuild* fills a new one
    from the store's files, in the transaction that creates its tables."""

    shared = True

    def __init__(self, url: str, rebuild: Callable[[SqlWriter], None], store: str) -> None:
        try:
            self.location: str | None = make_url(url).render_as_string(hide_password=True)
        except (SQLAlchemyError, ValueError) as exc:
            raise CatalogError(f"the catalog URL {url.partition('://')[0]}://… cannot be read ({_reason(exc)}); "
                               "write it as postgresql://user:password@host:5432/dbname") from exc
        self._url = url
        self._postgres = make_url(url).get_backend_name() in ("postgresql", "postgres")
        self._rebuild = rebuild
        self._store = store
        # The advisory lock every writer of this store's catalog takes: a number of the store's own,
        # so the catalogs of other stores in the same database do not wait for it.
        key = int.from_bytes(hashlib.sha256(f"satchel catalog {store}".encode()).digest()[:8], "big", signed=True)
        self._take_lock = sa.select(sa.func.pg_advisory_xact_lock(key))
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._pid = 0
        self._ready = False
        self._built_now = False

    def __repr__(self) -> str:
        return f"SqlCatalog({self.location!r})"

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose(close=self._pid == os.getpid())
            self._engine = None
            self._ready = False

    # -- connections and the schema ----------------------------------------------------------

    def _connect(self) -> Connection:
        with self._lock:
            if self._engine is not None and self._pid != os.getpid():
                self._engine.dispose(close=False)  # a pooled connection must not cross a fork
                self._engine = None
            if self._engine is None:
                self._engine = _engine_for(self._url)
                self._pid = os.getpid()
                # A catalog nobody closed still closes its connections when it goes (or at exit).
                weakref.finalize(self, _dispose, self._engine, self._pid)
            engine = self._engine
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            raise CatalogError(
                f"cannot reach the catalog {self.location}: {_reason(exc)}; check that the database server "
                "is up and that the URL's user, password, host, port and database are right"
            ) from exc
        if not self._ready:
            try:
                self._prepare(conn)
            except BaseException:
                conn.close()
                raise
        return conn

    def _prepare(self, conn: Connection) -> None:
        """Create, fill or upgrade the tables, once per process, under the writers' lock; refuse a
        catalog of another store."""
        try:
            if self._version(conn) != SCHEMA_VERSION:
                conn.rollback()
                with conn.begin():
                    self._lock_writers(conn)
                    version = self._version(conn)
                    if version is None:
                        self._create(conn)
                    else:
                        self._upgrade(conn, version)
            indexed = conn.execute(sa.select(_meta.c.value).where(_meta.c.name == "store")).scalar()
            conn.rollback()
        except SQLAlchemyError as exc:
            raise CatalogError(f"cannot prepare the catalog {self.location}: {_reason(exc)}") from exc
        if indexed != self._store:
            raise CatalogError(
                f"the catalog {self.location} indexes the store {str(indexed)[:200]!r}, not {self._store!r}: give each "
                "store a catalog of its own (another database, or a schema: ?options=-csearch_path%3Dname); every "
                "machine must name a shared store by the same path or URL"
            )
        self._ready = True

    def _version(self, conn: Connection) -> int | None:
        if not sa.inspect(conn).has_table(_meta.name):
            return None
        text = conn.execute(sa.select(_meta.c.value).where(_meta.c.name == "schema")).scalar()
        try:
            return int(str(text))
        except ValueError:
            raise CatalogError(
                f"the catalog {self.location} has a satchel_meta table whose schema version is {str(text)[:40]!r}, "
                "not a number: it is not a catalog satchel made; give a database of its own"
            ) from None

    def _create(self, conn: Connection) -> None:
        found = sa.inspect(conn).get_table_names()
        clash = sorted(t.name for t in _TABLES if t.name in found)
        if clash:
            raise CatalogError(
                f"the catalog {self.location} has tables {', '.join(clash)} but no schema version: not a "
                "catalog satchel made (or one half created); drop those tables or give another database"
            )
        _metadata.create_all(conn)
        self._rebuild(SqlWriter(conn))
        conn.execute(sa.insert(_meta).values(name="schema", value=str(SCHEMA_VERSION)))
        conn.execute(sa.insert(_meta).values(name="store", value=self._store))
        self._built_now = True

    def _upgrade(self, conn: Connection, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise CatalogError(
                f"the catalog {self.location} has schema version {version}, newer than this satchel knows "
                f"({SCHEMA_VERSION}): upgrade satchel here (every machine sharing a catalog needs one that "
                "knows its schema)"
            )
        if version < 1:
            raise CatalogError(f"the catalog {self.location} has schema version {version}, which satchel never made")
        while version < SCHEMA_VERSION:
            _UPGRADES[version](conn, self._store)
            version += 1
            conn.execute(_meta.update().where(_meta.c.name == "schema").values(value=str(version)))

    def _lock_writers(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(self._take_lock)

    # -- what the store asks -----------------------------------------------------------------

    def open_fresh(self) -> bool:
        """Connect now; True when this call had to build the catalog from the files."""
        self._built_now = False
        self._ready = False
        self._connect().close()
        built, self._built_now = self._built_now, False
        return built

    @contextmanager
    def write(self) -> Iterator[SqlWriter]:
        """One write transaction; write transactions of every process run one at a time."""
        conn = self._connect()
        try:
            with conn.begin():
                self._lock_writers(conn)
                yield SqlWriter(conn)
        except SQLAlchemyError as exc:
            raise CatalogError(f"cannot write the catalog {self.location}: {_reason(exc)}") from exc
        finally:
            conn.close()

    def try_write(self, action: Callable[[SqlWriter], None], what: str) -> bool:
        """Run *action* in a write transaction; on failure warn (the files stay the truth)."""
        try:
            with self.write() as tx:
                action(tx)
        except IndexFailure as exc:
            warnings.warn(
                f"{what} is stored, but the catalog could not be updated ({exc}); "
                "run `satchel reindex` so listings show it",
                RuntimeWarning,
                stacklevel=3,
            )
            return False
        return True

    def _rows(self, query: sa.Executable) -> list[tuple[Any, ...]]:
        conn = self._connect()
        try:
            return [tuple(row) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise CatalogError(f"cannot read the catalog {self.location}: {_reason(exc)}") from exc
        finally:
            conn.close()

    def has_pending(self) -> bool:
        return bool(self._rows(sa.select(sa.literal(1)).select_from(_pending).limit(1)))

    def count_artifacts(self) -> int:
        ((count,),) = self._rows(sa.select(sa.func.count()).select_from(_artifacts))
        return int(count)

    def artifact_copies(self) -> list[tuple[str, str, str, str]]:
        a = _artifacts.c
        return [(str(u), str(i), str(p), str(r)) for u, i, p, r in self._rows(sa.select(a.uid, a.uri, a.path, a.record))]

    def tag_rows(self) -> list[tuple[str, str, int, str, str]]:
        t = _tags.c
        return [(str(p), str(k), int(i), str(g), str(u))
                for p, k, i, g, u in self._rows(sa.select(t.project, t.key, t.iteration, t.tag, t.uid))]

    def _tags_of(self, uid: Any) -> Any:
        """The tags pointing at *uid*, space-separated, as a correlated subquery."""
        if self._postgres:
            aggregate = sa.func.string_agg(_tags.c.tag, sa.literal_column("' '"))
        else:
            aggregate = sa.func.group_concat(_tags.c.tag, " ")
        return sa.select(aggregate).where(_tags.c.uid == uid).correlate(_artifacts).scalar_subquery()

    def artifacts(self, project: str | None, key: str | None, kind: str | None, tag: str | None,
                  limit: int | None) -> list[tuple[str, str | None, str]]:
        a = _artifacts.c
        query = sa.select(a.record, self._tags_of(a.uid), a.path)
        if tag is not None:
            chosen = _tags.alias("chosen")
            query = query.join(chosen, (chosen.c.uid == a.uid) & (chosen.c.tag == tag))
        for column, value in ((a.project, project), (a.key, key), (a.kind, kind)):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(a.uid.desc())
        if limit is not None:
            query = query.limit(limit)
        return [(str(r), None if t is None else str(t), str(p)) for r, t, p in self._rows(query)]

    def lookup(self, project: str, key: str, iteration: int, *, uid: str | None = None,
               tag: str | None = None) -> tuple[str, str | None, str] | None:
        """(record JSON, tags, metadata path) of the version a URI names: by *uid*, else by *tag*."""
        a = _artifacts.c
        query = sa.select(a.record, self._tags_of(a.uid), a.path).where(
            (a.project == project) & (a.key == key) & (a.iteration == iteration))
        if uid is not None:
            query = query.where(a.uid == uid)
        else:
            chosen = _tags.alias("chosen")
            t = chosen.c
            query = query.join(chosen, (t.uid == a.uid) & (t.project == project) & (t.key == key)
                               & (t.iteration == iteration) & (t.tag == (tag or "latest")))
        found = self._rows(query.limit(1))
        if not found:
            return None
        ((record, tags, path),) = found
        return str(record), None if tags is None else str(tags), str(path)

    def recent_runs(self, project: str | None, limit: int | None) -> list[str]:
        r = _runs.c
        query = sa.select(r.record)
        if project is not None:
            query = query.where(r.project == project)
        query = query.order_by(sa.func.coalesce(r.started, r.saved).desc(), r.uid.desc())
        if limit is not None:
            query = query.limit(limit)
        return [str(text) for (text,) in self._rows(query)]

    def find_runs(self, project: str | None, uid: str, *, prefix: bool) -> list[tuple[str, str]]:
        r = _runs.c
        query = sa.select(r.project, r.uid).where(r.uid.startswith(uid, autoescape=True) if prefix else r.uid == uid)
        if project is not None:
            query = query.where(r.project == project)
        if prefix:
            query = query.order_by(r.uid).limit(50)
        return [(str(p), str(u)) for p, u in self._rows(query)]
