"""Virtual environments built with uv for one requirement set, cached by its key, with satchel linked in.

An environment lives at ``<cache>/<key>/`` and is complete once its marker file is there (written last,
before the folder is renamed into place). satchel reaches it without network: a shim folder in the
environment links the caller's satchel, its dependencies and its plugins (not the plugins' own
libraries, which come from the requirement set), behind the environment's own packages on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from satchel.code.requirements import parse_requirements, requirements_key
from satchel.errors import EnvironmentBuildError
from satchel.settings import cache_dir

__all__ = ["DEFAULT_UV_TIMEOUT", "MARKER", "UV_TIMEOUT_ENV", "Environment", "ensure_environment", "find_uv", "uv_timeout"]

#: The file that makes an environment folder complete.
MARKER = "satchel-env.json"
SHIM = "satchel-shim"
PLUGIN_GROUP = "satchel"
_UV_TAIL = 40
#: The environment variable that bounds how long one uv command may run, in seconds.
UV_TIMEOUT_ENV = "SATCHEL_UV_TIMEOUT"
DEFAULT_UV_TIMEOUT = 1800.0
# Variables that would put the caller's own packages in front of the environment's.
_CALLER_PATHS = ("PYTHONPATH", "PYTHONHOME")
_CHECK = "import importlib.metadata, satchel; importlib.metadata.version('satchel')"


@attrs.frozen
class Environment:
    """A virtual environment built for ``requirements``; ``built`` is True when this call built it."""

    key: str
    path: str
    python: str
    requirements: tuple[str, ...]
    built: bool

    def run_module(
        self,
        module: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``<python> -m <module> <args>`` in this environment, stdout and stderr captured as text.

        ``env`` None is the caller's environment without PYTHONPATH and PYTHONHOME; as ``python -m``
        does, the working folder comes first on ``sys.path``.
        """
        if env is None:
            env = {name: value for name, value in os.environ.items() if name not in _CALLER_PATHS}
        return subprocess.run(
            [self.python, "-m", module, *args],
            env=env, cwd=cwd, timeout=timeout, capture_output=True, text=True, check=False,
        )


