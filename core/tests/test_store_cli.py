"""``satchel verify``, ``gc`` and ``reindex`` on stores that are missing, misplaced or damaged:
one line and exit 2 for a mistake, the truth about the index, and a garbage index rebuilt."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from satchel.artifacts import ArtifactRecord, FileSource
from satchel.cli import main
from satchel.store import Store


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SATCHEL_STORE", raising=False)
    monkeypatch.delenv("SATCHEL_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)


def satchel(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def logged(root: Path, count: int = 2) -> list[ArtifactRecord]:
    store = Store(root)
    records = [store.log_artifact(project="default", key=f"k{i}", kind="file",
                                  files=[FileSource(name="a.txt", data=f"{i}".encode())]) for i in range(count)]
    store.close()
    return records


def test_verify_gc_and_reindex_on_a_missing_store_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-store-here"
    for command in ("verify", "gc", "reindex"):
        code, out, err = satchel(capsys, command, "--store", str(missing))
        assert (2, "", f"satchel: error: there is no store at {missing}; give --store PATH, or run something to create it\n") == (code, out, err)
    assert not missing.exists()


@pytest.mark.parametrize("value", ["nan", "-5", "inf", "-inf"])
def test_gc_refuses_an_older_than_that_is_not_a_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    root = tmp_path / "store"
    logged(root)
    orphan = root / "objects" / "sha256" / "ab" / ("c" * 62)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"an orphan gc would take")
    code, out, err = satchel(capsys, "gc", "--store", str(root), f"--older-than={value}")
    shown = str(float(value))
    assert (2, "") == (code, out)
    assert f"satchel: error: --older-than must be a number of seconds, 0 or more (such as 3600), not {shown}\n" == err
    assert orphan.exists()


@pytest.mark.parametrize("command", [["verify"], ["gc"], ["reindex"], ["artifacts"], ["runs"]])
def test_a_store_setting_naming_a_regular_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    monkeypatch.setenv("SATCHEL_STORE", str(notes))
    code, out, err = satchel(capsys, *command)
    assert (2, "") == (code, out)
    assert f"satchel: error: the store {notes} is a file, not a folder; give the path of a folder (or of one to create)\n" == err
    assert "my notes" == notes.read_text()


def test_verify_reports_a_version_the_index_does_not_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    _first, second = logged(root)
    store = Store(root)
    with store._index().write() as tx:
        tx._db.execute("DELETE FROM artifacts WHERE uid = ?", (second.uid,))
    store.close()

    code, out, err = satchel(capsys, "verify", "--store", str(root))
    assert (1, f"satchel: 1 problem(s) in every artifact in {root}\n") == (code, err)
    assert (f"{second.uri}: not in the index, so listings miss it (its metadata "
            f"artifacts/default/k1/{second.uid}.json exists); run `satchel reindex`\n") == out
    assert (0, f"indexed 2 artifact version(s) in {root}\n") == satchel(capsys, "reindex", "--store", str(root))[:2]
    code, out, _err = satchel(capsys, "verify", "--store", str(root))
    assert (0, f"ok: every artifact in {root}: every file matches its digest, and the index lists every version as its files say\n") == (code, out)


def test_reindex_moves_a_garbage_index_aside_and_rebuilds_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    records = logged(root, 3)
    index = root / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    index.write_bytes(b"\x00garbage" * 512)

    code, out, err = satchel(capsys, "reindex", "--store", str(root))

    assert (0, f"indexed 3 artifact version(s) in {root}\n") == (code, out)
    match = re.fullmatch(
        rf"satchel: warning: the index {re.escape(str(index))} could not be read \(file is not a database\); "
        r"moved it to (\S+) and rebuilt it from the store's files\n", err)
    assert match is not None, err
    assert b"\x00garbage" * 512 == Path(match.group(1)).read_bytes()
    code, out, _err = satchel(capsys, "artifacts", "--store", str(root), "--json")
    assert 0 == code
    assert sorted(r.uri for r in records) == sorted(a["uri"] for a in json.loads(out))


def test_listing_with_a_garbage_index_works_and_says_what_it_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    logged(root, 2)
    (root / "index.sqlite").write_bytes(b"not sqlite at all" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{root / 'index.sqlite'}{suffix}").unlink(missing_ok=True)
    code, out, err = satchel(capsys, "artifacts", "--store", str(root))
    assert 0 == code
    assert 3 == len(out.strip().splitlines())  # a header and the two versions
    assert err.startswith(f"satchel: warning: the index {root / 'index.sqlite'} could not be read")
