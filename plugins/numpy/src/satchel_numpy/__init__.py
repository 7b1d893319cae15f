"""satchel packagers for NumPy: arrays (``numpy``) and scalars (``numpy-scalars``).

This module imports only satchel; NumPy is imported inside the methods that need it.
"""

from __future__ import annotations

from satchel_numpy.packagers import NumpyArrayPackager, NumpyScalarPackager

__all__ = ["NumpyArrayPackager", "NumpyScalarPackager"]
