"""Hypothesis round trips: estimators of a few families, fitted on random data, predict the same
after a trip through a store as skops packages (and, for the linear ones, as ONNX within 1e-6)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn_strategies import AUDITED_FAMILIES, TRUSTED_FAMILIES, fitted

import satchel
from satchel.project import Project

_keys = itertools.count()
_fixture_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


def _trusted(name: str) -> list[str]:
    return AUDITED_FAMILIES[name][1] if name in AUDITED_FAMILIES else []


@_fixture_settings
@given(drawn=fitted({**TRUSTED_FAMILIES, **AUDITED_FAMILIES}), seed=st.integers(0, 2**32 - 1))
def test_skops_packages_predict_what_the_estimator_predicts(project: Project, drawn: tuple[str, Any, Any], seed: int) -> None:
    name, estimator, X = drawn
    stored = project.log_model(f"m{next(_keys)}", estimator, input_example=X[:5])
    loaded = satchel.load_model(stored.record.uri, store=project.store, trusted_types=_trusted(name))
    probe = np.random.default_rng(seed).standard_normal((12, X.shape[1]))
    got = loaded.predict({"X": probe})
    np.testing.assert_array_equal(estimator.predict(probe), got["label" if "label" in got else "prediction"])
    if hasattr(estimator, "predict_proba"):
        np.testing.assert_array_equal(estimator.predict_proba(probe), got["proba"])
    if not _trusted(name):
        np.testing.assert_array_equal(estimator.predict(probe), stored.unpack(type(estimator)).predict(probe))


@_fixture_settings
@given(drawn=fitted({k: v for k, v in TRUSTED_FAMILIES.items() if k != "naive-bayes"}), seed=st.integers(0, 2**32 - 1))
def test_onnx_packages_predict_within_the_tolerance(project: Project, drawn: tuple[str, Any, Any], seed: int) -> None:
    _name, estimator, X = drawn
    stored = project.log_model(f"o{next(_keys)}", estimator, input_example=X[:5], format="onnx")
    loaded = satchel.load_model(stored.record.uri, store=project.store)
    probe = np.random.default_rng(seed).standard_normal((12, X.shape[1]))
    got = loaded.predict({"X": probe})
    if "proba" in got:
        np.testing.assert_allclose(estimator.predict_proba(probe), got["proba"], rtol=0, atol=1e-6)
    else:
        np.testing.assert_allclose(estimator.predict(probe), got["prediction"], rtol=0, atol=1e-6)
