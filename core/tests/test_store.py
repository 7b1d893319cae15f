"""The artifact store: round trips, tags, verification, runs, documents, gc and reindex."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import blake3
import pytest

from satchel import tempdirs
from satchel.artifacts import ArtifactRecord, FileEntry, FileSource, Producer
from satchel.errors import (
    ArtifactNotFoundError,
    IntegrityError,
    InvalidNameError,
    InvalidURIError,
    StoreError,
)
from satchel.store import GcReport, Store, VerifyProblem, new_uid
from satchel.store.paths import blob_path
from satchel.testing import blob_file, corrupt_blob


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hexdigest(store: Store, data: bytes) -> str:
    """The hex digest of *data* by the store's algorithm, computed here, not by the store."""
    return blake3.blake3(data).hexdigest() if store.digest == "blake3" else sha(data)


def digest(store: Store, data: bytes) -> str:
    return f"{store.digest}:{hexdigest(store, data)}"


def manifest_digest(store: Store, data: bytes) -> str:
    """A file's digest as its line in the manifest has it: a bare hex for sha256, as ever."""
    return hexdigest(store, data) if store.digest == "sha256" else digest(store, data)


def blob_count(store: Store) -> int:
    return sum(len(list(store._backend.scan(f"objects/{name}"))) for name in ("blake3", "sha256"))


def log_bytes(store: Store, data: bytes, key: str = "greeting", **kwargs: object) -> ArtifactRecord:
    return store.log_artifact(
        project="demo", key=key, kind="file", files=[FileSource(name="hello.txt", data=data)],
        **kwargs,  # type: ignore[arg-type]
    )


# -- round trips ---------------------------------------------------------------------------


def test_single_file_round_trip(store: Store) -> None:
    producer = Producer(plugin="satchel.builtins", distribution="satchel", version="0.1.0")
    record = store.log_artifact(
        project="demo", key="greeting", kind="file",
        files=[FileSource(name="hello.txt", data=b"hello world")],
        format="txt", artifact_type="file", object_type="builtins.str", producer=producer,
        instructions={"encoding": "utf-8"}, labels={"team": "ml"}, extra={"title": "hi"},
        preview={"text": "hello"}, run="run0001",
    )
    assert record.uri == f"store://artifacts/demo/greeting@{record.uid}"
    assert record.files == [FileEntry(name="hello.txt", digest=digest(store, b"hello world"), size=11)]
    assert record.files[0].sha256 == (sha(b"hello world") if store.digest == "sha256" else None)
    assert record.size == 11
    assert record.hash == sha(f"hello.txt\t{manifest_digest(store, b'hello world')}\t11\n".encode())
    assert record.tags == ["latest"]

    loaded = store.get_artifact("store://artifacts/demo/greeting")
    assert loaded == record
    assert store.read_bytes(loaded) == b"hello world"
    item = store.data_item(loaded)
    assert item.file_names == ["hello.txt"]
    assert os.path.basename(item.local()) == "hello.txt"
    assert item.read_bytes() == b"hello world"
    assert item.record is loaded
    assert item.artifact_type == "file"


def test_directory_round_trip(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "images"
    (source / "sub").mkdir(parents=True)
    (source / "a.png").write_bytes(b"A" * 1000)
    (source / "sub" / "b.png").write_bytes(b"B" * 10)
    files = [
        FileSource(name="sub/b.png", path=str(source / "sub" / "b.png")),
        FileSource(name="a.png", path=str(source / "a.png")),
        FileSource(name="notes.md", data=b"# notes"),
    ]
    record = store.log_artifact(project="demo", key="images", kind="dir", files=files)
    assert [f.name for f in record.files] == ["a.png", "notes.md", "sub/b.png"]
    assert record.size == 1017
    manifest = "".join(
        f"{name}\t{manifest_digest(store, data)}\t{len(data)}\n"
        for name, data in [("a.png", b"A" * 1000), ("notes.md", b"# notes"), ("sub/b.png", b"B" * 10)]
    )
    assert record.hash == sha(manifest.encode())

    item = store.data_item(store.get_artifact("store://artifacts/demo/images:latest"))
    root = Path(item.local())
    assert root.is_dir()
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "a.png", "notes.md", "sub/b.png",
    ]
    assert (root / "sub" / "b.png").read_bytes() == b"B" * 10
    assert store.read_bytes(record, "notes.md") == b"# notes"
    with pytest.raises(StoreError, match="has 3 files; name one of"):
        store.read_bytes(record)
    with pytest.raises(StoreError, match=re.escape("has no file 'c.png'")):
        store.read_bytes(record, "c.png")


