"""Test configuration: the Hypothesis profile (dev by default, ci with SATCHEL_HYPOTHESIS_PROFILE=ci),
and packing's temporary files kept under each test's tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel.callcontext import staging_directory
from satchel.testing import load_hypothesis_profile

load_hypothesis_profile()


@pytest.fixture(autouse=True)
def _stage_under_tmp_path(tmp_path: Path) -> Iterator[None]:
    """Packing outside a store writes its temporary files here, not in the system temp directory."""
    token = staging_directory().set(str(tmp_path))
    yield
    staging_directory().reset(token)
