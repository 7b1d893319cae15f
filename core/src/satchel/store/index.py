"""The SQLite index: a cache of the store's files that makes listing fast; rebuildable at any time.

This is the embedded default, on the standard library's sqlite3. A catalog in a database server
(``catalog="postgresql://…"``) is `satchel.store.sqlcatalog`, on SQLAlchemy; both answer the
reads and writes `satchel.store.catalog.Catalog` names, so the store asks them the same way.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import stat
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from satchel.errors import StoreError
from satchel.store.paths import INDEX_FILE

__all__ = ["ArtifactRow", "Index", "IndexFailure", "IndexWriter", "RunRow", "index_for"]

SCHEMA_VERSION = "1"
_BUSY_TIMEOUT_MS = 60_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS artifacts (
    uid TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    key TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created TEXT NOT NULL,
    uri TEXT NOT NULL,
    path TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS artifacts_by_project ON artifacts (project, uid);
CREATE INDEX IF NOT EXISTS artifacts_by_key ON artifacts (project, key, uid);
CREATE TABLE IF NOT EXISTS tags (
    project TEXT NOT NULL,
    key TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    tag TEXT NOT NULL,
    uid TEXT NOT NULL,
    PRIMARY KEY (project, key, iteration, tag)
);
CREATE INDEX IF NOT EXISTS tags_by_uid ON tags (uid);
CREATE INDEX IF NOT EXISTS tags_by_tag ON tags (tag, project);
CREATE TABLE IF NOT EXISTS runs (
    uid TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    name TEXT,
    status TEXT,
    started TEXT,
    saved TEXT NOT NULL,
    path TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_project ON runs (project, started);
CREATE TABLE IF NOT EXISTS pending (uid TEXT PRIMARY KEY, path TEXT NOT NULL, since REAL NOT NULL);
"""

# (uid, project, key, iteration, kind, created, uri, metadata path, record JSON)
ArtifactRow = tuple[str, str, str, int, str, str, str, str, str]
# (uid, project, name, status, started, saved, run file path, record JSON)
RunRow = tuple[str, str, str | None, str | None, str | None, str, str, str]


class IndexFailure(StoreError):
    """The index could not be read or written; the store's files are still the truth."""


class _NotOurs(sqlite3.DatabaseError):
    """A database whose tables are not the index's: garbage to the store, like a damaged file."""


# SQLITE_CORRUPT and SQLITE_NOTADB: the file is damaged, or not a database at all.
_BROKEN_CODES = frozenset({11, 26})
_SIDE_FILES = ("-wal", "-shm", "-journal")


def _is_broken(exc: sqlite3.Error) -> bool:
    if isinstance(exc, _NotOurs):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _BROKEN_CODES
    return "not a database" in str(exc) or "malformed" in str(exc)


_columns: dict[str, list[str]] = {}


def _schema_columns() -> dict[str, list[str]]:
    """Each table's column names, as `_SCHEMA` makes them."""
    if not _columns:
        db = sqlite3.connect(":memory:")
        try:
            db.executescript(_SCHEMA)
            _columns.update(_table_columns(db))
        finally:
            db.close()
    return _columns