def test_empty_file_round_trip(store: Store) -> None:
    record = log_bytes(store, b"")
    assert record.size == 0
    assert store.read_bytes(record) == b""
    assert Path(store.data_item(record).local()).read_bytes() == b""


def test_large_file_round_trip_streams(store: Store, tmp_path: Path) -> None:
    payload = os.urandom(3 * (1 << 20) + 17)  # several chunks and a ragged end
    path = tmp_path / "big.bin"
    path.write_bytes(payload)
    record = store.log_artifact(project="demo", key="big", kind="file",
                                files=[FileSource(name="big.bin", path=str(path))], link=False)
    assert record.files[0] == FileEntry(name="big.bin", digest=digest(store, payload), size=len(payload))
    assert Path(store.data_item(record).local()).read_bytes() == payload


def test_identical_content_is_stored_once(store: Store) -> None:
    first = log_bytes(store, b"same bytes", key="one")
    second = log_bytes(store, b"same bytes", key="two")
    third = store.log_artifact(project="other", key="three", kind="dir", files=[
        FileSource(name="x.txt", data=b"same bytes"), FileSource(name="y.txt", data=b"same bytes"),
    ])
    assert first.files[0].digest == second.files[0].digest == third.files[1].digest
    assert blob_count(store) == 1
    assert sorted(Path(store.data_item(third).local()).iterdir()) != []


def test_export_single_file_and_directory(store: Store, tmp_path: Path) -> None:
    single = log_bytes(store, b"exported")
    target = tmp_path / "out" / "copy.txt"
    assert store.export(single, str(target)) == [str(target)]
    assert target.read_bytes() == b"exported"
    target.write_bytes(b"the export is the user's to change")  # a copy, not the blob

    folder = tmp_path / "folder"
    folder.mkdir()
    assert store.export(single, str(folder)) == [str(folder / "hello.txt")]

    many = store.log_artifact(project="demo", key="many", kind="dir", files=[
        FileSource(name="a.txt", data=b"a"), FileSource(name="d/b.txt", data=b"b"),
    ])
    dest = tmp_path / "many"
    assert store.export(many, str(dest)) == [str(dest / "a.txt"), str(dest / "d" / "b.txt")]
    assert (dest / "d" / "b.txt").read_bytes() == b"b"
    assert store.read_bytes(single) == b"exported"


# -- local fast path -----------------------------------------------------------------------


