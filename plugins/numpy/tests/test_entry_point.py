"""The installed distribution's entry points load, are discovered, win for NumPy types, and import no NumPy."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import numpy as np

from satchel.plugins import PluginHost

ENTRY_POINTS = {
    "numpy": "satchel_numpy:NumpyArrayPackager",
    "numpy-scalars": "satchel_numpy:NumpyScalarPackager",
}


def test_entry_points_are_declared_by_the_installed_distribution() -> None:
    found = {ep.name: ep for ep in entry_points(group="satchel") if ep.name in ENTRY_POINTS}
    assert {name: ep.value for name, ep in found.items()} == ENTRY_POINTS
    for ep in found.values():
        assert ep.dist is not None
        assert ep.dist.metadata["Name"] == "satchel-numpy"


def test_real_discovery_lists_and_selects_both_packagers() -> None:
    host = PluginHost()
    assert {"numpy", "numpy-scalars"} <= set(host.names)
    infos = {info.name: info for info in host.infos()}
    for name in ENTRY_POINTS:
        assert infos[name].distribution == "satchel-numpy"
        assert infos[name].error is None
    assert host.select_packer(np.ndarray).name == "numpy"
    assert host.select_packer(np.memmap).name == "numpy"
    assert host.select_packer(np.float32).name == "numpy-scalars"
    assert host.select_packer(np.ndarray, "file").name == "numpy"
    packed = host.pack(np.arange(3), "x")
    assert (packed.producer.plugin, packed.producer.distribution) == ("numpy", "satchel-numpy")


def test_discovery_does_not_import_numpy() -> None:
    code = (
        "import satchel.plugins as p, sys; h = p.PluginHost(); h.ensure_loaded(); "
        "assert {'numpy', 'numpy-scalars'} <= set(h.names), h.names; "
        "h.infos(); "
        "assert 'numpy' not in sys.modules, 'discovery imported numpy'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
