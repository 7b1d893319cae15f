"""Hypothesis profiles, a host and store that see only this plugin and core's built-ins, and
the system temp directory moved under each test's tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel import PluginHost, Store
from satchel.testing import isolated_host, load_hypothesis_profile, temp_dir_in_tmp_path  # noqa: F401 - registers the autouse fixture
from satchel_numpy import NumpyArrayPackager, NumpyScalarPackager

load_hypothesis_profile()


@pytest.fixture
def host() -> PluginHost:
    """Core's built-ins plus both numpy packagers under their entry-point names."""
    return isolated_host(("numpy", NumpyArrayPackager), ("numpy-scalars", NumpyScalarPackager))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "store") as opened:
        yield opened

