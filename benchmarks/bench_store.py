"""Store benchmark: the store's costs as ratios against the plain standard library doing the same job.

Run ``python benchmarks/bench_store.py`` (100 MiB payload, 100,000 indexed artifacts) or add
``--quick`` (16 MiB, 10,000 artifacts); ``--digest sha256`` stores with sha256 instead of the
default blake3 (the baselines hash with sha256 either way). Prints one table; ratios below 1.0 beat
the baseline.
"""

from __future__ import annotations

import argparse
import functools
import gc as collector
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from harness import MIB, reset_peak, sha256_file, status_kib
from satchel import serde
from satchel.artifacts import ArtifactRecord, FileEntry, FileSource
from satchel.store import Store, new_uid
from satchel.store.hashing import ALGORITHMS, DEFAULT_ALGORITHM, hash_bytes, manifest_hash
from satchel.store.paths import metadata_path, ref_path

Row = tuple[str, str, str, str]  # what, satchel, baseline, ratio / target


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def write_file(path: Path, payload: bytes | bytearray) -> None:
    with open(path, "wb") as handle:
        handle.write(payload)


def baseline_store(path: Path, payload: bytearray) -> None:
    write_file(path, payload)
    sha256_file(path)


def satchel_store(store: Store, path: Path, payload: bytearray, *, key: str = "payload",
                  link: bool = True) -> ArtifactRecord:
    write_file(path, payload)
    return store.log_artifact(project="bench", key=key, kind="file", link=link,
                              files=[FileSource(name="payload.bin", path=str(path))])


def log_into(records: list[ArtifactRecord], store: Store, path: Path, payload: bytearray) -> None:
    records.append(satchel_store(store, path, payload))


def read_file(path: Path) -> None:
    with open(path, "rb") as handle:
        handle.read()


def baseline_load(path: Path) -> None:
    with open(path, "rb") as handle:
        data = handle.read()
    hashlib.sha256(data).hexdigest()


def satchel_load(store: Store, record: ArtifactRecord) -> None:
    with open(store.data_item(record).local(), "rb") as handle:
        handle.read()


def measure_pair(first: Callable[[], object], second: Callable[[], object], swap: bool) -> tuple[float, float]:
    """Time both; *swap* runs *second* first, so page-cache and writeback effects fall on both sides."""
    actions = {"first": first, "second": second}
    times: dict[str, float] = {}
    for name in (("second", "first") if swap else ("first", "second")):
        collector.collect()
        times[name] = timed(actions[name])
    return times["first"], times["second"]


def measure_memory(store: Store, path: Path, payload: bytearray) -> tuple[int, int]:
    """(peak Python allocation, peak resident-set growth or -1) while storing the payload."""
    payload[16:24] = b"memory!!"
    write_file(path, payload)
    tracemalloc.start()
    has_rss = reset_peak()
    before = status_kib("VmRSS")
    satchel_store(store, path, payload, key="memory")
    peak_python = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak_rss = (status_kib("VmHWM") - before) * 1024 if has_rss else -1
    path.unlink()
    return peak_python, peak_rss


