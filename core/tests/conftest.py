"""Core's tests see only the plugins they register themselves, never whatever is installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from satchel.host import PluginHost, set_host
from satchel.testing import isolated_host, load_hypothesis_profile

load_hypothesis_profile()


@pytest.fixture(autouse=True)
def host() -> Iterator[PluginHost]:
    """A process-wide host with core's built-ins only, replaced for every test."""
    fresh = isolated_host()
    previous = set_host(fresh)
    try:
        yield fresh
    finally:
        set_host(previous)
