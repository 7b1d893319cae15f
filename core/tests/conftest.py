"""Core's tests see only the plugins they register themselves, and write only under ``tmp_path``."""

from __future__ import annotations

import pathlib
import tempfile
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


@pytest.fixture(autouse=True)
def temp_dir_in_tmp_path(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """Whatever satchel or a test puts in the system temp directory lands under ``tmp_path``."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))  # for subprocesses
    return folder


@pytest.fixture(autouse=True)
def user_settings(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """The caller's user config file: none unless a test writes one (never the machine's own)."""
    path = tmp_path / "user-config" / "config.toml"
    monkeypatch.setenv("SATCHEL_CONFIG", str(path))
    monkeypatch.delenv("SATCHEL_ALLOW_PICKLE", raising=False)
    return path
