"""Requirement strings: parse them, merge a function's with its code artifact's, check them against the
running environment, and key a set for the environment built for it."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import shlex
import sys
from collections.abc import Iterable, Sequence

import attrs
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from satchel._version import __version__
from satchel.errors import RequirementsError

__all__ = [
    "RequirementProblem",
    "check_requirements",
    "merge_requirements",
    "parse_requirements",
    "require",
    "requirements_key",
]

_EXAMPLE = '"pandas>=2.0"'


@attrs.frozen
class RequirementProblem:
    """One requirement the running environment does not satisfy: what is wanted, what is installed."""

    requirement: str
    name: str
    installed: str | None
    reason: str

    def __str__(self) -> str:
        return f"{self.requirement}: {self.reason}"


def parse_requirements(items: Iterable[str] | None, what: str) -> list[str]:
    """``items`` as normalized requirement strings, in their order; None is none.

    ``what`` names their owner in messages ("function 'train'"). A malformed requirement, a non-string
    or two requirements naming one distribution (unless both have markers) is a :class:`RequirementsError`.
    """
    if items is None:
        return []
    if isinstance(items, str | bytes):
        raise RequirementsError(
            f"{what}: requirements are a list of strings like [{_EXAMPLE}], not the single string {items!r}"
        )
    seen: dict[str, tuple[str, bool]] = {}
    parsed: list[str] = []
    for item in items:
        requirement = _parse(item, what)
        name = canonicalize_name(requirement.name)
        marked = requirement.marker is not None
        earlier = seen.get(name)
        # "numpy<2; python_version<'3.12'" beside "numpy>=2; python_version>='3.12'" is one choice per interpreter.
        if earlier is not None and not (marked and earlier[1]):
            raise RequirementsError(f"{what}: {earlier[0]!r} and {item!r} both name {name}; keep one of them")
        seen[name] = (item, marked)
        parsed.append(str(requirement))
    return parsed


def merge_requirements(own: Sequence[str], artifact: Sequence[str]) -> list[str]:
    """A function's own requirements, then its code artifact's for the distributions it does not name.

    The function's win, by canonical name: ``Pandas>=2`` of its own replaces the artifact's ``pandas==1.5``.
    """
    mine = parse_requirements(own, "the function's requirements")
    named = {_name(text) for text in mine}
    theirs = parse_requirements(artifact, "the code artifact's requirements")
    return mine + [text for text in theirs if _name(text) not in named]


def check_requirements(requirements: Sequence[str]) -> list[RequirementProblem]:
    """What the running environment lacks of ``requirements``, in their order.

    A requirement whose marker is false for this interpreter is skipped; a pre-release satisfies a
    specifier that contains it. For ``name[extra]`` only the base distribution is checked, not what the
    extra pulls in; a direct reference (``name @ url``) is satisfied by any installed version.
    """
    problems: list[RequirementProblem] = []
    for text in parse_requirements(requirements, "the requirements to check"):
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(RequirementProblem(text, name, None, "not installed"))
            continue
        if not requirement.specifier:
            continue
        try:
            version = Version(installed)
        except InvalidVersion:
            problems.append(RequirementProblem(text, name, installed, f"installed {installed}, not a comparable version"))
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(RequirementProblem(text, name, installed, f"installed {installed}"))
    return problems


def require(requirements: Sequence[str], what: str) -> None:
    """Raise :class:`RequirementsError` listing every requirement of ``what`` the running environment lacks."""
    problems = check_requirements(parse_requirements(requirements, what))
    if not problems:
        return
    lines = "\n".join(f"  {problem}" for problem in problems)
    wanted = " ".join(shlex.quote(problem.requirement) for problem in problems)
    raise RequirementsError(
        f"{what} needs what this environment does not have:\n{lines}\n"
        f"Install them (pip install {wanted}), or run with env=\"isolated\" (--env isolated on the command "
        "line) to get an environment built for exactly this set."
    )


def requirements_key(requirements: Sequence[str]) -> str:
    """The hex digest naming the environment built for ``requirements`` from this interpreter and satchel.

    The same set in any order or letter case gives the same key; any change to it gives another. The
    interpreter's prefix is part of it, so two host virtual environments never share one.
    """
    identity = {
        "requirements": sorted(_canonical(text) for text in parse_requirements(requirements, "the requirement set")),
        "implementation": sys.implementation.name,
        "python": platform.python_version(),
        "platform": sys.platform,
        "machine": platform.machine(),
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "satchel": __version__,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def _parse(item: object, what: str) -> Requirement:
    if not isinstance(item, str):
        raise RequirementsError(
            f"{what}: a requirement is a string like {_EXAMPLE}, not {type(item).__name__} {item!r}"
        )
    try:
        return Requirement(item)
    except InvalidRequirement as error:
        raise RequirementsError(
            f"{what}: requirement {item!r} is malformed: {error}\nWrite one like {_EXAMPLE}."
        ) from error


def _name(text: str) -> str:
    return canonicalize_name(Requirement(text).name)


def _canonical(text: str) -> str:
    """``text`` with its distribution and extra names canonical, so letter case and separators do not count."""
    requirement = Requirement(text)
    requirement.name = canonicalize_name(requirement.name)
    requirement.extras = {canonicalize_name(extra) for extra in requirement.extras}
    return str(requirement)