def test_local_source_on_same_filesystem_is_hardlinked(local_store: Store, tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(b"weights" * 1000)
    record = local_store.log_artifact(project="demo", key="model", kind="model",
                                      files=[FileSource(name="model.bin", path=str(source))])
    blob = blob_file(local_store, record.files[0])
    assert blob.stat().st_ino == source.stat().st_ino
    assert stat.S_IMODE(blob.stat().st_mode) == 0o444
    assert stat.S_IMODE(source.stat().st_mode) == 0o444  # one inode: the source is read-only now
    assert list((Path(local_store.url) / "tmp").iterdir()) == []  # no staging left behind
    item_file = Path(local_store.data_item(record).local())
    assert item_file.stat().st_ino == blob.stat().st_ino  # the data item links the blob too


def test_staging_dir_is_on_the_store_filesystem(local_store: Store, memory_store: Store) -> None:
    staging = local_store.staging_dir()
    assert staging == os.path.join(local_store.url, "tmp")
    assert os.path.isdir(staging)
    assert memory_store.staging_dir() is None


def test_link_false_copies_and_leaves_the_source_alone(local_store: Store, tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    source.write_bytes(b"a,b\n1,2\n")
    record = local_store.log_artifact(project="demo", key="data", kind="dataset", link=False,
                                      files=[FileSource(name="data.csv", path=str(source))])
    blob = blob_file(local_store, record.files[0])
    assert blob.stat().st_ino != source.stat().st_ino
    assert stat.S_IMODE(source.stat().st_mode) != 0o444
    assert record.uri == f"store://datasets/demo/data@{record.uid}"


def test_durable_store_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "durable", durable=True)
    source = tmp_path / "a.bin"
    source.write_bytes(b"synced")
    record = store.log_artifact(project="demo", key="a", kind="file", files=[
        FileSource(name="a.bin", path=str(source)), FileSource(name="b.bin", data=b"also synced"),
    ])
    assert store.read_bytes(store.get_artifact(record.uri), "a.bin") == b"synced"
    assert store.verify() == []


def test_remote_index_lives_in_the_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from satchel.store.index import index_for

    monkeypatch.setenv("SATCHEL_CACHE_DIR", str(tmp_path / "cache"))
    digest = hashlib.sha256(b"s3://bucket/store").hexdigest()[:24]
    index = index_for("s3://bucket/store", is_local=False, path=None, rebuild=lambda tx: None)
    assert index.location == str(tmp_path / "cache" / "index" / f"{digest}.sqlite")
    local = index_for("/data/store", is_local=True, path=None, rebuild=lambda tx: None)
    assert local.location == os.path.join("/data/store", "index.sqlite")
    memory = index_for("memory://x", is_local=False, path=None, rebuild=lambda tx: None)
    assert memory.location is None
    assert index_for("memory://x", is_local=False, path=None, rebuild=lambda tx: None) is memory


def test_store_url_is_canonical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Store(".satchel").url == str(tmp_path / ".satchel")
    assert Store(f"file://{tmp_path}/x").url == str(tmp_path / "x")
    assert Store("memory://some-name/").url == "memory://some-name"
    assert not (tmp_path / ".satchel").exists()  # opening a store writes nothing


def test_import_is_light() -> None:
    code = (
        "import sys, satchel.store, satchel.uri\n"
        "print(sorted(m for m in ('sqlite3', 'fsspec') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_local_store_never_imports_fsspec(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from satchel.store import Store\n"
        "from satchel.artifacts import FileSource\n"
        f"s = Store({str(tmp_path / 's')!r})\n"
        "r = s.log_artifact(project='p', key='k', kind='file', files=[FileSource(name='a', data=b'x')])\n"
        "s.read_bytes(s.get_artifact(r.uri)); s.list_artifacts('p')\n"
        "print('fsspec' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- tags, uids, lookup --------------------------------------------------------------------


def test_latest_moves_and_uids_keep_resolving(store: Store) -> None:
    v1 = log_bytes(store, b"v1", tags=["latest", "v1"])
    v2 = log_bytes(store, b"v2")
    assert store.get_artifact("store://artifacts/demo/greeting").uid == v2.uid
    assert store.get_artifact("store://artifacts/demo/greeting:latest").tags == ["latest"]
    old = store.get_artifact(v1.uri)
    assert old.tags == ["v1"]  # tags as they are now, not as they were when logged
    assert store.read_bytes(old) == b"v1"
    assert store.get_artifact("store://artifacts/demo/greeting:v1").uid == v1.uid
    # A uid wins over a tag given with it: recorded URIs stay valid after tags move.
    assert store.get_artifact(f"store://artifacts/demo/greeting:latest@{v1.uid}").uid == v1.uid

    store.set_tag(v1, "latest")
    assert store.get_artifact("store://artifacts/demo/greeting").uid == v1.uid
    assert store.get_artifact(v1.uri).tags == ["latest", "v1"]
    assert [(r.uid, r.tags) for r in store.list_artifacts("demo")] == [(v2.uid, []), (v1.uid, ["latest", "v1"])]


def test_refs_written_as_plain_files_are_read(local_store: Store) -> None:
    v1 = log_bytes(local_store, b"v1")
    log_bytes(local_store, b"v2")
    ref = Path(local_store.url, "refs", "demo", "greeting", "0", "latest")
    assert os.readlink(ref) != v1.uid  # a symlink whose text is the uid
    ref.unlink()
    ref.write_text(v1.uid + "\n")  # what a filesystem without symlinks holds
    assert local_store.get_artifact("store://artifacts/demo/greeting").uid == v1.uid
    ref.write_text("garbage")
    with pytest.raises(StoreError, match=re.escape("the tag 'latest' holds 'garbage', not a version uid")):
        local_store.get_artifact("store://artifacts/demo/greeting")


def test_iterations_have_their_own_tags(store: Store) -> None:
    parent = log_bytes(store, b"best")
    child = log_bytes(store, b"third", iteration=3)
    assert child.uri == f"store://artifacts/demo/greeting#3@{child.uid}"
    assert store.get_artifact("store://artifacts/demo/greeting").uid == parent.uid
    assert store.get_artifact("store://artifacts/demo/greeting#3").uid == child.uid
    assert store.get_artifact("store://artifacts/demo/greeting#0:latest").uid == parent.uid
    with pytest.raises(ArtifactNotFoundError, match=f"version {child.uid} is iteration 3, not 1"):
        store.get_artifact(f"store://artifacts/demo/greeting#1@{child.uid}")


def test_lookup_by_artifact_uri_object(store: Store) -> None:
    from satchel.uri import parse_uri

    record = log_bytes(store, b"x")
    assert store.get_artifact(parse_uri(record.uri)).uid == record.uid


def test_not_found_errors_name_the_uri_and_how_to_list(store: Store) -> None:
    record = log_bytes(store, b"x", tags=["latest", "v1"])
    with pytest.raises(ArtifactNotFoundError) as caught:
        store.get_artifact("store://artifacts/demo/nothing")
    assert str(caught.value) == (
        "no artifact matches store://artifacts/demo/nothing: project 'demo' has no artifact "
        "'nothing'; run `satchel artifacts demo` to list what the store has"
    )
    with pytest.raises(ArtifactNotFoundError) as caught:
        store.get_artifact("store://artifacts/demo/greeting:v9")
    assert str(caught.value) == (
        "no artifact matches store://artifacts/demo/greeting:v9: demo/greeting has no tag 'v9' "
        "(its tags: latest, v1); run `satchel artifacts demo` to list what the store has"
    )
    missing = new_uid()
    with pytest.raises(ArtifactNotFoundError, match=f"demo/greeting has no version {missing}; run `satchel artifacts demo`"):
        store.get_artifact(f"store://artifacts/demo/greeting@{missing}")
    with pytest.raises(ArtifactNotFoundError) as caught:
        store.get_artifact("store://models/demo/greeting")
    assert str(caught.value) == (
        "no artifact matches store://models/demo/greeting: demo/greeting is a file artifact; "
        f"its URI is {record.uri}"
    )
    with pytest.raises(InvalidURIError):
        store.get_artifact("store://artifacts/demo/../x")


def test_list_artifacts_filters_and_order(store: Store) -> None:
    a1 = log_bytes(store, b"1", key="a")
    b1 = store.log_artifact(project="demo", key="b", kind="model", files=[FileSource(name="m", data=b"m")])
    a2 = log_bytes(store, b"2", key="a", tags=["latest", "prod"])
    other = store.log_artifact(project="other", key="a", kind="file", files=[FileSource(name="f", data=b"o")])

    def uids(records: list[ArtifactRecord]) -> list[str]:
        return [r.uid for r in records]

    assert uids(store.list_artifacts()) == [other.uid, a2.uid, b1.uid, a1.uid]
    assert uids(store.list_artifacts("demo")) == [a2.uid, b1.uid, a1.uid]
    assert uids(store.list_artifacts("demo", key="a")) == [a2.uid, a1.uid]
    assert uids(store.list_artifacts("demo", kind="model")) == [b1.uid]
    assert uids(store.list_artifacts("demo", tag="latest")) == [a2.uid, b1.uid]
    assert uids(store.list_artifacts(tag="prod")) == [a2.uid]
    assert uids(store.list_artifacts("demo", limit=2)) == [a2.uid, b1.uid]
    assert store.list_artifacts("nobody") == []
    assert store.list_artifacts("demo", limit=1)[0].tags == ["latest", "prod"]
    with pytest.raises(StoreError, match="unknown artifact kind 'models'; use one of file, dir"):
        store.list_artifacts(kind="models")


def test_listing_a_store_that_does_not_exist_is_empty(tmp_path: Path) -> None:
    store = Store(tmp_path / "nothing-here")
    assert store.list_artifacts() == []
    assert store.list_runs() == []
    assert not (tmp_path / "nothing-here").exists()


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("project", "../etc"), ("project", "Demo"), ("key", "a/b"), ("key", ".."), ("key", "x\x00"),
     ("key", ""), ("tags", ["latest", "Bad Tag"]), ("tags", ["../x"])],
)
def test_hostile_names_are_refused(store: Store, field: str, value: object) -> None:
    kwargs: dict[str, object] = {"project": "demo", "key": "k", field: value}
    with pytest.raises(InvalidNameError, match="lowercase letters, digits"):
        store.log_artifact(kind="file", files=[FileSource(name="a", data=b"a")], **kwargs)  # type: ignore[arg-type]
    assert blob_count(store) == 0  # refused before anything was written


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        (["../escape.txt"], "it has an empty, '.' or '..' part"),
        (["a/../../b"], "it has an empty, '.' or '..' part"),
        (["/etc/passwd"], "it is absolute"),
        (["a\\b"], "it contains a backslash"),
        (["a\x00b"], "it contains a control, invisible or bidi character"),
        (["x\x85"], "it contains a control, invisible or bidi character"),
        (["report\u202egnp.exe"], "it contains a control, invisible or bidi character"),
        (["C:/x.txt"], "it contains a colon"),
        (["data.csv:hidden"], "it contains a colon"),
        (["a//b"], "it has an empty, '.' or '..' part"),
        ([""], "it is empty"),
        (["a", "a"], "is given twice"),
        (["a", "a/b"], "'a' is both a file and a folder"),
    ],
)
def test_hostile_file_names_are_refused(store: Store, names: list[str], problem: str) -> None:
    files = [FileSource(name=name, data=b"x") for name in names]
    with pytest.raises(StoreError, match="artifact demo/k: ") as caught:
        store.log_artifact(project="demo", key="k", kind="dir", files=files)
    assert problem in str(caught.value)


