"""Scale-out benchmark: the PostgreSQL catalog and runs on a Dask cluster, as ratios against the
plain library call doing the same job, in one run.

Run ``python benchmarks/bench_scale.py`` (100,000 artifacts in the catalog, 64 runs) or add
``--quick`` (10,000 artifacts, 16 runs, 10 MiB on S3). It starts a throwaway PostgreSQL server
(Debian's ``postgresql`` package: initdb and pg_ctl), a 2-worker ``distributed.LocalCluster`` and
moto's S3 server, all on loopback, and needs ``pip install -e 'core[postgres,dask,s3]' 'moto[server]'``.
Prints one table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "tests"))  # pgserver.py, s3server.py: the tests' servers

import psycopg
import scale_handlers
from bench_store import ms, populate, print_table
from pgserver import MISSING, find_binaries, postgres_server

from harness import best_of as best
from satchel.project import Project
from satchel.store import Store

Row = tuple[str, str, str, str]  # what, satchel, baseline, ratio / target


def ratio(mine: float, baseline: float, target: str) -> str:
    return f"{mine / baseline:.2f}x ({target})" if baseline > 0 else target


# -- the PostgreSQL catalog ----------------------------------------------------------------------


def bench_catalog(work: Path, server_url: str, count: int) -> list[Row]:
    root = work / "catalog-store"
    records = populate(root, count, 10, "blake3")  # metadata files and refs, written directly (setup)
    store = Store(root, catalog=server_url)
    start = time.perf_counter()
    assert store.reindex() == count
    reindex = time.perf_counter() - start
    catalog = store._index()

    newest = store.list_artifacts("bench", limit=100)
    assert [r.uid for r in newest] == [r.uid for r in records[::-1][:100]]
    listing = best(20, lambda: store.list_artifacts("bench", limit=100))
    cold_store = Store(root, catalog=server_url)
    cold = best(1, lambda: cold_store.list_artifacts("bench", limit=100))
    cold_store.close()

    with psycopg.connect(server_url) as conn:
        def plain_list() -> object:
            return conn.execute(
                "SELECT a.record, (SELECT string_agg(t.tag, ' ') FROM satchel_tags t WHERE t.uid = a.uid), a.path "
                "FROM satchel_artifacts a WHERE a.project = 'bench' ORDER BY a.uid DESC LIMIT 100").fetchall()

        plain_listing = best(20, plain_list)
        probes = records[:: max(1, count // 200)]

        def plain_lookup() -> None:
            for record in probes:
                conn.execute("SELECT record FROM satchel_artifacts WHERE uid = %s", (record.uid,)).fetchone()

        plain_by_uid = best(3, plain_lookup) / len(probes)

    from satchel.store.records import record_from_row

    def catalog_lookup(tagged: bool) -> None:
        for record in probes:
            found = catalog.lookup("bench", record.key, 0, uid=None if tagged else record.uid, tag="latest")
            assert found is not None
            record_from_row(found[0], found[1])

    by_uid = best(3, lambda: catalog_lookup(False)) / len(probes)
    by_tag = best(3, lambda: catalog_lookup(True)) / len(probes)

    def get_all() -> None:
        for record in probes:
            store.get_artifact(record.uri)

    get_artifact = best(3, get_all) / len(probes)
    store.close()
    n = f"{count:,}"
    return [
        (f"reindex {n} artifacts into PostgreSQL", ms(reindex), "-", "info"),
        (f"list newest 100 of {n} (warm)", ms(listing), f"same SQL, psycopg: {ms(plain_listing)}",
         ratio(listing, plain_listing, "target <= 50 ms")),
        (f"list newest 100 of {n} (new Store, cold)", ms(cold), "-", "connect + schema check + list"),
        ("catalog lookup by URI (@uid)", ms(by_uid), f"SELECT by uid, psycopg: {ms(plain_by_uid)}",
         ratio(by_uid, plain_by_uid, "target <= 5 ms")),
        ("catalog lookup by URI (:latest)", ms(by_tag), "-", "target <= 5 ms"),
        ("get_artifact by URI (@uid: the store's files)", ms(get_artifact), "-", "target <= 5 ms"),
    ]


# -- runs on a Dask cluster ----------------------------------------------------------------------


def bench_cluster(work: Path, server_url: str, runs: int) -> list[Row]:
    import dask
    import distributed

    project = Project("bench", Store(work / "runs-store", catalog=server_url))
    params = [{"n": n} for n in range(runs)]
    project.run(scale_handlers.square, {"n": 1}, returns=["value"])  # warm: plugins loaded, catalog ready
    rows: list[Row] = []
    with dask.config.set({"temporary-directory": str(work / "dask")}), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as client:
        project.map(scale_handlers.square, params[:4], returns=["value"], executor=client)  # workers warm
        for label, handler, extra in (("small runs (n * n)", scale_handlers.square, {}),
                                      ("runs of 100 ms each (sleep)", scale_handlers.work, {"seconds": 0.1})):
            items = [{**item, **extra} for item in params]
            start = time.perf_counter()
            for item in items:
                project.run(handler, item, returns=["value"])
            local = time.perf_counter() - start
            start = time.perf_counter()
            done = project.map(handler, items, returns=["value"], executor=client)
            on_cluster = time.perf_counter() - start
            assert [run.results["value"] for run in done] == [n * n for n in range(runs)]
            overhead = on_cluster * 2 / runs - local / runs  # each worker's time per run, beyond the run itself
            rows += [
                (f"{runs} {label}: project.map, 2 workers", ms(on_cluster), f"one after another here: {ms(local)}",
                 f"speed-up {local / on_cluster:.2f}x"),
                (f"  per-run overhead on the cluster ({label})", ms(overhead), f"per run here: {ms(local / runs)}", "info"),
            ]
    project.store.close()
    return rows


# -- S3 object storage (moto) --------------------------------------------------------------------


def bench_s3(work: Path, size_mib: int, repeat: int = 3) -> list[Row]:
    """Storing a payload on S3 (moto's server on loopback) against a plain s3fs put of the same
    bytes plus one sha256 pass: a packager's own file (written through a HashingWriter, uploaded
    straight to its address) and a caller's file (uploaded while hashed, then copied into place)."""
    import hashlib

    import s3server

    if not s3server.available():
        return [("store on S3 (moto)", "-", "-", "not run: pip install 'satchel[s3]' 'moto[server]'")]
    import s3fs

    from satchel.artifacts import FileSource
    from satchel.store.hashedio import HashingWriter

    data = os.urandom(size_mib << 20)
    path = work / "payload.bin"
    path.write_bytes(data)
    with s3server.moto_server() as endpoint:
        bucket = s3server.new_bucket(endpoint)
        fs = s3fs.S3FileSystem(skip_instance_cache=True)
        store = Store(f"s3://{bucket}/store")
        counter = iter(range(10**6))

        def plain() -> None:
            fs.put_file(str(path), f"{bucket}/plain/{next(counter)}")
            with open(path, "rb") as handle:
                hashlib.file_digest(handle, "sha256")

        def own_file() -> float:  # new bytes each time, so each is a real upload
            own = work / f"own-{next(counter)}.bin"
            with HashingWriter(own, store.digest) as out:
                out.write(data[:-8] + next(counter).to_bytes(8, "little"))
            start = time.perf_counter()
            store.log_artifact(project="bench", key="payload", kind="file",
                               files=[FileSource(name="payload.bin", path=str(own))], link=True)
            took = time.perf_counter() - start
            own.unlink()
            return took

        def callers_file() -> float:
            path.write_bytes(data[:-8] + next(counter).to_bytes(8, "little"))
            start = time.perf_counter()
            store.log_artifact(project="bench", key="payload", kind="file",
                               files=[FileSource(name="payload.bin", path=str(path))], link=False)
            return time.perf_counter() - start

        baseline = best(repeat, plain)
        mine = min(own_file() for _ in range(repeat))
        copied = min(callers_file() for _ in range(repeat))
    return [
        (f"store {size_mib} MiB on S3 (moto), a packager's file", ms(mine), f"s3fs put + sha256: {ms(baseline)}",
         ratio(mine, baseline, "<= 1.2x")),
        (f"store {size_mib} MiB on S3 (moto), the caller's file", ms(copied), f"s3fs put + sha256: {ms(baseline)}",
         ratio(copied, baseline, "info: uploaded while hashed, then copied on the server")),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 artifacts, 16 runs")
    parser.add_argument("--artifacts", type=int, help="artifacts in the catalog (default 100,000)")
    parser.add_argument("--runs", type=int, help="runs through project.map (default 64)")
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    args = parser.parse_args(argv)
    count = args.artifacts or (10_000 if args.quick else 100_000)
    runs = args.runs or (16 if args.quick else 64)
    binaries = find_binaries()
    if binaries is None:
        print(f"bench_scale: {MISSING}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="satchel-bench-scale-", dir=os.environ.get("SATCHEL_BENCH_DIR")))
    try:
        with postgres_server(work / "postgres", binaries) as server:
            url = server.url()
            rows = bench_catalog(work, url, count) + bench_cluster(work, url, runs)
        rows += bench_s3(work, 10 if args.quick else 100)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"satchel scale-out benchmark: python {sys.version.split()[0]}, {sys.platform}, {os.cpu_count()} CPUs, "
          f"{count:,} artifacts in a PostgreSQL catalog, {runs} runs on a 2-worker LocalCluster")
    print_table(rows)
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
