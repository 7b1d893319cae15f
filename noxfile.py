"""Test sessions: core alone, each plugin alone with core, everything together, the scale-out
backends (S3, catalog, cluster), lint, types and the docs site."""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["core", "plugin", "everything", "s3", "scale", "lint", "typecheck", "docs"]
nox.options.error_on_missing_interpreters = True

# CI runs the thorough Hypothesis profile; local runs the fast one unless told otherwise.
HYPOTHESIS_PROFILE = os.environ.get("SATCHEL_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")


def _env() -> dict[str, str]:
    return {"SATCHEL_HYPOTHESIS_PROFILE": HYPOTHESIS_PROFILE}


@nox.session
def core(session: nox.Session) -> None:
    """Core's own suite, with no plugin installed."""
    session.install("-e", "core[test]")
    session.run("pytest", "core/tests", *session.posargs, env=_env())


@nox.session
@nox.parametrize("name", PLUGINS, ids=PLUGINS)
def plugin(session: nox.Session, name: str) -> None:
    """One plugin with core only: its entry point is discovered from the installed distribution."""
    session.install("-e", "core[test]", "-e", f"plugins/{name}[test]")
    session.run("satchel", "plugins", env=_env())
    session.run("pytest", f"plugins/{name}/tests", *session.posargs, env=_env())


@nox.session
def everything(session: nox.Session) -> None:
    """Every distribution installed together: core's suite again, plus the cross-distribution tests."""
    session.install("-e", "core[test]", *[f"-e./plugins/{name}[test]" for name in PLUGINS])
    session.run("pytest", "core/tests", "tests", *session.posargs, env=_env())


@nox.session
def s3(session: nox.Session) -> None:
    """The store suite again on S3 (moto's server on loopback, started by the tests), with and
    without a PostgreSQL catalog, plus S3's own tests."""
    session.install("-e", "core[test,s3,postgres]", "moto[server,s3]>=5.0.20")
    session.run("pytest", "core/tests", "-m", "s3", *session.posargs, env=_env())


@nox.session
def scale(session: nox.Session) -> None:
    """Core with satchel[postgres,dask]: the store suite again with a PostgreSQL catalog (a throwaway
    server the tests start), the catalog's own tests, and runs on a LocalCluster of worker processes.
    Without the PostgreSQL server binaries these fail under CI=true (`.ci/run` installs them), and
    elsewhere are left out, the summary saying so in one line."""
    session.install("-e", "core[test,postgres,dask]")
    session.run("pytest", "core/tests", "-m", "postgres or cluster", *session.posargs, env=_env())


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", "core", "plugins", "tests", "benchmarks", "docs", "noxfile.py", "dev.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on core (with the optional backends installed, so their calls are checked too)."""
    session.install("mypy>=1.10", "types-PyYAML", "-e", "core[test,postgres,dask]")
    session.run("mypy", "core/src/satchel")


# mkdocstrings reads the docstrings from core/src statically: the site needs no satchel installed.
DOCS_REQUIREMENTS = ("mkdocs>=1.6,<2", "mkdocstrings[python]>=1.0,<2", "ruff>=0.6")  # ruff lays out signatures


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site from docs/ (mkdocs.yml), built strictly: a broken link, a page left out
    of the nav or a reference that does not resolve fails it. The pages' Python runs in core's tests."""
    session.install(*DOCS_REQUIREMENTS)
    site = os.path.join(session.create_tmp(), "site")
    session.run("mkdocs", "build", "--strict", "--site-dir", site, *session.posargs)
    session.log(f"the site is in {site}")


@nox.session
def demo(session: nox.Session) -> None:
    """The README's demo: two handlers on the embedded store in ./.satchel."""
    session.install("-e", "core", *[f"-e./plugins/{name}" for name in PLUGINS])
    session.run("python", "examples/demo.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark in benchmarks/, printing ratios against the plain library calls (bench_scale.py
    starts a PostgreSQL server of its own: it needs the server binaries)."""
    session.install("-e", "core[postgres,dask]", *[f"-e./plugins/{name}" for name in PLUGINS])
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)

