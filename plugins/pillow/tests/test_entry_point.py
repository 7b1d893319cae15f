"""The installed distribution's entry point: discovered, selected for images, and light to load."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from PIL import Image

import satchel
from satchel.plugins import PluginHost


def test_entry_point_is_declared() -> None:
    found = {ep.name: ep for ep in entry_points(group="satchel")}
    assert found["pillow"].value == "satchel_pillow:PillowPackager"
    assert found["pillow"].dist is not None and found["pillow"].dist.metadata["Name"] == "satchel-pillow"


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


def test_discovery_does_not_import_pillow() -> None:
    code = (
        "import satchel.plugins as p; h = p.PluginHost(); h.ensure_loaded(); import sys; "
        "assert 'pillow' in h.names, h.names; assert 'PIL' not in sys.modules, 'PIL was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
