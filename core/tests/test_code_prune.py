"""`satchel cache`: the caller's cache of extracted code and isolated environments, listed and pruned
by last use, with half-made entries of crashed processes cleared once they are a day old."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from satchel.cli import main
from satchel.code.cache import code_tree
from satchel.code.environments import MARKER
from satchel.code.prune import cache_entries, prune_cache
from satchel.project import get_or_create_project

DAY = 86400


@pytest.fixture
def project(tmp_path: Path) -> Any:
    return get_or_create_project("demo", store=str(tmp_path / "store"))


def logged(project: Any, key: str, body: str) -> Any:
    """The stored record of a code artifact logged now."""
    return project.store.get_artifact(project.log_code_file(key, body=body).uri)


def age(path: Path | str, days: float) -> None:
    when = time.time() - days * DAY
    os.utime(path, (when, when))


def environment(cache_dir: Path, name: str, days: float) -> Path:
    """An environment folder as ensure_environment leaves one: its marker written last."""
    folder = cache_dir / "envs" / name
    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "python").write_text("")
    (folder / MARKER).write_text(json.dumps({"key": name}))
    age(folder / MARKER, days)
    return folder


def test_prune_removes_what_has_not_been_used_for_the_given_days(project: Any, cache_dir: Path) -> None:
    old = Path(code_tree(project.store, logged(project, "old", "X = 1\n")).root)
    new = Path(code_tree(project.store, logged(project, "new", "X = 2\n")).root)
    old_tree = cache_dir / "code" / old.relative_to(cache_dir / "code").parts[0]
    age(old_tree, 40)
    stale_env = environment(cache_dir, "stale", 45)
    fresh_env = environment(cache_dir, "fresh", 1)

    removed = prune_cache(30)

    assert {str(old_tree), str(stale_env)} == {entry.path for entry in removed}
    assert not old_tree.exists() and not stale_env.exists()
    assert new.exists() and fresh_env.exists()
    assert {"code", "environment"} == {entry.kind for entry in removed}


def test_a_reused_tree_counts_as_used_again(project: Any, cache_dir: Path) -> None:
    record = logged(project, "k", "X = 1\n")
    root = Path(code_tree(project.store, record).root)
    tree = cache_dir / "code" / root.relative_to(cache_dir / "code").parts[0]
    age(tree, 40)
    from satchel.code import cache

    cache._checked.discard(str(tree))  # as a new process would find it
    code_tree(project.store, record)
    assert [] == prune_cache(30)
    assert tree.exists()


def test_half_made_entries_go_after_a_day_and_not_before(cache_dir: Path) -> None:
    crashed = cache_dir / "code" / ".making-0123abcd"
    building = cache_dir / "envs" / ".abc.building-x1"
    for folder in (crashed, building):
        (folder / "inside").mkdir(parents=True)
    age(crashed, 2)
    removed = prune_cache(30)
    assert [str(crashed)] == [entry.path for entry in removed]
    assert "leftover" == removed[0].kind
    assert building.exists()


def test_a_dry_run_removes_nothing_and_clear_removes_everything(project: Any, cache_dir: Path) -> None:
    tree = Path(code_tree(project.store, logged(project, "k", "X = 1\n")).root)
    env = environment(cache_dir, "e", 0)
    assert 2 == len(prune_cache(0, dry_run=True))
    assert tree.exists() and env.exists()
    assert 2 == len(prune_cache(0))
    assert [] == cache_entries()


def test_the_cli_lists_prunes_and_refuses_a_bad_age(project: Any, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code_tree(project.store, logged(project, "k", "X = 1\n"))
    environment(cache_dir, "stale", 90)
    assert 0 == main(["cache"])
    listed = capsys.readouterr().out.splitlines()
    assert ["environment", "code"] == [line.split()[0] for line in listed]  # least recently used first

    assert 0 == main(["cache", "prune", "--older-than", "60", "--dry-run"])
    out = capsys.readouterr().out
    assert "would remove environment " in out and "would remove 1 cache entry" in out and "kept 1" in out
    assert (cache_dir / "envs" / "stale").exists()

    assert 0 == main(["--json", "cache", "prune", "--older-than", "60"])
    report = json.loads(capsys.readouterr().out)
    assert ["environment"] == [entry["kind"] for entry in report["removed"]]
    assert report["bytes_removed"] > 0 and not (cache_dir / "envs" / "stale").exists()

    assert 2 == main(["cache", "prune", "--older-than", "-1"])
    assert "--older-than must be a number of days, 0 or more (such as 30), not -1.0" in capsys.readouterr().err