def test_bad_arguments_are_refused_with_what_is_expected(store: Store, tmp_path: Path) -> None:
    good = [FileSource(name="a", data=b"a")]
    with pytest.raises(StoreError, match="unknown artifact kind 'files'; use one of file, dir, plot"):
        store.log_artifact(project="demo", key="k", kind="files", files=good)
    with pytest.raises(StoreError, match="iteration must be a whole number 0-999999999, not -1"):
        store.log_artifact(project="demo", key="k", kind="file", files=good, iteration=-1)
    with pytest.raises(StoreError, match="needs exactly one of path"):
        store.log_artifact(project="demo", key="k", kind="file", files=[FileSource(name="a")])
    with pytest.raises(StoreError, match="extra is not JSON-serialisable"):
        store.log_artifact(project="demo", key="k", kind="file", files=good, extra={"x": object()})
    with pytest.raises(StoreError, match="cannot read the file to store"):
        store.log_artifact(project="demo", key="k", kind="file",
                           files=[FileSource(name="a", path=str(tmp_path / "missing"))])
    assert store.list_artifacts() == []


# -- integrity -----------------------------------------------------------------------------


def test_tampered_blob_is_caught_before_any_bytes_are_returned(store: Store, tmp_path: Path) -> None:
    record = store.log_artifact(project="demo", key="images", kind="dir", files=[
        FileSource(name="a.png", data=b"good a"), FileSource(name="b.png", data=b"good b"),
    ])
    corrupt_blob(store, record.files[1])
    flipped = bytes([ord("g") ^ 0xFF]) + b"ood b"
    message = (
        f"artifact {record.uri}: file 'b.png' is corrupt: its {store.digest} is {hexdigest(store, flipped)}, "
        f"expected {hexdigest(store, b'good b')}; nothing was read. Run `satchel verify` to check the whole store"
    )
    item = store.data_item(record)
    with pytest.raises(IntegrityError) as caught:
        item.local()
    assert str(caught.value) == message
    with pytest.raises(IntegrityError, match=re.escape("file 'b.png' is corrupt")):
        store.read_bytes(record, "b.png")
    assert store.read_bytes(record, "a.png") == b"good a"
    with pytest.raises(IntegrityError, match=re.escape("file 'b.png' is corrupt")):
        store.export(record, str(tmp_path / "out"))
    assert sorted(os.listdir(tmp_path / "out")) == ["a.png"]  # no half-verified file left

    problems = store.verify()
    assert problems == [VerifyProblem(uri=record.uri, file="b.png", problem="mismatch",
                                      expected=digest(store, b"good b"), actual=digest(store, flipped))]
    assert str(problems[0]) == (f"{record.uri}: b.png: {store.digest} is {hexdigest(store, flipped)}, "
                                f"expected {hexdigest(store, b'good b')}")
    assert store.verify(record.uri) == problems
    if store._backend.is_local:  # the failed data item left no folder behind
        assert [p.name for p in Path(store.url, "tmp").iterdir()] == []


