"""Metadata records: written once with an exclusive create, and read as untrusted input."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import satchel.store.store as store_module
from satchel.artifacts import ArtifactRecord, FileSource
from satchel.errors import StoreError
from satchel.store import Store, new_uid


def log_bytes(store: Store, data: bytes, key: str = "greeting") -> ArtifactRecord:
    return store.log_artifact(project="demo", key=key, kind="file",
                              files=[FileSource(name="hello.txt", data=data)])


def meta(record: ArtifactRecord) -> str:
    return f"artifacts/{record.project}/{record.key}/{record.uid}.json"


# -- written once --------------------------------------------------------------------------------


@pytest.mark.parametrize("second_key", ["greeting", "other"])
def test_a_repeated_uid_is_refused_and_replaces_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch, second_key: str
) -> None:
    uid = new_uid()
    monkeypatch.setattr(store_module, "new_uid", lambda: uid)
    first = log_bytes(store, b"first")
    written = store._backend.read(meta(first))

    with pytest.raises(StoreError, match=re.escape(f"version {uid} already exists")) as caught:
        log_bytes(store, b"second", key=second_key)
    assert "nothing was replaced" in str(caught.value)

    assert written == store._backend.read(meta(first))
    assert None is store._backend.read(f"artifacts/demo/other/{uid}.json")
    latest = store.get_artifact("store://artifacts/demo/greeting")
    assert (uid, ["latest"], b"first") == (latest.uid, latest.tags, store.read_bytes(latest))
    assert [(uid, "greeting")] == [(r.uid, r.key) for r in store.list_artifacts()]
    assert [] == store.verify()
    assert 1 == store.reindex()
    assert [(uid, "greeting")] == [(r.uid, r.key) for r in store.list_artifacts()]


@pytest.mark.parametrize("fallback", [False, True])
def test_the_file_itself_refuses_a_repeated_uid_whatever_the_index_knows(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fallback: bool
) -> None:
    """A writer with an index of its own (another machine's cache) is stopped by the create itself;
    *fallback*: without hard links (local) or fsspec's mode="create" (fsspec before 2024.12)."""
    uid = new_uid()
    monkeypatch.setattr(store_module, "new_uid", lambda: uid)
    first = log_bytes(store, b"first")
    written = store._backend.read(meta(first))
    other = Store(store.url, index_path=tmp_path / "other-index.sqlite")
    if fallback and other._backend.is_local:
        def refused(*args: object, **kwargs: object) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "link", refused)
    elif fallback:
        monkeypatch.setattr(other._backend, "_can_create", False)
    with pytest.raises(StoreError, match=re.escape(f"version {uid} already exists")):
        log_bytes(other, b"second")
    other.close()
    assert written == store._backend.read(meta(first))
    assert b"first" == store.read_bytes(store.get_artifact("store://artifacts/demo/greeting"))


# -- read as untrusted input ---------------------------------------------------------------------

HOSTILE_EDITS: list[tuple[str, object]] = [
    ("iteration", 10**30), ("iteration", "zero"), ("iteration", -1), ("iteration", True),
    ("size", 10**30), ("size", -1), ("size", 1.5), ("size", "7"),
    ("files", "abc"), ("files", [["a", "b"]]), ("files", [{"name": "../../escape", "sha256": "0" * 64, "size": 1}]),
    ("files", [{"name": "a\x1b[2Jb", "sha256": "0" * 64, "size": 1}]), ("files", [{"name": "/etc/passwd", "sha256": "0" * 64, "size": 1}]),
    ("files", [{"name": "a", "sha256": "Z" * 64, "size": 1}]), ("files", [{"name": "a", "sha256": "0" * 64, "size": 10**30}]),
    ("files", [{"name": "a", "sha256": "0" * 64}]), ("files", [{"name": "a", "digest": "md5:" + "0" * 64, "size": 1}]),
    ("files", [{"name": "a", "digest": "blake3:" + "Z" * 64, "size": 1}]), ("files", [{"name": "a", "digest": "0" * 64, "size": 1}]),
    ("files", [{"name": "a", "digest": "blake3:" + "0" * 63, "size": 1}]), ("files", [{"name": "a", "digest": 5, "size": 1}]),
    ("files", [{"name": "a", "digest": "sha256:" + "0" * 64, "sha256": "0" * 64, "size": 1}]), ("files", [{"name": "a", "size": 1}]),
    ("key", "other"), ("key", "../x"), ("key", 5), ("project", "Demo"),
    ("uid", "not-a-uid"), ("kind", "\x1b]0;owned\x07"), ("kind", None), ("tags", 5), ("tags", ["Bad Tag"]),
    ("hash", 5), ("hash", "x"), ("labels", [1, 2]), ("labels", {"a": 5}), ("created", 5), ("created", "x\x1b[2J"),
    ("producer", "x"), ("producer", {"plugin": 5}), ("producer", {"plugin": "p", "format_version": 10**30}),
    ("instructions", [1]), ("extra", "x"), ("preview", 3), ("format", 5), ("object_type", ["builtins.eval"]),
]
HOSTILE_FILES: list[tuple[str, bytes]] = [
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000), ("not an object", b"[1, 2]"), ("null", b"null"),
    ("empty", b""), ("not UTF-8", b'{"key": "\xff"}'), ("a huge number", b'{"size": 1' + b"0" * 5000 + b"}"),
    ("truncated", b'{"key": "greeting", "uid": '),
]


