"""Benchmark satchel-numpy against plain NumPy: pack+store and load+verify of a float64 array, and peak memory.

Baseline for pack+store: ``np.save`` to a file plus one sha256 pass over it. Baseline for load+verify:
read+hash the file, then ``np.load``. satchel: ``host.pack`` inside ``staging(store)`` + ``log_packed``,
then ``store.get_artifact`` + ``unpack_record``. Peak memory is the peak RSS of a fresh subprocess
per measurement (``ru_maxrss``), holding a 1 GiB array.

    python benchmarks/bench_numpy.py            # 100 MiB timings, 1 GiB peak memory
    python benchmarks/bench_numpy.py --quick    # 10 MiB timings, 128 MiB peak memory
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

MIB = 1 << 20
PROJECT = "bench"


def _array(size_mib: int) -> np.ndarray[Any, Any]:
    # Random values: no page is shared or compressible, and every page is touched.
    return np.random.default_rng(0).standard_normal(size_mib * MIB // 8)


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
    if "numpy" not in host.names:
        sys.exit("satchel-numpy is not installed: pip install -e plugins/numpy")
    return host


# -- the operations measured -----------------------------------------------------------------------


def baseline_pack(array: np.ndarray[Any, Any], path: str) -> str:
    np.save(path, array)
    return _sha256_file(path)


def baseline_load(path: str) -> np.ndarray[Any, Any]:
    _sha256_file(path)
    return np.load(path)  # type: ignore[no-any-return]


def satchel_pack(host: Any, store: Any, array: np.ndarray[Any, Any]) -> Any:
    from satchel.storing import log_packed, staging

    with staging(store):
        packed = host.pack(array, "arr", "file", {})
    return log_packed(store, PROJECT, packed)


def satchel_load(host: Any, store: Any, uri: str, obj_type: type = np.ndarray) -> Any:
    from satchel.storing import unpack_record

    return unpack_record(store, store.get_artifact(uri), obj_type, host=host)


# -- peak memory, one fresh subprocess per measurement ---------------------------------------------


def _peak_child(mode: str, size_mib: int, workdir: str, uri: str | None) -> None:
    """Run one operation in this (fresh) process and print its peak RSS in bytes as JSON."""
    from satchel.store import Store

    out: dict[str, Any] = {}
    store = Store(os.path.join(workdir, "store"))
    path = os.path.join(workdir, "peak.npy")
    if mode in ("hold", "baseline-pack", "pack"):
        array = _array(size_mib)
        if mode == "baseline-pack":
            baseline_pack(array, path)
        elif mode == "pack":
            out["uri"] = satchel_pack(_host(), store, array).uri
    elif mode == "baseline-load":
        loaded = baseline_load(path)
        assert loaded.nbytes == size_mib * MIB
    elif mode == "load":
        assert uri is not None
        loaded = satchel_load(_host(), store, uri)
        assert loaded.nbytes == size_mib * MIB
    out["peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    print(json.dumps(out))


def _peak(mode: str, size_mib: int, workdir: str, uri: str | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--peak-child", mode, "--size-mib", str(size_mib), "--workdir", workdir]
    if uri is not None:
        command += ["--uri", uri]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 MiB timings and a 128 MiB peak-memory array")
    parser.add_argument("--repeat", type=int, default=5, help="best of N timings (default 5, at least 3)")
    parser.add_argument("--no-peak", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--peak-child", help=argparse.SUPPRESS)
    parser.add_argument("--size-mib", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        _peak_child(args.peak_child, args.size_mib, args.workdir, args.uri)
        return

    from satchel.store import Store

    size_mib = 10 if args.quick else 100
    peak_mib = 128 if args.quick else 1024
    repeat = max(3, args.repeat)
    host = _host()
    workdir = tempfile.mkdtemp(prefix="bench-numpy-", dir=os.getcwd())  # same filesystem as the store
    try:
        store = Store(os.path.join(workdir, "store"))
        array = _array(size_mib)
        path = os.path.join(workdir, "baseline.npy")

        rows: list[tuple[str, float, float]] = []
        def fresh() -> None:  # np.save writes a new file each time, as packing does
            if os.path.exists(path):
                os.remove(path)

        base, mine = _duel(repeat, lambda: baseline_pack(array, path), lambda: satchel_pack(host, store, array), fresh)
        rows.append(("pack+store", base, mine))

        uri = satchel_pack(host, store, array).uri
        assert np.array_equal(satchel_load(host, store, uri), array)
        base, mine = _duel(repeat, lambda: baseline_load(path), lambda: satchel_load(host, store, uri))
        rows.append(("load+verify", base, mine))

        def baseline_mmap() -> None:
            _sha256_file(path)
            np.load(path, mmap_mode="r")

        base, mine = _duel(repeat, baseline_mmap, lambda: satchel_load(host, store, uri, np.memmap))
        rows.append(("load+verify (memmap)", base, mine))

        print(f"satchel-numpy: {size_mib} MiB float64 array, best of {repeat}, store under {os.getcwd()}")
        print(f"{'operation':<22}{'baseline':>12}{'satchel':>12}{'ratio':>9}")
        for name, base, mine in rows:
            print(f"{name:<22}{base * 1000:>10.1f}ms{mine * 1000:>10.1f}ms{mine / base:>8.2f}x")
        print("baseline: np.save + sha256 of the file; read+sha256 + np.load (mmap_mode='r' for memmap)")

        if not args.no_peak:
            shutil.rmtree(os.path.join(workdir, "store"))
            held = _peak("hold", peak_mib, workdir)["peak"]
            saved = _peak("baseline-pack", peak_mib, workdir)["peak"]
            packed = _peak("pack", peak_mib, workdir)
            loaded_base = _peak("baseline-load", peak_mib, workdir)["peak"]
            loaded = _peak("load", peak_mib, workdir, packed["uri"])["peak"]
            gib = float(1 << 30)
            print(f"\npeak RSS with a {peak_mib} MiB array (fresh process each; array alone = {peak_mib * MIB / gib:.3f} GiB):")
            for name, value in [
                ("create and hold it", held), ("np.save + sha256", saved), ("satchel pack+store", packed["peak"]),
                ("read+sha256 + np.load", loaded_base), ("satchel load+verify", loaded),
            ]:
                print(f"  {name:<24}{value / gib:>8.3f} GiB")
            print(f"  satchel pack+store over holding the array: {(packed['peak'] - held) / MIB:+.1f} MiB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
