"""What the benchmark scripts share: hashing, alternating timings, the plugin host, peak memory and tables."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "GIB",
    "MIB",
    "PROJECT",
    "add_peak_child_arguments",
    "best_of",
    "digest_stores",
    "duel",
    "max_rss",
    "pack_and_log",
    "peak_benchmark_parser",
    "peak_rss",
    "per_digest",
    "plugin_host",
    "print_peaks",
    "print_timings",
    "reset_peak",
    "run_peak_child",
    "sha256_file",
    "status_kib",
    "unpack_artifact",
]

MIB = 1 << 20
GIB = 1 << 30
PROJECT = "bench"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file, in one streaming pass."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """The fastest of *repeat* runs of *action*, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def duel(
    repeat: int,
    baseline: Callable[[], Any],
    mine: Callable[[], Any],
    setup: Callable[[], Any] | None = None,
    *,
    before: Callable[[int], Any] | None = None,
    ops: int = 1,
) -> tuple[float, float]:
    """Best-of-N seconds (per operation, in batches of ``ops``) of two operations run alternately, so load
    from elsewhere hits both alike. Untimed: ``setup()`` before each baseline run, ``before(i)`` before every
    run (``i`` counts the runs of both, from 0)."""
    best = [float("inf"), float("inf")]
    for index in range(repeat):
        for which, run in enumerate((baseline, mine)):
            if before is not None:
                before(index * 2 + which)
            if setup is not None and which == 0:
                setup()
            start = time.perf_counter()
            for _ in range(ops):
                run()
            best[which] = min(best[which], (time.perf_counter() - start) / ops)
    return best[0], best[1]


def digest_stores(workdir: str) -> dict[str, Any]:
    """One fresh store per digest under *workdir*: {"blake3": Store, "sha256": Store}."""
    from satchel.store import Store

    return {name: Store(os.path.join(workdir, f"store-{name}"), digest=name) for name in ("blake3", "sha256")}


def per_digest(
    repeat: int, stores: dict[str, Any], baseline: Callable[[], Any], mine: Callable[[Any], Any], label: str
) -> list[tuple[str, float, float]]:
    """A `duel` of *baseline* against ``mine(store)`` for each store: rows named ``<label>, <digest>``."""
    return [(f"{label}, {name}", *duel(repeat, baseline, lambda store=store: mine(store))) for name, store in stores.items()]


def plugin_host(plugin: str) -> Any:
    """A loaded PluginHost that has ``plugin``; else exit with how to install satchel-<plugin>."""
    from satchel.host import PluginHost

    host = PluginHost()
    host.ensure_loaded()
    if plugin not in host.names:
        sys.exit(f"satchel-{plugin} is not installed: pip install -e plugins/{plugin}")
    return host


def pack_and_log(
    host: Any, store: Any, obj: Any, key: str, artifact_type: str | None, options: dict[str, Any]
) -> Any:
    """satchel's pack+store: ``host.pack`` inside ``staging(store)``, then ``log_packed``; the record."""
    from satchel.packing import log_packed, staging

    with staging(store):
        packed = host.pack(obj, key, artifact_type, options)
    return log_packed(store, PROJECT, packed)


def unpack_artifact(host: Any, store: Any, uri: str, obj_type: type) -> Any:
    """satchel's load+verify: ``store.get_artifact`` + ``unpack_record``."""
    from satchel.unpacking import unpack_record

    return unpack_record(store, store.get_artifact(uri), obj_type, host=host)


# -- peak memory -----------------------------------------------------------------------------------


def status_kib(field: str) -> int:
    """A field of /proc/self/status (VmRSS, VmHWM, ...) in KiB, 0 if absent; OSError without /proc."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    """Reset the process's peak RSS to its current RSS (Linux: clear_refs 5); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def max_rss() -> int:
    """``ru_maxrss`` in bytes: on Linux it keeps the parent's peak at fork across exec."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def peak_rss() -> int:
    """Peak RSS in bytes since the start (or the last reset): VmHWM, else ru_maxrss."""
    try:
        hwm = status_kib("VmHWM")
    except OSError:
        hwm = 0
    return hwm * 1024 if hwm else max_rss()


def add_peak_child_arguments(parser: argparse.ArgumentParser) -> None:
    """The hidden options of a ``--peak-child`` run (a script adds its own size options)."""
    parser.add_argument("--peak-child", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)


def peak_benchmark_parser(description: str | None, quick_help: str) -> argparse.ArgumentParser:
    """The command line of a benchmark timed best-of-N with peak memory in children: ``--quick``,
    ``--repeat`` (default 5), ``--no-peak`` and the hidden child options."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--repeat", type=int, default=5, help="best of N timings (default 5, at least 3)")
    parser.add_argument("--no-peak", action="store_true", help="skip the peak-memory subprocesses")
    add_peak_child_arguments(parser)
    return parser


def run_peak_child(script: str, mode: str, *args: str, uri: str | None = None) -> dict[str, Any]:
    """Run ``script --peak-child mode *args [--uri uri]`` in a fresh interpreter; its last line, as JSON."""
    command = [sys.executable, script, "--peak-child", mode, *args]
    if uri is not None:
        command += ["--uri", uri]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- tables ----------------------------------------------------------------------------------------


def print_timings(rows: Iterable[tuple[str, float, float]], width: int) -> None:
    """Operation, baseline and satchel milliseconds, and their ratio, under a header."""
    print(f"{'operation':<{width}}{'baseline':>12}{'satchel':>12}{'ratio':>9}")
    for name, base, mine in rows:
        print(f"{name:<{width}}{base * 1000:>10.1f}ms{mine * 1000:>10.1f}ms{mine / base:>8.2f}x")


def print_peaks(rows: Iterable[tuple[str, int]], width: int) -> None:
    """One indented line a measurement: its name and peak RSS in GiB."""
    for name, value in rows:
        print(f"  {name:<{width}}{value / GIB:>8.3f} GiB")
