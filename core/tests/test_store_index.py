"""The listing index: it repairs itself after a writer dies, and verify says where it differs from
the files."""

from __future__ import annotations

import pytest

import satchel.store.repair as repair
from satchel.artifacts import ArtifactRecord, FileSource
from satchel.store import Store, VerifyProblem, new_uid


def log_bytes(store: Store, data: bytes, key: str = "greeting") -> ArtifactRecord:
    return store.log_artifact(project="demo", key=key, kind="file",
                              files=[FileSource(name="hello.txt", data=data)])


def writer_class(store: Store) -> type:
    """The class of the store's index transactions (SQLite's own, or the catalog's)."""
    with store._index().write() as tx:
        return type(tx)


def reopened(store: Store) -> Store:
    """Another Store on the same files and the same index."""
    return Store(store.url, catalog=store.catalog)


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, and the open index transaction rolls back."""


# -- repair on read ------------------------------------------------------------------------------


def test_a_version_whose_writer_died_before_the_index_heard_of_it_is_listed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = log_bytes(store, b"first")

    def die(*args: object) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(writer_class(store), "set_tag", die)  # after the refs moved, before the commit
        with pytest.raises(Killed):
            log_bytes(store, b"second")
    second_uid = store.get_artifact("store://artifacts/demo/greeting").uid  # the ref moved
    assert first.uid != second_uid

    reader = reopened(store)
    assert [second_uid, first.uid] == [r.uid for r in reader.list_artifacts("demo")]
    assert [second_uid] == [r.uid for r in reader.list_artifacts(tag="latest")]
    assert [] == reader.verify()
    reader.close()


def test_a_tag_moved_by_a_writer_that_died_before_the_index_heard_of_it_is_listed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = log_bytes(store, b"first")
    second = log_bytes(store, b"second")

    def die(*args: object) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(writer_class(store), "set_tag", die)
        with pytest.raises(Killed):
            store.set_tag(first, "prod")
    assert first.uid == store.get_artifact("store://artifacts/demo/greeting:prod").uid

    reader = reopened(store)
    assert [first.uid] == [r.uid for r in reader.list_artifacts(tag="prod")]
    assert [second.uid] == [r.uid for r in reader.list_artifacts(tag="latest")]
    assert [] == reader.verify()
    reader.close()


def test_an_announcement_without_metadata_waits_for_its_writer_then_goes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_bytes(store, b"first")
    busy, hostile = new_uid(), new_uid()
    with store._index().write() as tx:
        tx.announce(busy, f"artifacts/demo/greeting/{busy}.json")
        tx.announce(hostile, "../../../outside.json")  # a planted index row: never read
    store.list_artifacts()
    assert [busy] == [uid for uid, _path, _since in _announced(store)]
    monkeypatch.setattr(repair, "STALE_ANNOUNCEMENT", 0.0)
    store.list_artifacts()
    assert [] == _announced(store)


def _announced(store: Store) -> list[tuple[str, str, float]]:
    with store._index().write() as tx:
        return tx.announced()


# -- verify compares the index with the files ----------------------------------------------------


def raw_sql(tx: object, sql: str, *params: object) -> None:
    """SQL on the index's own tables, behind satchel's back, in whichever database holds them."""
    if hasattr(tx, "_db"):
        tx._db.execute(sql, params)
    else:  # a catalog's tables are prefixed; psycopg's placeholders are %s
        tx._conn.exec_driver_sql(sql.replace(" artifacts ", " satchel_artifacts ").replace("?", "%s"), params)  # type: ignore[attr-defined]


def test_verify_says_where_the_index_differs_from_the_files(store: Store) -> None:
    kept = log_bytes(store, b"kept", key="kept")
    unlisted = log_bytes(store, b"unlisted", key="unlisted")
    gone = log_bytes(store, b"gone", key="gone")
    store.set_tag(kept, "prod")
    with store._index().write() as tx:
        raw_sql(tx, "DELETE FROM artifacts WHERE uid = ?", unlisted.uid)
        raw_sql(tx, "UPDATE artifacts SET record = '{\"key\": \"forged\"}' WHERE uid = ?", kept.uid)
        tx.set_tag("demo", "kept", 0, "prod", gone.uid)
    store._backend.remove(f"artifacts/demo/gone/{gone.uid}.json")
    store._backend.remove("refs/demo/gone/0/latest")

    problems = store.verify()

    def meta(record: ArtifactRecord) -> str:
        return f"artifacts/demo/{record.key}/{record.uid}.json"

    assert {
        f"{kept.uri}: the index holds a copy that differs from its metadata {meta(kept)}; run `satchel reindex`",
        f"{unlisted.uri}: not in the index, so listings miss it (its metadata {meta(unlisted)} exists); run `satchel reindex`",
        f"{gone.uri}: listed in the index, but its metadata {meta(gone)} is gone; run `satchel reindex`",
        f"store://artifacts/demo/gone:latest: the tag is not set (or points at no version), but the index says {gone.uid}; run `satchel reindex`",
        f"store://artifacts/demo/kept:prod: the tag points at {kept.uid}, but the index says {gone.uid}; run `satchel reindex`",
    } == set(map(str, problems))
    assert 5 == len(problems)
    assert {"index"} == {p.problem for p in problems}
    assert VerifyProblem(uri="store://artifacts/demo/kept:prod", file="refs/demo/kept/0/prod", problem="index",
                         expected=kept.uid, actual=f"the tag points at {kept.uid}, but the index says {gone.uid}") in problems

    assert 2 == store.reindex()
    assert [] == store.verify()
    assert {kept.uid, unlisted.uid} == {r.uid for r in store.list_artifacts()}


def test_a_lookup_by_uri_in_the_index_finds_what_get_artifact_finds(store: Store) -> None:
    from satchel.store.records import record_from_row

    first = log_bytes(store, b"first")
    second = log_bytes(store, b"second")
    store.set_tag(first, "prod")
    index = store._index()
    for uid, tag, expected in ((first.uid, None, first), (None, "latest", second), (None, "prod", first)):
        found = index.lookup("demo", "greeting", 0, uid=uid, tag=tag)
        assert found is not None
        record = record_from_row(found[0], found[1])
        uri = expected.uri if uid else f"store://artifacts/demo/greeting:{tag}"
        assert (store.get_artifact(uri).uid, store.get_artifact(uri).tags) == (record.uid, record.tags)
        assert f"artifacts/demo/greeting/{expected.uid}.json" == found[2]
    assert index.lookup("demo", "greeting", 0, tag="nope") is None
    assert index.lookup("demo", "greeting", 1, uid=first.uid) is None