def test_missing_blob_and_edited_metadata_are_reported(store: Store) -> None:
    record = log_bytes(store, b"soon gone")
    store._backend.remove(blob_path(record.files[0].digest))
    assert store.verify() == [VerifyProblem(uri=record.uri, file="hello.txt", problem="missing",
                                            expected=digest(store, b"soon gone"))]
    with pytest.raises(IntegrityError, match=re.escape("file 'hello.txt' is missing from the store")):
        store.data_item(record).local()

    edited = log_bytes(store, b"real", key="edited")
    forged = FileEntry(name="hello.txt", digest=digest(store, b"forged"), size=6)
    meta = f"artifacts/demo/edited/{edited.uid}.json"
    document = json.loads(store._backend.read(meta) or b"")
    document["files"] = [{"name": forged.name, "digest": forged.digest, "size": forged.size}]
    store._backend.write_atomic(meta, json.dumps(document).encode())
    forged_record = store.get_artifact(edited.uri)
    with pytest.raises(IntegrityError, match=r"its file list hashes to .* but the record says"):
        store.data_item(forged_record)
    assert [p.problem for p in store.verify(edited.uri)] == ["manifest", "missing"]


# -- runs ----------------------------------------------------------------------------------


def test_runs_save_get_list(store: Store) -> None:
    first = new_uid()
    store.save_run("demo", first, {"name": "train", "status": "running", "start": "2024-05-01T10:00:00"})
    store.save_run("demo", first, {"name": "train", "status": "completed", "start": "2024-05-01T10:00:00",
                                   "results": {"accuracy": 0.9}})
    second = new_uid()
    store.save_run("demo", second, {"name": "eval", "status": "running", "started": "2024-05-02T10:00:00"})
    store.save_run("other", "abcdef-run", {"name": "x", "status": "failed"})

    assert store.get_run("demo", first) == {"name": "train", "status": "completed",
                                            "start": "2024-05-01T10:00:00", "results": {"accuracy": 0.9}}
    assert store.get_run(None, first)["status"] == "completed"
    # Uids made in one instant share a long prefix: the shortest one that is first's alone.
    unique = next(i for i in range(len(first)) if first[i] != second[i]) + 1
    assert store.get_run(None, first[:max(unique, 6)])["name"] == "train"
    assert store.get_run(None, "abcdef")["name"] == "x"
    assert [r["name"] for r in store.list_runs("demo")] == ["eval", "train"]
    assert [r["name"] for r in store.list_runs("demo", limit=1)] == ["eval"]
    assert {r["name"] for r in store.list_runs()} == {"eval", "train", "x"}

    with pytest.raises(StoreError, match=f"the run uid prefix '{first[:6]}' is ambiguous: it matches 2 runs"):
        store.get_run(None, first[:6])
    with pytest.raises(StoreError, match="prefix 'abc' is too short: give at least 6 characters"):
        store.get_run(None, "abc")
    store.save_run("other", "abc", {"name": "short uid"})
    assert store.get_run(None, "abc") == {"name": "short uid"}  # an exact uid needs no 6 characters
    with pytest.raises(ArtifactNotFoundError, match=r"no run 'ffffff' in .*; run `satchel runs` to list runs"):
        store.get_run(None, "ffffff")
    with pytest.raises(StoreError, match=re.escape("invalid run uid '../x'")):
        store.get_run("demo", "../x")
    with pytest.raises(InvalidNameError):
        store.save_run("demo", "../../etc", {})
    with pytest.raises(StoreError, match="the run record is not JSON-serialisable"):
        store.save_run("demo", "badrun", {"when": object()})


