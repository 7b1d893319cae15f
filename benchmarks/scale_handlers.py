"""Handlers bench_scale.py runs on Dask workers, which import them by name (``scale_handlers:…``)."""

from __future__ import annotations

import time


def square(n: int = 2) -> int:
    return n * n


def work(n: int = 2, seconds: float = 0.1) -> int:
    time.sleep(seconds)  # stands in for a handler that waits on I/O or a native library
    return n * n
