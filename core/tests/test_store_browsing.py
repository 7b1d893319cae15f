"""The store's listing queries the UI pages with: offsets, key search, run filters, runs that used a
version, and the projects there are; all from the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from satchel.artifacts import FileSource
from satchel.errors import StoreError
from satchel.store import Store


@pytest.fixture
def filled(store: Store) -> Store:
    """Every kind of store (local, memory://, S3; with and without a PostgreSQL catalog), filled."""
    for key in ("alpha", "a_b", "axb", "a-100", "beta"):
        store.log_artifact(project="p", key=key, kind="file", files=[FileSource("x", data=key.encode())])
    store.log_artifact(project="q", key="other", kind="dataset", files=[FileSource("x", data=b"q")])
    return store


def keys(records: list) -> list[str]:  # type: ignore[type-arg]
    return [record.key for record in records]


def test_offset_pages_through_the_newest_first_listing(filled: Store) -> None:
    everything = keys(filled.list_artifacts("p"))
    assert ["beta", "a-100", "axb", "a_b", "alpha"] == everything
    assert everything[:2] == keys(filled.list_artifacts("p", limit=2))
    assert everything[2:4] == keys(filled.list_artifacts("p", limit=2, offset=2))
    assert everything[4:] == keys(filled.list_artifacts("p", offset=4))
    assert [] == filled.list_artifacts("p", limit=2, offset=50)


def test_search_matches_part_of_a_key_and_wildcards_are_literal(filled: Store) -> None:
    assert ["a-100", "a_b"] == sorted(keys(filled.list_artifacts("p", search="a")))[:2]
    assert ["a_b"] == keys(filled.list_artifacts("p", search="_"))  # not LIKE's any-character
    assert [] == filled.list_artifacts("p", search="%")
    assert ["beta"] == keys(filled.list_artifacts(search="et"))
    assert ["other"] == keys(filled.list_artifacts(search="th", kind="dataset"))


@pytest.mark.parametrize(("options", "message"), [
    ({"offset": -1}, "offset must be a whole number"),
    ({"limit": 1.5}, "limit must be a whole number"),
    ({"search": "x" * 201}, "search must be text of at most 200"),
])
def test_bad_listing_options_say_what_is_expected(filled: Store, options: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(StoreError, match=message):
        filled.list_artifacts("p", **options)


def test_runs_filter_by_status_and_name_and_page(filled: Store) -> None:
    for number, (name, status) in enumerate([("train", "completed"), ("train_b", "failed"), ("eval", "completed")]):
        uid = f"{number:032d}"
        filled.save_run("p", uid, {"uid": uid, "name": name, "status": status, "start": f"2026-01-0{number + 1}"})
    assert ["eval", "train_b", "train"] == [r["name"] for r in filled.list_runs("p")]
    assert ["train_b"] == [r["name"] for r in filled.list_runs("p", status="failed")]
    assert ["train_b", "train"] == [r["name"] for r in filled.list_runs("p", name="rain")]
    assert ["train_b"] == [r["name"] for r in filled.list_runs("p", name="_")]
    assert ["train_b"] == [r["name"] for r in filled.list_runs("p", 1, offset=1)]
    with pytest.raises(StoreError, match="offset must be a whole number"):
        filled.list_runs("p", offset=-3)


def test_runs_using_finds_the_runs_that_took_a_version_as_an_input(filled: Store) -> None:
    (alpha,) = filled.list_artifacts("p", key="alpha")
    (beta,) = filled.list_artifacts("p", key="beta")
    filled.save_run("p", "1" * 32, {"uid": "1" * 32, "inputs": {"x": alpha.uri}})
    filled.save_run("p", "2" * 32, {"uid": "2" * 32, "inputs": {"xs": [beta.uri, alpha.uri]}})
    filled.save_run("p", "3" * 32, {"uid": "3" * 32, "outputs": {"y": alpha.uri}})  # made it, did not take it
    filled.save_run("p", "4" * 32, {"uid": "4" * 32, "labels": {"note": f"@{alpha.uid}"}})  # only mentions it
    assert {"1" * 32, "2" * 32} == {run["uid"] for run in filled.runs_using("p", alpha.uid)}
    assert ["2" * 32] == [run["uid"] for run in filled.runs_using("p", beta.uid)]
    assert [] == filled.runs_using("q", alpha.uid)


def test_the_projects_are_those_with_artifacts_or_runs(filled: Store, tmp_path: Path) -> None:
    filled.save_run("r", "9" * 32, {"uid": "9" * 32})
    assert ["p", "q", "r"] == filled.list_projects()
    assert [] == Store(tmp_path / "nothing").list_projects()
    assert not (tmp_path / "nothing").exists()
