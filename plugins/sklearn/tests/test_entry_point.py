"""The installed distribution's entry point loads, is discovered, wins for estimators, and imports no scikit-learn."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from satchel import PluginHost
from satchel.testing import EntryPointContract


class TestEntryPoint(EntryPointContract):
    distribution = "satchel-sklearn"
    entry_points = {"sklearn": "satchel_sklearn.packagers:SklearnModelPackager"}
    heavy_modules = ("sklearn", "skops", "numpy", "scipy", "joblib", "onnxruntime", "skl2onnx", "onnx")


def test_real_discovery_selects_it_for_estimators_and_pipelines() -> None:
    host = PluginHost()
    infos = {info.name: info for info in host.infos()}
    assert ("satchel-sklearn", None) == (infos["sklearn"].distribution, infos["sklearn"].error)
    assert ["sklearn.base.BaseEstimator"] == infos["sklearn"].types
    assert "sklearn" == host.select_packer(LogisticRegression)
    assert "sklearn" == host.select_packer(Pipeline, "model")
