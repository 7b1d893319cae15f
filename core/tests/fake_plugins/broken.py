"""A plugin whose import fails, as a plugin with a missing dependency would."""

raise ImportError("No module named 'nonexistent_dependency'")
