"""The store across processes: writers killed mid-write, and several writers at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from satchel.artifacts import FileSource
from satchel.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

BIG = 16 * (1 << 20)


def spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def kill_when_ready(child: subprocess.Popen[str], marker: str) -> None:
    assert child.stdout is not None
    line = child.stdout.readline()
    if line.strip() != marker:
        child.kill()
        _out, err = child.communicate()
        pytest.fail(f"child did not reach {marker!r}: {line!r}\n{err}")
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.bin"
    path.write_bytes(os.urandom(BIG))
    return path


def test_killed_between_blobs_and_metadata(tmp_path: Path, big_file: Path) -> None:
    root = tmp_path / "store"
    store = Store(root)
    v1 = store.log_artifact(project="demo", key="model", kind="model",
                            files=[FileSource(name="model.bin", data=b"version one")])
    child = spawn(
        """
        import sys, time
        from satchel.artifacts import FileSource
        from satchel.store import Store
        from satchel.store.local import LocalBackend

        original = LocalBackend.write_new

        def paused(self, rel, data):
            if rel.startswith("artifacts/"):
                print("BLOBS-STORED", flush=True)
                time.sleep(120)
            return original(self, rel, data)

        LocalBackend.write_new = paused
        Store(sys.argv[1]).log_artifact(project="demo", key="model", kind="model", link=False,
                                        files=[FileSource(name="model.bin", path=sys.argv[2])])
        """,
        str(root), str(big_file),
    )
    kill_when_ready(child, "BLOBS-STORED")

    after = Store(root)
    latest = after.get_artifact("store://models/demo/model")
    assert latest.uid == v1.uid
    assert after.read_bytes(latest) == b"version one"
    assert [r.uid for r in after.list_artifacts("demo")] == [v1.uid]
    assert after.verify() == []
    report = after.gc(older_than=0)
    assert (report.blobs_removed, report.blob_bytes_removed, report.blobs_kept) == (1, BIG, 1)
    assert after.read_bytes(after.get_artifact(v1.uri)) == b"version one"


def test_killed_while_a_file_streams_in(tmp_path: Path, big_file: Path) -> None:
    root = tmp_path / "store"
    store = Store(root)
    v1 = store.log_artifact(project="demo", key="model", kind="model",
                            files=[FileSource(name="model.bin", data=b"version one")])
    child = spawn(
        """
        import os, sys, time
        from satchel.artifacts import FileSource
        from satchel.store import Store
        import satchel.store.local as local

        def half_then_hang(source, target, *, algorithm, fsync=False):
            with open(source, "rb") as src, open(target, "xb") as out:
                out.write(src.read(os.path.getsize(source) // 2))
                out.flush()
                print("STREAMING", flush=True)
                time.sleep(120)

        local.copy_hashing = half_then_hang
        Store(sys.argv[1]).log_artifact(project="demo", key="model", kind="model", link=False,
                                        files=[FileSource(name="model.bin", path=sys.argv[2])])
        """,
        str(root), str(big_file),
    )
    kill_when_ready(child, "STREAMING")

    after = Store(root)
    assert after.get_artifact("store://models/demo/model").uid == v1.uid
    assert [r.uid for r in after.list_artifacts()] == [v1.uid]
    assert after.verify() == []
    staged = list((root / "tmp").iterdir())
    assert [p.stat().st_size for p in staged] == [BIG // 2]
    report = after.gc(older_than=0)
    assert (report.blobs_removed, report.tmp_removed, report.tmp_bytes_removed) == (0, 1, BIG // 2)
    assert list((root / "tmp").iterdir()) == []


WRITER = """
import json, os, sys, time
from satchel.artifacts import FileSource
from satchel.store import Store

root, worker, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
while not os.path.exists(go):
    time.sleep(0.005)
store = Store(root)
logged = []
for i in range(25):
    key = "shared" if i % 5 == 0 else f"w{worker}-{i % 3}"
    data = f"worker {worker} item {i}".encode()
    record = store.log_artifact(project="demo", key=key, kind="file",
                                files=[FileSource(name="item.txt", data=data)])
    logged.append([key, record.uid])
print(json.dumps(logged), flush=True)
"""


def test_four_processes_logging_at_once(tmp_path: Path) -> None:
    root, go = tmp_path / "store", tmp_path / "go"
    children = [spawn(WRITER, str(root), str(worker), str(go)) for worker in range(4)]
    time.sleep(0.3)
    go.touch()
    logged: list[tuple[str, str]] = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        logged.extend((key, uid) for key, uid in json.loads(out))

    uids = [uid for _key, uid in logged]
    assert len(uids) == 100
    assert len(set(uids)) == 100
    store = Store(root)
    listed = store.list_artifacts("demo")
    assert sorted(r.uid for r in listed) == sorted(uids)
    assert [r.uid for r in listed] == sorted(uids, reverse=True)  # newest first
    on_disk = sorted(p.stem for p in (root / "artifacts" / "demo").rglob("*.json"))
    assert on_disk == sorted(uids)
    # A newly logged version only takes `latest` from an older one, whatever the interleaving.
    shared = [uid for key, uid in logged if key == "shared"]
    assert store.get_artifact("store://artifacts/demo/shared").uid == max(shared)
    assert [r.uid for r in store.list_artifacts("demo", key="shared", tag="latest")] == [max(shared)]
    assert store.verify() == []
    assert store.reindex() == 100
    assert sorted(r.uid for r in store.list_artifacts("demo")) == sorted(uids)


FORKING_WRITER = """
import os, sys
import satchel.serde, satchel.store.index  # imported once here, so each writer starts writing at once
from satchel.artifacts import FileSource
from satchel.store import Store

root, catalog = sys.argv[1], sys.argv[2] or None
if catalog:
    import satchel.store.sqlcatalog, sqlalchemy.dialects.postgresql.psycopg
for line in sys.stdin:
    round_ = int(line)
    pid = os.fork()
    if pid == 0:  # a writer that logs versions until it is killed
        store = Store(root, catalog=catalog)
        i = 0
        while True:
            store.log_artifact(project="demo", key=f"k{i % 3}", kind="file",
                               files=[FileSource(name="item.txt", data=f"{round_} {i}".encode())])
            i += 1
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""

KILLS = 40


def indexed_uids(root: Path, catalog: str | None = None) -> set[str]:
    """What the index holds, read with plain sqlite3 (or psycopg) before satchel opens (and repairs) it."""
    import sqlite3

    if catalog is not None:
        import psycopg

        with psycopg.connect(catalog) as conn:
            return {str(uid) for (uid,) in conn.execute("SELECT uid FROM satchel_artifacts")}
    if not (root / "index.sqlite").exists():
        return set()
    db = sqlite3.connect(root / "index.sqlite")
    try:
        return {uid for (uid,) in db.execute("SELECT uid FROM artifacts")}
    except sqlite3.OperationalError as exc:
        # A writer killed after sqlite made the file but before its first transaction committed
        # the schema leaves an empty database: nothing indexed yet (satchel builds it on open).
        if "no such table" not in str(exc):
            raise
        return set()
    finally:
        db.close()


@pytest.mark.parametrize("index", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_writers_killed_at_random_points_never_leave_a_committed_version_unlisted(
    tmp_path: Path, index: str, request: pytest.FixtureRequest
) -> None:
    import random

    root = tmp_path / "store"
    catalog: str | None = request.getfixturevalue("catalog_url") if index == "postgres" else None
    if catalog is not None:
        root.mkdir()
        with Store(root, catalog=catalog) as first:
            first.list_artifacts()  # the catalog's tables, made before the first writer forks
    spawner = subprocess.Popen(
        [sys.executable, "-c", FORKING_WRITER, str(root), catalog or ""],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert spawner.stdin is not None and spawner.stdout is not None
    rng = random.Random(20240501)
    behind = 0
    try:
        for round_ in range(KILLS):
            spawner.stdin.write(f"{round_}\n")
            spawner.stdin.flush()
            pid = int(spawner.stdout.readline())
            time.sleep(rng.uniform(0.01, 0.05))
            os.kill(pid, signal.SIGKILL)
            assert "reaped" == spawner.stdout.readline().strip()

            committed = {p.stem for p in (root / "artifacts").rglob("*.json")}
            behind += bool(committed - indexed_uids(root, catalog))
            store = Store(root, catalog=catalog)
            listed = {r.uid for r in store.list_artifacts("demo")}
            assert (round_, committed) == (round_, listed)
            for key in ("k0", "k1", "k2"):
                if (root / "refs" / "demo" / key / "0" / "latest").is_symlink():
                    latest = store.get_artifact(f"store://artifacts/demo/{key}").uid
                    assert latest in listed
                    assert [latest] == [r.uid for r in store.list_artifacts("demo", key=key, tag="latest")]
            store.close()
    finally:
        spawner.stdin.close()
        spawner.wait(timeout=30)
    print(f"{KILLS} kills; {behind} left committed versions the index had not listed yet")
    store = Store(root, catalog=catalog)
    assert [] == store.verify()
    store.close()
