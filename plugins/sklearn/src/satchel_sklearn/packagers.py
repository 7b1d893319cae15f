"""SklearnModelPackager: scikit-learn estimators and pipelines as verified model packages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from satchel import Packager
from satchel.models.package import LoadedModel
from satchel_sklearn._formats import MODEL_FILES

if TYPE_CHECKING:
    from satchel import DataItem
    from satchel.artifacts import ModelArtifact

__all__ = ["SklearnModelPackager"]


class SklearnModelPackager(Packager):
    """Packs scikit-learn estimators and pipelines as model packages: skops (default), onnx, joblib or pickle.

    Every package holds the model file, pinned requirements, a standalone ``predict.py``, the
    signature and examples, a model card and a manifest; loading verifies all of it first. skops
    loading audits the file's types against the caller's ``trusted_types``; joblib and pickle need
    the pickle opt-in; ONNX is checked against the estimator when packed.
    """

    PACKABLE_OBJECT_TYPE: ClassVar[Any] = "sklearn.base.BaseEstimator"
    PACK_SUBCLASSES = True
    DEFAULT_PACKING_ARTIFACT_TYPE = "model"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "model"
    FORMAT_VERSION = 1
    REQUIRES: ClassVar[dict[str, str]] = {"sklearn": "scikit-learn", "skops": "skops", "numpy": "numpy"}
    PACKS_RESULT = False  # an estimator is not a JSON value

    def refusal(self, obj_type: type, artifact_type: str | None) -> str | None:
        if artifact_type == "result" and self.match_distance(obj_type) is not None:
            return f"a {obj_type.__name__} is not a JSON value, so it cannot be a result; log it as 'model'"
        return None

    def is_unpackable(self, obj_type: type | None, artifact_type: str | None = None) -> bool:
        if isinstance(obj_type, type) and issubclass(obj_type, LoadedModel):
            return artifact_type in (None, "model")
        return super().is_unpackable(obj_type, artifact_type)

    def can_unpack_item(self, data_item: DataItem, obj_type: type | None, artifact_type: str | None) -> bool:
        record = data_item.record
        if record is None or record.producer is None:
            # A local folder only when it is a package of one of this plugin's model files.
            names = set(data_item.file_names)
            if "manifest.json" not in names or not names & set(MODEL_FILES.values()):
                return False
        return super().can_unpack_item(data_item, obj_type, artifact_type)

    def pack_model(
        self,
        obj: Any,
        key: str,
        format: str = "skops",  # noqa: A002 - the option is called `format` in log hints
        tolerance: float = 1e-6,
        method: str | None = None,
        onnx_dtype: str = "float64",
    ) -> tuple[ModelArtifact, dict[str, Any]]:
        """A model package in ``format``: ``skops`` (default, audited on load), ``onnx`` (checked
        against the estimator within ``tolerance``; input ``onnx_dtype``), ``joblib`` or ``pickle``
        (loading needs allow_pickle). ``method`` forces what the package calls (``predict``,
        ``predict_proba``, ``decision_function``, ``transform``)."""
        from satchel_sklearn._build import build

        return build(self.make_temp_dir(), obj, key, format, tolerance, method, onnx_dtype)

    def unpack_model(
        self, data_item: DataItem, format: str | None = None, outputs: Any = None, type_hint: Any = None  # noqa: A002
    ) -> Any:
        """The estimator (a ``BaseEstimator`` hint, or none), or a verified ``satchel.LoadedModel``
        predictor (that hint, and any ONNX package)."""
        from satchel_sklearn._load import load

        return load(data_item, format, outputs, type_hint)
