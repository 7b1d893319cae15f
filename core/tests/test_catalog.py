"""The PostgreSQL catalog: many writers and readers share one index of a store; its schema is
versioned and upgraded; reindex rebuilds it from the files; mistakes are named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from satchel.artifacts import FileSource
from satchel.errors import StoreError
from satchel.store import Store

# Every test here is left out where satchel[postgres] is missing (see conftest.py).
pytestmark = pytest.mark.postgres


def log(store: Store, data: bytes, key: str = "k", project: str = "demo") -> str:
    return store.log_artifact(project=project, key=key, kind="file", files=[FileSource(name="f.txt", data=data)]).uid


def rows(url: str, sql: str, params: list[tuple[object, ...]] | None = None) -> list[tuple[object, ...]]:
    """Plain SQL on the catalog's database, behind satchel's back (committed)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cursor:
        if params is not None:
            cursor.executemany(sql, params)  # type: ignore[arg-type]
            return []
        cursor.execute(sql)  # type: ignore[arg-type]
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


def test_the_index_lives_in_the_catalog_and_another_machine_lists_it(tmp_path: Path, catalog_url: str) -> None:
    root = tmp_path / "store"
    with Store(root, catalog=catalog_url) as writer:
        first, second = log(writer, b"one"), log(writer, b"two")
        writer.save_run("demo", "run-1", {"uid": "run-1", "name": "r", "status": "completed"})
    assert not (root / "index.sqlite").exists()
    assert [(second,), (first,)] == rows(catalog_url, "SELECT uid FROM satchel_artifacts ORDER BY uid DESC")
    assert [("demo", "k", 0, "latest", second)] == rows(catalog_url, "SELECT project, key, iteration, tag, uid FROM satchel_tags")
    # Another reader of the same files and catalog sees the same listing, and runs by prefix.
    with Store(root, catalog=catalog_url) as reader:
        assert [second, first] == [r.uid for r in reader.list_artifacts("demo")]
        assert "completed" == reader.get_run(None, "run-1")["status"]
        assert [{"uid": "run-1", "name": "r", "status": "completed"}] == reader.list_runs("demo")


