"""Packing an estimator: the model file in the chosen format, its predict.py, what it needs to
run, and (for ONNX) the drift check; then core's ``build_package`` writes the rest."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any

from satchel.artifacts import ModelArtifact
from satchel.errors import PackingError
from satchel.models.package import ModelFiles, build_package, current_request
from satchel_sklearn import _onnx, _pickles, _skops
from satchel_sklearn._calls import estimator_outputs, features, onnx_outputs
from satchel_sklearn._classes import class_modules, distributions
from satchel_sklearn._entrypoint import entrypoint_source
from satchel_sklearn._formats import FORMATS, MODEL_FILES, PICKLE_FORMATS
from satchel_sklearn._outputs import Plan, plan_outputs

__all__ = ["FRAMEWORK", "build"]

FRAMEWORK = "scikit-learn"
#: scikit-learn imports scipy, and every fitted estimator holds numpy arrays.
_ALWAYS = ("sklearn", "numpy", "scipy")


def _checked_options(fmt: Any, tolerance: Any, onnx_dtype: Any, key: str) -> None:
    if fmt not in FORMATS:
        raise PackingError(f"{key!r}: unknown model format {str(fmt)[:40]!r}; use one of {', '.join(FORMATS)}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not math.isfinite(tolerance) or tolerance < 0:
        raise PackingError(f"{key!r}: tolerance {str(tolerance)[:40]!r} is not a finite number >= 0 (the largest ONNX drift allowed)")
    if onnx_dtype not in _onnx.DTYPES:
        raise PackingError(f"{key!r}: onnx_dtype {str(onnx_dtype)[:40]!r} is not one of {', '.join(_onnx.DTYPES)}")


def _is_frame(value: Any) -> bool:
    return type(value).__module__.partition(".")[0] == "pandas" and hasattr(value, "columns")


def _example_features(example: Any) -> Any:
    """The rows of the caller's input example the estimator takes: a frame as it is, else an array."""
    import numpy as np

    if _is_frame(example):
        return example
    if isinstance(example, Mapping):
        return np.asarray(features(dict(example)))
    return np.asarray(example)


def _guarded(call: Callable[[dict[str, Any]], Any], key: str) -> Callable[[dict[str, Any]], Any]:
    def predict(inputs: dict[str, Any]) -> Any:
        try:
            return call(inputs)
        except Exception as error:  # the example is the caller's: say what went wrong with it
            raise PackingError(
                f"{key!r}: the model failed on the input example ({type(error).__name__}: {str(error)[:300]}); "
                "give an example of what it predicts on"
            ) from error

    return predict


def build(
    folder: str, estimator: Any, key: str, fmt: str, tolerance: float, method: str | None, onnx_dtype: str
) -> tuple[ModelArtifact, dict[str, Any]]:
    """The package of ``estimator`` built under ``folder``, and the instructions to load it by."""
    _checked_options(fmt, tolerance, onnx_dtype, key)
    request = current_request()
    plan = plan_outputs(estimator, method, key)
    written = os.path.join(folder, "written")
    os.makedirs(written)
    model_file = MODEL_FILES[fmt]
    path = os.path.join(written, model_file)
    files = {model_file: path}
    notes: dict[str, Any] = {}
    modules = [*class_modules(estimator), *_ALWAYS]
    calls = plan  # what the package calls: the estimator's methods, or (ONNX) the graph's outputs
    call = _guarded(lambda inputs: estimator_outputs(estimator, features(inputs), plan), key)
    if fmt == "skops":
        _skops.write(estimator, path, key)
        untrusted = _skops.untrusted_types(path)
        files[_skops.TYPES_FILE] = os.path.join(written, _skops.TYPES_FILE)
        _skops.write_types(untrusted, files[_skops.TYPES_FILE])
        if untrusted:
            notes["skops untrusted types"] = (
                f"{', '.join(untrusted)}: skops does not trust these by default; load with "
                f"satchel.load_model(uri, trusted_types={untrusted!r}) if you trust this package"
            )
        needs = ["skops"]
    elif fmt in PICKLE_FORMATS:
        _pickles.write(estimator, path, fmt, key)
        notes["pickle"] = f"{model_file} is a pickle: loading it needs allow_pickle=True (or SATCHEL_ALLOW_PICKLE=1)"
        needs = ["joblib"] if fmt == "joblib" else []
    else:
        calls, session = _onnx_files(estimator, key, path, plan, tolerance, onnx_dtype, request.input_example, notes)
        modules, needs = [], ["onnxruntime", "numpy"]  # predict.py needs no scikit-learn
        # The example output and the signature's outputs are what the package gives: the graph's.
        call = _guarded(lambda inputs: onnx_outputs(session, features(inputs), calls), key)
    if _is_frame(request.input_example):
        needs.append("pandas")  # predict.py builds the table a frame signature describes
    # Named as distributions, not modules: core's pinned_requirements would rescan every installed
    # distribution once per module (~0.1 s each); pinning is the same either way.
    model_files = ModelFiles(
        framework=FRAMEWORK, format=fmt, files=files, entrypoint=entrypoint_source(fmt, calls),
        format_requirements=[*distributions(modules), *needs], predict=call, notes=notes,
    )
    artifact = build_package(key, model_files, os.path.join(folder, "package"), request=request)
    return artifact, {"format": fmt, "outputs": calls}


def _onnx_files(
    estimator: Any, key: str, path: str, plan: Plan, tolerance: float, dtype: str, example: Any, notes: dict[str, Any],
) -> tuple[Plan, Any]:
    """model.onnx written and checked against the estimator; the ONNX plan and a session on it."""
    import importlib.metadata

    data, session = _onnx.convert(estimator, dtype, key)
    with open(path, "wb") as handle:
        handle.write(data)
    if example is not None:
        X = _example_features(example)
        where = f"the input example ({len(X)} rows)"
    else:
        X = _onnx.probe_batch(estimator, key)
        where = f"a probe batch of {len(X)} standard-normal rows (no input_example was given)"
    onnx = _onnx.plan_for(estimator, session, plan, X, key)
    measured, compared = _onnx.drift(estimator, session, plan, onnx, X)
    if not measured <= tolerance:
        raise PackingError(
            f"{key!r}: the ONNX model drifts from the estimator: max |ONNX - scikit-learn| of {compared} is "
            f"{measured:.3g} on {where}, above the tolerance {tolerance:g}; nothing was stored. Pass a larger "
            f"tolerance if that drift is acceptable{', or onnx_dtype=float64' if dtype == 'float32' else ''}, or use format='skops'"
        )
    notes["onnx drift"] = (
        f"max |ONNX - scikit-learn| of {compared} = {measured:.3g} on {where}; tolerance {tolerance:g}. "
        f"The graph takes {dtype} input; onnxruntime computes tree ensembles in float32, scikit-learn in float64"
    )
    notes["onnx max abs diff"] = measured
    notes["converted from"] = f"{type(estimator).__module__}.{type(estimator).__qualname__} (scikit-learn " \
        f"{importlib.metadata.version('scikit-learn')}, skl2onnx {importlib.metadata.version('skl2onnx')})"
    return onnx, session
