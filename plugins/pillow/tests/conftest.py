"""Shared fixtures for satchel-pillow's tests, and the Hypothesis profile (SATCHEL_HYPOTHESIS_PROFILE=dev|ci)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from satchel.store import Store
from satchel.testing import isolated_host, load_hypothesis_profile
from satchel_pillow import PillowPackager

load_hypothesis_profile()


@pytest.fixture(scope="module")
def host() -> Any:
    """A host with core's built-ins and this plugin only, whatever else is installed."""
    return isolated_host(("pillow", PillowPackager))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(str(tmp_path_factory.mktemp("store")))
    yield store
    store.close()
