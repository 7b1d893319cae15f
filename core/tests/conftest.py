"""Core's tests see only the plugins they register themselves, and write only under ``tmp_path``."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pathlib
import uuid
from collections.abc import Iterator

import fsspec
import pytest
import s3server

from satchel.host import PluginHost, set_host
from satchel.store import Store
from satchel.store.hashing import ALGORITHMS, DEFAULT_ALGORITHM, DIGEST_ENV
from satchel.testing import isolated_host, load_hypothesis_profile, temp_dir_in_tmp_path  # noqa: F401 - registers the autouse fixture

load_hypothesis_profile()


@pytest.fixture(autouse=True)
def host() -> Iterator[PluginHost]:
    """A process-wide host with core's built-ins only, replaced for every test."""
    fresh = isolated_host()
    previous = set_host(fresh)
    try:
        yield fresh
    finally:
        set_host(previous)



@pytest.fixture(autouse=True)
def user_settings(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """The caller's user config file: none unless a test writes one (never the machine's own)."""
    path = tmp_path / "user-config" / "config.toml"
    monkeypatch.setenv("SATCHEL_CONFIG", str(path))
    monkeypatch.delenv("SATCHEL_ALLOW_PICKLE", raising=False)
    monkeypatch.delenv(DIGEST_ENV, raising=False)
    return path


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """satchel's cache (extracted code, environments) for this test alone, under tmp_path."""
    path = tmp_path / "satchel-cache"
    monkeypatch.setenv("SATCHEL_CACHE_DIR", str(path))
    return path


# The store's own tests run with every digest a store names its blobs by; elsewhere the digest
# changes nothing a test looks at, so they run with the default alone.
_EVERY_DIGEST = ("test_store", "test_hostile_paths")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "digest" in metafunc.fixturenames:
        every = metafunc.module.__name__.startswith(_EVERY_DIGEST)
        metafunc.parametrize("digest", ALGORITHMS if every else (DEFAULT_ALGORITHM,), indirect=True)


@pytest.fixture
def digest(request: pytest.FixtureRequest) -> str:
    """The digest the store fixtures hash with (see `pytest_generate_tests`)."""
    value: str = request.param
    return value


@pytest.fixture
def local_store(tmp_path: pathlib.Path, digest: str) -> Iterator[Store]:
    """A store on local disk under tmp_path."""
    store = Store(tmp_path / "store", digest=digest)
    yield store
    store.close()


@contextlib.contextmanager
def memory_url(prefix: str = "satchel-test") -> Iterator[str]:
    """A fresh ``memory://`` store URL, its files removed afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex}"
    try:
        yield f"memory://{name}"
    finally:
        fs = fsspec.filesystem("memory")
        if fs.exists(f"/{name}"):
            fs.rm(f"/{name}", recursive=True)


@pytest.fixture
def memory_store(digest: str) -> Iterator[Store]:
    """A store on fsspec's memory filesystem, removed afterwards."""
    with memory_url() as url:
        store = Store(url, digest=digest)
        yield store
        store.close()


#: Where tests that open stores of their own run: local disk, memory://, and S3 on moto's server
#: (the nox session ``s3``; left out where s3fs or moto is missing).
BACKENDS = ["local", "memory", pytest.param("s3", marks=pytest.mark.s3)]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on loopback, one for the session."""
    with s3server.moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_url(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``s3://<a new bucket>/store`` on moto's server; every bucket is forgotten afterwards."""
    for name, value in {**s3server.CREDENTIALS, "AWS_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    try:
        yield f"s3://{s3server.new_bucket(s3_endpoint)}/store"
    finally:
        s3server.reset(s3_endpoint)


@pytest.fixture
def s3_store(s3_url: str, digest: str) -> Iterator[Store]:
    """A store in an S3 bucket on moto's server."""
    store = Store(s3_url, digest=digest)
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[str]:
    """Where a test opens stores of its own: a folder under tmp_path, a memory:// URL, and an S3
    bucket where the S3 session runs."""
    if request.param == "local":
        yield str(tmp_path / "store")
        return
    if request.param == "s3":
        yield request.getfixturevalue("s3_url")
        return
    with memory_url() as url:
        yield url


_STORES = [
    "local", "memory", pytest.param("s3", marks=pytest.mark.s3),
    *(pytest.param(f"{name}+postgres", marks=pytest.mark.postgres) for name in ("local", "memory")),
    pytest.param("s3+postgres", marks=[pytest.mark.s3, pytest.mark.postgres]),
]


@pytest.fixture(params=_STORES)
def store(request: pytest.FixtureRequest, digest: str) -> Iterator[Store]:
    """Each test that takes it runs on local disk, on memory:// and on S3 (moto's server), and on
    each of those with its index in a PostgreSQL catalog (*digest* is named here so that
    `pytest_generate_tests` sees it, as the store is picked by name). The S3 and PostgreSQL ones
    run in the `s3` and `scale` nox sessions."""
    where, _plus, catalog = request.param.partition("+")
    if not catalog:
        result: Store = request.getfixturevalue(f"{where}_store")
        yield result
        return
    url = request.getfixturevalue("catalog_url")
    with contextlib.ExitStack() as stack:
        if where == "local":
            root = str(request.getfixturevalue("tmp_path") / "store")
        elif where == "s3":
            root = request.getfixturevalue("s3_url")
        else:
            root = stack.enter_context(memory_url())
        with Store(root, digest=digest, catalog=url) as opened:
            yield opened


# -- PostgreSQL: one throwaway server per session, one schema per test -------------------------

_EXTRA = "is not installed (the `scale` nox session installs it)"


def _not_runnable(marker: str) -> str | None:
    """Why the tests with *marker* cannot run here, if they cannot."""
    if marker == "postgres":
        if importlib.util.find_spec("sqlalchemy") is None or importlib.util.find_spec("psycopg") is None:
            return f"satchel[postgres] {_EXTRA}"
        from pgserver import MISSING, find_binaries

        if find_binaries() is None and not os.environ.get("CI"):  # under CI they run, and fail, saying so
            return MISSING
    if marker == "cluster" and importlib.util.find_spec("distributed") is None:
        return f"satchel[dask] {_EXTRA}"
    if marker == "s3" and not s3server.available():
        return "satchel[s3] and moto[server] are not installed (the `s3` nox session installs them)"
    return None


_left_out: dict[str, tuple[int, str]] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests needing a backend that is not here are left out, and the summary says so in one line."""
    reasons = {marker: _not_runnable(marker) for marker in ("postgres", "cluster", "s3")}
    kept, dropped = [], []
    for item in items:
        why = next((reasons[m.name] for m in item.iter_markers() if reasons.get(m.name)), None)
        if why is None:
            kept.append(item)
        else:
            dropped.append(item)
            count, _ = _left_out.get(why, (0, why))
            _left_out[why] = (count + 1, why)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for count, why in _left_out.values():
        terminalreporter.write_line(f"{count} tests of S3, the PostgreSQL catalog or the Dask cluster not run: {why}")


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A PostgreSQL server on a loopback port for the whole session (see pgserver.py).

    The tests that need it are left out where satchel[postgres] or the server binaries are missing
    (`pytest_collection_modifyitems`); under CI=true missing binaries are a failure, here.
    """
    pytest.importorskip("sqlalchemy", reason="satchel[postgres] is not installed (the `scale` nox session installs it)")
    pytest.importorskip("psycopg", reason="satchel[postgres] is not installed (the `scale` nox session installs it)")
    from pgserver import MISSING, find_binaries, postgres_server

    binaries = find_binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail(MISSING + " (CI=true: .ci/run installs them)", pytrace=False)
        pytest.skip(MISSING)
    with postgres_server(tmp_path_factory.mktemp("postgres"), binaries) as server:
        yield server


@pytest.fixture
def catalog_url(postgres: object) -> Iterator[str]:
    """A PostgreSQL catalog URL of this test's own (an empty schema, dropped afterwards)."""
    from pgserver import PostgresServer

    assert isinstance(postgres, PostgresServer)
    name, url = postgres.new_schema()
    try:
        yield url
    finally:
        postgres.drop_schema(name)
