"""ONNX packages: an estimator converted with skl2onnx, run with onnxruntime (CPU), and compared
with the estimator at pack time; a drift above the tolerance is an error, the one measured a note.

Converting in float64 (the default) keeps a pipeline's arithmetic in the estimator's precision.
onnxruntime's tree-ensemble operators compute in float32 whatever their input, which skl2onnx
declares as float64; a Cast after each such operator makes the graph say what it computes.
float32 (``onnx_dtype='float32'``, the seed's ``FloatTensorType``) moves values that sit near a
tree's threshold across it, so it drifts far more than 1e-6.
"""

from __future__ import annotations

from typing import Any

from satchel.errors import PackingError, UnpackingError
from satchel_sklearn._calls import estimator_outputs, onnx_outputs
from satchel_sklearn._outputs import Plan, onnx_plan

__all__ = ["DTYPES", "OnnxModel", "convert", "drift", "load", "n_features", "open_session", "plan_for", "probe_batch"]

DTYPES = ("float64", "float32")
_PROBE_ROWS = 32


def _initial_types(n_features: int, dtype: str) -> list[tuple[str, Any]]:
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    tensor = DoubleTensorType if dtype == "float64" else FloatTensorType
    return [("X", tensor([None, n_features]))]


def _cast_tree_outputs(model: Any) -> None:
    """After each tree-ensemble node, a Cast to double for outputs skl2onnx declared double."""
    from onnx import TensorProto, helper

    declared_float = {o.name for o in model.graph.output if o.type.tensor_type.elem_type == TensorProto.FLOAT}
    nodes = []
    for node in model.graph.node:
        nodes.append(node)
        if not node.op_type.startswith("TreeEnsemble"):
            continue
        for index, name in enumerate(list(node.output)):
            if (node.op_type.endswith("Classifier") and index == 0) or name in declared_float:
                continue  # labels are int64; a float graph output is declared as computed
            node.output[index] = f"{name}_as_float"
            nodes.append(helper.make_node("Cast", [f"{name}_as_float"], [name], to=TensorProto.DOUBLE, name=f"{name}_to_double"))
    del model.graph.node[:]
    model.graph.node.extend(nodes)


def n_features(estimator: Any, key: str) -> int:
    count = getattr(estimator, "n_features_in_", None)
    if not isinstance(count, int):
        raise PackingError(f"{key!r}: the estimator has no n_features_in_ (is it fitted?); ONNX needs the number of input columns")
    return count


def convert(estimator: Any, dtype: str, key: str) -> tuple[bytes, Any]:
    """The estimator as a serialised ONNX model whose input ``X`` has ``dtype`` rows, and a session on it."""
    from skl2onnx import to_onnx
    from sklearn.base import is_classifier

    if dtype not in DTYPES:
        raise PackingError(f"{key!r}: onnx_dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    options = {"zipmap": False} if is_classifier(estimator) else None
    try:
        model = to_onnx(estimator, initial_types=_initial_types(n_features(estimator, key), dtype), options=options)
    except Exception as error:  # skl2onnx refuses unsupported estimators in many ways; say it once
        other = "float32" if dtype == "float64" else "float64"
        raise PackingError(
            f"{key!r}: skl2onnx cannot convert this {type(estimator).__name__} with {dtype} input "
            f"({type(error).__name__}: {str(error)[:300]}); try onnx_dtype={other!r}, or format='skops'"
        ) from error
    if dtype == "float64":
        _cast_tree_outputs(model)
    data: bytes = model.SerializeToString()
    try:
        session = open_session(data)
    except Exception as error:  # the runtime's refusal is the message
        raise PackingError(
            f"{key!r}: onnxruntime cannot run the converted {type(estimator).__name__} with {dtype} input "
            f"({type(error).__name__}: {str(error)[:300]}); try onnx_dtype='float32' with a looser tolerance, or format='skops'"
        ) from error
    return data, session


def open_session(model: bytes | str) -> Any:
    import onnxruntime

    return onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])


def probe_batch(estimator: Any, key: str) -> Any:
    import numpy as np

    return np.random.default_rng(0).standard_normal((_PROBE_ROWS, n_features(estimator, key)))


def drift(estimator: Any, session: Any, plan: Plan, onnx: Plan, X: Any) -> tuple[float, str]:
    """The largest absolute difference between the estimator's outputs and the ONNX graph's on
    ``X`` (probabilities for a classifier that has them, else labels or values), and what was compared."""
    import numpy as np

    mine = estimator_outputs(estimator, X, plan)
    theirs = onnx_outputs(session, X, onnx)
    numeric = [name for name in mine if name != "label"] or list(mine)
    worst = 0.0
    for name in numeric:
        a, b = np.asarray(mine[name]), np.asarray(theirs[name])
        if a.shape != b.shape and a.size == b.size:
            b = b.reshape(a.shape)
        if name == "label" or a.dtype.kind not in "fiub":
            worst = max(worst, 0.0 if np.array_equal(a, b) else float("inf"))
        else:
            worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0)
    return worst, "/".join(s["source"] for s in plan if s["name"] in numeric)


def plan_for(estimator: Any, session: Any, plan: Plan, X: Any, key: str) -> Plan:
    """The estimator's outputs as the graph's; a 1-D prediction stays 1-D (ONNX gives a column)."""
    import numpy as np

    names = [o.name for o in session.get_outputs()]
    flat = any(np.ndim(v) == 1 for v in estimator_outputs(estimator, X[:2], plan).values())
    return onnx_plan(plan, names, flat, key)


class OnnxModel:
    """An ONNX package's model: the onnxruntime session, with the estimator's ``predict`` (and
    ``predict_proba`` for a classifier that had it)."""

    def __init__(self, session: Any, plan: Plan) -> None:
        self.session = session
        self.plan = plan

    def _one(self, name: str, X: Any) -> Any:
        specs = [s for s in self.plan if s["name"] == name]
        if not specs:
            raise AttributeError(f"this ONNX package gives {[s['name'] for s in self.plan]}, not {name}")
        return onnx_outputs(self.session, X, specs)[name]

    def predict(self, X: Any) -> Any:
        names = {s["name"] for s in self.plan}
        return self._one("label" if "label" in names else "prediction" if "prediction" in names else "transformed", X)

    def predict_proba(self, X: Any) -> Any:
        return self._one("proba", X)

    def __repr__(self) -> str:
        return f"<OnnxModel outputs={[s['name'] for s in self.plan]}>"


def load(path: str, what: str) -> Any:
    try:
        return open_session(path)
    except Exception as error:  # the runtime's refusal is the message
        raise UnpackingError(f"{what}: onnxruntime cannot open model.onnx ({type(error).__name__}: {error})") from error
