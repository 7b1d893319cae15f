"""Hypothesis profiles, a process-wide host that sees only this plugin and core's built-ins, the
caller's settings under tmp_path, and the seed's data set with the models fitted on it once."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from satchel import PluginHost, Store
from satchel.code.environments import find_uv
from satchel.host import set_host
from satchel.project import Project, get_or_create_project
from satchel.testing import isolated_host, load_hypothesis_profile, temp_dir_in_tmp_path  # noqa: F401 - registers the autouse fixture
from satchel_sklearn import SklearnModelPackager

load_hypothesis_profile()

#: What skops does not trust by default in a fitted tree model.
TREE = "sklearn.tree._tree.Tree"


@pytest.fixture(autouse=True)
def host() -> Iterator[PluginHost]:
    """Core's built-ins plus this packager under its entry-point name, for the whole process."""
    fresh = isolated_host(("sklearn", SklearnModelPackager))
    previous = set_host(fresh)
    try:
        yield fresh
    finally:
        set_host(previous)


@pytest.fixture(autouse=True)
def user_settings(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user config and no pickle opt-in from the machine's environment."""
    monkeypatch.setenv("SATCHEL_CONFIG", str(tmp_path / "user-config" / "config.toml"))
    monkeypatch.setenv("SATCHEL_CACHE_DIR", str(tmp_path / "satchel-cache"))
    monkeypatch.delenv("SATCHEL_ALLOW_PICKLE", raising=False)


@pytest.fixture
def store(tmp_path: pathlib.Path) -> Iterator[Store]:
    with Store(tmp_path / "store") as opened:
        yield opened


@pytest.fixture
def project(store: Store) -> Project:
    return get_or_create_project("demo", store)


@pytest.fixture(scope="session")
def cancer() -> tuple[Any, Any, Any, Any]:
    """The seed's split of scikit-learn's breast-cancer data: Xtr, Xte, ytr, yte."""
    X, y = load_breast_cancer(return_X_y=True)
    return tuple(train_test_split(X, y, test_size=0.2, random_state=42))


@pytest.fixture(scope="session")
def logistic(cancer: tuple[Any, ...]) -> LogisticRegression:
    """Seed example 1's model (lbfgs stops at max_iter on the unscaled data; the seed accepts that)."""
    Xtr, _Xte, ytr, _yte = cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(max_iter=1000).fit(Xtr, ytr)


@pytest.fixture(scope="session")
def boosted(cancer: tuple[Any, ...]) -> Pipeline:
    """Seed example 3's pipeline, with scikit-learn's own gradient boosting standing in for XGBoost."""
    Xtr, _Xte, ytr, _yte = cancer
    return Pipeline([("scaler", StandardScaler()), ("clf", GradientBoostingClassifier(n_estimators=50, random_state=0))]).fit(Xtr, ytr)


def assert_same_predictions(expected: Any, actual: Any) -> None:
    """Two estimators (or an estimator and a restored one) predict alike on a fixed probe."""
    probe = np.random.default_rng(7).standard_normal((16, expected.n_features_in_))
    np.testing.assert_array_equal(expected.predict(probe), actual.predict(probe))
    if hasattr(expected, "predict_proba"):
        np.testing.assert_array_equal(expected.predict_proba(probe), actual.predict_proba(probe))


def fresh_environment(where: pathlib.Path, requirements: pathlib.Path) -> pathlib.Path:
    """A new virtual environment with only ``requirements``, installed offline from uv's cache
    (which installing this plugin's test environment filled); skipped, saying why, if it cannot."""
    uv = find_uv()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["UV_OFFLINE"] = "1"
    # The interpreter this one was made from: a venv's python cannot seed another venv offline.
    base = getattr(sys, "_base_executable", sys.executable)
    made = subprocess.run([uv, "venv", str(where), "--python", base, "--offline"], capture_output=True, text=True, env=env, check=False)
    if made.returncode != 0:
        pytest.skip(f"uv could not make a virtual environment offline: {made.stderr.strip()[-500:]}")
    python = where / "bin" / "python"
    installed = subprocess.run(
        [uv, "pip", "install", "--offline", "--python", str(python), "-r", str(requirements)],
        capture_output=True, text=True, env=env, check=False,
    )
    if installed.returncode != 0:
        pytest.skip(f"the exported requirements do not install offline from uv's cache: {installed.stderr.strip()[-800:]}")
    return python
