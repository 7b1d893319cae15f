"""Benchmark satchel-pandas against plain pandas: pack+store and load+verify of a DataFrame as a Parquet
dataset, and peak memory.

The frame has numeric, string, categorical and time-zone-aware datetime columns. Baseline for
pack+store: ``DataFrame.to_parquet`` plus one sha256 pass over the file. Baseline for load+verify:
read+hash the file, then ``pd.read_parquet``. satchel: ``host.pack`` inside ``staging(store)`` +
``log_packed``, then ``store.get_artifact`` + ``unpack_record``. Peak memory is the peak RSS of a fresh
subprocess per measurement (``VmHWM``, reset once the frame is built, so building it does not count).

    python benchmarks/bench_pandas.py            # 1,000,000 rows timed, 8,000,000 rows for peak memory
    python benchmarks/bench_pandas.py --quick    # 100,000 rows timed, 1,000,000 rows for peak memory
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

MIB = 1 << 20
PROJECT = "bench"


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


def _sha256_file(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _duel(
    repeat: int, baseline: Callable[[], Any], mine: Callable[[], Any], setup: Callable[[], Any] | None = None
) -> tuple[float, float]:
    """Best-of-N times of two operations run alternately, so load from elsewhere hits both alike
    (``setup`` runs untimed before each baseline run)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for run, found in ((baseline, times[0]), (mine, times[1])):
            if setup is not None and run is baseline:
                setup()
            start = time.perf_counter()
            run()
            found.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def _host() -> Any:
    from satchel.plugins import PluginHost

    host = PluginHost()
    host.ensure_loaded()
    if "pandas" not in host.names:
        sys.exit("satchel-pandas is not installed: pip install -e plugins/pandas")
    return host


# -- the operations measured -----------------------------------------------------------------------


def baseline_pack(frame: pd.DataFrame, path: str) -> str:
    frame.to_parquet(path)
    return _sha256_file(path)


def baseline_load(path: str) -> pd.DataFrame:
    _sha256_file(path)
    return pd.read_parquet(path)


def satchel_pack(host: Any, store: Any, frame: pd.DataFrame) -> Any:
    from satchel.storing import log_packed, staging

    with staging(store):
        packed = host.pack(frame, "table", None, {})  # the default: a Parquet dataset
    return log_packed(store, PROJECT, packed)


def satchel_load(host: Any, store: Any, uri: str) -> pd.DataFrame:
    from satchel.storing import unpack_record

    return unpack_record(store, store.get_artifact(uri), pd.DataFrame, host=host)  # type: ignore[no-any-return]


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
        _reset_peak()  # building the frame has its own peak; measure from holding it
        if mode == "baseline-pack":
            baseline_pack(frame, path)
        elif mode == "pack":
            out["uri"] = satchel_pack(_host(), store, frame).uri
    elif mode == "baseline-load":
        assert len(baseline_load(path)) == rows
    elif mode == "load":
        assert uri is not None
        assert len(satchel_load(_host(), store, uri)) == rows
    out["peak"] = _peak_rss()
    print(json.dumps(out))


def _reset_peak() -> None:
    """Reset the process's peak RSS to its current RSS (Linux: clear_refs 5), if the kernel allows."""
    import gc

    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _peak_rss() -> int:
    """Peak RSS in bytes since the start (or the last reset): VmHWM, else ru_maxrss."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _peak(mode: str, rows: int, workdir: str, uri: str | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--peak-child", mode, "--rows", str(rows), "--workdir", workdir]
    if uri is not None:
        command += ["--uri", uri]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100,000 rows timed, 1,000,000 for peak memory")
    parser.add_argument("--repeat", type=int, default=5, help="best of N timings (default 5, at least 3)")
    parser.add_argument("--no-peak", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--peak-child", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        _peak_child(args.peak_child, args.rows, args.workdir, args.uri)
        return

    from pandas.testing import assert_frame_equal

    from satchel.store import Store

    rows = 100_000 if args.quick else 1_000_000
    peak_rows = 1_000_000 if args.quick else 8_000_000
    repeat = max(3, args.repeat)
    host = _host()
    workdir = tempfile.mkdtemp(prefix="bench-pandas-", dir=os.getcwd())  # same filesystem as the store
    try:
        store = Store(os.path.join(workdir, "store"))
        frame = _frame(rows)
        path = os.path.join(workdir, "baseline.parquet")

        def fresh() -> None:  # to_parquet writes a new file each time, as packing does
            if os.path.exists(path):
                os.remove(path)

        results: list[tuple[str, float, float]] = []
        base, mine = _duel(repeat, lambda: baseline_pack(frame, path), lambda: satchel_pack(host, store, frame), fresh)
        results.append(("pack+store", base, mine))

        uri = satchel_pack(host, store, frame).uri
        assert_frame_equal(satchel_load(host, store, uri), frame, check_exact=True)
        base, mine = _duel(repeat, lambda: baseline_load(path), lambda: satchel_load(host, store, uri))
        results.append(("load+verify", base, mine))

        size = os.path.getsize(path) / MIB
        print(f"satchel-pandas: {rows:,} rows x {frame.shape[1]} columns "
              f"({frame.memory_usage(deep=False).sum() / MIB:.0f} MiB in memory, {size:.0f} MiB Parquet), "
              f"best of {repeat}, store under {os.getcwd()}")
        print(f"{'operation':<14}{'baseline':>12}{'satchel':>12}{'ratio':>9}")
        for name, base, mine in results:
            print(f"{name:<14}{base * 1000:>10.1f}ms{mine * 1000:>10.1f}ms{mine / base:>8.2f}x")
        print("baseline: DataFrame.to_parquet + sha256 of the file; read+sha256 + pd.read_parquet")

        if not args.no_peak:
            shutil.rmtree(os.path.join(workdir, "store"))
            held = _peak("hold", peak_rows, workdir)
            saved = _peak("baseline-pack", peak_rows, workdir)["peak"]
            packed = _peak("pack", peak_rows, workdir)
            loaded_base = _peak("baseline-load", peak_rows, workdir)["peak"]
            loaded = _peak("load", peak_rows, workdir, packed["uri"])["peak"]
            gib = float(1 << 30)
            print(f"\npeak RSS with a {peak_rows:,}-row frame (fresh process each; "
                  f"frame alone = {held['frame_bytes'] / gib:.3f} GiB):")
            for name, value in [
                ("create and hold it", held["peak"]), ("to_parquet + sha256", saved),
                ("satchel pack+store", packed["peak"]), ("read+sha256 + read_parquet", loaded_base),
                ("satchel load+verify", loaded),
            ]:
                print(f"  {name:<28}{value / gib:>8.3f} GiB")
            print(f"  over holding the frame: to_parquet {(saved - held['peak']) / MIB:+.0f} MiB, "
                  f"satchel {(packed['peak'] - held['peak']) / MIB:+.0f} MiB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
