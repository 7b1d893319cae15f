"""Loading by type hint, the pickle opt-in, payloads checked against the signature, packing options
checked, and an estimator returned by a handler."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import TREE, assert_same_predictions
from sklearn.base import BaseEstimator
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

import satchel
from satchel.errors import PackagerNotFoundError, PackingError, PickleNotAllowedError, UnpackingError
from satchel.models.signature import SignatureMismatchError
from satchel.project import Project
from satchel_sklearn import FORMATS


@pytest.fixture
def loaded(project: Project, cancer: tuple[Any, ...], logistic: Any) -> satchel.LoadedModel:
    uri = project.log_model("cancer", logistic, input_example=cancer[1][:5]).record.uri
    return satchel.load_model(uri, store=project.store)


# -- Type hints ----------------------------------------------------------------------------------


def test_an_estimator_hint_gets_the_estimator_and_a_loaded_model_hint_the_predictor(
    project: Project, cancer: tuple[Any, ...], logistic: Any,
) -> None:
    stored = project.log_model("cancer", logistic, input_example=cancer[1][:5])
    for hint in (LogisticRegression, BaseEstimator, None):
        estimator = stored.unpack(hint)
        assert type(estimator) is LogisticRegression
        assert_same_predictions(logistic, estimator)
    predictor = stored.unpack(satchel.LoadedModel)
    assert isinstance(predictor, satchel.LoadedModel) and type(predictor.model) is LogisticRegression
    np.testing.assert_array_equal(logistic.predict_proba(cancer[1]), predictor.predict({"X": cancer[1]})["proba"])


def test_a_hint_for_another_estimator_class_is_an_error(project: Project, logistic: Any) -> None:
    stored = project.log_model("cancer", logistic)
    with pytest.raises(UnpackingError, match="holds a sklearn.linear_model._logistic.LogisticRegression.*asks for sklearn.linear_model._ridge.Ridge"):
        stored.unpack(Ridge)


def test_an_onnx_package_gives_a_loaded_model_and_refuses_an_estimator_hint(
    project: Project, cancer: tuple[Any, ...], logistic: Any,
) -> None:
    stored = project.log_model("cancer", logistic, input_example=cancer[1][:5], format="onnx")
    with pytest.raises(UnpackingError, match="is an ONNX package: it holds no scikit-learn estimator .* ask for satchel.LoadedModel"):
        stored.unpack(BaseEstimator)
    for hint in (satchel.LoadedModel, None):
        predictor = stored.unpack(hint)
        assert isinstance(predictor, satchel.LoadedModel)
        np.testing.assert_array_equal(logistic.predict(cancer[1]), predictor.model.predict(cancer[1]))
        np.testing.assert_allclose(logistic.predict_proba(cancer[1]), predictor.model.predict_proba(cancer[1]), atol=1e-9)


def test_a_tree_model_needs_its_types_trusted_by_name(project: Project, cancer: tuple[Any, ...], boosted: Any) -> None:
    stored = project.log_model("gb", boosted, input_example=cancer[1][:5])
    assert TREE in stored.record.extra["notes"]["skops untrusted types"]
    with pytest.raises(UnpackingError, match=rf"does not trust by default: {TREE}; nothing was loaded.*trusted_types=\['{TREE}'\]"):
        satchel.load_model(stored.record.uri, store=project.store)
    predictor = satchel.load_model(stored.record.uri, store=project.store, trusted_types=[TREE])
    np.testing.assert_array_equal(boosted.predict_proba(cancer[1]), predictor.predict({"X": cancer[1]})["proba"])


# -- Pickles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["joblib", "pickle"])
def test_a_pickle_format_loads_only_with_the_callers_opt_in(
    project: Project, cancer: tuple[Any, ...], logistic: Any, monkeypatch: pytest.MonkeyPatch, fmt: str,
) -> None:
    record = project.log_model("cancer", logistic, input_example=cancer[1][:5], format=fmt).record
    assert {"joblib": "model.joblib", "pickle": "model.pkl"}[fmt] in {f.name for f in record.files}
    assert (fmt == "joblib") == any(r.startswith("joblib==") for r in record.extra["requirements"])
    with pytest.raises(PickleNotAllowedError, match=r"allow_pickle=True\), or SATCHEL_ALLOW_PICKLE=1"):
        satchel.load_model(record.uri, store=project.store)
    with pytest.raises(PickleNotAllowedError):
        project.get_artifact(record.uri).unpack()
    opted_in = satchel.load_model(record.uri, store=project.store, allow_pickle=True)
    np.testing.assert_array_equal(logistic.predict_proba(cancer[1]), opted_in.predict({"X": cancer[1]})["proba"])
    monkeypatch.setenv("SATCHEL_ALLOW_PICKLE", "1")
    assert_same_predictions(logistic, project.get_artifact(record.uri).unpack(LogisticRegression))


# -- Payloads ------------------------------------------------------------------------------------


def test_text_that_does_not_cast_is_refused_naming_the_field(loaded: satchel.LoadedModel) -> None:
    with pytest.raises(SignatureMismatchError, match=r"field 'X': expected dtype float64, got <U1, which does not cast safely"):
        loaded.predict({"X": [["a"] * 30] * 2})


def test_a_wrong_shape_is_refused_naming_the_field(loaded: satchel.LoadedModel) -> None:
    with pytest.raises(SignatureMismatchError, match=r"field 'X': expected shape \[any, 30\], got \[2, 29\]"):
        loaded.predict({"X": np.zeros((2, 29))})


def test_a_missing_field_is_refused_naming_it(loaded: satchel.LoadedModel) -> None:
    with pytest.raises(SignatureMismatchError, match=r"the payload has no field 'X' \(float64\); the signature requires it"):
        loaded.predict({})


def test_an_extra_field_is_refused_naming_it(loaded: satchel.LoadedModel) -> None:
    with pytest.raises(SignatureMismatchError, match=r"field\(s\) extra the signature does not know; expected X"):
        loaded.predict({"X": np.zeros((1, 30)), "extra": [1]})


def test_integers_cast_safely_and_a_bare_matrix_is_the_one_field(loaded: satchel.LoadedModel, logistic: Any) -> None:
    ints = np.arange(60).reshape(2, 30)
    np.testing.assert_array_equal(logistic.predict_proba(ints.astype(float)), loaded.predict({"X": ints})["proba"])
    np.testing.assert_array_equal(logistic.predict(ints.astype(float)), loaded.predict(ints.tolist())["label"])


@pytest.fixture(scope="module")
def frame_model() -> tuple[Any, Any]:
    frame = load_breast_cancer(as_frame=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))]).fit(frame.data, frame.target)
    return model, frame.data


def test_a_data_frame_example_gives_a_table_signature_that_names_a_missing_column(
    project: Project, frame_model: tuple[Any, Any],
) -> None:
    model, frame = frame_model
    record = project.log_model("table", model, input_example=frame.iloc[:5]).record
    assert any(r.startswith("pandas==") for r in record.extra["requirements"])  # predict.py builds the table
    loaded = satchel.load_model(record.uri, store=project.store)
    assert "table" == loaded.signature.layout
    assert list(frame.columns) == [f.name for f in loaded.signature.inputs]
    # The checked table is a new frame (another memory layout): the same values to the last few ulps.
    np.testing.assert_allclose(model.predict_proba(frame), loaded.predict(frame)["proba"], rtol=1e-12, atol=0)
    as_records = frame.iloc[:3].to_dict(orient="records")
    np.testing.assert_array_equal(model.predict(frame.iloc[:3]), loaded.predict(as_records)["label"])
    with pytest.raises(SignatureMismatchError, match=r"the payload has no column\(s\) mean radius; the signature requires mean radius, mean texture"):
        loaded.predict(frame.drop(columns=["mean radius"]))
    with pytest.raises(SignatureMismatchError, match=r"column 'mean area': expected dtype float64, got (object|str), which does not cast safely"):
        loaded.predict(frame.assign(**{"mean area": "big"}))


def test_a_data_frame_example_converts_to_onnx_too(project: Project, frame_model: tuple[Any, Any]) -> None:
    model, frame = frame_model
    record = project.log_model("table-onnx", model, input_example=frame.iloc[:20], format="onnx").record
    loaded = satchel.load_model(record.uri, store=project.store)
    np.testing.assert_allclose(model.predict_proba(frame), loaded.predict(frame)["proba"], atol=1e-6)
    assert isinstance(loaded.predict(pd.DataFrame(frame.iloc[:2]))["label"], np.ndarray)


# -- What a package calls --------------------------------------------------------------------------


def test_method_forces_what_the_package_calls(project: Project, cancer: tuple[Any, ...], logistic: Any) -> None:
    Xte = cancer[1]
    only_proba = project.log(logistic, "p : model[method=predict_proba]")
    assert {"proba"} == satchel.load_model(only_proba.record.uri, store=project.store).predict({"X": Xte}).keys()
    decision = project.log(logistic, "d : model[method=decision_function]")
    np.testing.assert_array_equal(logistic.decision_function(Xte), satchel.load_model(decision.record.uri, store=project.store).predict({"X": Xte})["decision"])


def test_regressors_give_a_prediction_and_classifiers_without_proba_a_label(project: Project, cancer: tuple[Any, ...]) -> None:
    Xtr, Xte, ytr, _yte = cancer
    for fmt in ("skops", "onnx"):
        ridge = Ridge().fit(Xtr, ytr)
        loaded = satchel.load_model(project.log_model(f"ridge-{fmt}", ridge, input_example=Xte[:5], format=fmt).record.uri, store=project.store)
        got = loaded.predict({"X": Xte})
        assert ["prediction"] == list(got) and (len(Xte),) == got["prediction"].shape
        np.testing.assert_allclose(ridge.predict(Xte), got["prediction"], atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm = Pipeline([("s", StandardScaler()), ("svm", LinearSVC())]).fit(Xtr, ytr)
    got = satchel.load_model(project.log_model("svm", svm, input_example=Xte[:5]).record.uri, store=project.store).predict({"X": Xte})
    assert ["label"] == list(got)
    np.testing.assert_array_equal(svm.predict(Xte), got["label"])


# -- Options and refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "message"),
    [
        ("m : model[format=h5]", f"unknown model format 'h5'; use one of {', '.join(FORMATS)}"),
        ("m : model[tolerance=-1]", r"tolerance '-1' is not a finite number >= 0"),
        ("m : model[tolerance=nan]", r"tolerance 'nan' is not a finite number"),
        ("m : model[method=fit]", "method 'fit' is not one a package calls; use one of predict, predict_proba"),
        ("m : model[onnx_dtype=int8]", "onnx_dtype 'int8' is not one of float64, float32"),
        ("m : model[format=onnx, method=decision_function]", "an ONNX package cannot call decision_function"),
    ],
)
def test_a_bad_option_is_a_packing_error_naming_the_valid_ones(project: Project, logistic: Any, hint: str, message: str) -> None:
    with pytest.raises(PackingError, match=message):
        project.log(logistic, hint)


def test_an_estimator_is_never_a_result(project: Project, logistic: Any) -> None:
    with pytest.raises((PackingError, PackagerNotFoundError), match="not a JSON value, so it cannot be a result; log it as 'model'"):
        project.log(logistic, "m : result")


def test_an_unfitted_estimator_is_refused_before_anything_is_stored(project: Project) -> None:
    with pytest.raises(PackingError, match="the model failed on the input example .*NotFittedError"):
        project.log_model("unfitted", LogisticRegression(), input_example=np.zeros((2, 3)))
    with pytest.raises(PackingError, match="no n_features_in_"):
        project.log(LogisticRegression(), "u : model[format=onnx]")


def test_a_handler_returning_an_estimator_packs_it_as_onnx_when_its_hint_says_so(project: Project, cancer: tuple[Any, ...]) -> None:
    Xtr, Xte, ytr, _yte = cancer

    def train(alpha: float = 1.0) -> Ridge:
        return Ridge(alpha=alpha).fit(Xtr, ytr)

    run = project.run(train, params={"alpha": 0.5}, returns=["clf : model[format='onnx']"])
    record = project.store.get_artifact(run.outputs["clf"])
    assert ("model", "onnx") == (record.kind, record.format)
    assert "model.onnx" in {f.name for f in record.files}
    card = project.store.read_bytes(record, "model-card.md").decode()
    assert f"({run.uid})" in card and "| alpha | 0.5 |" in card and "a probe batch of 32 standard-normal rows" in card
    loaded = satchel.load_model(record.uri, store=project.store)
    np.testing.assert_allclose(train(0.5).predict(Xte), loaded.model.predict(Xte), atol=1e-6)
