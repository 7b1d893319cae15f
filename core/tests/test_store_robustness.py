"""Bad input to the store gets satchel's own error, naming what was wrong and what would be right,
and loses nothing: a garbage index, names too long for the filesystem, hostile gc arguments."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from pathlib import Path

import pytest

from satchel.artifacts import ArtifactRecord, FileSource
from satchel.errors import InvalidNameError, StoreError
from satchel.store import Store


def log_bytes(store: Store, data: bytes, key: str = "greeting") -> ArtifactRecord:
    return store.log_artifact(project="demo", key=key, kind="file",
                              files=[FileSource(name="hello.txt", data=data)])


# -- a garbage index -----------------------------------------------------------------------------


def index_file(store: Store, tmp_path: Path) -> tuple[Store, Path]:
    """The store with its index in a file (the memory store gets a file index, like a remote cache)."""
    if store._backend.is_local:
        return store, Path(store.url, "index.sqlite")
    path = tmp_path / "cache" / "index.sqlite"
    return Store(store.url, index_path=path), path


@pytest.mark.parametrize("garbage", ["random bytes", "truncated"])
@pytest.mark.parametrize("read", ["list", "reindex"])
def test_a_garbage_index_is_moved_aside_and_rebuilt(
    store: Store, tmp_path: Path, garbage: str, read: str
) -> None:
    if store.catalog is not None:
        pytest.skip("a catalog lives in its database server, not in a file that can be garbled")
    store, path = index_file(store, tmp_path)
    records = [log_bytes(store, str(i).encode() * 3000, key=f"k{i}") for i in range(60)]
    store.close()
    original = path.read_bytes()
    broken = b"this is not an index " * 400 if garbage == "random bytes" else original[: len(original) // 2]
    path.write_bytes(broken)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

    reader = Store(store.url, index_path=None if store._backend.is_local else path)
    action = reader.list_artifacts if read == "list" else reader.reindex
    with pytest.warns(RuntimeWarning, match=re.escape(f"the index {path} could not be read (")) as caught:
        action()
    assert [r.uid for r in reversed(records)] == [r.uid for r in reader.list_artifacts()]
    message = str(caught[0].message)
    aside = Path(re.search(r"moved it to (\S+) and rebuilt it from the store's files", message).group(1))  # type: ignore[union-attr]
    assert (path.parent, broken) == (aside.parent, aside.read_bytes())
    assert [] == reader.verify()
    reader.close()


def test_an_index_that_is_a_link_is_moved_aside_not_written_through(local_store: Store, tmp_path: Path) -> None:
    record = log_bytes(local_store, b"x")
    local_store.close()
    theirs = tmp_path / "someone-elses.sqlite"
    db = sqlite3.connect(theirs)
    db.execute("CREATE TABLE history (url TEXT)")
    db.commit()
    db.close()
    before = theirs.read_bytes()
    index = Path(local_store.url, "index.sqlite")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    index.symlink_to(theirs)
    with pytest.warns(RuntimeWarning, match="is a symbolic link"):
        assert [record.uid] == [r.uid for r in Store(local_store.url).list_artifacts()]
    assert before == theirs.read_bytes()
    assert not index.is_symlink()


# -- names the filesystem cannot hold ------------------------------------------------------------


def test_a_document_name_too_long_for_a_filesystem_is_refused_before_anything_is_written(store: Store) -> None:
    long_name = "demo/" + "a" * 300
    for action in (lambda: store.write_document(long_name, "x"), lambda: store.read_document(long_name)):
        with pytest.raises(StoreError, match=re.escape("invalid document path 'demo/aaaa")) as caught:
            action()
        assert "(305 characters)" in str(caught.value)
        assert "parts are 1-200 letters, digits" in str(caught.value)
    with pytest.raises(InvalidNameError, match="a key is 1-200 characters"):
        log_bytes(store, b"x", key="k" * 300)
    assert [] == store._backend.listdir("projects/demo")


def test_a_file_name_part_too_long_for_a_filesystem_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="a part of it is longer than 255 bytes, the most a file name may have"):
        store.log_artifact(project="demo", key="k", kind="dir",
                           files=[FileSource(name="images/" + "é" * 128, data=b"x")])
    assert [] == store.list_artifacts()


def test_a_name_the_filesystem_refuses_is_a_store_error_naming_the_file(
    local_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some filesystems allow far less than 255 bytes (eCryptfs: 143)."""
    from satchel.store import nofollow

    def too_long(root: str, rel: str) -> None:
        raise OSError(errno.ENAMETOOLONG, "File name too long", os.path.join(root, rel))

    monkeypatch.setattr(nofollow, "make_folders", too_long)
    with pytest.raises(StoreError, match=re.escape(
        f"cannot write projects/demo/{'a' * 150}.yaml in the store {local_store.url}: a name in it "
        "is longer than this filesystem allows; use a shorter project, key, tag or document name"
    )):
        local_store.write_document(f"demo/{'a' * 150}.yaml", "x")


# -- maintenance arguments -----------------------------------------------------------------------


@pytest.mark.parametrize("older_than", [float("nan"), -5, float("inf"), "3600", True, None])
def test_gc_refuses_an_older_than_that_is_not_a_time(store: Store, older_than: object) -> None:
    log_bytes(store, b"kept")
    store._backend.store_blob(FileSource(name="x", data=b"orphan"), link=False, algorithm=store.digest)
    with pytest.raises(StoreError, match=re.escape(
        f"gc: older_than must be a number of seconds, 0 or more (such as 3600), not {older_than!r}"
    )):
        store.gc(older_than=older_than)  # type: ignore[arg-type]
    assert 2 == len(list(store._backend.scan(f"objects/{store.digest}")))


def test_verify_gc_and_reindex_of_a_store_that_does_not_exist_are_errors(tmp_path: Path) -> None:
    store = Store(tmp_path / "nothing-here")
    for what, action in (("verify", store.verify), ("gc", store.gc), ("reindex", store.reindex)):
        with pytest.raises(StoreError, match=re.escape(
            f"cannot {what} {tmp_path / 'nothing-here'}: there is no store there; give the folder of an existing store"
        )):
            action()
    assert not (tmp_path / "nothing-here").exists()
