"""A package changed after it was stored is refused, naming what changed, before anything in it is
deserialised; a skops file whose schema names a type the caller did not trust is refused by the
audit, and nothing it names is imported."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pathlib
import subprocess
import sys
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import skops.io

import satchel
from satchel.artifacts import ArtifactRecord, FileSource
from satchel.errors import IntegrityError, UnpackingError
from satchel.models.export import export_model
from satchel.models.manifest import build_manifest, checksum_text
from satchel.project import Project
from satchel.testing import blob_file

MARKER_MODULE = "satchel_planted_marker"


@pytest.fixture
def logged(project: Project, cancer: tuple[Any, ...], logistic: Any) -> ArtifactRecord:
    return project.log_model("cancer", logistic, input_example=cancer[1][:5], version="1.0.0").record


@pytest.fixture
def skops_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call into skops' reader (passed through to the real one): it must see no tampered file."""
    calls: list[str] = []
    for name in ("load", "get_untrusted_types"):
        real = getattr(skops.io, name)

        def spy(*args: Any, _real: Callable[..., Any] = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(skops.io, name, spy)
    return calls


def _files(project: Project, record: ArtifactRecord) -> dict[str, bytes]:
    return {f.name: project.store.read_bytes(record, f.name) for f in record.files}


def _rewrite(project: Project, record: ArtifactRecord, files: dict[str, bytes], *, consistent: bool = False) -> str:
    """A new version of the key written straight into the store, as someone with write access could;
    ``consistent``: with the manifest, checksums and recorded root digest redone to match."""
    extra = dict(record.extra)
    if consistent:
        digests = {n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n not in ("manifest.json", "checksum.txt")}
        manifest = build_manifest(digests)
        files = {**files, "manifest.json": json.dumps(manifest).encode(), "checksum.txt": checksum_text(digests).encode()}
        extra["root_digest"] = manifest["root_digest"]
    return project.store.log_artifact(
        project="demo", key=record.key, kind="model", files=[FileSource(name=n, data=d) for n, d in files.items()],
        producer=record.producer, artifact_type=record.artifact_type, object_type=record.object_type,
        instructions=dict(record.instructions), extra=extra, format=record.format,
    ).uri


def _edit_manifest_digest(files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["model.skops"] = "0" * 64
    files["manifest.json"] = json.dumps(manifest).encode()


def _flip_a_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda files: files.pop("model.skops"), "'model.skops' is missing"),
        (lambda files: files.pop("skops-types.json"), "'skops-types.json' is missing"),
        (lambda files: files.update({"extra.py": b"import os\n"}), "'extra.py' is not in the manifest"),
        (lambda files: files.update({"model.skops": _flip_a_byte(files["model.skops"])}), "'model.skops' was changed"),
        (lambda files: files.update({"predict.py": files["predict.py"] + b"\nimport os\n"}), "'predict.py' was changed"),
        (_edit_manifest_digest, "manifest.json was edited"),
    ],
    ids=["removed", "removed-types", "added", "changed", "changed-entrypoint", "manifest-edited"],
)
def test_a_tampered_package_is_refused_naming_the_file_and_nothing_is_loaded(
    project: Project, logged: ArtifactRecord, skops_calls: list[str], change: Callable[[dict[str, bytes]], Any], message: str,
) -> None:
    files = _files(project, logged)
    change(files)
    uri = _rewrite(project, logged, files)
    with pytest.raises(IntegrityError, match=message):
        satchel.load_model(uri, store=project.store)
    with pytest.raises(IntegrityError, match=message):
        project.get_artifact(uri).unpack()
    assert [] == skops_calls


def test_a_changed_byte_in_the_stored_blob_is_refused_before_skops_reads_it(
    project: Project, logged: ArtifactRecord, skops_calls: list[str],
) -> None:
    entry = next(f for f in logged.files if f.name == "model.skops")
    blob = blob_file(project.store, entry)
    os.chmod(blob, 0o600)
    blob.write_bytes(_flip_a_byte(blob.read_bytes()))
    with pytest.raises(IntegrityError, match="model.skops"):
        satchel.load_model(logged.uri, store=project.store)
    assert [] == skops_calls


def _planted(data: bytes, module: str, name: str) -> bytes:
    """The .skops zip with its schema's top object claiming to be ``module.name``, as skops' own tests plant one."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {member: archive.read(member) for member in archive.namelist()}
    schema = json.loads(members["schema.json"])
    schema["__module__"], schema["__class__"] = module, name
    members["schema.json"] = json.dumps(schema).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, body in members.items():
            archive.writestr(member, body)
    return out.getvalue()


@pytest.fixture
def marker(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """A module on sys.path that, if anything ever imported it, would write a marker file."""
    folder = tmp_path / "planted-modules"
    folder.mkdir()
    made = tmp_path / "marker-was-written"
    (folder / f"{MARKER_MODULE}.py").write_text(f"import pathlib\npathlib.Path({str(made)!r}).write_text('imported')\nclass Boom:\n    pass\n")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder))
    return made


@pytest.mark.parametrize(("module", "name"), [(MARKER_MODULE, "Boom"), ("os", "system"), ("builtins", "eval")])
def test_a_planted_skops_schema_is_refused_by_the_audit_and_nothing_it_names_runs(
    project: Project, logged: ArtifactRecord, marker: pathlib.Path, skops_calls: list[str], module: str, name: str,
) -> None:
    files = _files(project, logged)
    files["model.skops"] = _planted(files["model.skops"], module, name)
    # Manifest, checksums and the recorded root digest all agree: only the audit stands in the way.
    uri = _rewrite(project, logged, files, consistent=True)
    with pytest.raises(UnpackingError, match=rf"type\(s\) skops does not trust by default: .*{module}\.{name}.*nothing was loaded.*trusted_types=\["):
        satchel.load_model(uri, store=project.store)
    with pytest.raises(UnpackingError, match=rf"{module}\.{name}"):
        project.get_artifact(uri).unpack()
    assert "load" not in skops_calls and "get_untrusted_types" in skops_calls
    assert not marker.exists()
    assert MARKER_MODULE not in sys.modules


def test_the_exported_predict_py_refuses_a_planted_type_it_did_not_record(
    project: Project, logged: ArtifactRecord, marker: pathlib.Path, tmp_path: pathlib.Path,
) -> None:
    files = _files(project, logged)
    files["model.skops"] = _planted(files["model.skops"], MARKER_MODULE, "Boom")
    uri = _rewrite(project, logged, files, consistent=True)
    folder = export_model(project.store, project.store.get_artifact(uri), tmp_path / "export")
    done = subprocess.run([sys.executable, "-c", "from predict import predict; predict({'X': [[0.0] * 30]})"],
                          cwd=folder, capture_output=True, text=True, check=False)
    assert 0 != done.returncode
    assert f"types not recorded when it was packaged: ['{MARKER_MODULE}.Boom']" in done.stderr
    assert not marker.exists()