def bench_payload(work: Path, size: int, repeats: int, digest: str) -> list[Row]:
    payload = bytearray(os.urandom(size))
    store_times: list[float] = []
    store_base: list[float] = []
    copy_times: list[float] = []
    load_times: list[float] = []
    load_base: list[float] = []
    plain_write: list[float] = []
    plain_read: list[float] = []
    peak_python = peak_rss = 0
    base_file, our_file, copied_file, plain_file = (work / f"{name}.bin" for name in ("base", "ours", "copy", "plain"))
    for attempt in range(repeats):
        payload[:8] = attempt.to_bytes(8, "little")  # new content: no deduplication shortcut
        root = work / f"store-{attempt}"
        store = Store(root, digest=digest)
        store.log_artifact(project="bench", key="warm-up", kind="file",
                           files=[FileSource(name="w", data=b"w")])
        records: list[ArtifactRecord] = []
        base, ours = measure_pair(
            functools.partial(baseline_store, base_file, payload),
            functools.partial(log_into, records, store, our_file, payload),
            swap=attempt % 2 == 1,
        )
        store_base.append(base)
        store_times.append(ours)
        payload[8:16] = attempt.to_bytes(8, "little")
        copy_times.append(timed(functools.partial(satchel_store, store, copied_file, payload,
                                                  key="copied", link=False)))
        base, ours = measure_pair(
            functools.partial(baseline_load, base_file),
            functools.partial(satchel_load, store, records[0]),
            swap=attempt % 2 == 1,
        )
        load_base.append(base)
        load_times.append(ours)
        # What unverified I/O costs: the write and the read alone, no hash at all.
        plain_write.append(timed(functools.partial(write_file, plain_file, payload)))
        plain_read.append(timed(functools.partial(read_file, plain_file)))
        if attempt == 0:
            peak_python, peak_rss = measure_memory(store, our_file, payload)
        for leftover in (base_file, our_file, copied_file, plain_file):
            leftover.unlink(missing_ok=True)
        store.close()
        shutil.rmtree(root, ignore_errors=True)

    mib = size // MIB
    store_base_ms = ms(statistics.median(store_base))
    store_ratio = statistics.median(store_times) / statistics.median(store_base)
    copy_ratio = statistics.median(copy_times) / statistics.median(store_base)
    load_ratio = statistics.median(load_times) / statistics.median(load_base)
    write_ms, read_ms = ms(statistics.median(plain_write)), ms(statistics.median(plain_read))
    return [
        (f"write {mib} MiB file + log_artifact (hardlink)", ms(statistics.median(store_times)),
         f"write + sha256: {store_base_ms}", f"{store_ratio:.2f}x (target <= 1.15x)"),
        (f"write {mib} MiB file + log_artifact (link=False: copy)", ms(statistics.median(copy_times)),
         f"write + sha256: {store_base_ms}", f"{copy_ratio:.2f}x (info)"),
        (f"data_item().local() + read {mib} MiB", ms(statistics.median(load_times)),
         f"read + sha256: {ms(statistics.median(load_base))}", f"{load_ratio:.2f}x (target <= 1.15x)"),
        (f"write {mib} MiB file + log_artifact (hardlink)", ms(statistics.median(store_times)),
         f"write alone, no hash: {write_ms}",
         f"{statistics.median(store_times) / statistics.median(plain_write):.2f}x (info)"),
        (f"data_item().local() + read {mib} MiB", ms(statistics.median(load_times)),
         f"read alone, no hash: {read_ms}",
         f"{statistics.median(load_times) / statistics.median(plain_read):.2f}x (info)"),
        (f"peak Python memory storing {mib} MiB", f"{peak_python / MIB:.2f} MiB", "-", "tracemalloc"),
        (f"peak RSS growth storing {mib} MiB",
         f"{peak_rss / MIB:.1f} MiB" if peak_rss >= 0 else "n/a", "-", "VmHWM - VmRSS"),
    ]


