"""Signed stores: every artifact record, tag and run record signed with a key kept outside the store."""

from __future__ import annotations

import base64
import json
import secrets
import warnings
from pathlib import Path

import pytest

from satchel.artifacts import ArtifactRecord, FileSource
from satchel.errors import SatchelError, SignatureError, StoreError
from satchel.signing import Signer, signer_from_env
from satchel.store import Store
from satchel.store.paths import metadata_path, ref_path, run_path

ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")

HMAC_KEY = bytes(range(32))


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SATCHEL_SIGNING_KEY", "SATCHEL_SIGNING_KEY_FILE", "SATCHEL_VERIFY_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def url(store_url: str) -> str:
    """Where a test opens stores of its own (conftest's store_url: local and memory)."""
    return store_url


def ed25519_pair() -> tuple[Signer, Signer]:
    private = ed25519.Ed25519PrivateKey.generate()
    return Signer.ed25519_private(private), Signer.ed25519_public(private.public_key())


def log(store: Store, key: str = "model", data: bytes = b"weights") -> ArtifactRecord:
    return store.log_artifact(project="demo", key=key, kind="model", files=[FileSource(name="w.bin", data=data)],
                              instructions={"format": "raw"}, labels={"team": "a"})


def read_json(store: Store, rel: str) -> dict[str, object]:
    data = store._backend.read(rel)
    assert data is not None
    loaded: dict[str, object] = json.loads(data)
    return loaded


def write_json(store: Store, rel: str, data: object) -> None:
    store._backend.write_atomic(rel, json.dumps(data).encode())


def test_hmac_round_trip(url: str) -> None:
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as store:
        record = log(store)
        store.save_run("demo", "run1", {"name": "train", "status": "completed", "outputs": {"x": 1}})
        got = store.get_artifact("store://models/demo/model")
        assert (got.uid, got.tags, store.read_bytes(got)) == (record.uid, ["latest"], b"weights")
        assert [r.uid for r in store.list_artifacts("demo")] == [got.uid]
        assert store.get_run("demo", "run1") == {"name": "train", "status": "completed", "outputs": {"x": 1}}
        assert [r["name"] for r in store.list_runs("demo")] == ["train"]
        on_disk = read_json(store, metadata_path("demo", "model", got.uid))
        signature = on_disk["signature"]
        assert isinstance(signature, dict)
        assert (signature["alg"], signature["key_id"]) == ("hmac-sha256", Signer.hmac(HMAC_KEY).key_id)
        assert "signature" in read_json(store, run_path("demo", "run1"))
        assert store.verify() == []
        report = store.signature_report()
        assert (report.ok, report.unsigned, report.bad, report.other_key, report.problems) == (3, 0, 0, 0, 0)


def test_ed25519_round_trip_and_a_public_key_reads_but_cannot_write(url: str) -> None:
    writer_key, reader_key = ed25519_pair()
    assert (writer_key.can_sign, reader_key.can_sign, writer_key.key_id) == (True, False, reader_key.key_id)
    with Store(url, signing=writer_key) as writer:
        record = log(writer)
        writer.save_run("demo", "run1", {"name": "train"})
    with Store(url, signing=reader_key) as reader:
        got = reader.get_artifact("store://models/demo/model:latest")
        assert (got.uid, reader.read_bytes(got)) == (record.uid, b"weights")
        assert reader.get_run("demo", "run1") == {"name": "train"}
        assert len(reader.list_artifacts()) == 1
        for action in (lambda: log(reader, key="other"), lambda: reader.save_run("demo", "run2", {}),
                       lambda: reader.set_tag(got, "prod")):
            with pytest.raises(SignatureError, match="public key, which checks signatures but cannot make them"):
                action()
        assert [r.key for r in reader.list_artifacts()] == ["model"]
        assert reader.get_artifact(got.uri).tags == ["latest"]
        assert reader.verify() == []


@pytest.mark.parametrize(("field", "value"), [
    ("instructions", {"format": "pickle"}),
    ("labels", {"team": "b"}),
    ("created", "2020-01-01T00:00:00.000+00:00"),
    ("object_type", "os.system"),
    ("extra_field", 1),
])
def test_a_record_edited_after_signing_is_refused_naming_the_file(url: str, field: str, value: object) -> None:
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as store:
        record = log(store)
        rel = metadata_path("demo", "model", record.uid)
        data = read_json(store, rel)
        data[field] = value
        write_json(store, rel, data)
        with pytest.raises(SignatureError, match=f"refused the metadata {rel}.*changed after signing"):
            store.get_artifact("store://models/demo/model")
        store.reindex()
        with pytest.warns(RuntimeWarning, match="refused by the signature check"):
            assert store.list_artifacts() == []
        problems = store.verify()
        assert [(p.problem, p.file, p.actual) for p in problems if p.problem == "signature"] == [
            ("signature", rel, "bad")]
        assert store.signature_report().bad == 1


