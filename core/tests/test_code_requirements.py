"""Requirement strings: parsed with a useful message, merged with the function's own winning, checked
against this environment, and keyed stably."""

from __future__ import annotations

import importlib.metadata
import pathlib
import re

import pytest

from satchel.code.requirements import (
    RequirementProblem,
    check_requirements,
    merge_requirements,
    parse_requirements,
    require,
    requirements_key,
)
from satchel.errors import RequirementsError

PYTEST_VERSION = importlib.metadata.version("pytest")


@pytest.fixture
def prerelease_installed(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A distribution ``tinypre 2.0rc1`` visible to importlib.metadata for this test only."""
    site = tmp_path / "site"
    info = site / "tinypre-2.0rc1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinypre\nVersion: 2.0rc1\n")
    monkeypatch.syspath_prepend(str(site))
    return "2.0rc1"


def test_parse_returns_normalized_strings_in_order() -> None:
    assert ["pandas>=2.0", "numpy<3,>=1.26", 'tomli; python_version < "3.11"'] == parse_requirements(
        ["pandas >= 2.0", "numpy>=1.26,<3", "tomli ; python_version<'3.11'"], "function 'train'"
    )


def test_parse_of_none_is_no_requirements() -> None:
    assert [] == parse_requirements(None, "function 'train'")


def test_a_malformed_requirement_shows_it_packagings_reason_and_a_right_one() -> None:
    with pytest.raises(RequirementsError) as caught:
        parse_requirements(["numpy", "pandas=2"], "function 'train'")
    message = str(caught.value)
    assert message.startswith("function 'train': requirement 'pandas=2' is malformed: Expected")
    assert 'Write one like "pandas>=2.0".' in message


def test_a_requirement_that_is_not_a_string_names_its_type() -> None:
    with pytest.raises(RequirementsError, match=r"a requirement is a string like \"pandas>=2.0\", not int 3"):
        parse_requirements(["numpy", 3], "function 'train'")  # type: ignore[list-item]


def test_a_single_string_is_not_taken_for_a_list() -> None:
    with pytest.raises(RequirementsError, match=r"not the single string 'pandas'"):
        parse_requirements("pandas", "function 'train'")


def test_two_requirements_for_one_distribution_are_named_both() -> None:
    with pytest.raises(RequirementsError) as caught:
        parse_requirements(["Pandas>=2", "numpy", "pandas==1.5"], "function 'train'")
    assert "function 'train': 'Pandas>=2' and 'pandas==1.5' both name pandas; keep one of them" == str(caught.value)


def test_one_distribution_may_be_asked_for_per_interpreter_with_markers() -> None:
    both = ['numpy<2; python_version < "3.12"', 'numpy>=2; python_version >= "3.12"']
    assert both == parse_requirements(both, "function 'train'")


def test_merge_puts_the_functions_own_first_and_they_win_whatever_the_case() -> None:
    merged = merge_requirements(["Pandas>=2", "scikit_learn"], ["pandas==1.5", "numpy", "Scikit-Learn<1"])
    assert ["Pandas>=2", "scikit_learn", "numpy"] == merged


def test_merge_of_nothing_is_nothing() -> None:
    assert [] == merge_requirements([], [])


def test_a_satisfied_requirement_is_no_problem() -> None:
    assert [] == check_requirements(["pytest>=1"])


def test_a_mismatch_shows_the_installed_version() -> None:
    assert [RequirementProblem("pytest<1", "pytest", PYTEST_VERSION, f"installed {PYTEST_VERSION}")] == check_requirements(
        ["pytest<1"]
    )


def test_a_missing_distribution_is_not_installed() -> None:
    assert [RequirementProblem("tinydep==1.0", "tinydep", None, "not installed")] == check_requirements(["tinydep==1.0"])


def test_a_requirement_whose_marker_is_false_here_is_skipped() -> None:
    assert [] == check_requirements(['tinydep==1.0; python_version < "3"'])


def test_a_prerelease_satisfies_a_specifier_that_contains_it(prerelease_installed: str) -> None:
    assert [] == check_requirements(["tinypre>=1.0"])
    assert ["installed 2.0rc1"] == [problem.reason for problem in check_requirements(["tinypre<2.0rc1"])]


def test_extras_are_checked_on_the_base_distribution(prerelease_installed: str) -> None:
    assert [] == check_requirements(["tinypre[fast]>=1.0"])


def test_require_lists_every_problem_and_what_to_do() -> None:
    with pytest.raises(RequirementsError) as caught:
        require(["pytest<1", "attrs>=1", "tinydep==1.0"], "function 'train'")
    lines = str(caught.value).splitlines()
    assert [
        "function 'train' needs what this environment does not have:",
        f"  pytest<1: installed {PYTEST_VERSION}",
        "  tinydep==1.0: not installed",
    ] == lines[:3]
    assert "pip install 'pytest<1' tinydep==1.0" in lines[3]
    assert 'env="isolated"' in lines[3]
    assert "--env isolated" in lines[3]


def test_require_is_quiet_when_everything_is_there() -> None:
    require(["pytest>=1", 'tinydep==1.0; python_version < "3"'], "function 'train'")


def test_require_refuses_a_malformed_requirement_naming_its_owner() -> None:
    with pytest.raises(RequirementsError, match=r"^function 'train': requirement 'pytest>' is malformed"):
        require(["pytest>"], "function 'train'")


def test_requirements_key_is_a_sha256_hex_digest() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", requirements_key(["pandas>=2.0"]))


def test_requirements_key_ignores_order_case_and_spelling() -> None:
    assert requirements_key(["pandas>=2.0", "Scikit_Learn[Alldeps]<2"]) == requirements_key(
        ["scikit-learn[alldeps] < 2", "Pandas >= 2.0"]
    )


def test_requirements_key_changes_with_the_set() -> None:
    keys = {
        requirements_key(requirements)
        for requirements in ([], ["tinydep==1.0"], ["tinydep==2.0"], ["tinydep==1.0", "numpy"], ["tinydep[x]==1.0"])
    }
    assert 5 == len(keys)
