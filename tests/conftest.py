"""Cross-distribution tests: they run with every plugin installed and see the real plugin host."""

from __future__ import annotations

from satchel.testing import load_hypothesis_profile

load_hypothesis_profile()
