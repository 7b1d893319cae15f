"""Hypothesis profile for satchel-pillow's tests (SATCHEL_HYPOTHESIS_PROFILE=dev|ci)."""

from __future__ import annotations

from satchel.testing import load_hypothesis_profile

load_hypothesis_profile()
