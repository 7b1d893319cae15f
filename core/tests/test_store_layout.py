"""The store's own folders: gc and writes never follow a link out of the root, and a root that is
not a folder is refused."""

from __future__ import annotations

import os
import re
import shutil
import sys
import uuid
from pathlib import Path

import pytest

from satchel.artifacts import ArtifactRecord, FileSource
from satchel.errors import StoreError
from satchel.store import Store

needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")

BLOB_NAME = "c" * 62


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder of the user's, laid out like a store's folders so gc would take it for garbage."""
    folder = tmp_path / "precious"
    for rel in ("notes.txt", f"ab/{BLOB_NAME}", f"blake3/ab/{BLOB_NAME}", f"sha256/ab/{BLOB_NAME}", "stage-leftover"):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"the user's {rel}".encode())
    return folder


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def log_bytes(store: Store, data: bytes, key: str = "greeting") -> ArtifactRecord:
    return store.log_artifact(project="demo", key=key, kind="file",
                              files=[FileSource(name="hello.txt", data=data)])


def replace_with_link(store: Store, rel: str, target: Path) -> Path:
    path = Path(store.url, rel)
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target, target_is_directory=True)
    return path


# -- gc ------------------------------------------------------------------------------------------


@needs_symlinks
@pytest.mark.parametrize("rel", ["tmp", "objects/blake3", "objects/sha256", "objects"])
def test_gc_refuses_a_store_folder_that_is_a_link(local_store: Store, outside: Path, rel: str) -> None:
    log_bytes(local_store, b"kept")
    before = contents(outside)
    link = replace_with_link(local_store, rel, outside)
    for dry_run in (True, False):
        with pytest.raises(StoreError) as caught:
            local_store.gc(dry_run=dry_run, older_than=0)
        message = str(caught.value)
        assert message.startswith(f"gc stopped: {link} is a symbolic link (to {outside}); ")
        assert "the store's own folders must be real folders inside the store" in message
    assert before == contents(outside)


@needs_symlinks
def test_gc_removes_links_inside_tmp_and_objects_as_links(local_store: Store, outside: Path) -> None:
    kept = log_bytes(local_store, b"kept")
    before = contents(outside)
    root = Path(local_store.url)
    tmp = root / "tmp"
    tmp.mkdir(exist_ok=True)
    links = [tmp / "dir-link", tmp / "file-link", root / "objects" / "sha256" / "ab" / ("d" * 62),
             root / "objects" / "sha256" / "cd"]
    links[0].symlink_to(outside, target_is_directory=True)
    links[1].symlink_to(outside / "notes.txt")
    links[2].parent.mkdir(parents=True, exist_ok=True)
    links[2].symlink_to(outside / "ab" / BLOB_NAME)
    links[3].symlink_to(outside / "ab", target_is_directory=True)  # a fan-out folder that is a link
    item = tmp / "item-x"
    item.mkdir()
    (item / "inner-link").symlink_to(outside, target_is_directory=True)

    report = local_store.gc(older_than=0)

    assert before == contents(outside)
    assert [] == [str(link) for link in [*links, item] if os.path.lexists(link)]
    assert (2, 3) == (report.blobs_removed, report.tmp_removed)
    assert b"kept" == local_store.read_bytes(kept)


@needs_symlinks
def test_gc_removal_never_follows_a_link_swapped_in_after_the_check(
    local_store: Store, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when a folder turns into a link between gc's check and its removals, nothing outside goes."""
    log_bytes(local_store, b"kept")
    before = contents(outside)
    replace_with_link(local_store, "tmp", outside)
    backend = local_store._backend
    monkeypatch.setattr(backend, "check_folder", lambda rel: True, raising=True)  # the race lost
    with pytest.raises(StoreError, match=re.escape(f"{Path(local_store.url, 'tmp')} is a symbolic link")):
        local_store.gc(older_than=0)
    assert before == contents(outside)


def test_gc_refuses_a_store_folder_that_is_a_file(store: Store) -> None:
    record = log_bytes(store, b"kept")
    store._backend.remove("tmp")
    if store._backend.is_local:
        Path(store.url, "tmp").write_bytes(b"not a folder")
    else:
        store._backend.fs.pipe_file(f"{store._backend.root}/tmp", b"not a folder")  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match=r"gc stopped: .*tmp is a file, not a folder"):
        store.gc(older_than=0)
    assert b"kept" == store.read_bytes(record)


# -- writes --------------------------------------------------------------------------------------


@needs_symlinks
@pytest.mark.parametrize("rel", ["tmp", "objects", "objects/blake3", "objects/sha256", "artifacts/demo", "refs"])
def test_writes_never_go_through_a_linked_store_folder(tmp_path: Path, outside: Path, rel: str) -> None:
    root = tmp_path / "store"
    digest = rel.split("/")[1] if rel.startswith("objects/") else None  # a writer whose blobs go there
    Store(root, digest=digest).log_artifact(project="other", key="k", kind="file", files=[FileSource(name="a", data=b"a")])
    before = contents(outside)
    fresh = Store(root, digest=digest)
    link = replace_with_link(fresh, rel, outside)
    with pytest.raises(StoreError, match=re.escape(f"{link} is a symbolic link (to {outside})")):
        log_bytes(fresh, b"new")
    assert before == contents(outside)


# -- the root ------------------------------------------------------------------------------------


def test_a_store_root_that_is_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.txt"
    path.write_text("my notes")
    with pytest.raises(StoreError, match=re.escape(f"the store {path} is a file, not a folder")):
        Store(path)
    with pytest.raises(StoreError, match=re.escape(f"the store {path / 'inner'} cannot be a folder: ")):
        Store(path / "inner")
    assert "my notes" == path.read_text()


def test_a_memory_store_root_that_is_a_file_is_refused() -> None:
    import fsspec

    name = f"satchel-test-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")
    fs.pipe_file(f"/{name}", b"a file")
    try:
        with pytest.raises(StoreError, match=re.escape(f"the store memory://{name} is a file, not a folder")):
            Store(f"memory://{name}")
    finally:
        fs.rm_file(f"/{name}")
