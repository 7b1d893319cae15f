"""Which of an estimator's methods a package calls, under which output names, and the same read
back from a record's instructions (which a store writer could have planted)."""

from __future__ import annotations

from typing import Any

from satchel.errors import PackingError, UnpackingError
from satchel_sklearn._formats import METHODS, OUTPUT_NAMES

__all__ = ["checked_outputs", "onnx_plan", "plan_outputs"]

Plan = list[dict[str, Any]]


def _is_classifier(estimator: Any) -> bool:
    from sklearn.base import is_classifier

    return bool(is_classifier(estimator))


def plan_outputs(estimator: Any, method: str | None, key: str) -> Plan:
    """``[{"name": ..., "source": <method>}]``: a classifier's label (and proba when it has
    predict_proba), a regressor's prediction, a transformer's output; ``method`` forces one."""
    if method is not None and method not in METHODS:
        raise PackingError(f"{key!r}: method {method!r} is not one a package calls; use one of {', '.join(METHODS)}")
    classifier = _is_classifier(estimator)
    if method is None:
        if hasattr(estimator, "predict"):
            if classifier:
                plan = [{"name": "label", "source": "predict"}]
                if hasattr(estimator, "predict_proba"):
                    plan.append({"name": "proba", "source": "predict_proba"})
                return plan
            return [{"name": "prediction", "source": "predict"}]
        if hasattr(estimator, "transform"):
            return [{"name": "transformed", "source": "transform"}]
        raise PackingError(
            f"{key!r}: a {type(estimator).__name__} has neither predict nor transform, so a package cannot call it"
        )
    if not hasattr(estimator, method):
        raise PackingError(f"{key!r}: method={method!r}, but a {type(estimator).__name__} has no {method}()")
    name = {"predict": "label" if classifier else "prediction", "predict_proba": "proba",
            "decision_function": "decision", "transform": "transformed"}[method]
    return [{"name": name, "source": method}]


def onnx_plan(plan: Plan, onnx_names: list[str], flatten: bool, key: str) -> Plan:
    """The estimator's plan in terms of the ONNX graph's outputs: skl2onnx gives a classifier
    ``label`` and ``probabilities``, anything else one ``variable``."""
    mapped: Plan = []
    for spec in plan:
        source = spec["source"]
        if source == "decision_function":
            raise PackingError(f"{key!r}: an ONNX package cannot call decision_function; use method='predict' or 'predict_proba'")
        index = 1 if source == "predict_proba" else 0
        if index >= len(onnx_names):
            raise PackingError(f"{key!r}: the ONNX graph has outputs {onnx_names}, none for {source}()")
        entry: dict[str, Any] = {"name": spec["name"], "source": onnx_names[index]}
        if flatten and spec["name"] == "prediction":
            entry["flatten"] = True
        mapped.append(entry)
    return mapped


def checked_outputs(value: Any, what: str, *, onnx: bool) -> Plan:
    """A plan read from instructions: a short list of known names and (for estimators) known methods."""
    if not isinstance(value, list) or not 1 <= len(value) <= len(OUTPUT_NAMES):
        raise UnpackingError(f"{what}: instruction 'outputs' is not a list of the outputs a package calls; it was altered")
    plan: Plan = []
    for spec in value:
        if not (isinstance(spec, dict) and set(spec) <= {"name", "source", "flatten"}
                and spec.get("name") in OUTPUT_NAMES and isinstance(spec.get("source"), str)
                and isinstance(spec.get("flatten", False), bool)):
            raise UnpackingError(f"{what}: instruction 'outputs' holds {str(spec)[:80]!r}, not an output a package calls")
        if not onnx and spec["source"] not in METHODS:
            # getattr(model, source) must only ever reach these methods.
            raise UnpackingError(f"{what}: instruction 'outputs' names method {spec['source'][:40]!r}; a package calls only {', '.join(METHODS)}")
        plan.append(dict(spec))
    return plan
