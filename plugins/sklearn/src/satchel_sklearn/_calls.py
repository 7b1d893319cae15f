"""How a packaged model is called: the features in a checked payload, and its named outputs.

These functions are also copied, as source, into every package's ``predict.py``, which runs where
satchel is not installed; so they use nothing but builtins and the model's own requirements, and
import numpy inside.
"""

from __future__ import annotations

__all__ = ["estimator_outputs", "features", "onnx_outputs"]


def features(inputs):
    """The feature matrix a checked payload holds: the table, the ``X`` field, or its one field."""
    if "__frame__" in inputs:
        return inputs["__frame__"]
    if "X" in inputs:
        return inputs["X"]
    if len(inputs) == 1:
        return next(iter(inputs.values()))
    raise ValueError(f"the model takes one input, X (a table or a matrix); the payload gives {sorted(inputs)}")


def estimator_outputs(model, X, outputs):
    """``{name: model.<method>(X)}`` for each output the package calls, e.g. label=predict, proba=predict_proba."""
    return {spec["name"]: getattr(model, spec["source"])(X) for spec in outputs}


def onnx_outputs(session, X, outputs):
    """The ONNX graph's outputs for ``X`` (as the graph's input dtype), named as the estimator's would be."""
    import numpy as np

    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    feed = session.get_inputs()[0]
    dtype = np.float64 if feed.type == "tensor(double)" else np.float32
    names = [output.name for output in session.get_outputs()]
    got = dict(zip(names, session.run(None, {feed.name: np.asarray(X, dtype=dtype)}), strict=True))
    result = {}
    for spec in outputs:
        value = got[spec["source"]]
        result[spec["name"]] = value.reshape(-1) if spec.get("flatten") else value
    return result