def test_an_unsigned_record_planted_into_a_signed_store_is_refused(url: str) -> None:
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as signed:
        log(signed, key="good")
    with Store(url, signing=False) as planter:
        planted = log(planter, key="planted")
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as reader:
        rel = metadata_path("demo", "planted", planted.uid)
        with pytest.raises(SignatureError, match="it is not signed"):
            reader.get_artifact("store://models/demo/planted")
        with pytest.raises(SignatureError, match=f"{rel}.*it is not signed"):
            reader.get_artifact(planted.uri)
        with pytest.warns(RuntimeWarning, match="1 version"):
            assert [r.key for r in reader.list_artifacts()] == ["good"]
        report = reader.signature_report() if reader.verify() else None
        assert report is not None
        assert (report.ok, report.unsigned) == (2, 2)  # good's record and tag; planted's record and tag


def test_another_key_is_named_as_another_key(url: str) -> None:
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as store:
        log(store)
    with Store(url, signing=Signer.hmac(b"another key of 32 bytes........")) as other, pytest.raises(
        SignatureError, match="signed with another key"
    ):
        other.get_artifact("store://models/demo/model")


def test_a_tag_moved_to_an_older_signed_version_is_refused(url: str) -> None:
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as store:
        old = log(store, data=b"v1")
        new = log(store, data=b"v2")
        rel = ref_path("demo", "model", 0, "latest")
        held = store._backend.read_ref(rel)
        assert held is not None and held.startswith(new.uid + " ")
        for planted in (held.replace(new.uid, old.uid), old.uid):
            store._backend.write_ref(rel, planted)
            with pytest.raises(SignatureError, match="the tag 'latest' of demo/model"):
                store.get_artifact("store://models/demo/model:latest")
            assert store.get_artifact(old.uri).tags == []
            assert any(p.problem == "signature" and p.file == rel for p in store.verify())
        # the exact version by uid is still there
        assert store.read_bytes(store.get_artifact(old.uri)) == b"v1"


def test_a_run_record_edited_or_planted_is_refused(url: str) -> None:
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as store:
        store.save_run("demo", "run1", {"name": "train", "result_meta": None})
        rel = run_path("demo", "run1")
        data = read_json(store, rel)
        data["result_meta"] = {"class": "os.system"}
        write_json(store, rel, data)
        with pytest.raises(SignatureError, match=f"run record {rel}.*changed after signing"):
            store.get_run("demo", "run1")
        write_json(store, run_path("demo", "run2"), {"name": "planted"})
        with pytest.raises(SignatureError, match="not signed"):
            store.get_run("demo", "run2")
        store.reindex()
        with pytest.warns(RuntimeWarning, match="run record"):
            assert store.list_runs("demo") == []


def test_an_unsigned_store_without_a_key_works_as_before(url: str) -> None:
    with Store(url) as store:
        assert store.signer is None
        record = log(store)
        store.save_run("demo", "run1", {"name": "train"})
        assert "signature" not in read_json(store, metadata_path("demo", "model", record.uid))
        assert store._backend.read_ref(ref_path("demo", "model", 0, "latest")) == record.uid
        assert "signature" not in read_json(store, run_path("demo", "run1"))
        assert store.get_artifact("store://models/demo/model").tags == ["latest"]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert len(store.list_artifacts()) == 1
        assert store.verify() == []
        report = store.signature_report()
        assert (report.key_id, report.signed_unchecked, report.unsigned) == (None, 0, 3)


def test_a_reader_without_a_key_still_reads_a_signed_store(url: str) -> None:
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as writer:
        record = log(writer)
        writer.save_run("demo", "run1", {"name": "train"})
    with Store(url) as reader:
        got = reader.get_artifact("store://models/demo/model")
        assert (got.uid, got.tags, reader.read_bytes(got)) == (record.uid, ["latest"], b"weights")
        assert [r.uid for r in reader.list_artifacts()] == [got.uid]
        assert reader.get_run("demo", "run1") == {"name": "train"}
        assert reader.list_runs() == [{"name": "train"}]
        reader.reindex()
        assert reader.verify() == []
        report = reader.signature_report()
        assert (report.key_id, report.signed_unchecked, report.problems) == (None, 3, 0)
        # an unsigned writer adds to it, and a keyed reader then refuses only that
        log(reader, key="unsigned")
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as keyed, pytest.warns(RuntimeWarning):
        assert [r.key for r in keyed.list_artifacts()] == ["model"]


