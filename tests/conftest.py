"""Cross-distribution tests: they run with every plugin installed and see the real plugin host."""

from __future__ import annotations

import pathlib
import tempfile

import pytest

from satchel.testing import load_hypothesis_profile

load_hypothesis_profile()


@pytest.fixture(autouse=True)
def temp_dir_in_tmp_path(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """Whatever satchel, a plugin or a test puts in the system temp directory lands under ``tmp_path``."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))  # for subprocesses
    return folder
