"""Hypothesis profiles, and a host and store that see only this plugin and core's built-ins."""

from __future__ import annotations

import pytest

from satchel.host import PluginHost
from satchel.testing import isolated_host, load_hypothesis_profile
from satchel_numpy import NumpyArrayPackager, NumpyScalarPackager

load_hypothesis_profile()


@pytest.fixture
def host() -> PluginHost:
    """Core's built-ins plus both numpy packagers under their entry-point names."""
    return isolated_host(("numpy", NumpyArrayPackager), ("numpy-scalars", NumpyScalarPackager))


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    from satchel.store import Store

    with Store(tmp_path / "store") as opened:
        yield opened
