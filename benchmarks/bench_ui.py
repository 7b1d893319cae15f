"""UI benchmark: time to first byte of `satchel ui` pages on big stores, over real HTTP (uvicorn).

Run ``python benchmarks/bench_ui.py`` (100,000 artifacts in the index, a 1,000,000-row Parquet
dataset; needs satchel[ui] and satchel-pandas) or add ``--quick`` (10,000 and 100,000). Prints
the median and best of 30 requests per page, against the targets: the artifacts page <= 150 ms,
the dataset's page <= 200 ms (its preview comes from the record: the file is never read).
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

import satchel
from satchel.artifacts import ArtifactRecord, FileEntry
from satchel.store import Store, new_uid
from satchel.store.hashing import hash_bytes, manifest_hash
from satchel.store.records import artifact_row
from satchel.ui.app import make_app

REQUESTS = 30


def fill_index(store: Store, count: int) -> None:
    """*count* versions of count/10 keys, straight into the index (the artifacts page reads only the index)."""
    blob = FileEntry(name="data.bin", digest=f"blake3:{hash_bytes(b'x', 'blake3')}", size=1)
    rows = []
    latest: dict[str, str] = {}
    for number in range(count):
        key = f"k{number // 10:06d}"
        record = ArtifactRecord(
            key=key, kind="file", project="bench", uid=new_uid(), tags=[], hash=manifest_hash([blob]), size=1,
            files=[blob], labels={"n": str(number)}, created="2026-01-01T00:00:00.000+00:00",
        )
        rows.append(artifact_row(record))
        latest[key] = record.uid
    with store._index().write() as tx:
        tx.add_artifacts(rows)
        for key, uid in latest.items():
            tx.set_tag("bench", key, 0, "latest", uid)


def log_dataset(store_path: Path, rows: int) -> str:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    frame = pd.DataFrame({
        "id": np.arange(rows, dtype=np.int64), "value": rng.normal(size=rows),
        "city": pd.Categorical(rng.choice(["Lisbon", "Oslo", "Quito"], size=rows)),
        "when": pd.date_range("2026-01-01", periods=rows, freq="s", tz="UTC"),
    })
    project = satchel.get_or_create_project("data", store=str(store_path))
    stored = project.log(frame, "big_table : dataset[format=parquet]")
    return f"/p/data/artifacts/{stored.key}/{stored.uid}"


class Server:
    def __init__(self, store: Store) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(make_app(store), log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def ttfb(self, path: str) -> tuple[float, float, int]:
        """(median, best) seconds to the first byte of the answer, and its size in bytes."""
        times = []
        size = 0
        for _ in range(REQUESTS):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            start = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()  # returns once the status line and headers arrived
            times.append(time.perf_counter() - start)
            body = response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}: {body[:300]!r}")
            size = len(body)
            connection.close()
        return statistics.median(times), min(times), size

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 artifacts and a 100,000-row dataset")
    args = parser.parse_args()
    count, rows = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="satchel-bench-ui-") as work:
        root = Path(work) / "store"
        started = time.perf_counter()
        page = log_dataset(root, rows)
        store = Store(root)
        fill_index(store, count)
        print(f"setup: {count:,} indexed artifacts and a {rows:,}-row dataset in {time.perf_counter() - started:.1f} s")
        server = Server(store)
        try:
            cases = [
                (f"artifacts page, {count:,} in the index", "/p/bench/artifacts", 0.150),
                ("artifacts page 1000 (offset 49,950)", "/p/bench/artifacts?page=1000", None),
                ("artifacts search by key (1 match)", "/p/bench/artifacts?q=k000123", None),
                ("artifacts search by key (no match)", "/p/bench/artifacts?q=nothing", None),
                (f"dataset artifact page, {rows:,} rows", page, 0.200),
                ("run-less runs page", "/p/bench/runs", None),
            ]
            print(f"\n{'page':<44} {'median':>9} {'best':>9} {'bytes':>8}  target")
            failed = False
            for what, path, target in cases:
                median, best, size = server.ttfb(path)
                verdict = "info" if target is None else (
                    f"<= {target * 1000:.0f} ms {'ok' if median <= target else 'MISSED'}")
                failed |= target is not None and median > target
                print(f"{what:<44} {median * 1000:>7.1f}ms {best * 1000:>7.1f}ms {size:>8}  {verdict}")
        finally:
            server.stop()
            store.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
