"""Hypothesis strategies: estimators of a few families, fitted on random data drawn with them."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

#: Families skops loads with no extra trust (linear, naive Bayes, a scaling pipeline).
TRUSTED_FAMILIES: dict[str, Callable[[], Any]] = {
    "logistic": lambda: LogisticRegression(max_iter=200),
    "ridge": lambda: Ridge(alpha=0.5),
    "naive-bayes": GaussianNB,
    "pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)),
}
#: Families whose fitted state skops does not trust by default, and the types to trust.
AUDITED_FAMILIES: dict[str, tuple[Callable[[], Any], list[str]]] = {
    "tree": (lambda: DecisionTreeClassifier(max_depth=4, random_state=0), ["sklearn.tree._tree.Tree"]),
    "tree-regressor": (lambda: DecisionTreeRegressor(max_depth=4, random_state=0), ["sklearn.tree._tree.Tree"]),
    "knn": (lambda: KNeighborsClassifier(n_neighbors=3),
            ["sklearn.metrics._dist_metrics.EuclideanDistance64", "sklearn.neighbors._kd_tree.KDTree"]),
    "pipeline-tree": (lambda: make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=3, random_state=0)),
                      ["sklearn.tree._tree.Tree"]),
}


@st.composite
def training_data(draw: st.DrawFn, regression: bool = False) -> tuple[Any, Any]:
    """X of 20-60 rows, 1-6 standard-normal columns; y two classes (both present) or real values."""
    seed = draw(st.integers(0, 2**32 - 1))
    rows = draw(st.integers(20, 60))
    columns = draw(st.integers(1, 6))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, columns))
    if regression:
        return X, X @ rng.standard_normal(columns) + rng.normal(0, 0.1, rows)
    y = (X[:, 0] + rng.normal(0, 0.5, rows) > 0).astype(int)
    y[:2] = [0, 1]
    return X, y


def fit(estimator: Any, data: tuple[Any, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*data)


def _is_regressor(name: str) -> bool:
    return name in ("ridge", "tree-regressor")


@st.composite
def fitted(draw: st.DrawFn, families: dict[str, Any]) -> tuple[str, Any, Any]:
    """(family, fitted estimator, its training X) for a family drawn from ``families``."""
    name = draw(st.sampled_from(sorted(families)))
    make = families[name][0] if isinstance(families[name], tuple) else families[name]
    X, y = draw(training_data(regression=_is_regressor(name)))
    return name, fit(make(), (X, y)), X


def trusted_estimators() -> st.SearchStrategy[Any]:
    return fitted(TRUSTED_FAMILIES).map(lambda drawn: drawn[1])
