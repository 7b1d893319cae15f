"""Test configuration: the Hypothesis profile (dev by default, ci with SATCHEL_HYPOTHESIS_PROFILE=ci),
and the system temp directory moved under each test's tmp_path."""

from __future__ import annotations

from satchel.testing import load_hypothesis_profile, temp_dir_in_tmp_path  # noqa: F401 - registers the autouse fixture

load_hypothesis_profile()

