"""Cross-distribution tests: they run with every plugin installed and see the real plugin host."""

from __future__ import annotations

from satchel.testing import load_hypothesis_profile, temp_dir_in_tmp_path  # noqa: F401 - registers the autouse fixture

load_hypothesis_profile()