def test_run_found_from_files_when_the_index_is_behind(local_store: Store) -> None:
    uid = new_uid()
    local_store.save_run("demo", uid, {"name": "train"})
    local_store.close()
    os.remove(os.path.join(local_store.url, "index.sqlite"))
    other = Store(local_store.url, index_path=os.path.join(local_store.url, "tmp-index.sqlite"))
    with other._index().write() as tx:
        tx.clear()
    assert other.get_run(None, uid[:8]) == {"name": "train"}
    other.close()


# -- documents -----------------------------------------------------------------------------


def test_documents(store: Store) -> None:
    assert store.read_document("demo/project.yaml") is None
    store.write_document("demo/project.yaml", "name: demo\n")
    store.write_document("demo/project.yaml", "name: demo\nowner: me\n")
    assert store.read_document("demo/project.yaml") == "name: demo\nowner: me\n"
    for bad in ("../x", "/etc/passwd", "demo//x", "demo/../x", "a\\b", "", "demo/.."):
        with pytest.raises(StoreError, match="invalid document path"):
            store.write_document(bad, "x")


# -- maintenance ---------------------------------------------------------------------------


def test_gc_removes_only_unreferenced_old_blobs_and_stale_tmp(store: Store) -> None:
    kept = log_bytes(store, b"kept")
    # An orphan blob, as a writer killed before its metadata would leave behind.
    orphan = store._backend.store_blob(FileSource(name="x", data=b"orphan!"), link=False, algorithm=store.digest)
    store._backend.write_atomic("tmp/stage-leftover", b"12345")

    young = store.gc()  # default grace period: everything is too new to touch
    assert young == GcReport(dry_run=False, blobs_removed=0, blob_bytes_removed=0, blobs_kept=2,
                             tmp_removed=0, tmp_bytes_removed=0)
    dry = store.gc(dry_run=True, older_than=0)
    assert dry == GcReport(dry_run=True, blobs_removed=1, blob_bytes_removed=7, blobs_kept=1,
                           tmp_removed=1, tmp_bytes_removed=5)
    assert blob_count(store) == 2
    report = store.gc(older_than=0)
    assert report == GcReport(dry_run=False, blobs_removed=1, blob_bytes_removed=7, blobs_kept=1,
                              tmp_removed=1, tmp_bytes_removed=5)
    assert report.bytes_removed == 12
    assert blob_count(store) == 1
    assert not store._backend.exists(blob_path(orphan.digest))
    assert store.read_bytes(kept) == b"kept"
    assert store.verify() == []