def populate(root: Path, count: int, versions: int, digest: str) -> list[ArtifactRecord]:
    """Write *count* metadata files and refs directly (setup only; the timings use the public API)."""
    records: list[ArtifactRecord] = []
    blob = FileEntry(name="data.bin", digest=f"{digest}:{hash_bytes(b'x', digest)}", size=1)
    for number in range(count):
        key = f"k{number // versions:06d}"
        record = ArtifactRecord(
            key=key, kind="file", project="bench", uid=new_uid(), tags=["latest"],
            hash=manifest_hash([blob]), size=1, files=[blob], labels={"n": str(number)},
            created="2024-01-01T00:00:00.000+00:00",
        )
        path = root / metadata_path(record.project, key, record.uid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(serde.dumps(record))
        records.append(record)
    latest: dict[str, str] = {r.key: r.uid for r in records}
    for key, uid in latest.items():
        ref = root / ref_path("bench", key, 0, "latest")
        ref.parent.mkdir(parents=True, exist_ok=True)
        ref.write_text(uid + "\n")
    return records


def bench_listing(work: Path, count: int, digest: str) -> list[Row]:
    versions = 10
    root = work / "listing"
    records = populate(root, count, versions, digest)
    keys = count // versions
    store = Store(root)
    reindex = timed(store.reindex)
    store.close()

    cold_store = Store(root)
    cold = timed(lambda: cold_store.list_artifacts("bench", limit=100))
    warm = min(timed(lambda: store.list_artifacts("bench", limit=100)) for _ in range(5))
    newest = store.list_artifacts("bench", limit=100)
    assert [r.uid for r in newest] == [r.uid for r in records[::-1][:100]]
    latest_all = min(timed(lambda: store.list_artifacts("bench", tag="latest")) for _ in range(3))
    assert len(store.list_artifacts("bench", tag="latest")) == keys
    one_key = min(timed(lambda: store.list_artifacts("bench", key="k000123")) for _ in range(5))
    everything = timed(lambda: store.list_artifacts())

    probes = [f"store://artifacts/bench/k{n:06d}" for n in range(0, keys, max(1, keys // 500))]
    start = time.perf_counter()
    for uri in probes:
        store.get_artifact(uri)
    by_tag = (time.perf_counter() - start) / len(probes)
    uid_probes = [records[n].uri for n in range(0, count, max(1, count // 500))]
    start = time.perf_counter()
    for uri in uid_probes:
        store.get_artifact(uri)
    by_uid = (time.perf_counter() - start) / len(uid_probes)
    store.close()
    cold_store.close()
    n = f"{count:,}"
    return [
        (f"reindex {n} artifacts from files", ms(reindex), "-", "info"),
        (f"list newest 100 of {n} (new Store, cold)", ms(cold), "-", "target <= 200 ms"),
        (f"list newest 100 of {n} (warm)", ms(warm), "-", "target <= 200 ms"),
        (f"list latest of all {keys:,} keys", ms(latest_all), "-", "info"),
        (f"list the {versions} versions of one key", ms(one_key), "-", "info"),
        (f"list all {n}", ms(everything), "-", "info"),
        ("get_artifact by URI (:latest)", ms(by_tag), "-", "target <= 5 ms"),
        ("get_artifact by URI (@uid)", ms(by_uid), "-", "target <= 5 ms"),
    ]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def print_table(rows: list[Row]) -> None:
    header: Row = ("measure", "satchel", "baseline", "ratio / target")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for index, row in enumerate([header, *rows]):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print(line)
    print(line)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="16 MiB payload, 10,000 artifacts")
    parser.add_argument("--size-mib", type=int, help="payload size (default 100, quick 16)")
    parser.add_argument("--artifacts", type=int, help="artifacts in the index (default 100,000)")
    parser.add_argument("--repeats", type=int, help="repeats of the payload timings (default 7)")
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    parser.add_argument("--digest", choices=ALGORITHMS, default=DEFAULT_ALGORITHM,
                        help=f"the store's digest (default {DEFAULT_ALGORITHM})")
    args = parser.parse_args(argv)
    size = (args.size_mib or (16 if args.quick else 100)) * MIB
    count = args.artifacts or (10_000 if args.quick else 100_000)
    repeats = args.repeats or (3 if args.quick else 7)
    work = Path(tempfile.mkdtemp(prefix="satchel-bench-", dir=os.environ.get("SATCHEL_BENCH_DIR")))
    try:
        rows = bench_payload(work, size, repeats, args.digest) + bench_listing(work, count, args.digest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"satchel store benchmark: python {sys.version.split()[0]}, {sys.platform}, "
          f"{size // MIB} MiB payload, {count:,} artifacts, median of {repeats}, store digest {args.digest}")
    print_table(rows)
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