def _table_columns(db: sqlite3.Connection) -> dict[str, list[str]]:
    tables = [str(name) for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {table: [str(row[1]) for row in db.execute(f"PRAGMA table_info('{table}')")]
            for table in tables if "'" not in table}


class IndexWriter:
    """Writes inside one index transaction (see `Index.write`)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def add_artifacts(self, rows: Iterable[ArtifactRow]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )

    def set_tag(self, project: str, key: str, iteration: int, tag: str, uid: str | None) -> None:
        if uid is None:
            self._db.execute(
                "DELETE FROM tags WHERE project = ? AND key = ? AND iteration = ? AND tag = ?",
                (project, key, iteration, tag),
            )
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO tags VALUES (?, ?, ?, ?, ?)",
                (project, key, iteration, tag, uid),
            )

    def add_runs(self, rows: Iterable[RunRow]) -> None:
        # A run is saved many times; it keeps the time of its first save.
        self._db.executemany(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET "
            "project = excluded.project, name = excluded.name, status = excluded.status, "
            "started = excluded.started, path = excluded.path, record = excluded.record",
            rows,
        )

    def clear(self) -> None:
        """Forget everything the files can tell again; pending versions stay announced."""
        for table in ("artifacts", "tags", "runs"):
            self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def taken(self, uid: str) -> str | None:
        """The metadata path of the version (indexed or announced) that has *uid*, if any."""
        row = self._db.execute(
            "SELECT path FROM artifacts WHERE uid = ?1 UNION ALL SELECT path FROM pending WHERE uid = ?1",
            (uid,),
        ).fetchone()
        return None if row is None else str(row[0])

    def announce(self, uid: str, path: str) -> None:
        """Record that a version is about to be committed at *path*, or its tags about to move
        (see `satchel.store.repair`)."""
        self._db.execute("INSERT OR REPLACE INTO pending VALUES (?, ?, ?)", (uid, path, time.time()))

    def settle(self, uid: str) -> None:
        """The announced version is indexed, or will never be committed."""
        self._db.execute("DELETE FROM pending WHERE uid = ?", (uid,))

    def announced(self) -> list[tuple[str, str, float]]:
        """(uid, metadata path, announced at) of every version announced and not yet settled."""
        return [(str(u), str(p), float(t)) for u, p, t in
                self._db.execute("SELECT uid, path, since FROM pending ORDER BY uid")]

    def is_indexed(self, uid: str) -> bool:
        return self._db.execute("SELECT 1 FROM artifacts WHERE uid = ?", (uid,)).fetchone() is not None


class Index:
    """One SQLite database (a file in WAL mode, or in memory), opened on first use.

    *rebuild* fills a new (or outdated) database from the store's files, inside the same
    transaction that creates it, so concurrent openers wait for it instead of racing.
    """

    #: Its write transactions do not order writers on other machines (see `Catalog.shared`).
    shared = False

    def __init__(self, location: str | None, rebuild: Callable[[IndexWriter], None]) -> None:
        self.location = location
        self._rebuild = rebuild
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._built_now = False

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pid == os.getpid():
                self._db.close()
            self._db = None

    def open_fresh(self) -> bool:
        """Open the database now; True when this call had to build it from the files."""
        with self._lock:
            self._built_now = False
            self._connection()
            built, self._built_now = self._built_now, False
            return built

    @contextmanager
    def write(self) -> Iterator[IndexWriter]:
        """One write transaction (``BEGIN IMMEDIATE``: other writers wait, readers go on)."""
        with self._lock:
            db = self._connection()
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._failure("write", exc) from exc
            try:
                yield IndexWriter(db)
            except sqlite3.Error as exc:
                self._rollback(db)
                raise self._failure("write", exc) from exc
            except BaseException:
                self._rollback(db)
                raise
            try:
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback(db)
                raise self._failure("write", exc) from exc

    def try_write(self, action: Callable[[IndexWriter], None], what: str) -> bool:
        """Run *action* in a write transaction; on failure warn (the files stay the truth)."""
        try:
            with self.write() as tx:
                action(tx)
        except IndexFailure as exc:
            warnings.warn(
                f"{what} is stored, but the index could not be updated ({exc}); "
                "run `satchel reindex` so listings show it",
                RuntimeWarning,
                stacklevel=3,
            )
            return False
        return True

    def query(self, sql: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            for attempt in (1, 2):
                try:
                    return self._connection().execute(sql, tuple(params)).fetchall()
                except sqlite3.Error as exc:
                    failure = self._failure("read", exc)
                    if attempt == 2 or self._db is not None:
                        raise failure from exc
            raise AssertionError("unreachable")

    # -- the reads the store asks for (see `satchel.store.catalog.Catalog`) ---------------------

    def has_pending(self) -> bool:
        return bool(self.query("SELECT 1 FROM pending LIMIT 1"))

    def count_artifacts(self) -> int:
        ((count,),) = self.query("SELECT COUNT(*) FROM artifacts")
        return int(count)

    def artifact_copies(self) -> list[tuple[str, str, str, str]]:
        return [(str(u), str(i), str(p), str(r))
                for u, i, p, r in self.query("SELECT uid, uri, path, record FROM artifacts")]

    def tag_rows(self) -> list[tuple[str, str, int, str, str]]:
        return [(str(p), str(k), int(i), str(t), str(u))
                for p, k, i, t, u in self.query("SELECT project, key, iteration, tag, uid FROM tags")]

    def artifacts(self, project: str | None, key: str | None, kind: str | None, tag: str | None,
                  limit: int | None) -> list[tuple[str, str | None, str]]:
        sql = ["SELECT a.record, (SELECT group_concat(t.tag, ' ') FROM tags t WHERE t.uid = a.uid),"
               " a.path FROM artifacts a"]
        params: list[object] = []
        if tag is not None:
            sql.append("JOIN tags f ON f.uid = a.uid AND f.tag = ?")
            params.append(tag)
        where = [(f"a.{column} = ?", value)
                 for column, value in (("project", project), ("key", key), ("kind", kind))
                 if value is not None]
        if where:
            sql.append("WHERE " + " AND ".join(clause for clause, _value in where))
            params.extend(value for _clause, value in where)
        sql.append("ORDER BY a.uid DESC")
        if limit is not None:
            sql.append("LIMIT ?")
            params.append(limit)
        return [(r, t, p) for r, t, p in self.query(" ".join(sql), params)]

    def lookup(self, project: str, key: str, iteration: int, *, uid: str | None = None,
               tag: str | None = None) -> tuple[str, str | None, str] | None:
        tags = "(SELECT group_concat(t.tag, ' ') FROM tags t WHERE t.uid = a.uid)"
        if uid is not None:
            rows = self.query(f"SELECT a.record, {tags}, a.path FROM artifacts a WHERE a.project = ? AND a.key = ?"  # noqa: S608 - fixed text
                              " AND a.iteration = ? AND a.uid = ?", (project, key, iteration, uid))
        else:
            rows = self.query(f"SELECT a.record, {tags}, a.path FROM artifacts a JOIN tags f ON f.uid = a.uid"  # noqa: S608 - fixed text
                              " WHERE f.project = ? AND f.key = ? AND f.iteration = ? AND f.tag = ?",
                              (project, key, iteration, tag or "latest"))
        return None if not rows else (str(rows[0][0]), None if rows[0][1] is None else str(rows[0][1]), str(rows[0][2]))

    def recent_runs(self, project: str | None, limit: int | None) -> list[str]:
        sql = "SELECT record FROM runs"
        params: list[object] = []
        if project is not None:
            sql += " WHERE project = ?"
            params.append(project)
        sql += " ORDER BY COALESCE(started, saved) DESC, uid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [text for (text,) in self.query(sql, params)]

    def find_runs(self, project: str | None, uid: str, *, prefix: bool) -> list[tuple[str, str]]:
        if prefix:
            rows = self.query(
                "SELECT project, uid FROM runs WHERE uid >= ?1 AND uid < ?2"
                " AND (?3 IS NULL OR project = ?3) ORDER BY uid LIMIT 50",
                [uid, uid + "\U0010ffff", project],
            )
        else:
            rows = self.query(
                "SELECT project, uid FROM runs WHERE uid = ?1 AND (?2 IS NULL OR project = ?2)",
                [uid, project],
            )
        return [(str(p), str(u)) for p, u in rows]

    def _where(self) -> str:
        return "in memory" if self.location is None else repr(self.location)

    def _rollback(self, db: sqlite3.Connection) -> None:
        with suppress(sqlite3.Error):  # nothing to roll back, or the file is too damaged to say
            db.execute("ROLLBACK")

    def _failure(self, doing: str, exc: sqlite3.Error) -> IndexFailure:
        """The error to raise; a damaged file is moved aside first, so the next use rebuilds it."""
        if self.location is not None and _is_broken(exc):
            self.close()
            self._move_aside(str(exc))
        return IndexFailure(f"cannot {doing} the index {self._where()}: {exc}")

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross a fork; a file database is simply reopened in the child.
        if self._db is not None and (self._pid == os.getpid() or self.location is None):
            return self._db
        try:
            self._db = self._open_checked()
        except sqlite3.Error as exc:
            raise IndexFailure(f"cannot open the index {self._where()}: {exc}") from exc
        self._pid = os.getpid()
        return self._db

    def _open_checked(self) -> sqlite3.Connection:
        """Open the database; one that is damaged, not a database, not ours, or reached through a
        link is moved aside (the store's files rebuild it), with a warning saying where."""
        if self.location is None:
            return self._open()
        problem = _file_problem(self.location)
        if problem is not None:
            self._move_aside(problem, check=False)
        try:
            return self._open()
        except sqlite3.Error as exc:
            if not _is_broken(exc):
                raise
            self._move_aside(str(exc))
        return self._open()

    def _move_aside(self, reason: str, *, check: bool = True) -> None:
        location = self.location
        assert location is not None
        if check and not _still_broken(location):
            return  # another process moved it and built a new one meanwhile
        aside = f"{location}.broken-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
        try:
            os.rename(location, aside)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise IndexFailure(
                f"the index {location} cannot be used ({reason}) or moved aside ({exc.strerror}); "
                "remove it, then run `satchel reindex`"
            ) from exc
        for suffix in _SIDE_FILES:
            if os.path.lexists(location + suffix):
                os.rename(location + suffix, aside + suffix)
        warnings.warn(
            f"the index {location} could not be read ({reason}); moved it to {aside} and rebuilt "
            "it from the store's files",
            RuntimeWarning,
            stacklevel=2,
        )

    def _open(self) -> sqlite3.Connection:
        if self.location is not None:
            os.makedirs(os.path.dirname(self.location) or ".", exist_ok=True)
        db = sqlite3.connect(
            self.location or ":memory:",
            timeout=_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            if self.location is not None:
                _retry_locked(lambda: db.execute("PRAGMA journal_mode = WAL"))
                db.execute("PRAGMA synchronous = NORMAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                if self.location is not None:
                    columns = _table_columns(db)
                    if any(columns.get(table) != names for table, names in _schema_columns().items()):
                        raise _NotOurs("its tables are not those of satchel's index")
                built = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
                if built is None or built[0] != SCHEMA_VERSION:
                    writer = IndexWriter(db)
                    writer.clear()
                    self._rebuild(writer)
                    self._built_now = True
                    db.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,)
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except BaseException:
            db.close()
            raise
        return db


_memory_indexes: dict[str, Index] = {}


def index_for(
    url: str, *, is_local: bool, path: str | None, rebuild: Callable[[IndexWriter], None]
) -> Index:
    """The index of the store at *url*: *path* if given; ``index.sqlite`` in a local store's root;
    one in-memory database per ``memory://`` URL in this process; else a file in the local cache
    (``$SATCHEL_CACHE_DIR``, default ``~/.cache/satchel``) named by a hash of the URL.
    """
    if path is not None:
        return Index(path, rebuild)
    if is_local:
        return Index(os.path.join(url, INDEX_FILE), rebuild)
    if url.startswith("memory://"):
        if url not in _memory_indexes:
            _memory_indexes[url] = Index(None, rebuild)
        return _memory_indexes[url]
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
    return Index(os.path.join(_cache_dir(), "index", f"{digest}.sqlite"), rebuild)


def _cache_dir() -> str:
    configured = os.environ.get("SATCHEL_CACHE_DIR")
    if configured:
        return configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "satchel")


def _file_problem(location: str) -> str | None:
    """Why the index file (or a file SQLite keeps beside it) must not be opened, if it must not."""
    for path in (location, *(location + suffix for suffix in _SIDE_FILES)):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            return f"{path} is a symbolic link (to {os.readlink(path)}); the store never writes through links"
        if not stat.S_ISREG(info.st_mode):
            return f"{path} is not a regular file"
    return None


def _still_broken(location: str) -> bool:
    """Whether the file at *location* still cannot be read as a database, checked afresh."""
    try:
        db = sqlite3.connect(f"file:{location}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return os.path.exists(location)
    try:
        (verdict,) = db.execute("PRAGMA quick_check(1)").fetchone()
        columns = _table_columns(db)
    except sqlite3.Error as exc:
        return _is_broken(exc)
    finally:
        db.close()
    expected = _schema_columns()
    return verdict != "ok" or any(columns[t] != expected[t] for t in expected if t in columns)


def _retry_locked(action: Callable[[], object], attempts: int = 50) -> None:
    """Switching to WAL needs a moment alone with the file; the busy timeout does not cover it."""
    for attempt in range(attempts):
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)
