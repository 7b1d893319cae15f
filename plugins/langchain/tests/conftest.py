"""Test configuration for satchel-langchain: Hypothesis profiles from satchel's test kit."""

from __future__ import annotations

from satchel.testing import load_hypothesis_profile

load_hypothesis_profile()
