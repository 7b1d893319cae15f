"""Handlers the cluster tests run on Dask workers, which import them by name (``cluster_handlers:…``)."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def square(n: int = 2) -> tuple[int, dict[str, int]]:
    return n * n, {"n": n, "pid": os.getpid()}


def write_lines(n: int = 3) -> str:
    return "".join(f"line {i}\n" for i in range(n))


def die(marker: str = "") -> int:
    """Kill the worker process running it, as the kernel's OOM killer would; with a *marker* path,
    only on the first attempt (the file says it was made)."""
    if marker:
        if Path(marker).exists():
            return 42
        Path(marker).write_text("attempted\n")
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def fail(reason: str = "bad input") -> int:
    raise ValueError(reason)