def find_uv() -> str:
    """The uv executable: ``uv`` on PATH, else the one the ``uv`` Python package ships."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        import uv  # the optional extra satchel[isolated], looked for only when uv is not on PATH

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        pass
    raise EnvironmentBuildError(
        "isolated environments are built with uv, and uv is not installed: "
        "pip install 'satchel[isolated]', or put uv on PATH"
    )


def ensure_environment(
    requirements: Sequence[str],
    *,
    cache: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> Environment:
    """The environment for ``requirements``, reused from ``cache`` (``cache_dir("envs")``) or built with uv.

    uv reads the caller's own configuration (UV_INDEX_URL, UV_FIND_LINKS, UV_OFFLINE, UV_CACHE_DIR,
    uv.toml …). ``announce`` is told in plain words what happens. An environment linked to other satchel
    distributions than the caller's (a plugin installed, upgraded or removed since) is built again.
    """
    wanted = tuple(parse_requirements(requirements, "the isolated environment's requirements"))
    uv_timeout()  # a bad setting is refused before anything is made
    key = requirements_key(wanted)
    root = cache if cache is not None else cache_dir("envs")
    final = os.path.join(root, key)
    say = announce if announce is not None else _silent
    shim = _shim_distributions()
    signature = _signature(shim)

    marker = _read_marker(final)
    if marker is not None and _current(final, marker, signature):
        say(f"reusing the isolated environment {key} built {marker.get('created', 'earlier')}: {final}")
        with contextlib.suppress(OSError):  # its last use, for `satchel cache prune`
            os.utime(os.path.join(final, MARKER))
        return Environment(key, final, _python(final), wanted, built=False)
    if marker is not None:
        say(f"the isolated environment {key} links other satchel packages than this interpreter has; building it again")

    listed = ", ".join(wanted) if wanted else "nothing beyond satchel"
    say(f"building an isolated environment for {len(wanted)} requirement(s) with uv: {listed}")
    os.makedirs(root, exist_ok=True)
    building = tempfile.mkdtemp(prefix=f".{key}.building-", dir=root)
    try:
        _build(building, final, key, wanted, shim, signature)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return _move_into_place(building, final, key, wanted, signature, say)


def _silent(message: str) -> None:
    """The default ``announce``: say nothing."""


def _python(venv: str) -> str:
    return os.path.join(venv, "Scripts", "python.exe") if os.name == "nt" else os.path.join(venv, "bin", "python")


def _build(
    building: str,
    final: str,
    key: str,
    wanted: tuple[str, ...],
    shim: list[importlib.metadata.Distribution],
    signature: dict[str, str],
) -> None:
    """A complete environment in ``building``, its marker naming ``final``, where it is going to live."""
    uv = find_uv()
    _uv(wanted, uv, "venv", "--relocatable", "--python", sys.executable, building)
    python = _python(building)
    if wanted:
        _uv(wanted, uv, "pip install", "--python", python, *wanted)
    try:
        _link_shim(building, shim)
    except OSError as error:
        raise EnvironmentBuildError(
            f"could not link satchel into the isolated environment for {_listed(wanted)}: {error}"
        ) from error
    check = subprocess.run([python, "-I", "-c", _CHECK], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise EnvironmentBuildError(
            f"the isolated environment for {_listed(wanted)} cannot import satchel "
            f"(linked from {', '.join(signature)}):\n{_tail(check.stderr)}"
        )
    marker = {
        "key": key,
        "requirements": list(wanted),
        "python": _python(final),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "shim": signature,
    }
    written = os.path.join(building, MARKER + ".tmp")
    with open(written, "w", encoding="utf-8") as handle:
        json.dump(marker, handle, indent=2, sort_keys=True)
    os.replace(written, os.path.join(building, MARKER))


def uv_timeout() -> float:
    """Seconds one uv command may take (``$SATCHEL_UV_TIMEOUT``, default 1800: a slow index or a
    big build must not hang a run forever)."""
    text = os.environ.get(UV_TIMEOUT_ENV, "")
    if not text:
        return DEFAULT_UV_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise EnvironmentBuildError(
            f"${UV_TIMEOUT_ENV} is {text!r}; give a number of seconds above 0 (the default is "
            f"{DEFAULT_UV_TIMEOUT:.0f})"
        )
    return seconds


def _uv(wanted: tuple[str, ...], uv: str, command: str, *args: str) -> None:
    """Run ``uv <command> <args>`` with the caller's environment, so uv's own settings apply."""
    timeout = uv_timeout()
    try:
        done = subprocess.run([uv, *command.split(), *args], capture_output=True, text=True, check=False,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise EnvironmentBuildError(
            f"uv took more than {timeout:g} s to build the isolated environment for {_listed(wanted)} "
            f"(`uv {command}`) and was stopped; nothing was kept. Check the index is reachable, or "
            f"allow more time with ${UV_TIMEOUT_ENV}"
        ) from None
    except OSError as error:
        raise EnvironmentBuildError(f"could not run uv ({uv}): {error}") from error
    if done.returncode != 0:
        raise EnvironmentBuildError(
            f"uv could not build an isolated environment for {_listed(wanted)} "
            f"(`uv {command}` exited with {done.returncode}):\n{_tail(done.stderr)}\n"
            "Check the names and versions, and uv's index settings (UV_INDEX_URL, UV_FIND_LINKS, UV_OFFLINE)."
        )


def _listed(wanted: tuple[str, ...]) -> str:
    return ", ".join(wanted) if wanted else "no requirements"


def _tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-_UV_TAIL:])


def _move_into_place(
    building: str,
    final: str,
    key: str,
    wanted: tuple[str, ...],
    signature: dict[str, str],
    say: Callable[[str], None],
) -> Environment:
    try:
        os.rename(building, final)
    except OSError:  # another process finished first, or a folder without a current marker is in the way
        theirs = _read_marker(final)
        if theirs is not None and _current(final, theirs, signature):
            shutil.rmtree(building, ignore_errors=True)
            say(f"another process built the isolated environment {key} first; using theirs")
            return Environment(key, final, _python(final), wanted, built=False)
        _discard(final)
        os.rename(building, final)
    return Environment(key, final, _python(final), wanted, built=True)


def _discard(folder: str) -> None:
    """Remove ``folder``, first renaming it aside so nothing half-removed is ever at its name."""
    aside = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}.discarded-", dir=os.path.dirname(folder))
    with contextlib.suppress(FileNotFoundError):
        os.replace(folder, os.path.join(aside, "old"))
    shutil.rmtree(aside, ignore_errors=True)


def _read_marker(folder: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(folder, MARKER), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _current(folder: str, marker: Mapping[str, Any], signature: Mapping[str, str]) -> bool:
    """Whether the environment in ``folder`` links the satchel distributions installed here, and they are there."""
    if marker.get("shim") != signature or not os.path.exists(_python(folder)):
        return False
    shim = os.path.join(folder, SHIM)
    try:
        links = os.listdir(shim)
    except OSError:
        return False
    return all(os.path.exists(os.path.join(shim, name)) for name in links)


def _shim_distributions() -> list[importlib.metadata.Distribution]:
    """satchel, what it needs (recursively, markers evaluated here, no extras) and every distribution
    with entry points in the "satchel" group; not what the plugins need."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = ["satchel"]
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if name == "satchel":
                raise EnvironmentBuildError(
                    "satchel is not installed as a distribution here (pip install satchel, or pip install -e core "
                    "from a checkout), so an isolated environment cannot be given it"
                ) from None
            continue  # a missing dependency: the import check after the build says what broke
        found[name] = dist
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    for entry in importlib.metadata.entry_points(group=PLUGIN_GROUP):
        if entry.dist is not None:
            found.setdefault(canonicalize_name(entry.dist.name), entry.dist)
    return [found[name] for name in sorted(found)]


