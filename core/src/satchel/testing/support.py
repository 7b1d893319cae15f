"""What the test kit's contracts, and any plugin's own tests, build on: Hypothesis profiles, hosts
that see only the packagers given, JSON values, blobs to look at or corrupt, and a temp directory
under ``tmp_path``."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from satchel.artifacts import FileEntry
from satchel.host import PluginHost
from satchel.packagers.base import Packager
from satchel.store import Store
from satchel.store.paths import blob_path

__all__ = [
    "PLUGIN_NAME",
    "PROFILE_ENV",
    "PROJECT",
    "blob_file",
    "corrupt_blob",
    "isolated_host",
    "json_values",
    "load_hypothesis_profile",
    "run_python",
    "temp_dir_in_tmp_path",
]

PROFILE_ENV = "SATCHEL_HYPOTHESIS_PROFILE"


def load_hypothesis_profile() -> str:
    """Register the ``dev`` (fast, default) and ``ci`` (thorough) profiles and load the one
    ``SATCHEL_HYPOTHESIS_PROFILE`` names; call it from a ``conftest.py``."""
    settings.register_profile("dev", max_examples=25, deadline=None)
    settings.register_profile("ci", max_examples=150, deadline=None, print_blob=True)
    name = os.environ.get(PROFILE_ENV, "dev")
    settings.load_profile(name)
    return name

PLUGIN_NAME = "under-test"
PROJECT = "contract"


def blob_file(store: Store, entry: FileEntry) -> pathlib.Path:
    """The file of a local *store* that holds *entry*'s bytes (``objects/<algorithm>/ab/…``), for a
    test that looks at how a blob is kept or changes it behind the store's back."""
    if not store._backend.is_local:
        raise ValueError(f"{store.url} is not a local store; use corrupt_blob, or its backend")
    return pathlib.Path(store.url, *blob_path(entry.digest).split("/"))


def corrupt_blob(store: Store, entry: FileEntry) -> None:
    """Flip the first byte of *entry*'s blob in *store* (local or not), as a failing disk would."""
    if store._backend.is_local:
        path = blob_file(store, entry)
        path.chmod(0o644)  # blobs are read-only
        path.write_bytes(_flipped(path.read_bytes(), entry))
    else:
        rel = blob_path(entry.digest)
        store._backend.write_atomic(rel, _flipped(store._backend.read(rel) or b"", entry))


def _flipped(data: bytes, entry: FileEntry) -> bytes:
    if not data:
        raise ValueError(f"the blob of {entry.name!r} is empty: there is no byte to change")
    return bytes([data[0] ^ 0xFF]) + data[1:]


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any JSON value: None, booleans, integers, finite floats, text, and lists/dicts of them."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
        max_leaves=max_leaves,
    )


def isolated_host(*packagers: type[Packager] | tuple[str, type[Packager]], builtins: bool = True) -> PluginHost:
    """A plugin host that sees only core's built-ins (optional) and the packagers given, never installed plugins."""
    host = PluginHost(load_entry_points=False, load_defaults=builtins)
    host.ensure_loaded()
    for entry in packagers:
        name, packager = entry if isinstance(entry, tuple) else (PLUGIN_NAME, entry)
        host.register(packager, name=name, distribution="satchel-test-plugin", version="0.0.0")
    return host


@pytest.fixture(autouse=True)
def temp_dir_in_tmp_path(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Whatever satchel, a plugin or a test puts in the system temp directory lands under ``tmp_path``.

    Import it into a suite's ``conftest.py`` (``from satchel.testing import temp_dir_in_tmp_path``)
    and every test there writes only under its own ``tmp_path``.
    """
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))  # for subprocesses
    return folder


def run_python(code: str, env: dict[str, str] | None = None) -> str:
    """Run ``code`` in a fresh interpreter and return its output; if it fails, the test fails with
    the child's exit status and its stderr (its traceback), not a bare CalledProcessError."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        pytest.fail(
            f"a fresh Python running the check exited with status {done.returncode}; its stderr:\n"
            f"{done.stderr.rstrip()}\n-- the code it ran:\n{code.rstrip()}",
            pytrace=False,
        )
    return done.stdout