def plant(store: Store, good: ArtifactRecord, change: dict[str, object] | None = None, raw: bytes | None = None) -> str:
    import json

    uid = new_uid()
    document = json.loads(store._backend.read(meta(good)) or b"")
    document["uid"] = uid
    document.update(change or {})
    rel = f"artifacts/demo/greeting/{uid}.json"
    store._backend.write_atomic(rel, raw if raw is not None else json.dumps(document).encode())
    return uid


def assert_only_the_good_record_is_used(store: Store, good: ArtifactRecord, uid: str) -> None:
    rel = f"artifacts/demo/greeting/{uid}.json"
    with pytest.raises(StoreError) as caught:
        store.get_artifact(f"store://artifacts/demo/greeting@{uid}")
    assert f"the metadata {rel} in {store.url} " in str(caught.value)
    with pytest.warns(RuntimeWarning, match=re.escape(f"not listed: {rel}: ")):
        assert 1 == store.reindex()
    assert [good.uid] == [r.uid for r in store.list_artifacts()]
    (problem,) = store.verify()
    assert (rel, "metadata") == (problem.file, problem.problem)
    assert str(problem).startswith(f"{rel}: {rel}: ")
    with pytest.raises(StoreError, match=re.escape(f"gc stopped: cannot read the metadata {rel} (")):
        store.gc(older_than=0)
    assert b"good" == store.read_bytes(store.get_artifact("store://artifacts/demo/greeting"))


@pytest.mark.parametrize(("field", "value"), HOSTILE_EDITS, ids=[f"{f}={v!r}"[:40] for f, v in HOSTILE_EDITS])
def test_a_hostile_field_in_a_metadata_file_is_a_store_error_naming_the_file(
    store: Store, field: str, value: object
) -> None:
    good = log_bytes(store, b"good")
    uid = plant(store, good, {field: value})
    assert_only_the_good_record_is_used(store, good, uid)


@pytest.mark.parametrize(("what", "raw"), HOSTILE_FILES, ids=[what for what, _raw in HOSTILE_FILES])
def test_a_metadata_file_that_is_not_a_record_is_a_store_error_naming_the_file(
    store: Store, what: str, raw: bytes
) -> None:
    good = log_bytes(store, b"good")
    uid = plant(store, good, raw=raw)
    assert_only_the_good_record_is_used(store, good, uid)


def test_a_fresh_index_skips_and_reports_hostile_records(local_store: Store) -> None:
    good = log_bytes(local_store, b"good")
    uid = plant(local_store, good, {"iteration": 10**30})
    local_store.close()
    os.remove(os.path.join(local_store.url, "index.sqlite"))
    reader = Store(local_store.url)
    with pytest.warns(RuntimeWarning, match=re.escape(f"not listed: artifacts/demo/greeting/{uid}.json: ")):
        assert [good.uid] == [r.uid for r in reader.list_artifacts()]
    reader.close()


@pytest.mark.parametrize("row", [
    "not json", "[1]", '{"key": "../x"}', "[" * 5000 + "]" * 5000,
])
def test_a_hostile_index_row_is_skipped_and_reported(store: Store, row: str) -> None:
    good = log_bytes(store, b"good")
    forged = new_uid()
    with store._index().write() as tx:
        tx.add_artifacts([(forged, "demo", "greeting", 0, "file", "now", "uri", f"artifacts/demo/greeting/{forged}.json", row)])
        tx.set_tag("demo", "greeting", 0, "Bad Tag", good.uid)
    with pytest.warns(RuntimeWarning, match=r"not listed: 2 index row\(s\) that are not sound records .*satchel reindex"):
        assert [] == store.list_artifacts()
    assert {"index"} == {p.problem for p in store.verify()}
    assert 1 == store.reindex()
    assert [good.uid] == [r.uid for r in store.list_artifacts()]


def test_records_satchel_writes_read_back_whatever_text_the_writer_chose(store: Store) -> None:
    from satchel.artifacts import Producer

    odd = "\x1b[2J\u202e\x00 and a long tail " * 50
    record = store.log_artifact(
        project="demo", key="odd", kind="file", files=[FileSource(name="a", data=b"a")],
        format=odd, artifact_type=odd, object_type=odd, run=odd, labels={odd: odd},
        producer=Producer(plugin=odd, distribution=odd, version=odd), instructions={odd: [odd]},
    )
    assert record == store.get_artifact(record.uri)
    assert [record.uid] == [r.uid for r in store.list_artifacts()]
    assert [] == store.verify()


@pytest.mark.parametrize(("field", "value"), [
    ("format", 5), ("artifact_type", ["file"]), ("object_type", b"x"), ("run", 1), ("labels", {"a": 5}),
])
def test_fields_that_would_not_read_back_as_themselves_are_refused_when_written(
    store: Store, field: str, value: object
) -> None:
    with pytest.raises(StoreError, match=f"artifact demo/k: {field}|labels map names to text"):
        store.log_artifact(project="demo", key="k", kind="file", files=[FileSource(name="a", data=b"a")],
                           **{field: value})  # type: ignore[arg-type]
    assert [] == store.list_artifacts()
