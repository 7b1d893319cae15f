"""The formats satchel-sklearn writes, the model file each one is, and the names of what a call returns."""

from __future__ import annotations

__all__ = ["FORMATS", "METHODS", "MODEL_FILES", "OUTPUT_NAMES", "PICKLE_FORMATS", "format_of_files"]

#: Format -> the model file inside the package.
MODEL_FILES = {"skops": "model.skops", "onnx": "model.onnx", "joblib": "model.joblib", "pickle": "model.pkl"}
FORMATS = tuple(MODEL_FILES)
#: Loading these runs code from the file, so it needs the caller's pickle opt-in.
PICKLE_FORMATS = frozenset({"joblib", "pickle"})
#: The estimator methods a package may call, and the output each one is named by.
METHODS = ("predict", "predict_proba", "decision_function", "transform")
OUTPUT_NAMES = frozenset({"label", "prediction", "proba", "decision", "transformed"})


def format_of_files(names: frozenset[str] | set[str]) -> str | None:
    """The format whose model file is among ``names`` (exactly one), else None."""
    found = [fmt for fmt, name in MODEL_FILES.items() if name in names]
    return found[0] if len(found) == 1 else None
