"""Benchmark satchel-pandas against plain pandas: pack+store and load+verify of a DataFrame as a Parquet
dataset, and peak memory.

The frame has numeric, string, categorical and time-zone-aware datetime columns. Baselines, with no
hashing at all: ``DataFrame.to_parquet`` to a new file; ``pd.read_parquet`` of it. satchel, with a
blake3 store and with a sha256 store: ``host.pack`` inside ``staging(store)`` + ``log_packed``, then
``store.get_artifact`` + ``unpack_record`` (every byte hashed and checked; the schema, row count
and preview computed). The old baseline, the plain call plus one sha256 pass, is printed too. Peak memory is the peak RSS of a fresh
subprocess per measurement (``VmHWM``, reset once the frame is built, so building it does not count).

    python benchmarks/bench_pandas.py            # 1,000,000 rows timed, 8,000,000 rows for peak memory
    python benchmarks/bench_pandas.py --quick    # 100,000 rows timed, 1,000,000 rows for peak memory
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import tempfile
from typing import Any

import numpy as np
import pandas as pd

from harness import (
    GIB,
    MIB,
    digest_stores,
    duel,
    pack_and_log,
    peak_benchmark_parser,
    peak_rss,
    per_digest,
    plugin_host,
    print_peaks,
    print_timings,
    reset_peak,
    run_peak_child,
    sha256_file,
    unpack_artifact,
)


def _frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    names = np.array([f"customer-{i:05d}" for i in range(50_000)], dtype=object)
    return pd.DataFrame({
        "id": np.arange(rows, dtype="int64"),
        "amount": rng.standard_normal(rows),
        "quantity": rng.integers(0, 1000, rows, dtype="int32"),
        "score": rng.random(rows).astype("float32"),
        "customer": pd.array(names[rng.integers(0, len(names), rows)], dtype="str"),
        "colour": pd.Categorical.from_codes(rng.integers(0, 5, rows), categories=["red", "green", "blue", "cyan", "grey"]),
        "when": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**15, rows), unit="ns"),
    })


# -- the operations measured -----------------------------------------------------------------------


def baseline_pack(frame: pd.DataFrame, path: str) -> str:
    frame.to_parquet(path)
    return sha256_file(path)


def baseline_load(path: str) -> pd.DataFrame:
    sha256_file(path)
    return pd.read_parquet(path)


def satchel_pack(host: Any, store: Any, frame: pd.DataFrame) -> Any:
    return pack_and_log(host, store, frame, "table", None, {})  # the default: a Parquet dataset


def satchel_load(host: Any, store: Any, uri: str) -> pd.DataFrame:
    return unpack_artifact(host, store, uri, pd.DataFrame)


# -- peak memory, one fresh subprocess per measurement ---------------------------------------------


def _peak_child(mode: str, rows: int, workdir: str, uri: str | None) -> None:
    """Run one operation in this (fresh) process and print its peak RSS in bytes as JSON."""
    from satchel.store import Store

    out: dict[str, Any] = {}
    store = Store(os.path.join(workdir, "store"))
    path = os.path.join(workdir, "peak.parquet")
    if mode in ("hold", "baseline-pack", "pack"):
        frame = _frame(rows)
        out["frame_bytes"] = int(frame.memory_usage(deep=False).sum())
        gc.collect()
        reset_peak()  # building the frame has its own peak; measure from holding it
        if mode == "baseline-pack":
            baseline_pack(frame, path)
        elif mode == "pack":
            out["uri"] = satchel_pack(plugin_host("pandas"), store, frame).uri
    elif mode == "baseline-load":
        assert len(baseline_load(path)) == rows
    elif mode == "load":
        assert uri is not None
        assert len(satchel_load(plugin_host("pandas"), store, uri)) == rows
    out["peak"] = peak_rss()
    print(json.dumps(out))


def _peak(mode: str, rows: int, workdir: str, uri: str | None = None) -> dict[str, Any]:
    return run_peak_child(__file__, mode, "--rows", str(rows), "--workdir", workdir, uri=uri)


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = peak_benchmark_parser(__doc__, "100,000 rows timed, 1,000,000 for peak memory")
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        _peak_child(args.peak_child, args.rows, args.workdir, args.uri)
        return

    from pandas.testing import assert_frame_equal


    rows = 100_000 if args.quick else 1_000_000
    peak_rows = 1_000_000 if args.quick else 8_000_000
    repeat = max(3, args.repeat)
    host = plugin_host("pandas")
    workdir = tempfile.mkdtemp(prefix="bench-pandas-", dir=os.getcwd())  # same filesystem as the store
    try:
        frame = _frame(rows)
        path = os.path.join(workdir, "baseline.parquet")

        def fresh() -> None:  # to_parquet writes a new file each time, as packing does
            if os.path.exists(path):
                os.remove(path)

        results: list[tuple[str, float, float]] = []

        def save() -> None:
            fresh()
            frame.to_parquet(path)

        stores = digest_stores(workdir)
        results += per_digest(repeat, stores, save, lambda store: satchel_pack(host, store, frame), "pack+store")
        base, mine = duel(repeat, save, lambda: baseline_pack(frame, path), fresh)
        results.append(("to_parquet + sha256", base, mine))

        save()
        uris = {name: satchel_pack(host, store, frame).uri for name, store in stores.items()}
        for name, store in stores.items():
            assert_frame_equal(satchel_load(host, store, uris[name]), frame, check_exact=True)
        results += per_digest(repeat, stores, lambda: pd.read_parquet(path),
                              lambda store: satchel_load(host, store, uris[store.digest]), "load+verify")
        base, mine = duel(repeat, lambda: pd.read_parquet(path), lambda: baseline_load(path))
        results.append(("sha256 + read_parquet", base, mine))

        size = os.path.getsize(path) / MIB
        print(f"satchel-pandas: {rows:,} rows x {frame.shape[1]} columns "
              f"({frame.memory_usage(deep=False).sum() / MIB:.0f} MiB in memory, {size:.0f} MiB Parquet), "
              f"best of {repeat}, store under {os.getcwd()}")
        print_timings(results, 24)
        print("baseline, no hashing: DataFrame.to_parquet to a new file; pd.read_parquet")

        if not args.no_peak:
            held = _peak("hold", peak_rows, workdir)
            saved = _peak("baseline-pack", peak_rows, workdir)["peak"]
            packed = _peak("pack", peak_rows, workdir)
            loaded_base = _peak("baseline-load", peak_rows, workdir)["peak"]
            loaded = _peak("load", peak_rows, workdir, packed["uri"])["peak"]
            print(f"\npeak RSS with a {peak_rows:,}-row frame (fresh process each; "
                  f"frame alone = {held['frame_bytes'] / GIB:.3f} GiB):")
            print_peaks([
                ("create and hold it", held["peak"]), ("to_parquet + sha256", saved),
                ("satchel pack+store", packed["peak"]), ("read+sha256 + read_parquet", loaded_base),
                ("satchel load+verify", loaded),
            ], 28)
            print(f"  over holding the frame: to_parquet {(saved - held['peak']) / MIB:+.0f} MiB, "
                  f"satchel {(packed['peak'] - held['peak']) / MIB:+.0f} MiB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