def test_gc_keeps_data_item_folders_in_use(local_store: Store) -> None:
    record = log_bytes(local_store, b"in use")
    path = local_store.data_item(record).local()
    local_store.gc(older_than=0)
    assert Path(path).read_bytes() == b"in use"
    tempdirs.remove_all()
    assert not os.path.exists(path)


def test_reindex_after_deleting_the_index(local_store: Store) -> None:
    records = [log_bytes(local_store, str(i).encode(), key=f"k{i}") for i in range(5)]
    local_store.set_tag(records[0], "prod")
    local_store.save_run("demo", "run-000001", {"name": "r"})
    local_store.close()
    os.remove(os.path.join(local_store.url, "index.sqlite"))

    assert local_store.reindex() == 5
    assert [r.uid for r in local_store.list_artifacts("demo")] == [r.uid for r in reversed(records)]
    assert [r.uid for r in local_store.list_artifacts(tag="prod")] == [records[0].uid]
    assert local_store.list_runs() == [{"name": "r"}]
    assert local_store.reindex() == 5  # idempotent


def test_reopening_without_an_index_builds_it(local_store: Store) -> None:
    record = log_bytes(local_store, b"x")
    local_store.close()
    os.remove(os.path.join(local_store.url, "index.sqlite"))
    assert [r.uid for r in Store(local_store.url).list_artifacts()] == [record.uid]


