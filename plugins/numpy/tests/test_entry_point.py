"""The installed distribution's entry points load, are discovered, win for NumPy types, and import no NumPy."""

from __future__ import annotations

import numpy as np

from satchel import PluginHost
from satchel.testing import EntryPointContract

ENTRY_POINTS = {
    "numpy": "satchel_numpy.packagers:NumpyArrayPackager",
    "numpy-scalars": "satchel_numpy.packagers:NumpyScalarPackager",
}


class TestEntryPoints(EntryPointContract):
    distribution = "satchel-numpy"
    entry_points = ENTRY_POINTS
    heavy_modules = ("numpy",)


def test_real_discovery_lists_and_selects_both_packagers() -> None:
    host = PluginHost()
    assert {"numpy", "numpy-scalars"} <= set(host.names)
    infos = {info.name: info for info in host.infos()}
    for name in ENTRY_POINTS:
        assert infos[name].distribution == "satchel-numpy"
        assert infos[name].error is None
    assert "numpy" == host.select_packer(np.ndarray)
    assert "numpy" == host.select_packer(np.memmap)
    assert "numpy-scalars" == host.select_packer(np.float32)
    assert "numpy" == host.select_packer(np.ndarray, "file")
    packed = host.pack(np.arange(3), "x")
    assert (packed.producer.plugin, packed.producer.distribution) == ("numpy", "satchel-numpy")
