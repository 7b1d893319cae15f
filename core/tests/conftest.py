"""Core's tests see only the plugins they register themselves, and write only under ``tmp_path``."""

from __future__ import annotations

import contextlib
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


#: Where the store suite runs: local disk, memory://, and S3 on moto's server where s3fs and moto
#: are installed (the nox session ``s3``).
BACKENDS = ["local", "memory", *(["s3"] if s3server.available() else [])]


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


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, digest: str) -> Store:
    """Each test that takes it runs on local disk, on memory:// and, in the S3 session, on S3
    (*digest* is named here so that `pytest_generate_tests` sees it, as the store is picked by
    name)."""
    result: Store = request.getfixturevalue(f"{request.param}_store")
    return result
