"""Exported packages of the other formats run without satchel too: ONNX with only onnxruntime and
numpy installed, joblib only when the one running it opts in to loading a pickle."""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys
from typing import Any

import numpy as np
from conftest import fresh_environment

from satchel.models.export import export_model
from satchel.project import Project


def _predict(python: str | pathlib.Path, folder: str, payload: Any, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-c", f"from predict import predict; print(predict({payload!r}))"], cwd=folder,
                          capture_output=True, text=True, check=False, env={**os.environ, **env})


def test_an_onnx_export_runs_with_only_onnxruntime_and_numpy(
    project: Project, cancer: tuple[Any, ...], boosted: Any, tmp_path: pathlib.Path,
) -> None:
    Xte = cancer[1]
    record = project.log_model("cancer-gb", boosted, input_example=Xte[:5], format="onnx", version="2.0").record
    folder = export_model(project.store, record, tmp_path / "export")
    python = fresh_environment(tmp_path / "fresh-env", pathlib.Path(folder) / "requirements.txt")
    no_sklearn = subprocess.run([str(python), "-c", "import sklearn"], capture_output=True, text=True, check=False)
    assert 0 != no_sklearn.returncode
    done = _predict(python, folder, {"X": Xte[:4].tolist()})
    assert 0 == done.returncode, done.stderr
    got = ast.literal_eval(done.stdout.strip())
    assert boosted.predict(Xte[:4]).tolist() == got["label"]
    np.testing.assert_allclose(boosted.predict_proba(Xte[:4]), got["proba"], rtol=0, atol=1e-6)


def test_a_joblib_export_loads_only_when_its_runner_opts_in(
    project: Project, cancer: tuple[Any, ...], logistic: Any, tmp_path: pathlib.Path,
) -> None:
    Xte = cancer[1]
    record = project.log_model("cancer", logistic, input_example=Xte[:5], format="joblib", version="1.0").record
    folder = export_model(project.store, record, tmp_path / "export")
    refused = _predict(sys.executable, folder, {"X": Xte[:2].tolist()}, SATCHEL_ALLOW_PICKLE="")
    assert 0 != refused.returncode and "model.joblib is a pickle" in refused.stderr and "SATCHEL_ALLOW_PICKLE=1" in refused.stderr
    allowed = _predict(sys.executable, folder, {"X": Xte[:2].tolist()}, SATCHEL_ALLOW_PICKLE="1")
    assert 0 == allowed.returncode, allowed.stderr
    assert logistic.predict_proba(Xte[:2]).tolist() == ast.literal_eval(allowed.stdout.strip())["proba"]
