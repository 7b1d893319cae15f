"""Hashing beside the I/O: streams copied with the hash on a helper thread, files written through a
HashingWriter taken by the store without a second read, and verified reads into a buffer."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import blake3
import pytest

from satchel.artifacts import ArtifactRecord, FileSource
from satchel.dataitem import DataItem
from satchel.errors import IntegrityError
from satchel.store import Store
from satchel.store.hashedio import HashingWriter, take_written
from satchel.store.hashing import CHUNK_SIZE, THREADED_FROM, stream_hashing
from satchel.testing import blob_file, corrupt_blob

MIB = 1 << 20


def expected(data: bytes, algorithm: str) -> str:
    return blake3.blake3(data).hexdigest() if algorithm == "blake3" else hashlib.sha256(data).hexdigest()


def payload(size: int) -> bytes:
    """Bytes that differ in every chunk, so a chunk hashed twice or skipped changes the digest."""
    return (bytes(range(251)) * (size // 251 + 1))[:size]


class ReadOnly:
    """A stream with read() and no readinto(), as some file-likes are."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, count: int = -1) -> bytes:
        return self._inner.read(count)


SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 7]


# -- streams ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_copied_stream_has_the_digest_of_its_bytes_and_arrives_whole(size: int, digest: str) -> None:
    data = payload(size)
    sink = io.BytesIO()
    told: list[int] = []
    assert (expected(data, digest), size) == stream_hashing(io.BytesIO(data), sink, told.append, algorithm=digest)
    assert data == sink.getvalue()
    assert size == sum(told)


@pytest.mark.parametrize("size", [0, CHUNK_SIZE + 1])
def test_a_stream_without_readinto_and_one_hashed_only_give_the_same_digest(size: int, digest: str) -> None:
    data = payload(size)
    assert (expected(data, digest), size) == stream_hashing(ReadOnly(data), None, algorithm=digest)  # type: ignore[arg-type]
    assert (expected(data, digest), size) == stream_hashing(io.BytesIO(data), None, algorithm=digest)


# -- files written through a HashingWriter ---------------------------------------------------------


def write_pieces(path: Path, pieces: list[bytes], algorithm: str) -> HashingWriter:
    with HashingWriter(path, algorithm) as out:
        for piece in pieces:
            assert len(piece) == out.write(piece)
    return out


def test_a_hashing_writer_knows_the_digest_of_what_it_wrote(tmp_path: Path, digest: str) -> None:
    pieces = [b"header", payload(THREADED_FROM + 3), b"", memoryview(payload(10)), payload(2 * MIB)]
    out = write_pieces(tmp_path / "f.bin", pieces, digest)
    data = (tmp_path / "f.bin").read_bytes()
    assert b"".join(bytes(p) for p in pieces) == data
    assert f"{digest}:{expected(data, digest)}" == out.digest
    assert len(data) == out.size == out.tell()


def test_a_hashing_writer_never_replaces_a_file_and_tells_its_digest_only_once_closed(tmp_path: Path) -> None:
    (tmp_path / "taken").write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        HashingWriter(tmp_path / "taken", "blake3")
    assert b"keep me" == (tmp_path / "taken").read_bytes()
    out = HashingWriter(tmp_path / "new", "blake3")
    out.write(b"x")
    with pytest.raises(ValueError, match="still being written"):
        _ = out.digest
    out.close()
    with pytest.raises(ValueError, match="closed"):
        out.write(b"more")


