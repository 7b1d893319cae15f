"""A third party's packager, published as its own distribution, works through its entry point alone.

The test writes two throwaway distributions, installs them with the real installer into a temporary
directory, and runs fresh interpreters that see them: discovery, priority over a built-in, the block
list, and a broken plugin that does not take the others down.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "1.2.3"

[project.entry-points.satchel]
{name} = "{target}"
"""

GOOD_MODULE = '''\
"""Packs ints as text files: a custom packager at priority 2, above the built-ins' 5."""
from satchel import Artifact, Packager


class IntAsText(Packager):
    PACKABLE_OBJECT_TYPE = int
    PRIORITY = 2
    DEFAULT_PACKING_ARTIFACT_TYPE = "file"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"

    def pack_file(self, obj, key, base=10):
        return Artifact(key=key, body=format(obj, "d" if base == 10 else "x"), file_name=key + ".txt"), {"base": base}

    def unpack_file(self, data_item, base=10):
        return int(data_item.read_text(), base)
'''

BROKEN_MODULE = 'raise ImportError("this plugin needs nonexistent_lib")\n'

PROBE = textwrap.dedent("""\
    import json, warnings
    import satchel
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        host = satchel.get_host()
        host.ensure_loaded()
    packed = host.pack(41, "answer")
    print(json.dumps({
        "plugin": packed.producer.plugin,
        "distribution": packed.producer.distribution,
        "version": packed.producer.version,
        "artifact_type": packed.artifact_type,
        "names": host.names,
        "failures": {name: f.message() for name, f in host.failures.items()},
        "warnings": [str(w.message) for w in caught],
    }))
""")


def _write_distribution(root: Path, dist: str, name: str, module: str, source: str, target: str) -> Path:
    folder = root / dist
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text(source)
    (folder / "pyproject.toml").write_text(PYPROJECT.format(dist=dist, name=name, target=target))
    return folder


def _install(target: Path, *projects: Path) -> None:
    if importlib.util.find_spec("pip") is not None:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
    elif shutil.which("uv"):
        command = ["uv", "pip", "install", "--quiet", "--no-deps", "--python", sys.executable, "--target", str(target)]
    else:
        pytest.fail("neither pip nor uv is available to install the throwaway distributions")
    subprocess.run([*command, *map(str, projects)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("third-party")
    good = _write_distribution(root, "satchel-inttext", "inttext", "satchel_inttext", GOOD_MODULE, "satchel_inttext:IntAsText")
    broken = _write_distribution(root, "satchel-broken", "broken", "satchel_broken", BROKEN_MODULE, "satchel_broken")
    target = root / "site"
    _install(target, good, broken)
    return target


def _probe(site: Path, **env: str) -> dict[str, object]:
    inherited = {k: v for k, v in os.environ.items() if k != "SATCHEL_DISABLE_PLUGINS"}
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    environment = {**inherited, "PYTHONPATH": path, **env}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=environment, check=True)
    return json.loads(out.stdout)


def test_an_installed_third_party_packager_is_discovered_and_wins_by_priority(installed: Path) -> None:
    seen = _probe(installed)
    assert ("inttext", "satchel-inttext", "1.2.3", "file") == (seen["plugin"], seen["distribution"], seen["version"], seen["artifact_type"])
    assert "inttext" in seen["names"]


def test_a_plugin_that_raises_on_import_is_reported_and_the_others_work(installed: Path) -> None:
    seen = _probe(installed)
    assert ["broken"] == list(seen["failures"])
    message = seen["failures"]["broken"]
    assert "satchel plugin 'broken' (satchel-broken 1.2.3) failed to load with satchel 0.1.0" in message
    assert "this plugin needs nonexistent_lib" in message
    assert any("'broken'" in w and "it is skipped" in w for w in seen["warnings"])
    assert {"inttext", "builtins", "pickle"} <= set(seen["names"])


def test_the_block_list_stops_a_plugin_before_it_is_imported(installed: Path) -> None:
    seen = _probe(installed, SATCHEL_DISABLE_PLUGINS="inttext,broken")
    assert ("builtins", "result", {}) == (seen["plugin"], seen["artifact_type"], seen["failures"])
    assert "inttext" not in seen["names"]
