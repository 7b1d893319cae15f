"""Wheels and installed distributions made by hand: for tests of isolated environments (with uv
pointed at them alone, offline), and of plugin discovery (a plugin installed in a folder or a zip)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import pathlib
import zipfile
from collections.abc import Iterator, Mapping

import pytest

__all__ = ["install_plugin", "make_wheel", "offline_uv", "zip_folder"]


def make_wheel(folder: pathlib.Path, version: str, name: str = "tinydep") -> pathlib.Path:
    """``<name>-<version>-py3-none-any.whl``: one module, ``<name>.VALUE == version``."""
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": f'VALUE = "{version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: satchel-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for member, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for member, text in files.items():
            wheel.writestr(member, text)
        wheel.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


@contextlib.contextmanager
def offline_uv(factory: pytest.TempPathFactory, versions: tuple[str, ...] = ("1.0", "2.0")) -> Iterator[pathlib.Path]:
    """uv finds tinydep's ``versions`` in a local folder only, never the network or the machine's uv config."""
    wheels = factory.mktemp("wheels")
    for version in versions:
        make_wheel(wheels, version)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("UV_FIND_LINKS", str(wheels))
        patch.setenv("UV_NO_INDEX", "1")
        patch.setenv("UV_OFFLINE", "1")
        patch.setenv("UV_NO_CONFIG", "1")
        patch.setenv("UV_CACHE_DIR", str(factory.mktemp("uv-cache")))
        patch.setenv("TMPDIR", str(factory.mktemp("uv-temp")))
        yield wheels


def install_plugin(
    site: pathlib.Path, name: str, version: str, entry_points: Mapping[str, str], files: Mapping[str, str]
) -> pathlib.Path:
    """An installed distribution ``name`` in ``site``, as pip leaves one: its ``files`` (path: text) and a
    ``.dist-info`` folder declaring ``entry_points`` ({entry point name: target}) in the ``satchel``
    group. Returns the ``entry_points.txt`` path."""
    for member, text in files.items():
        path = site / member
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    declared = info / "entry_points.txt"
    declared.write_text("[satchel]\n" + "".join(f"{key} = {target}\n" for key, target in entry_points.items()))
    return declared


def zip_folder(folder: pathlib.Path, path: pathlib.Path) -> pathlib.Path:
    """``folder``'s files in a zip file at ``path``, for putting on ``sys.path``."""
    with zipfile.ZipFile(path, "w") as archive:
        for member in sorted(folder.rglob("*")):
            if member.is_file():
                archive.write(member, member.relative_to(folder).as_posix())
    return path
