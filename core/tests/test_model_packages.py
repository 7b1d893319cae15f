"""Model packages with a framework-free toy model: built, stored, verified before loading, tampered
with in every way, exported, and run from the export by a Python without satchel."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
from typing import Any

import pytest

import satchel
from satchel.artifacts import FileSource
from satchel.errors import IntegrityError, PackingError, SatchelError
from satchel.host import PluginHost
from satchel.models.export import export_model, verify_model
from satchel.models.manifest import root_digest, verify_folder
from satchel.models.package import (
    LoadedModel,
    ModelFiles,
    RequirementWarning,
    build_package,
    manifest_files,
    open_package,
)
from satchel.packagers.base import Packager
from satchel.project import Project, get_or_create_project
from satchel.store import Store
from satchel.testing import blob_file


class Threshold:
    """A model a test can write by hand: class 1 where a value is above the threshold."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def predict(self, values: list[float]) -> list[int]:
        return [int(v > self.threshold) for v in values]


ENTRYPOINT = '''
def _load(folder):
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as handle:
        return json.load(handle)["threshold"]


def _call(model, inputs):
    return {"label": [int(v > model) for v in inputs["X"]]}
'''


class ThresholdPackager(Packager):
    PACKABLE_OBJECT_TYPE = Threshold
    DEFAULT_PACKING_ARTIFACT_TYPE = "model"
    PRIORITY = 3

    def pack_model(self, obj: Threshold, key: str) -> tuple[Any, dict[str, Any]]:
        folder = self.make_temp_dir()
        model_file = os.path.join(folder, "written", "model.json")
        os.makedirs(os.path.dirname(model_file))
        with open(model_file, "w") as handle:
            json.dump({"threshold": obj.threshold}, handle)
        files = ModelFiles(framework="threshold", format="json", files={"model.json": model_file}, entrypoint=ENTRYPOINT,
                           modules=[type(obj).__module__, "pytest"], notes={"drift": 0.0})
        return build_package(key, files, os.path.join(folder, "package")), {}

    def unpack_model(self, data_item: satchel.DataItem, type_hint: Any = None) -> Any:
        package = open_package(data_item.local_dir(), data_item.record)
        with open(package.path("model.json")) as handle:
            model = Threshold(json.load(handle)["threshold"])
        if type_hint is LoadedModel:
            return LoadedModel(model, package, lambda m, inputs: {"label": m.predict(inputs["X"])})
        return model


@pytest.fixture
def project(tmp_path: pathlib.Path, host: PluginHost) -> Project:
    host.register(ThresholdPackager(), name="threshold")
    return get_or_create_project("demo", Store(tmp_path / "store"))


@pytest.fixture
def logged(project: Project) -> satchel.ArtifactRecord:
    return project.log_model("gate", Threshold(0.5), card={"intended_use": "Gating | tests", "limitations": "Toy."},
                             metrics={"accuracy": 1.0}, params={"threshold": 0.5}, version="1.0.0").record


def test_a_model_package_holds_everything_needed_to_run_it(logged: satchel.ArtifactRecord) -> None:
    assert logged.kind == "model" and logged.uri.startswith("store://models/demo/gate@")
    names = sorted(f.name for f in logged.files)
    assert names == ["checksum.txt", "manifest.json", "model-card.md", "model.json", "predict.py", "requirements.txt"]
    assert {"sha256"} == {f.algorithm for f in logged.files}  # the digests its manifest lists, read once
    manifest_digests = {f.name: f.sha256 for f in logged.files if f.name not in ("manifest.json", "checksum.txt")}
    assert logged.extra["root_digest"] == root_digest(manifest_digests)
    assert logged.extra["framework"] == "threshold" and logged.extra["version"] == "1.0.0"
    assert any(r.startswith("pytest==") for r in logged.extra["requirements"])


def test_the_card_says_what_the_model_is(project: Project, logged: satchel.ArtifactRecord) -> None:
    card = project.store.read_bytes(logged, "model-card.md").decode()
    assert "# Model card: gate" in card and "| Version | 1.0.0 |" in card
    assert "## Intended use\n\nGating | tests\n" in card
    assert "| accuracy | 1.0 |" in card and "| threshold | 0.5 |" in card
    assert "Toy." in card and "root digest" in card


def test_load_model_verifies_and_predicts(project: Project, logged: satchel.ArtifactRecord) -> None:
    loaded = satchel.load_model("store://models/demo/gate", store=project.store)
    assert isinstance(loaded, LoadedModel)
    assert loaded.predict({"X": [0.2, 0.9]}) == {"label": [0, 1]}
    assert loaded.uri == logged.uri and "Model card" in loaded.card
    assert project.get_artifact(logged.uri).unpack(Threshold).threshold == 0.5


def _rewrite(project: Project, record: satchel.ArtifactRecord, files: list[FileSource], digest: str | None = None) -> str:
    """A new version of the key written straight into the store, as an attacker with write access would
    (its files hashed by the store's digest, blake3, unless *digest* says otherwise)."""
    return project.store.log_artifact(
        project="demo", key="gate", kind="model", files=files, producer=record.producer,
        artifact_type=record.artifact_type, extra=record.extra, digest=digest,
    ).uri


def _sources(project: Project, record: satchel.ArtifactRecord) -> dict[str, bytes]:
    return {f.name: project.store.read_bytes(record, f.name) for f in record.files}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda files: files.pop("model.json"), "'model.json' is missing"),
        (lambda files: files.update({"extra.py": b"import os\n"}), "'extra.py' is not in the manifest"),
        (lambda files: files.update({"model.json": b'{"threshold": 99}'}), "'model.json' was changed"),
        (lambda files: files.update({"manifest.json": files["manifest.json"].replace(b'"files"', b'"files" ', 1)[:-40] + b"}"}),
         "not a model package manifest|was edited"),
    ],
    ids=["removed", "added", "changed", "manifest-edited"],
)
def test_a_tampered_package_is_refused_naming_the_file(
    project: Project, logged: satchel.ArtifactRecord, change: Any, message: str
) -> None:
    files = _sources(project, logged)
    change(files)
    uri = _rewrite(project, logged, [FileSource(name=n, data=d) for n, d in files.items()])
    with pytest.raises(IntegrityError, match=message):
        satchel.load_model(uri, store=project.store)


