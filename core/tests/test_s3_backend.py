"""What S3 adds to the store suite (which runs on S3 too): blobs uploaded whole or not at all,
metadata created with If-None-Match, tags moved by compare-and-swap, many writers in many processes.
Against moto's S3 server on loopback (the nox session ``s3``)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

import pytest
import s3server

from satchel.artifacts import FileSource
from satchel.errors import StoreError
from satchel.store import Store
from satchel.store.hashedio import HashingWriter

pytestmark = pytest.mark.s3  # left out where s3fs or moto is missing (the `s3` nox session has them)

MIB = 1 << 20


def payload(size: int, seed: int = 0) -> bytes:
    return (bytes((seed + i) % 251 for i in range(251)) * (size // 251 + 1))[:size]


def objects(store: Store, under: str) -> list[str]:
    return sorted(rel for rel, _size, _changed in store._backend.scan(under))


def test_a_large_caller_file_goes_up_in_parts_and_reads_back_verified(s3_url: str, tmp_path: Path) -> None:
    store = Store(s3_url)
    data = payload(12 * MIB + 5)  # more than s3fs's 5 MiB part: a multipart upload
    (tmp_path / "big.bin").write_bytes(data)
    record = store.log_artifact(project="p", key="big", kind="file",
                                files=[FileSource(name="big.bin", path=str(tmp_path / "big.bin"))], link=False)
    assert data == bytes(store.read_buffer(record))
    assert [] == objects(store, "tmp")  # the staged upload is gone once copied into place
    assert [] == store.verify()


def test_a_packager_file_goes_straight_to_its_address_with_the_digest_it_was_written_with(s3_url: str, tmp_path: Path) -> None:
    store = Store(s3_url)
    with HashingWriter(tmp_path / "own.bin", store.digest) as out:
        out.write(payload(3 * MIB))
    record = store.log_artifact(project="p", key="own", kind="file",
                                files=[FileSource(name="own.bin", path=str(tmp_path / "own.bin"))], link=True)
    assert out.digest == record.files[0].digest
    assert payload(3 * MIB) == store.read_bytes(record)
    again = store.log_artifact(project="p", key="own", kind="file",
                               files=[FileSource(name="own.bin", data=payload(3 * MIB))])
    assert record.files[0].digest == again.files[0].digest  # kept once
    assert 1 == len(objects(store, "objects"))


def test_a_metadata_document_is_never_replaced(s3_url: str) -> None:
    store = Store(s3_url)
    store._backend.write_new("records/doc.json", b"first")
    with pytest.raises(FileExistsError):
        store._backend.write_new("records/doc.json", b"second")
    assert b"first" == store._backend.read("records/doc.json")


def test_racing_tag_moves_end_with_the_newest_value(s3_url: str) -> None:
    backend = Store(s3_url)._backend
    values = [f"{i:04d}" for i in range(24)]

    def newer(value: str) -> bool:
        return backend.advance_ref("refs/p/k/0/latest", value, replaces=lambda held: held is None or held < value) == value  # type: ignore[attr-defined]

    threads = [threading.Thread(target=newer, args=(value,)) for value in reversed(values)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert values[-1] == backend.read_ref("refs/p/k/0/latest")


def test_an_older_version_never_takes_latest_back(s3_url: str) -> None:
    backend = Store(s3_url)._backend
    assert "0002" == backend.advance_ref("refs/p/k/0/latest", "0002", replaces=lambda held: held is None or held < "0002")  # type: ignore[attr-defined]
    assert "0002" == backend.advance_ref("refs/p/k/0/latest", "0001", replaces=lambda held: held is None or held < "0001")  # type: ignore[attr-defined]
    assert "0002" == backend.read_ref("refs/p/k/0/latest")


def test_a_packager_file_changed_while_it_is_uploaded_is_refused(s3_url: str, tmp_path: Path) -> None:
    store = Store(s3_url)
    path = tmp_path / "moving.bin"
    path.write_bytes(payload(MIB))
    original_put = store._backend.fs.put_file

    def put_then_change(local: str, remote: str, **kwargs: object) -> None:
        original_put(local, remote, **kwargs)
        with open(local, "ab") as handle:  # another writer, mid-store
            handle.write(b"late")

    store._backend.fs.put_file = put_then_change  # type: ignore[method-assign]
    try:
        with pytest.raises(StoreError, match=r"changed while it was being stored; store it again"):
            store.log_artifact(project="p", key="moving", kind="file",
                               files=[FileSource(name="m.bin", path=str(path))], link=True)
    finally:
        del store._backend.fs.put_file
    assert [] == objects(store, "objects")
    assert [] == list(store.list_artifacts("p"))


def _writer(url: str, endpoint: str, worker: int, count: int, cache: str) -> None:
    os.environ.update(s3server.CREDENTIALS, AWS_ENDPOINT_URL=endpoint, SATCHEL_CACHE_DIR=cache)
    store = Store(url)
    for index in range(count):
        store.log_artifact(project="team", key=f"k{index % 5}", kind="file",
                           files=[FileSource(name="v.txt", data=f"{worker}-{index}".encode())])


def test_many_processes_write_one_store_and_nothing_is_lost(s3_url: str, s3_endpoint: str, tmp_path: Path) -> None:
    workers, count = 4, 25
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_writer, args=(s3_url, s3_endpoint, worker, count, str(tmp_path / f"cache-{worker}")))
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
        assert 0 == process.exitcode
    store = Store(s3_url)  # this process's index is built from the bucket itself
    records = list(store.list_artifacts("team"))
    uids = [record.uid for record in records]
    assert workers * count == len(uids) == len(set(uids))
    assert {f"{w}-{i}".encode() for w in range(workers) for i in range(count)} == {store.read_bytes(r) for r in records}
    for key in {record.key for record in records}:
        newest = max(record.uid for record in records if record.key == key)
        assert newest == store.get_artifact(f"store://artifacts/team/{key}:latest").uid


KILLED_WRITER = """
import sys, time
from satchel.artifacts import FileSource
from satchel.store import Store
from satchel.store.s3 import S3Backend

original = S3Backend.write_new

def paused(self, rel, data):
    if rel.startswith("artifacts/"):
        print("BLOBS-STORED", flush=True)
        time.sleep(120)
    return original(self, rel, data)

S3Backend.write_new = paused
Store(sys.argv[1]).log_artifact(project="demo", key="model", kind="model", link=False,
                                files=[FileSource(name="model.bin", path=sys.argv[2])])
"""


def test_a_writer_killed_between_blobs_and_metadata_leaves_no_version(s3_url: str, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    store = Store(s3_url)
    v1 = store.log_artifact(project="demo", key="model", kind="model",
                            files=[FileSource(name="model.bin", data=b"version one")])
    (tmp_path / "model.bin").write_bytes(payload(6 * MIB))
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, s3_url, str(tmp_path / "model.bin")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    if line.strip() != "BLOBS-STORED":
        child.kill()
        pytest.fail(f"the writer did not get as far as its blobs: {line!r}\n{child.communicate()[1]}")
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    after = Store(s3_url)
    assert v1.uid == after.get_artifact("store://models/demo/model").uid
    assert [v1.uid] == [record.uid for record in after.list_artifacts("demo")]
    assert [] == after.verify()
    report = after.gc(older_than=0)
    assert (1, 6 * MIB) == (report.blobs_removed, report.blob_bytes_removed)
    assert b"version one" == after.read_bytes(after.get_artifact(v1.uri))