def test_reindex_on_memory_store(memory_store: Store) -> None:
    log_bytes(memory_store, b"a", key="a")
    log_bytes(memory_store, b"b", key="b")
    assert memory_store.reindex() == 2
    assert len(memory_store.list_artifacts()) == 2


def test_index_failure_keeps_the_artifact(local_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from satchel.store.index import Index, IndexFailure

    def broken(self: Index) -> object:
        raise IndexFailure("disk full")

    before = log_bytes(local_store, b"before")
    monkeypatch.setattr(Index, "write", broken)
    with pytest.warns(RuntimeWarning, match="is stored, but the index could not be updated .*satchel reindex"):
        record = log_bytes(local_store, b"still here")
    monkeypatch.undo()
    assert local_store.get_artifact("store://artifacts/demo/greeting").uid == record.uid  # refs moved
    assert [r.uid for r in local_store.list_artifacts()] == [before.uid]  # the index is behind
    assert [str(p) for p in local_store.verify()] == [
        f"{record.uri}: not in the index, so listings miss it (its metadata "
        f"artifacts/demo/greeting/{record.uid}.json exists); run `satchel reindex`",
        f"store://artifacts/demo/greeting:latest: the tag points at {record.uid}, but the index "
        f"says {before.uid}; run `satchel reindex`",
    ]
    assert local_store.reindex() == 2
    assert [r.uid for r in local_store.list_artifacts()] == [record.uid, before.uid]


def test_new_uid_is_time_sortable_and_unique() -> None:
    uids = [new_uid() for _ in range(10_000)]
    assert len(set(uids)) == 10_000
    assert uids == sorted(uids)
    assert all(len(u) == 32 and set(u) <= set("0123456789abcdef") for u in uids)
