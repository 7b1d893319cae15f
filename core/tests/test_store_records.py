"""Metadata records: written once with an exclusive create, and read as untrusted input."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import satchel.store.store as store_module
from satchel.artifacts import ArtifactRecord, FileSource
from satchel.errors import StoreError
from satchel.store import Store, new_uid


@pytest.fixture
def local_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "store")
    yield store
    store.close()


@pytest.fixture
def memory_store() -> Iterator[Store]:
    import fsspec

    name = f"satchel-test-{uuid.uuid4().hex}"
    store = Store(f"memory://{name}")
    yield store
    store.close()
    fs = fsspec.filesystem("memory")
    if fs.exists(f"/{name}"):
        fs.rm(f"/{name}", recursive=True)


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest) -> Store:
    result: Store = request.getfixturevalue(f"{request.param}_store")
    return result


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