def _signature(shim: list[importlib.metadata.Distribution]) -> dict[str, str]:
    return {canonicalize_name(dist.name): dist.version for dist in shim}


def _link_shim(venv: str, shim: list[importlib.metadata.Distribution]) -> None:
    """Link each distribution's import packages and metadata folder into ``<venv>/satchel-shim``, and list
    that folder in a ``.pth`` file, so it comes after the environment's own site-packages."""
    folder = os.path.join(venv, SHIM)
    os.mkdir(folder)
    for dist in shim:
        for name in _import_names(dist):
            _link_package(folder, name, dist)
        metadata = _metadata_folder(dist)
        if metadata is not None:
            _link(metadata, os.path.join(folder, os.path.basename(metadata)))
    site_packages = sysconfig.get_path("purelib", "venv", vars={"base": venv, "platbase": venv})
    # Relative to site-packages, so the line stays right when the folder is renamed into place.
    with open(os.path.join(site_packages, "satchel-shim.pth"), "w", encoding="utf-8") as handle:
        handle.write(os.path.relpath(folder, site_packages) + "\n")


def _import_names(dist: importlib.metadata.Distribution) -> list[str]:
    """The top-level names ``dist`` installs: its ``top_level.txt``, else the first parts of its files."""
    listed = dist.read_text("top_level.txt")
    if listed:
        return sorted({line.strip().replace("\\", "/").split("/")[0] for line in listed.splitlines() if line.strip()})
    names: set[str] = set()
    for file in dist.files or ():
        first = file.parts[0]
        if first in ("..", "__pycache__") or first.endswith((".dist-info", ".egg-info", ".data", ".pth")):
            continue
        if len(file.parts) > 1:
            names.add(first)
        elif first.endswith((".py", ".so", ".pyd")):
            names.add(first.split(".")[0])
    return sorted(names)


def _link_package(folder: str, name: str, dist: importlib.metadata.Distribution) -> None:
    """Link where ``name`` really lives (an editable install's source folder too) into ``folder``."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return
    if spec is None or spec.origin in ("built-in", "frozen"):
        return
    if spec.submodule_search_locations is None:  # a module: one file
        if spec.origin is not None:
            _link(spec.origin, os.path.join(folder, os.path.basename(spec.origin)))
        return
    if spec.origin is not None:  # a regular package
        _link(os.path.dirname(spec.origin), os.path.join(folder, name))
        return
    # A namespace package spread over several folders: a real folder holding this distribution's parts.
    parts = {file.parts[1] for file in dist.files or () if len(file.parts) > 1 and file.parts[0] == name}
    parts.discard("__pycache__")
    target = os.path.join(folder, name)
    os.makedirs(target, exist_ok=True)
    for location in spec.submodule_search_locations:
        for part in sorted(parts):
            source = os.path.join(location, part)
            if os.path.exists(source):
                _link(source, os.path.join(target, part))


def _metadata_folder(dist: importlib.metadata.Distribution) -> str | None:
    """The ``.dist-info`` (or ``.egg-info``) folder of ``dist``."""
    for file in dist.files or ():
        if file.parts and file.parts[0].endswith((".dist-info", ".egg-info")):
            return str(dist.locate_file(file.parts[0]))
    path = getattr(dist, "_path", None)  # a distribution without a RECORD still knows its folder
    return str(path) if path is not None else None


def _link(source: str, link: str) -> None:
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(source), link)
