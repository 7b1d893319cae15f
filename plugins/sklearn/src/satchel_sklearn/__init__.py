"""satchel packager for scikit-learn: estimators and pipelines as verified model packages.

This module imports only satchel; scikit-learn, skops and onnxruntime are imported inside the
methods that need them.
"""

from __future__ import annotations

from satchel_sklearn._formats import FORMATS
from satchel_sklearn.packagers import SklearnModelPackager

__all__ = ["FORMATS", "SklearnModelPackager"]
