"""satchel-sklearn against satchel's packager contract, and hostile instructions planted in a record."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn_strategies import trusted_estimators

from satchel import Store
from satchel.testing import PackagerContract, check_hostile_instructions
from satchel_sklearn import SklearnModelPackager


def _probe(estimator: Any) -> Any:
    return np.random.default_rng(3).standard_normal((8, estimator.n_features_in_))


class TestSklearnModelPackager(PackagerContract):
    packager = SklearnModelPackager
    strategy = trusted_estimators()
    # A model package is never a result (an estimator is not JSON); listing it keeps that test honest.
    round_trip_types = ("model",)
    max_examples = 10

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        assert type(original) is type(restored)
        assert original.get_params().keys() == restored.get_params().keys()
        probe = _probe(original)
        np.testing.assert_array_equal(original.predict(probe), restored.predict(probe))
        if hasattr(original, "predict_proba"):
            np.testing.assert_array_equal(original.predict_proba(probe), restored.predict_proba(probe))


def test_hostile_instructions_are_refused_with_satchels_errors(store: Store, tmp_path: Any) -> None:
    check_hostile_instructions(
        SklearnModelPackager, trusted_estimators(), "model", store, str(tmp_path / "planted"), max_examples=15,
    )
