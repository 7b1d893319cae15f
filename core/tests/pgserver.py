"""A throwaway PostgreSQL server for tests and benchmarks: a cluster initialised in a folder,
listening on a free loopback port, run as an unprivileged user, stopped afterwards."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["MISSING", "PostgresServer", "find_binaries", "postgres_server"]

MISSING = (
    "PostgreSQL's server binaries (initdb, pg_ctl, postgres) are not installed: "
    "apt-get install postgresql (Debian/Ubuntu), or put them on PATH"
)


def find_binaries() -> str | None:
    """The folder holding initdb, pg_ctl and postgres: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return os.path.dirname(os.path.realpath(found))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    return os.path.dirname(versions[-1]) if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unprivileged() -> pwd.struct_passwd | None:
    """The user to run the server as when this process is root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root, and there is neither a 'postgres' nor a 'nobody' user to run PostgreSQL as")


class PostgresServer:
    """A running server: ``url(database)`` for SQLAlchemy, ``new_schema()`` for an isolated catalog."""

    def __init__(self, port: int, user: str) -> None:
        self.port = port
        self.user = user

    def url(self, database: str = "postgres", *, schema: str | None = None) -> str:
        options = f"?options=-csearch_path%3D{schema}" if schema else ""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}{options}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}", autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # the tests' own fixed statements

    def new_schema(self) -> tuple[str, str]:
        """A fresh schema in the ``postgres`` database: (its name, a catalog URL searching it)."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.execute(f"CREATE SCHEMA {name}")
        return name, self.url(schema=name)

    def drop_schema(self, name: str) -> None:
        self.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@contextlib.contextmanager
def postgres_server(folder: Path, binaries: str) -> Iterator[PostgresServer]:
    """Initialise a cluster in *folder*, start it on a free loopback port, stop it afterwards.

    As root, the server runs as ``postgres`` (else ``nobody``): *folder* is given to that user, and
    the folders above it are made traversable (not readable) for it.
    """
    data, sockets, log = folder / "data", folder / "sockets", folder / "server.log"
    sockets.mkdir(parents=True)
    user = _unprivileged()
    prefix: list[str] = []
    if user is not None:
        for path in (folder, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
        parent = folder.parent
        while parent != parent.parent:  # root's 0700 pytest folders: let the server's user pass through
            mode = parent.stat().st_mode
            if parent.stat().st_uid == 0 and not mode & 0o001:
                parent.chmod(mode | 0o011)
            parent = parent.parent
        prefix = ["runuser", "-u", user.pw_name, "--"]
    initdb, pg_ctl = os.path.join(binaries, "initdb"), os.path.join(binaries, "pg_ctl")
    subprocess.run([*prefix, initdb, "-D", str(data), "-U", "satchel", "--auth=trust", "-E", "UTF8",
                    "--locale=C", "--no-sync"], check=True, capture_output=True)
    port = _free_port()
    options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=400")
    started = subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"],
                             capture_output=True, text=True)
    if started.returncode != 0:
        detail = log.read_text() if log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{detail[-2000:]}")
    try:
        yield PostgresServer(port, "satchel")
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