def test_keys_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert signer_from_env() is None
    monkeypatch.setenv("SATCHEL_SIGNING_KEY", HMAC_KEY.hex())
    hex_signer = signer_from_env()
    monkeypatch.setenv("SATCHEL_SIGNING_KEY", base64.b64encode(HMAC_KEY).decode())
    b64_signer = signer_from_env()
    assert hex_signer is not None and b64_signer is not None
    assert hex_signer.key_id == b64_signer.key_id == Signer.hmac(HMAC_KEY).key_id
    assert Store(tmp_path / "s").signer is not None
    assert Store(tmp_path / "s", signing=False).signer is None
    monkeypatch.setenv("SATCHEL_SIGNING_KEY", "not a key!")
    with pytest.raises(SatchelError, match="neither hex nor base64"):
        signer_from_env()
    monkeypatch.delenv("SATCHEL_SIGNING_KEY")

    private = ed25519.Ed25519PrivateKey.generate()
    private_pem = tmp_path / "writer.pem"
    private_pem.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    public_pem = tmp_path / "reader.pem"
    public_pem.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                             serialization.PublicFormat.SubjectPublicKeyInfo))
    monkeypatch.setenv("SATCHEL_VERIFY_KEY_FILE", str(public_pem))
    reader = signer_from_env()
    monkeypatch.setenv("SATCHEL_SIGNING_KEY_FILE", str(private_pem))
    writer = signer_from_env()
    assert reader is not None and writer is not None
    assert (reader.algorithm, reader.can_sign, writer.can_sign, reader.key_id) == ("ed25519", False, True, writer.key_id)
    monkeypatch.setenv("SATCHEL_VERIFY_KEY_FILE", str(private_pem))
    monkeypatch.delenv("SATCHEL_SIGNING_KEY_FILE")
    with pytest.raises(SatchelError, match="names a signing key"):
        signer_from_env()
    hmac_file = tmp_path / "team.key"
    hmac_file.write_text(secrets.token_hex(32) + "\n")
    monkeypatch.delenv("SATCHEL_VERIFY_KEY_FILE")
    monkeypatch.setenv("SATCHEL_SIGNING_KEY_FILE", str(hmac_file))
    from_file = signer_from_env()
    assert from_file is not None and from_file.algorithm == "hmac-sha256"
    with pytest.raises(SatchelError, match="at least 16 bytes"):
        Signer.hmac(b"short")
    assert "key" not in repr(Signer.hmac(HMAC_KEY)).replace("key id", "")


def test_store_signing_argument_is_checked(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no key is configured"):
        Store(tmp_path / "s", signing=True)
    with pytest.raises(StoreError, match="signing must be"):
        Store(tmp_path / "s", signing="yes")  # type: ignore[arg-type]


def test_satchel_verify_reports_signature_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from satchel.cli import main

    root = tmp_path / "store"
    with Store(root, signing=Signer.hmac(HMAC_KEY)) as store:
        log(store)
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "--store", str(root)]) == 0
    out = capsys.readouterr().out
    assert "signatures: not checked (no key configured): 2 signed, 0 unsigned" in out
    monkeypatch.setattr("satchel.project._open_stores", {})  # the process's open stores: opened anew
    monkeypatch.setenv("SATCHEL_SIGNING_KEY", HMAC_KEY.hex())
    assert main(["verify", "--store", str(root)]) == 0
    assert f"signatures (key id {Signer.hmac(HMAC_KEY).key_id}): 2 signed-ok, 0 unsigned, 0 bad, 0 other-key" in (
        capsys.readouterr().out)
    with Store(root, signing=False) as planter:
        log(planter, key="planted")
    assert main(["verify", "--store", str(root), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["ok"], data["signatures"]["unsigned"], data["signatures"]["ok"]) == (False, 2, 2)
    assert {p["actual"] for p in data["problems"] if p["problem"] == "signature"} == {"unsigned"}
    assert main(["verify", "--store", str(root)]) == 1
    captured = capsys.readouterr()
    assert "the artifact record is not signed" in captured.out and "2 problem(s)" in captured.err


def test_set_tag_signs_the_tag_it_moves(url: str) -> None:
    writer_key, reader_key = ed25519_pair()
    with Store(url, signing=writer_key) as writer:
        old = log(writer, data=b"v1")
        log(writer, data=b"v2")
        writer.set_tag(old, "prod")
    with Store(url, signing=reader_key) as reader:
        got = reader.get_artifact("store://models/demo/model:prod")
        assert (got.uid, got.tags, reader.read_bytes(got)) == (old.uid, ["prod"], b"v1")
        held = reader._backend.read_ref(ref_path("demo", "model", 0, "prod"))
        assert held is not None
        # the prod tag's signature does not carry over to another tag name
        reader._backend.write_ref(ref_path("demo", "model", 0, "latest"), held)
        with pytest.raises(SignatureError, match="the tag 'latest'"):
            reader.get_artifact("store://models/demo/model:latest")


def test_listings_with_a_key_show_only_tags_whose_refs_are_signed(url: str) -> None:
    with Store(url, signing=Signer.hmac(HMAC_KEY)) as store:
        old = log(store, data=b"v1")
        new = log(store, data=b"v2")
        store.set_tag(old, "prod")
        assert {r.uid: r.tags for r in store.list_artifacts()} == {new.uid: ["latest"], old.uid: ["prod"]}
        store._backend.write_ref(ref_path("demo", "model", 0, "prod"), new.uid)  # unsigned, moved
        store.reindex()  # the index now believes the planted ref
        assert {r.uid: r.tags for r in store.list_artifacts()} == {new.uid: ["latest"], old.uid: []}
        assert store.list_artifacts(tag="prod") == []
    with Store(url) as unkeyed:  # without a key, the index's tags as before
        assert [r.uid for r in unkeyed.list_artifacts(tag="prod")] == [new.uid]
