"""Benchmark satchel-numpy against plain NumPy: pack+store and load+verify of a float64 array, and peak memory.

Baselines, with no hashing at all: ``np.save`` to a new file; ``np.load`` of it (and with
``mmap_mode='r'``). satchel, once with a blake3 store and once with a sha256 store: ``host.pack``
inside ``staging(store)`` + ``log_packed``, then ``store.get_artifact`` + ``unpack_record`` (every
byte hashed and checked). The old baseline, the plain call plus one sha256 pass over the file, is
printed too. Peak memory is the peak RSS of a fresh subprocess per measurement (``VmHWM``), holding a
1 GiB array.

    python benchmarks/bench_numpy.py            # 100 MiB timings, 1 GiB peak memory
    python benchmarks/bench_numpy.py --quick    # 10 MiB timings, 128 MiB peak memory
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from typing import Any

import numpy as np

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
    run_peak_child,
    sha256_file,
    unpack_artifact,
)


def _array(size_mib: int) -> np.ndarray[Any, Any]:
    # Random values: no page is shared or compressible, and every page is touched.
    return np.random.default_rng(0).standard_normal(size_mib * MIB // 8)


# -- the operations measured -----------------------------------------------------------------------


def baseline_pack(array: np.ndarray[Any, Any], path: str) -> str:
    np.save(path, array)
    return sha256_file(path)


def baseline_load(path: str) -> np.ndarray[Any, Any]:
    sha256_file(path)
    return np.load(path)  # type: ignore[no-any-return]


def satchel_pack(host: Any, store: Any, array: np.ndarray[Any, Any]) -> Any:
    return pack_and_log(host, store, array, "arr", "file", {})


def satchel_load(host: Any, store: Any, uri: str, obj_type: type = np.ndarray) -> Any:
    return unpack_artifact(host, store, uri, obj_type)


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
            out["uri"] = satchel_pack(plugin_host("numpy"), store, array).uri
    elif mode == "baseline-load":
        loaded = baseline_load(path)
        assert loaded.nbytes == size_mib * MIB
    elif mode == "load":
        assert uri is not None
        loaded = satchel_load(plugin_host("numpy"), store, uri)
        assert loaded.nbytes == size_mib * MIB
    out["peak"] = peak_rss()  # VmHWM: this process only, not inherited across exec
    print(json.dumps(out))


def _peak(mode: str, size_mib: int, workdir: str, uri: str | None = None) -> dict[str, Any]:
    return run_peak_child(__file__, mode, "--size-mib", str(size_mib), "--workdir", workdir, uri=uri)


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = peak_benchmark_parser(__doc__, "10 MiB timings and a 128 MiB peak-memory array")
    parser.add_argument("--size-mib", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        _peak_child(args.peak_child, args.size_mib, args.workdir, args.uri)
        return


    size_mib = 10 if args.quick else 100
    peak_mib = 128 if args.quick else 1024
    repeat = max(3, args.repeat)
    host = plugin_host("numpy")
    workdir = tempfile.mkdtemp(prefix="bench-numpy-", dir=os.getcwd())  # same filesystem as the store
    try:
        array = _array(size_mib)
        path = os.path.join(workdir, "baseline.npy")

        rows: list[tuple[str, float, float]] = []

        def fresh() -> None:  # np.save writes a new file each time, as packing does
            if os.path.exists(path):
                os.remove(path)

        def save() -> None:
            fresh()
            np.save(path, array)

        stores = digest_stores(workdir)
        rows += per_digest(repeat, stores, save, lambda store: satchel_pack(host, store, array), "pack+store")
        base, mine = duel(repeat, save, lambda: baseline_pack(array, path), fresh)
        rows.append(("np.save + sha256 pass", base, mine))

        save()
        uris = {name: satchel_pack(host, store, array).uri for name, store in stores.items()}
        for name, store in stores.items():
            assert np.array_equal(satchel_load(host, store, uris[name]), array)
        rows += per_digest(repeat, stores, lambda: np.load(path), lambda store: satchel_load(host, store, uris[store.digest]), "load+verify")
        base, mine = duel(repeat, lambda: np.load(path), lambda: baseline_load(path))
        rows.append(("sha256 pass + np.load", base, mine))
        rows += per_digest(repeat, stores, lambda: np.load(path, mmap_mode="r"),
                           lambda store: satchel_load(host, store, uris[store.digest], np.memmap), "memmap+verify")

        print(f"satchel-numpy: {size_mib} MiB float64 array, best of {repeat}, store under {os.getcwd()}")
        print_timings(rows, 24)
        print("baseline, no hashing: np.save to a new file; np.load; np.load(mmap_mode='r') for memmap")

        if not args.no_peak:
            held = _peak("hold", peak_mib, workdir)["peak"]
            saved = _peak("baseline-pack", peak_mib, workdir)["peak"]
            packed = _peak("pack", peak_mib, workdir)
            loaded_base = _peak("baseline-load", peak_mib, workdir)["peak"]
            loaded = _peak("load", peak_mib, workdir, packed["uri"])["peak"]
            print(f"\npeak RSS with a {peak_mib} MiB array (fresh process each; array alone = {peak_mib * MIB / GIB:.3f} GiB):")
            print_peaks([
                ("create and hold it", held), ("np.save + sha256", saved), ("satchel pack+store", packed["peak"]),
                ("read+sha256 + np.load", loaded_base), ("satchel load+verify", loaded),
            ], 24)
            print(f"  satchel pack+store over holding the array: {(packed['peak'] - held) / MIB:+.1f} MiB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
