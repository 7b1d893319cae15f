"""Hypothesis profiles, a host and store that see only this plugin and core's built-ins, and
packing's temporary files kept under each test's tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel import PluginHost, Store
from satchel.callcontext import staging_directory
from satchel.testing import isolated_host, load_hypothesis_profile
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


@pytest.fixture(autouse=True)
def _stage_under_tmp_path(tmp_path: Path) -> Iterator[None]:
    """Packing outside a store writes its temporary files here, not in the system temp directory."""
    token = staging_directory().set(str(tmp_path))
    yield
    staging_directory().reset(token)
