"""The seed's examples as satchel does them: example 1 (logistic regression, logged, verified,
loaded, exported and run in a fresh environment without satchel), example 3 (a pipeline to ONNX
with the drift check) and the mini challenge (skops and ONNX agree within 1e-6)."""

from __future__ import annotations

import ast
import pathlib
import subprocess
from typing import Any

import numpy as np
import pytest
from conftest import TREE, fresh_environment
from sklearn.metrics import roc_auc_score

import satchel
from satchel.errors import ArtifactNotFoundError, PackingError
from satchel.models.export import export_model, verify_model
from satchel.models.package import ModelRequest, model_request
from satchel.project import Project


def test_seed_example_1_logs_verifies_loads_exports_and_runs_without_satchel(
    project: Project, cancer: tuple[Any, ...], logistic: Any, tmp_path: pathlib.Path,
) -> None:
    _Xtr, Xte, _ytr, yte = cancer
    accuracy = float(logistic.score(Xte, yte))
    stored = project.log_model(
        "cancer", logistic, input_example=Xte[:5], metrics={"accuracy": accuracy}, version="1.0.0",
        card="Ranks biopsies for review in research settings; not a diagnosis.",
    )
    record = stored.record
    assert {
        "checksum.txt", "input_example.json", "manifest.json", "model-card.md", "model.skops", "output_example.json",
        "predict.py", "requirements.txt", "signature.json", "skops-types.json",
    } == {f.name for f in record.files}
    assert verify_model(project.store, record).root_digest == record.extra["root_digest"]
    versions = record.extra["versions"]
    assert {"numpy", "scikit-learn", "scipy", "skops"} <= set(versions)
    card = project.store.read_bytes(record, "model-card.md").decode()
    assert f"| accuracy | {accuracy} |" in card and "| Format | skops |" in card and "not a diagnosis" in card

    loaded = satchel.load_model(record.uri, store=project.store)
    assert isinstance(loaded, satchel.LoadedModel)
    predicted = loaded.predict({"X": Xte.tolist()})
    np.testing.assert_array_equal(logistic.predict(Xte), predicted["label"])
    np.testing.assert_array_equal(logistic.predict_proba(Xte), predicted["proba"])
    assert ["X"] == [f.name for f in loaded.signature.inputs] and (None, 30) == loaded.signature.inputs[0].shape

    folder = pathlib.Path(export_model(project.store, record, tmp_path / "export"))
    assert tmp_path / "export" / "cancer" / "1.0.0" == folder
    python = fresh_environment(tmp_path / "fresh-env", folder / "requirements.txt")
    payload = {"X": Xte[:3].tolist()}
    done = subprocess.run([str(python), "-c", f"from predict import predict; print(predict({payload!r}))"],
                          cwd=folder, capture_output=True, text=True, check=False)
    assert 0 == done.returncode, done.stderr
    assert {"label": logistic.predict(Xte[:3]).tolist(), "proba": logistic.predict_proba(Xte[:3]).tolist()} == ast.literal_eval(done.stdout.strip())
    no_satchel = subprocess.run([str(python), "-c", "import satchel"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert 0 != no_satchel.returncode and "No module named 'satchel'" in no_satchel.stderr


def test_seed_example_3_converts_the_pipeline_to_onnx_within_the_tolerance(
    project: Project, cancer: tuple[Any, ...], boosted: Any,
) -> None:
    _Xtr, Xte, _ytr, yte = cancer
    auc = float(roc_auc_score(yte, boosted.predict_proba(Xte)[:, 1]))
    record = project.log_model("cancer-gb", boosted, input_example=Xte[:5], format="onnx", metrics={"auc": auc}).record
    assert "model.onnx" in {f.name for f in record.files} and "model.skops" not in {f.name for f in record.files}
    assert "onnx" == record.format
    # predict.py needs the runtime, not scikit-learn.
    assert ["numpy", "onnxruntime"] == sorted(r.partition("==")[0] for r in record.extra["requirements"])
    drift = record.extra["notes"]["onnx max abs diff"]
    assert 0 <= drift <= 1e-6
    card = project.store.read_bytes(record, "model-card.md").decode()
    assert "- onnx drift: max |ONNX - scikit-learn| of predict_proba = " in card and "on the input example (5 rows)" in card

    loaded = satchel.load_model(record.uri, store=project.store)
    predicted = loaded.predict({"X": Xte})
    np.testing.assert_array_equal(boosted.predict(Xte), predicted["label"])
    np.testing.assert_allclose(boosted.predict_proba(Xte), predicted["proba"], rtol=0, atol=1e-6)


def test_an_impossibly_small_tolerance_is_refused_naming_the_drift(project: Project, boosted: Any) -> None:
    # log_model takes no packing options but format, so the tolerance goes in a log hint (no example:
    # the probe batch is compared, and the message says so).
    with pytest.raises(PackingError, match=r"drifts from the estimator: max \|ONNX - scikit-learn\| of predict_proba is "
                                            r"[0-9.e-]+ on a probe batch of 32 standard-normal rows \(no input_example was given\), "
                                            r"above the tolerance 1e-30; nothing was stored"):
        project.log(boosted, {"key": "strict", "artifact_type": "model", "format": "onnx", "tolerance": 1e-30})
    with pytest.raises(ArtifactNotFoundError):
        project.store.get_artifact("store://models/demo/strict")


def test_float32_onnx_drifts_past_the_default_tolerance_and_says_so(
    project: Project, cancer: tuple[Any, ...], boosted: Any,
) -> None:
    """The seed's FloatTensorType: the scaler runs in float32 and moves values across tree thresholds."""
    _Xtr, Xte, _ytr, _yte = cancer
    # What log_model does, with packing options it does not take: the example reaches the packager.
    with model_request(ModelRequest(input_example=Xte)):
        with pytest.raises(PackingError, match=r"on the input example \(114 rows\), above the tolerance 1e-06.* or onnx_dtype=float64"):
            project.log(boosted, "gb32 : model[format=onnx, onnx_dtype=float32]")
        loose = project.log(boosted, "gb32 : model[format=onnx, onnx_dtype=float32, tolerance=0.5]").record
    assert 1e-6 < loose.extra["notes"]["onnx max abs diff"] <= 0.5
    assert "The graph takes float32 input" in loose.extra["notes"]["onnx drift"]


def test_mini_challenge_skops_and_onnx_packages_predict_alike(project: Project, cancer: tuple[Any, ...], boosted: Any) -> None:
    _Xtr, Xte, _ytr, _yte = cancer
    portable = project.log_model("gb-onnx", boosted, input_example=Xte[:5], format="onnx").record
    native = project.log_model("gb-skops", boosted, input_example=Xte[:5]).record
    as_onnx = satchel.load_model(portable.uri, store=project.store)
    as_skops = satchel.load_model(native.uri, store=project.store, trusted_types=[TREE])
    # The same API: the same signature, the same outputs.
    assert as_skops.signature == as_onnx.signature
    a, b = as_skops.predict({"X": Xte}), as_onnx.predict({"X": Xte})
    assert a.keys() == b.keys() == {"label", "proba"}
    np.testing.assert_array_equal(a["label"], b["label"])
    assert float(np.max(np.abs(a["proba"] - b["proba"]))) < 1e-6
    assert "onnx drift" in as_onnx.card and "onnxruntime computes tree ensembles in float32" in as_onnx.card
    assert "onnx max abs diff" in portable.extra["notes"]
