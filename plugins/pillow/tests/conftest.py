"""Shared fixtures for satchel-pillow's tests, and the Hypothesis profile (SATCHEL_HYPOTHESIS_PROFILE=dev|ci).

The system temp directory is moved under each test's tmp_path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from satchel import Store
from satchel.testing import isolated_host, load_hypothesis_profile, temp_dir_in_tmp_path  # noqa: F401 - registers the autouse fixture
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


@pytest.fixture(scope="module")
def unpack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where a test copies a packed artifact's files to unpack them without a store (emptied after each use)."""
    return tmp_path_factory.mktemp("unpacked")

