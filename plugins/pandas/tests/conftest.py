"""Test configuration: the Hypothesis profile (dev by default, ci with SATCHEL_HYPOTHESIS_PROFILE=ci),
and the system temp directory moved under each test's tmp_path."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from satchel.testing import load_hypothesis_profile

load_hypothesis_profile()


@pytest.fixture(autouse=True)
def temp_dir_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Whatever satchel or a test puts in the system temp directory lands under ``tmp_path``."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))  # for subprocesses
    return folder