def test_satchel_catalog_names_the_catalog_and_satchel_toml_too(
    tmp_path: Path, catalog_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from satchel import project as projects

    monkeypatch.setattr(projects, "_open_stores", {})
    monkeypatch.setenv("SATCHEL_CATALOG", catalog_url)
    assert catalog_url == Store(tmp_path / "a")._index().location  # no password in the URL to hide
    monkeypatch.delenv("SATCHEL_CATALOG")
    (tmp_path / "satchel.toml").write_text(f'store = "s"\ncatalog = "{catalog_url}"\n')
    monkeypatch.chdir(tmp_path)
    project = projects.get_or_create_project("demo")
    assert (str(tmp_path / "s"), catalog_url) == (project.store.url, project.store.catalog)
    log(project.store, b"bytes", key="blob")
    assert [("demo", "blob")] == rows(catalog_url, "SELECT project, key FROM satchel_artifacts")


def test_reindex_rebuilds_the_catalog_from_the_files(tmp_path: Path, catalog_url: str, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from satchel.cli import main

    root = tmp_path / "store"
    with Store(root, catalog=catalog_url) as store:
        uids = sorted(log(store, str(i).encode(), key=f"k{i % 3}") for i in range(7))
    rows(catalog_url, "DELETE FROM satchel_artifacts; DELETE FROM satchel_tags")
    monkeypatch.setenv("SATCHEL_CATALOG", catalog_url)
    assert 0 == main(["--store", str(root), "reindex"])
    assert f"indexed 7 artifact version(s) in {root} (catalog {catalog_url})\n" == capsys.readouterr().out
    assert uids == sorted(str(uid) for (uid,) in rows(catalog_url, "SELECT uid FROM satchel_artifacts"))
    assert 3 == len(rows(catalog_url, "SELECT 1 FROM satchel_tags WHERE tag = 'latest'"))
    with Store(root, catalog=catalog_url) as store:
        assert [] == store.verify()


# A catalog as satchel 0.1's first catalog code made it: schema 1, without the by-kind index.
_SCHEMA_1 = """
CREATE TABLE satchel_meta (name VARCHAR COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE satchel_artifacts (uid VARCHAR COLLATE "C" PRIMARY KEY, project VARCHAR COLLATE "C" NOT NULL,
    key VARCHAR COLLATE "C" NOT NULL, iteration INTEGER NOT NULL, kind VARCHAR COLLATE "C" NOT NULL,
    created TEXT NOT NULL, uri TEXT NOT NULL, path TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX satchel_artifacts_by_project ON satchel_artifacts (project, uid);
CREATE INDEX satchel_artifacts_by_key ON satchel_artifacts (project, key, uid);
CREATE TABLE satchel_tags (project VARCHAR COLLATE "C", key VARCHAR COLLATE "C", iteration INTEGER,
    tag VARCHAR COLLATE "C", uid VARCHAR COLLATE "C" NOT NULL, PRIMARY KEY (project, key, iteration, tag));
CREATE INDEX satchel_tags_by_uid ON satchel_tags (uid);
CREATE INDEX satchel_tags_by_tag ON satchel_tags (tag, project);
CREATE TABLE satchel_runs (uid VARCHAR COLLATE "C" PRIMARY KEY, project VARCHAR COLLATE "C" NOT NULL, name TEXT,
    status TEXT, started TEXT, saved TEXT NOT NULL, path TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX satchel_runs_by_project ON satchel_runs (project, started);
CREATE TABLE satchel_pending (uid VARCHAR COLLATE "C" PRIMARY KEY, path TEXT NOT NULL, since FLOAT NOT NULL);
INSERT INTO satchel_meta VALUES ('schema', '1');
"""


def test_an_old_schema_catalog_is_upgraded_in_place_keeping_its_rows(tmp_path: Path, catalog_url: str) -> None:
    from satchel.store import sqlcatalog

    root = tmp_path / "store"
    with Store(root) as plain:  # the versions, listed in schema 1's tables as that satchel wrote them
        uids = [log(plain, b"a"), log(plain, b"b", key="other")]
        listed = plain._index().query("SELECT uid, project, key, iteration, kind, created, uri, path, record FROM artifacts")
    rows(catalog_url, _SCHEMA_1)
    rows(catalog_url, "INSERT INTO satchel_artifacts VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", listed)
    assert 2 == sqlcatalog.SCHEMA_VERSION

    with Store(root, catalog=catalog_url) as store:
        assert sorted(uids, reverse=True) == [r.uid for r in store.list_artifacts("demo")]  # kept, not rebuilt
        assert [uids[0]] == [r.uid for r in store.list_artifacts("demo", key="k", kind="file")]
    assert [("schema", "2"), ("store", str(root))] == rows(catalog_url, "SELECT name, value FROM satchel_meta ORDER BY name")
    indexes = {str(name) for (name,) in rows(catalog_url, "SELECT indexname FROM pg_indexes WHERE tablename = 'satchel_artifacts'")}
    assert "satchel_artifacts_by_kind" in indexes


def test_a_catalog_newer_than_this_satchel_is_refused_naming_both_versions(tmp_path: Path, catalog_url: str) -> None:
    with Store(tmp_path / "store", catalog=catalog_url) as store:
        log(store, b"x")
    rows(catalog_url, "UPDATE satchel_meta SET value = '7' WHERE name = 'schema'")
    with Store(tmp_path / "store", catalog=catalog_url) as store, pytest.raises(StoreError) as caught:
        store.list_artifacts()
    assert "has schema version 7, newer than this satchel knows (2): upgrade satchel here" in str(caught.value)


def test_a_catalog_of_another_store_is_refused(tmp_path: Path, catalog_url: str) -> None:
    with Store(tmp_path / "one", catalog=catalog_url) as one:
        log(one, b"one's")
    (tmp_path / "two").mkdir()
    refused = (f"the catalog {catalog_url} indexes the store {str(tmp_path / 'one')!r}, not {str(tmp_path / 'two')!r}: "
               "give each store a catalog of its own")
    with Store(tmp_path / "two", catalog=catalog_url) as two:
        for action in (two.list_artifacts, two.reindex):
            with pytest.raises(StoreError) as caught:
                action()
            assert str(caught.value).startswith(refused)
        with pytest.warns(RuntimeWarning, match="is stored, but the catalog could not be updated .the catalog .* indexes the store"):
            log(two, b"two's")  # the files are the truth: written, and not listed in the other store's catalog
    with Store(tmp_path / "one", catalog=catalog_url) as one:
        assert 1 == len(one.list_artifacts())  # untouched by the other store


def test_tables_that_are_not_satchels_are_refused_not_reused(tmp_path: Path, catalog_url: str) -> None:
    rows(catalog_url, "CREATE TABLE satchel_artifacts (id INTEGER)")
    (tmp_path / "store").mkdir()
    with Store(tmp_path / "store", catalog=catalog_url) as store, pytest.raises(StoreError) as caught:
        store.reindex()
    assert "has tables satchel_artifacts but no schema version: not a catalog satchel made" in str(caught.value)


def test_an_unreachable_catalog_is_named_without_its_password(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = Store(tmp_path / "store", catalog=f"postgresql://team:s3cret@127.0.0.1:{port}/satchel")
    (tmp_path / "store").mkdir()
    with pytest.raises(StoreError) as caught:
        store.list_artifacts()
    message = str(caught.value)
    assert message.startswith(f"cannot reach the catalog postgresql://team:***@127.0.0.1:{port}/satchel: ")
    assert "check that the database server is up" in message
    assert "s3cret" not in message
    # A write still commits to the files, which stay the truth; the listing waits for `reindex`.
    with pytest.warns(RuntimeWarning, match="is stored, but the catalog could not be updated"):
        uid = log(store, b"kept")
    assert [uid] == [r.uid for r in Store(tmp_path / "store").list_artifacts()]


@pytest.mark.parametrize("url", ["mysql://db/x", "/tmp/index.sqlite", "postgresql"])
def test_a_catalog_that_is_not_a_database_url_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(StoreError, match="catalog must be a database URL such as postgresql://user@host/dbname"):
        Store(tmp_path, catalog=url)
    with pytest.raises(StoreError, match="give catalog= .* or index_path= .*, not both"):
        Store(tmp_path, catalog="postgresql://h/db", index_path=tmp_path / "i.sqlite")


def test_a_sqlite_url_takes_the_same_sqlalchemy_path(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    with Store(tmp_path / "store", catalog=url) as store:
        uids = [log(store, str(i).encode()) for i in range(3)]
        assert type(store._index()).__name__ == "SqlCatalog"
        assert uids[::-1] == [r.uid for r in store.list_artifacts()]
        assert [uids[-1]] == [r.uid for r in store.list_artifacts(tag="latest")]
        assert 3 == store.reindex()
        assert [] == store.verify()
    assert not (tmp_path / "store" / "index.sqlite").exists()


def test_import_satchel_and_the_embedded_store_import_no_sqlalchemy(tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import sys
        import satchel
        from satchel.artifacts import FileSource
        from satchel.store import Store
        store = Store(sys.argv[1])
        store.log_artifact(project="p", key="k", kind="file", files=[FileSource(name="f", data=b"x")])
        store.list_artifacts()
        print(sorted({m.split(".")[0] for m in sys.modules} & {"sqlalchemy", "psycopg", "dask", "distributed"}))
    """)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s")], capture_output=True, text=True, check=True).stdout
    assert "[]\n" == out


# -- many writers, one catalog -------------------------------------------------------------------

WRITER = """
import json, os, sys, time
from satchel.artifacts import FileSource
from satchel.store import Store

root, catalog, worker, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
store = Store(root, catalog=catalog)
store.list_artifacts(limit=1)  # connected and ready before the start
while not os.path.exists(go):
    time.sleep(0.005)
logged = []
for i in range(count):
    key = f"shared-{i % 4}" if i % 2 == 0 else f"w{worker}-{i % 5}"
    record = store.log_artifact(project="demo", key=key, kind="file",
                                files=[FileSource(name="item.txt", data=f"{worker} {i}".encode())])
    logged.append([key, record.uid])
print(json.dumps(logged), flush=True)
"""


def test_eight_processes_by_two_hundred_artifacts_into_one_store_and_one_catalog(tmp_path: Path, catalog_url: str) -> None:
    root, go = tmp_path / "store", tmp_path / "go"
    processes, each = 8, 200
    with Store(root, catalog=catalog_url) as store:
        store.list_artifacts()  # the catalog's tables, made once before the writers start
    children = [subprocess.Popen([sys.executable, "-c", WRITER, str(root), catalog_url, str(w), str(each), str(go)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(processes)]
    time.sleep(1.0)
    go.touch()
    logged: list[tuple[str, str]] = []
    for child in children:
        out, err = child.communicate(timeout=600)
        assert 0 == child.returncode, err
        logged.extend((key, uid) for key, uid in json.loads(out))

    uids = [uid for _key, uid in logged]
    assert processes * each == len(uids) == len(set(uids))  # nothing lost, no uid twice
    with Store(root, catalog=catalog_url) as store:
        listed = store.list_artifacts("demo")
        assert sorted(uids, reverse=True) == [r.uid for r in listed]
        on_disk = sorted(p.stem for p in (root / "artifacts" / "demo").rglob("*.json"))
        assert sorted(uids) == on_disk
        # `latest` of every key is its last committed version: the newest uid, in the refs and the catalog.
        newest: dict[str, str] = {}
        for key, uid in logged:
            newest[key] = max(newest.get(key, ""), uid)
        for key, uid in sorted(newest.items()):
            assert uid == store.get_artifact(f"store://artifacts/demo/{key}").uid
        assert sorted(newest.values()) == sorted(r.uid for r in store.list_artifacts("demo", tag="latest"))
        assert [] == store.verify()
        assert processes * each == store.reindex()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_catalog_connection_does_not_cross_a_fork(tmp_path: Path, catalog_url: str) -> None:
    with Store(tmp_path / "store", catalog=catalog_url) as store:
        log(store, b"parent")
        pid = os.fork()
        if pid == 0:  # the child uses the store at once, on its own connection
            code = 0
            try:
                log(store, b"child")
            except BaseException:  # noqa: BLE001 - whatever it is, the parent's assert reports it
                code = 1
            os._exit(code)
        _pid, status = os.waitpid(pid, 0)
        assert 0 == status
        assert 2 == len(store.list_artifacts())