def test_a_manifest_rewritten_to_match_changed_files_is_caught_by_the_recorded_root_digest(
    project: Project, logged: satchel.ArtifactRecord
) -> None:
    from satchel.models.manifest import build_manifest

    files = _sources(project, logged)
    files["model.json"] = b'{"threshold": 99}'
    digests = {n: __import__("hashlib").sha256(d).hexdigest() for n, d in files.items() if n not in ("manifest.json", "checksum.txt")}
    files["manifest.json"] = json.dumps(build_manifest(digests)).encode()
    uri = _rewrite(project, logged, [FileSource(name=n, data=d) for n, d in files.items()])
    with pytest.raises(IntegrityError, match="root digest is not the one recorded"):
        satchel.load_model(uri, store=project.store)


@pytest.mark.parametrize("algorithm", ["blake3", "sha256"])
def test_a_package_kept_under_either_digest_is_checked_against_its_sha256_manifest(
    project: Project, logged: satchel.ArtifactRecord, algorithm: str
) -> None:
    files = _sources(project, logged)
    uri = _rewrite(project, logged, [FileSource(name=n, data=d) for n, d in files.items()], digest=algorithm)
    assert {algorithm} == {f.algorithm for f in project.store.get_artifact(uri).files}
    assert {"label": [0, 1]} == satchel.load_model(uri, store=project.store).predict({"X": [0.2, 0.9]})
    files["model.json"] = b'{"threshold": 99}'
    uri = _rewrite(project, logged, [FileSource(name=n, data=d) for n, d in files.items()], digest=algorithm)
    with pytest.raises(IntegrityError, match="'model.json' was changed"):
        satchel.load_model(uri, store=project.store)


def test_a_manifest_is_made_from_sha256_digests_only(project: Project) -> None:
    with pytest.raises(SatchelError, match=re.escape("the store hashed 'model.json' with blake3; store the package with digest='sha256'")):
        project.store.log_artifact(project="demo", key="m", kind="model", derive=manifest_files,
                                   files=[FileSource(name="model.json", data=b"{}")])


def test_a_corrupted_blob_is_refused_before_loading(project: Project, logged: satchel.ArtifactRecord) -> None:
    entry = next(f for f in logged.files if f.name == "model.json")
    blob = blob_file(project.store, entry)
    os.chmod(blob, 0o600)
    blob.write_bytes(b'{"threshold": 42}')
    with pytest.raises(IntegrityError, match="model.json"):
        satchel.load_model(logged.uri, store=project.store)
    with pytest.raises(IntegrityError):
        verify_model(project.store, logged)


def test_the_export_runs_without_satchel_and_refuses_a_changed_file(project: Project, logged: satchel.ArtifactRecord, tmp_path: pathlib.Path) -> None:
    folder = pathlib.Path(export_model(project.store, logged, tmp_path / "out"))
    assert folder == tmp_path / "out" / "gate" / "1.0.0"
    assert {"model.json", "requirements.txt", "predict.py", "model-card.md", "checksum.txt"} <= {p.name for p in folder.iterdir()}
    script = "from predict import predict; print(predict({'X': [0.1, 0.7]}))"
    # -I -S: no site-packages, no PYTHONPATH, no user site: satchel cannot be imported there.
    done = subprocess.run([sys.executable, "-I", "-S", "-c", "import sys; sys.path.insert(0, '.'); " + script],
                          cwd=folder, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'label': [0, 1]}"
    no_satchel = subprocess.run([sys.executable, "-I", "-S", "-c", "import satchel"], capture_output=True, text=True, check=False)
    assert no_satchel.returncode != 0
    verify_folder(str(folder))
    (folder / "model.json").write_text('{"threshold": 0.0}')
    with pytest.raises(IntegrityError, match="'model.json' was changed"):
        verify_folder(str(folder))
    tampered = subprocess.run([sys.executable, "-I", "-S", "-c", "import sys; sys.path.insert(0, '.'); " + script],
                              cwd=folder, capture_output=True, text=True, check=False)
    assert tampered.returncode != 0 and "model.json" in tampered.stderr and "changed" in tampered.stderr
    with pytest.raises(satchel.errors.SatchelError, match="already exists"):
        export_model(project.store, logged, tmp_path / "out")


def test_an_unpinned_requirement_is_a_warning_naming_it(project: Project) -> None:
    with pytest.warns(RequirementWarning, match="'pytest>=1'"):
        artifact = project.log_model("gate2", Threshold(1.0), requirements=["pytest>=1"])
    assert "pytest>=1" in artifact.record.extra["requirements"]


def test_log_model_of_an_object_no_framework_packs_says_what_to_install(project: Project) -> None:
    with pytest.raises((PackingError, satchel.errors.PackagerNotFoundError)):
        project.log_model("nothing", object())


def test_a_model_returned_by_a_handler_names_the_run_in_its_card(project: Project) -> None:
    def train(threshold: float = 0.3) -> Threshold:
        return Threshold(threshold)

    run = project.run(train, params={"threshold": 0.25}, returns=["gate"])
    record = project.store.get_artifact(run.outputs["gate"])
    card = project.store.read_bytes(record, "model-card.md").decode()
    assert f"({run.uid})" in card and "| threshold | 0.25 |" in card
