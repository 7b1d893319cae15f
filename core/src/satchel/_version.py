"""The version of the satchel distribution."""

__version__ = "0.1.0"
