"""Loading a package: verified whole by core's ``open_package`` first, then the model file read
by its format's loader (skops audited, pickles only with the opt-in), as the caller's hint asks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from satchel.errors import PackingError, UnpackingError
from satchel.models.package import LoadedModel, ModelPackage, current_loading_options, open_package
from satchel.models.signature import SignatureMismatchError
from satchel_sklearn import _onnx, _pickles, _skops
from satchel_sklearn._calls import estimator_outputs, features, onnx_outputs
from satchel_sklearn._formats import FORMATS, MODEL_FILES, PICKLE_FORMATS, format_of_files
from satchel_sklearn._outputs import Plan, checked_outputs, plan_outputs

if TYPE_CHECKING:
    from satchel import DataItem

__all__ = ["load", "wants_loaded_model"]


def wants_loaded_model(type_hint: Any) -> bool:
    return isinstance(type_hint, type) and issubclass(type_hint, LoadedModel)


def _features(inputs: dict[str, Any]) -> Any:
    try:
        return features(inputs)
    except ValueError as error:
        raise SignatureMismatchError(str(error)) from None


def load(data_item: DataItem, fmt: Any, outputs: Any, type_hint: Any) -> Any:
    """The estimator, or a LoadedModel for a LoadedModel hint (and always for ONNX, which has no estimator)."""
    record = data_item.record
    what = record.uri if record is not None else f"model package {data_item.key!r}"
    package = open_package(data_item.local_dir(), record)  # every file verified before any is read
    fmt = _format(package, fmt, what)
    if fmt == "onnx":
        if type_hint is not None and not wants_loaded_model(type_hint):
            raise UnpackingError(
                f"{what} is an ONNX package: it holds no scikit-learn estimator to give a "
                f"{getattr(type_hint, '__name__', type_hint)}; ask for satchel.LoadedModel "
                "(satchel.load_model(uri)), or log the model with format='skops'"
            )
        session = _onnx.load(package.path(MODEL_FILES["onnx"]), what)
        plan = _onnx_plan(session, outputs, what)
        return LoadedModel(_onnx.OnnxModel(session, plan), package, lambda m, inputs: onnx_outputs(m.session, _features(inputs), plan))
    path = package.path(MODEL_FILES[fmt])
    if fmt in PICKLE_FORMATS:
        estimator = _pickles.load(path, fmt, what)
    else:
        trusted = _skops.trusted_types_option(current_loading_options().get("trusted_types"), what)
        estimator = _skops.load(path, trusted, what)
    from sklearn.base import BaseEstimator

    if not isinstance(estimator, BaseEstimator):
        raise UnpackingError(f"{what}: {MODEL_FILES[fmt]} holds a {type(estimator).__name__}, not a scikit-learn estimator")
    plan = _estimator_plan(estimator, outputs, what)
    if wants_loaded_model(type_hint):
        return LoadedModel(estimator, package, lambda m, inputs: estimator_outputs(m, _features(inputs), plan))
    return estimator


def _format(package: ModelPackage, fmt: Any, what: str) -> str:
    names = set(package.digests)
    if fmt is None:
        fmt = format_of_files(names)
        if fmt is None:
            raise UnpackingError(f"{what}: the package holds none (or several) of {', '.join(MODEL_FILES.values())}")
    if fmt not in FORMATS:
        raise UnpackingError(f"{what}: instruction 'format' is {str(fmt)[:40]!r}, not one of {', '.join(FORMATS)}")
    if MODEL_FILES[fmt] not in names:
        raise UnpackingError(f"{what}: the package is recorded as {fmt} but has no {MODEL_FILES[fmt]}")
    return str(fmt)


def _estimator_plan(estimator: Any, outputs: Any, what: str) -> Plan:
    if outputs is None:
        try:
            return plan_outputs(estimator, None, what)
        except PackingError as error:
            raise UnpackingError(str(error)) from None
    plan = checked_outputs(outputs, what, onnx=False)
    missing = [spec["source"] for spec in plan if not hasattr(estimator, spec["source"])]
    if missing:
        raise UnpackingError(f"{what}: the package calls {', '.join(missing)}, which the {type(estimator).__name__} does not have")
    return plan


def _onnx_plan(session: Any, outputs: Any, what: str) -> Plan:
    names = [output.name for output in session.get_outputs()]
    if outputs is None:
        if names[:2] == ["label", "probabilities"]:
            return [{"name": "label", "source": "label"}, {"name": "proba", "source": "probabilities"}]
        return [{"name": "prediction", "source": names[0], "flatten": True}]
    plan = checked_outputs(outputs, what, onnx=True)
    missing = [spec["source"] for spec in plan if spec["source"] not in names]
    if missing:
        raise UnpackingError(f"{what}: the package reads ONNX output(s) {missing}; the graph has {names}")
    return plan
