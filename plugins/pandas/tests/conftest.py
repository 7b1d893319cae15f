"""Test configuration: the Hypothesis profile (dev by default, ci with SATCHEL_HYPOTHESIS_PROFILE=ci)."""

from __future__ import annotations

from satchel.testing import load_hypothesis_profile

load_hypothesis_profile()
