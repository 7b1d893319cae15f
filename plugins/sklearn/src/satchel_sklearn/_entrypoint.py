"""The framework's part of each package's ``predict.py``: ``_load(folder)`` and ``_call(model,
inputs)`` per format, built from the same functions the plugin calls (:mod:`satchel_sklearn._calls`)."""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

from satchel_sklearn import _calls
from satchel_sklearn._formats import MODEL_FILES

__all__ = ["entrypoint_source"]

_LOADERS = {
    "skops": '''
def _load(folder):
    """model.skops, after auditing its types against the ones recorded when it was packaged."""
    import skops.io

    path = os.path.join(folder, "model.skops")
    with open(os.path.join(folder, "skops-types.json"), encoding="utf-8") as handle:
        recorded = set(json.load(handle)["untrusted_types"])
    found = skops.io.get_untrusted_types(file=path)
    unknown = sorted(set(found) - recorded)
    if unknown:
        raise PackageError(f"model.skops holds types not recorded when it was packaged: {unknown}; not loading it")
    return skops.io.load(path, trusted=found)
''',
    "joblib": '''
def _load(folder):
    """model.joblib: a pickle, so loading it runs code; only with SATCHEL_ALLOW_PICKLE=1."""
    if os.environ.get("SATCHEL_ALLOW_PICKLE", "").lower() not in ("1", "true", "yes"):
        raise PackageError("model.joblib is a pickle, and loading one runs code from it: set SATCHEL_ALLOW_PICKLE=1 if you trust this package")
    import joblib

    return joblib.load(os.path.join(folder, "model.joblib"))
''',
    "pickle": '''
def _load(folder):
    """model.pkl: a pickle, so loading it runs code; only with SATCHEL_ALLOW_PICKLE=1."""
    if os.environ.get("SATCHEL_ALLOW_PICKLE", "").lower() not in ("1", "true", "yes"):
        raise PackageError("model.pkl is a pickle, and loading one runs code from it: set SATCHEL_ALLOW_PICKLE=1 if you trust this package")
    import pickle

    with open(os.path.join(folder, "model.pkl"), "rb") as handle:
        return pickle.load(handle)
''',
    "onnx": '''
def _load(folder):
    """model.onnx in an onnxruntime session (CPU)."""
    import onnxruntime

    return onnxruntime.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])
''',
}


def entrypoint_source(fmt: str, outputs: list[dict[str, Any]]) -> str:
    """``_load`` and ``_call`` for a package in ``fmt`` whose call gives ``outputs``."""
    assert fmt in MODEL_FILES
    helpers = [_calls.features, _calls.onnx_outputs if fmt == "onnx" else _calls.estimator_outputs]
    caller = "onnx_outputs" if fmt == "onnx" else "estimator_outputs"
    parts = [
        textwrap.dedent(_LOADERS[fmt]).strip(),
        *(inspect.getsource(function).strip() for function in helpers),
        f"_OUTPUTS = {outputs!r}",
        f"def _call(model, inputs):\n    return {caller}(model, features(inputs), _OUTPUTS)",
    ]
    return "\n\n\n".join(parts) + "\n"
