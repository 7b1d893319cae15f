"""The packager test kit, shipped in core and reused by every plugin: contracts checked with
Hypothesis through a real store, and helpers for a plugin's own tests.

Its modules are registered for pytest's assertion rewriting before they are imported, so a failing
check shows the values it compared, as an assert in the plugin's own test module would.
"""

from __future__ import annotations

import pytest

# Before the imports below: a module is rewritten only if registered before its first import.
pytest.register_assert_rewrite(
    "satchel.testing.contract", "satchel.testing.entrypoints", "satchel.testing.hostile", "satchel.testing.support",
)

from satchel.testing.contract import PackagerContract  # noqa: E402
from satchel.testing.entrypoints import EntryPointContract  # noqa: E402
from satchel.testing.hostile import check_hostile_instructions, hostile_values  # noqa: E402
from satchel.testing.support import (  # noqa: E402
    PLUGIN_NAME,
    PROFILE_ENV,
    PROJECT,
    blob_file,
    corrupt_blob,
    isolated_host,
    json_values,
    load_hypothesis_profile,
    run_python,
    temp_dir_in_tmp_path,
)

__all__ = [
    "PLUGIN_NAME",
    "PROFILE_ENV",
    "PROJECT",
    "EntryPointContract",
    "PackagerContract",
    "blob_file",
    "check_hostile_instructions",
    "corrupt_blob",
    "hostile_values",
    "isolated_host",
    "json_values",
    "load_hypothesis_profile",
    "run_python",
    "temp_dir_in_tmp_path",
]
