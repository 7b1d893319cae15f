"""Wheels made by hand for tests of isolated environments, and uv pointed at them alone (offline)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import pathlib
import zipfile
from collections.abc import Iterator

import pytest

__all__ = ["make_wheel", "offline_uv"]


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