def test_a_written_file_changed_after_closing_is_hashed_again(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    write_pieces(path, [payload(THREADED_FROM)], "blake3")
    with open(path, "r+b") as handle:  # same size, other bytes: only the times tell
        handle.write(b"changed")
    assert take_written(str(path), "blake3") is None


def test_a_written_file_is_known_once_and_only_by_its_algorithm(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    out = write_pieces(path, [b"abc"], "blake3")
    assert take_written(str(path), "sha256") is None
    write_pieces(tmp_path / "g.bin", [b"abc"], "blake3")
    assert (out.digest.partition(":")[2], 3) == take_written(str(tmp_path / "g.bin"), "blake3")
    assert take_written(str(tmp_path / "g.bin"), "blake3") is None


def log_written(store: Store, path: Path) -> ArtifactRecord:
    return store.log_artifact(project="demo", key="data", kind="file",
                              files=[FileSource(name="data.bin", path=str(path))], link=True)


def test_the_store_takes_a_written_file_with_the_digest_it_was_written_with(local_store: Store, digest: str) -> None:
    path = Path(local_store.staging_dir() or "") / "data.bin"
    data = payload(THREADED_FROM + 11)
    out = write_pieces(path, [data], digest)
    record = log_written(local_store, path)
    assert out.digest == record.files[0].digest
    assert data == local_store.read_bytes(record)
    assert [] == local_store.verify()


def test_a_written_file_changed_before_it_is_stored_is_stored_as_it_now_is(local_store: Store, digest: str) -> None:
    path = Path(local_store.staging_dir() or "") / "data.bin"
    out = write_pieces(path, [payload(5000)], digest)
    with open(path, "ab") as handle:
        handle.write(b"appended after closing")
    record = log_written(local_store, path)
    now = path.read_bytes()
    assert out.digest != record.files[0].digest
    assert f"{digest}:{expected(now, digest)}" == record.files[0].digest
    assert now == local_store.read_bytes(record)
    assert [] == local_store.verify()


# -- verified reads into a buffer ------------------------------------------------------------------


def log_bytes(store: Store, data: bytes) -> ArtifactRecord:
    return store.log_artifact(project="demo", key="data", kind="file", files=[FileSource(name="data.bin", data=data)])


@pytest.mark.parametrize("size", [0, 5, THREADED_FROM + 1, 9 * MIB + 3])
def test_a_buffer_holds_the_verified_bytes_and_is_the_callers_own(store: Store, size: int) -> None:
    data = payload(size)
    record = log_bytes(store, data)
    view = store.read_buffer(record)
    assert data == bytes(view)
    if size:
        view[0] ^= 0xFF  # writable, and writing to it changes nothing in the store
    assert data == bytes(store.read_buffer(record))
    assert [] == store.verify()


def test_a_blob_corrupted_after_a_verified_buffer_read_is_caught_on_the_next(store: Store) -> None:
    record = log_bytes(store, payload(THREADED_FROM + 1))
    item = store.data_item(record)
    assert payload(THREADED_FROM + 1) == bytes(item.buffer())
    corrupt_blob(store, record.files[0])
    with pytest.raises(IntegrityError, match=r"file 'data\.bin' is corrupt: its \w+ is [0-9a-f]{64}, expected"):
        item.buffer()
    with pytest.raises(IntegrityError, match="is corrupt"):
        store.data_item(record).read_bytes()


@pytest.mark.parametrize("change", ["shorter", "longer"])
def test_a_blob_of_another_length_is_refused(local_store: Store, change: str) -> None:
    data = payload(THREADED_FROM + 5)
    record = log_bytes(local_store, data)
    blob = blob_file(local_store, record.files[0])
    blob.chmod(0o644)
    blob.write_bytes(data[:-1] if change == "shorter" else data + b"!")
    with pytest.raises(IntegrityError, match="is corrupt"):
        local_store.read_buffer(record)


def test_a_missing_blob_is_named_when_a_buffer_is_read(local_store: Store) -> None:
    record = log_bytes(local_store, b"soon gone")
    os.unlink(blob_file(local_store, record.files[0]))
    with pytest.raises(IntegrityError, match="missing from the store"):
        local_store.data_item(record).buffer()


def test_a_local_input_reads_into_a_buffer_as_it_is(tmp_path: Path) -> None:
    data = payload(3 * MIB + 1)
    (tmp_path / "in.bin").write_bytes(data)
    item = DataItem.from_local_path(tmp_path / "in.bin")
    assert data == bytes(item.buffer()) == item.read_bytes()
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a")
    (folder / "b.txt").write_bytes(b"bb")
    many = DataItem.from_local_path(folder)
    assert b"bb" == bytes(many.buffer("b.txt"))
    with pytest.raises(KeyError, match=r"has no file 'c\.txt'; it has \['a\.txt', 'b\.txt'\]"):
        many.buffer("c.txt")


def test_a_packager_file_is_hashed_by_the_store_it_is_packed_for(tmp_path: Path, digest: str) -> None:
    from satchel import Packager
    from satchel.packing import staging

    store = Store(tmp_path / "store", digest=digest)
    packager: Any = Packager()
    with staging(store):
        folder = packager.make_temp_dir()
        with packager.create_file(os.path.join(folder, "x.bin")) as out:
            out.write(b"hello")
    assert digest == out.algorithm
    assert f"{digest}:{expected(b'hello', digest)}" == out.digest
