"""The installed distribution's entry point: discovered, selected for images, and light to load."""

from __future__ import annotations

from PIL import Image

import satchel
from satchel import PluginHost
from satchel.testing import EntryPointContract


class TestEntryPoint(EntryPointContract):
    distribution = "satchel-pillow"
    entry_points = {"pillow": "satchel_pillow.packagers:PillowPackager"}
    heavy_modules = ("PIL", "numpy")


def test_real_discovery_lists_and_selects_the_plugin() -> None:
    host = PluginHost()
    assert "pillow" in host.names
    info = next(i for i in host.infos() if i.name == "pillow")
    assert (info.distribution, info.types, info.error) == ("satchel-pillow", ["PIL.Image.Image"], None)
    assert (info.default_packing_artifact_type, info.default_unpacking_artifact_type) == ("plot", "file")
    img = Image.new("RGB", (4, 4))
    packed = host.pack(img, "img")
    packed.clear()
    assert (packed.producer.plugin, packed.producer.distribution, packed.artifact_type) == ("pillow", "satchel-pillow", "plot")
    frames = satchel.pack_outputs([img, img], "*frames : file[format=png]", host=host)
    assert [(p.key, p.producer.plugin) for p in frames] == [("frames-0", "pillow"), ("frames-1", "pillow")]
    for one in frames:
        one.clear()
