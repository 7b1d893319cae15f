"""Digests: blake3 by default, sha256 on request, both kinds of blob in one store, and records
written before digests named their algorithm, read, verified and kept as they were."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import blake3
import pytest

from satchel import serde
from satchel.artifacts import ArtifactRecord, FileSource
from satchel.errors import IntegrityError, StoreError
from satchel.signing import Signer
from satchel.store import Store, new_uid
from satchel.store.paths import blob_path, metadata_path, ref_path
from satchel.store.signedrefs import ref_value
from satchel.testing import corrupt_blob

KNOWN = "a store hashes its files with blake3 or sha256 (the default is blake3)"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def log_bytes(store: Store, data: bytes, key: str = "greeting", **kwargs: Any) -> ArtifactRecord:
    return store.log_artifact(project="demo", key=key, kind="file",
                              files=[FileSource(name="hello.txt", data=data)], **kwargs)


@pytest.fixture
def url(store_url: str) -> str:
    """Where a test opens stores of its own (conftest's store_url: local and memory)."""
    return store_url


# -- reads are verified every time -----------------------------------------------------------------


def test_a_blob_corrupted_after_a_verified_read_is_caught_on_the_next_read(store: Store, tmp_path: Path) -> None:
    record = log_bytes(store, b"good bytes")
    assert b"good bytes" == store.read_bytes(record)
    assert b"good bytes" == Path(store.data_item(record).local()).read_bytes()
    store.export(record, tmp_path / "first.txt")

    corrupt_blob(store, record.files[0])

    with pytest.raises(IntegrityError, match=re.escape(f"file 'hello.txt' is corrupt: its {store.digest} is ")):
        store.read_bytes(record)
    with pytest.raises(IntegrityError, match="is corrupt"):
        store.data_item(store.get_artifact(record.uri)).local()
    with pytest.raises(IntegrityError, match="is corrupt"):
        store.export(record, tmp_path / "second.txt")
    assert not (tmp_path / "second.txt").exists()
    assert [("hello.txt", "mismatch")] == [(p.file, p.problem) for p in store.verify()]


# -- a store holding both ----------------------------------------------------------------------------


def test_a_store_with_sha256_and_blake3_blobs_lists_verifies_round_trips_and_collects(url: str, tmp_path: Path) -> None:
    contents = {"a": {"hello.txt": b"written with sha256"},
                "tree": {"x.txt": b"shared bytes", "y/z.bin": b"z" * 3000},
                "b": {"hello.txt": b"written with blake3"},
                "tree2": {"x.txt": b"shared bytes", "w.txt": b""}}

    def log(store: Store, key: str) -> ArtifactRecord:
        files = [FileSource(name=name, data=data) for name, data in contents[key].items()]
        return store.log_artifact(project="demo", key=key, kind="dir", files=files)

    old = Store(url, digest="sha256")
    older = [log(old, "a"), log(old, "tree")]
    old.close()
    mixed = Store(url)
    newer = [log(mixed, "b"), log(mixed, "tree2")]
    records = older + newer

    assert ({"sha256"}, {"blake3"}) == ({e.algorithm for r in older for e in r.files},
                                        {e.algorithm for r in newer for e in r.files})
    assert sorted(r.uid for r in records) == sorted(r.uid for r in mixed.list_artifacts())
    assert [] == mixed.verify()
    for record in records:
        fetched = mixed.get_artifact(record.uri)
        assert (record.files, record.hash) == (fetched.files, fetched.hash)
        for name, data in contents[record.key].items():
            assert data == mixed.read_bytes(fetched, name)
        folder = Path(mixed.data_item(fetched).local_dir())
        assert contents[record.key] == {p.relative_to(folder).as_posix(): p.read_bytes()
                                        for p in folder.rglob("*") if p.is_file()}
        written = mixed.export(fetched, str(tmp_path / "out" / record.key) + "/")
        assert sorted(contents[record.key].values()) == sorted(Path(path).read_bytes() for path in written)
    # The same bytes stored once each way are two blobs, each named by its own digest.
    shared = {e.digest for r in records for e in r.files if e.name == "x.txt"}
    assert {f"sha256:{sha(b'shared bytes')}", f"blake3:{blake3.blake3(b'shared bytes').hexdigest()}"} == shared

    orphans = [mixed._backend.store_blob(FileSource(name="o", data=f"orphan {name}".encode()), link=False,
                                         algorithm=name) for name in ("blake3", "sha256")]
    report = mixed.gc(older_than=0)
    referenced = {e.digest for r in records for e in r.files}
    assert (2, len(referenced)) == (report.blobs_removed, report.blobs_kept)
    assert [False, False] == [mixed._backend.exists(blob_path(o.digest)) for o in orphans]
    assert all(mixed._backend.exists(blob_path(digest)) for digest in referenced)
    assert [] == mixed.verify()
    assert len(records) == mixed.reindex()
    mixed.close()
    # A writer hashing with sha256 reads the blake3 artifacts as well.
    assert b"written with blake3" == Store(url, digest="sha256").read_bytes(newer[0], "hello.txt")


# -- records written before digests named their algorithm ------------------------------------------


def plant_old_record(store: Store, data: bytes, signer: Signer | None = None) -> dict[str, Any]:
    """demo/old as satchel wrote it before digests named their algorithm (``"sha256": <hex>``, the
    hash over bare hex lines), with its blob and its ``latest`` tag; returns the record's JSON."""
    store._backend.store_blob(FileSource(name="hello.txt", data=data), link=False, algorithm="sha256")
    uid = new_uid()
    document: dict[str, Any] = {
        "artifact_type": None, "created": "2026-01-01T10:00:00.000+00:00", "extra": {},
        "files": [{"name": "hello.txt", "sha256": sha(data), "size": len(data)}], "format": None,
        "hash": sha(f"hello.txt\t{sha(data)}\t{len(data)}\n".encode()), "instructions": {}, "iteration": 0,
        "key": "old", "kind": "file", "labels": {}, "object_type": None, "preview": None, "producer": None,
        "project": "demo", "run": None, "size": len(data), "tags": ["latest"], "uid": uid,
    }
    written = document if signer is None else signer.sign_data(document)
    store._backend.write_new(metadata_path("demo", "old", uid),
                             (json.dumps(written, indent=1, sort_keys=True) + "\n").encode())
    store._backend.write_ref(ref_path("demo", "old", 0, "latest"), ref_value(signer, "demo", "old", 0, "latest", uid))
    return document


def test_a_record_written_before_digests_named_their_algorithm_reads_verifies_and_keeps_its_hash(store: Store) -> None:
    log_bytes(store, b"a new one beside it")
    document = plant_old_record(store, b"written long ago")
    assert 2 == store.reindex()  # planted behind the store's back: the index learns it from the files

    record = store.get_artifact("store://artifacts/demo/old")
    (entry,) = record.files
    assert (f"sha256:{sha(b'written long ago')}", sha(b"written long ago")) == (entry.digest, entry.sha256)
    assert document["hash"] == record.hash
    assert b"written long ago" == store.read_bytes(record)
    assert b"written long ago" == Path(store.data_item(record).local()).read_bytes()
    assert [] == store.verify()
    assert document == json.loads(serde.dumps(record))  # written back in the form it was read in
    listed = store.list_artifacts(key="old")  # from the index's copy of the record
    assert [document["files"]] == [json.loads(serde.dumps(r))["files"] for r in listed]


def test_an_old_signed_record_still_checks(tmp_path: Path) -> None:
    signer = Signer.hmac(bytes(range(32)))
    store = Store(tmp_path / "store", signing=signer)
    log_bytes(store, b"a new one beside it")
    plant_old_record(store, b"signed long ago", signer)
    assert 2 == store.reindex()

    record = store.get_artifact("store://artifacts/demo/old")
    assert b"signed long ago" == store.read_bytes(record)
    assert ["greeting", "old"] == sorted(r.key for r in store.list_artifacts())  # the index row's signature checks
    assert [] == store.verify()
    report = store.signature_report()
    assert (4, 0, 0) == (report.ok, report.bad, report.unsigned)


# -- choosing the digest -----------------------------------------------------------------------------


def test_satchel_digest_picks_the_digest_of_new_blobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "store"
    monkeypatch.setenv("SATCHEL_DIGEST", "sha256")
    store = Store(root)
    record = log_bytes(store, b"hashed by sha256")
    assert ("sha256", f"sha256:{sha(b'hashed by sha256')}") == (store.digest, record.files[0].digest)
    assert (root / blob_path(record.files[0].digest)).is_file()
    assert not (root / "objects" / "blake3").exists()
    assert "blake3" == Store(root, digest="blake3").digest  # an argument wins over the environment
    monkeypatch.delenv("SATCHEL_DIGEST")
    assert "blake3" == Store(root).digest


def test_an_unknown_digest_is_a_store_error_naming_the_known_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "store"
    with pytest.raises(StoreError) as caught:
        Store(root, digest="md5")
    assert f"unknown digest 'md5': {KNOWN}" == str(caught.value)
    monkeypatch.setenv("SATCHEL_DIGEST", "SHA256")
    with pytest.raises(StoreError) as caught:
        Store(root)
    assert f"unknown digest 'SHA256' in $SATCHEL_DIGEST: {KNOWN}" == str(caught.value)
    monkeypatch.delenv("SATCHEL_DIGEST")
    with pytest.raises(StoreError) as caught:
        log_bytes(Store(root), b"x", digest="sha1")
    assert f"unknown digest 'sha1' for artifact demo/greeting: {KNOWN}" == str(caught.value)
    assert not root.exists()  # refused before anything was written


def test_a_digest_by_an_algorithm_the_store_does_not_know_is_refused_when_read(store: Store) -> None:
    record = log_bytes(store, b"good")
    rel = metadata_path("demo", "greeting", record.uid)
    document = json.loads(store._backend.read(rel) or b"")
    document["files"][0]["digest"] = "md5:" + "0" * 64
    store._backend.write_atomic(rel, json.dumps(document).encode())
    with pytest.raises(StoreError) as caught:
        store.get_artifact(record.uri)
    assert str(caught.value).endswith(
        f"files[0].digest is 'md5:{'0' * 64}'; expected a digest by blake3 or sha256, the algorithms "
        "the store knows ('md5' is not one)"
    )
