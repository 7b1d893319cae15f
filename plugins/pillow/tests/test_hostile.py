"""Finding 6 and hostile instructions: an image is opened only with the decoders of the formats
satchel-pillow writes, and a planted format, mode, DPI or palette is an UnpackingError."""

from __future__ import annotations

import io
import pathlib
import uuid
from typing import Any

import attrs
import pytest
from PIL import Image
from pillow_strategies import images

from satchel import Artifact, Store
from satchel.artifacts import ArtifactRecord, Packed
from satchel.dataitem import DataItem
from satchel.errors import UnpackingError
from satchel.packing import log_packed, staging
from satchel.testing import check_hostile_instructions
from satchel.unpacking import unpack_local, unpack_record
from satchel_pillow import FORMATS, PillowPackager

# A minimal EPS file: enough for Pillow's EPS plugin to accept it and, on load, start Ghostscript.
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n%%EndComments\nshowpage\n%%EOF\n"


@pytest.fixture
def eps_consulted(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every time Pillow asks its EPS plugin whether it takes a file (the step before Ghostscript)."""
    Image.init()  # register every plugin, so the EPS one is there to be (not) consulted
    factory, accept = Image.OPEN["EPS"]
    asked: list[bytes] = []

    def spy(prefix: bytes) -> Any:
        asked.append(prefix)
        return accept(prefix) if accept else True

    monkeypatch.setitem(Image.OPEN, "EPS", (factory, spy))
    return asked


def _plant(store: Store, host: Any, data: bytes, file_name: str, **instructions: Any) -> ArtifactRecord:
    """A complete artifact as a store writer would make it: pillow's producer over a blob of their choice."""
    producer = host.pack(Image.new("RGB", (1, 1)), "x", "file", {}).producer
    packed = Packed(
        key="img", artifact_type="file", object_type="PIL.Image.Image", producer=producer,
        artifact=Artifact(key="img", body=data, file_name=file_name, format=instructions.get("format")),
        instructions=instructions,
    )
    with staging(store):
        return log_packed(store, "hostile", packed)


@pytest.mark.parametrize("recorded", ["eps", "EPS", "pdf", "psd", None])
def test_a_planted_eps_is_refused_without_consulting_pillows_eps_plugin(
    host: Any, store: Store, recorded: str | None, eps_consulted: list[bytes],
) -> None:
    instructions = {"format": recorded, "mode": "RGB"} if recorded else {}
    record = _plant(store, host, EPS, "img.eps", **instructions)
    with pytest.raises(UnpackingError) as raised:
        unpack_record(store, record, Image.Image, host=host)
    message = str(raised.value)
    if recorded:
        assert f"instruction 'format' is {recorded!r}, not a format satchel-pillow reads; it reads only png, jpeg" in message
    else:
        assert "cannot read the image as one of the formats satchel-pillow reads (png, jpeg, webp, bmp, tiff, gif)" in message
    assert [] == eps_consulted


def test_a_local_eps_file_is_refused_too(host: Any, tmp_path: pathlib.Path, eps_consulted: list[bytes]) -> None:
    path = tmp_path / "figure.eps"
    path.write_bytes(EPS)
    with pytest.raises(Exception, match="formats satchel-pillow reads"):
        unpack_local(DataItem.from_local_path(path), Image.Image, host=host)
    assert [] == eps_consulted


def test_an_eps_recorded_as_png_is_read_only_as_png(host: Any, store: Store, eps_consulted: list[bytes]) -> None:
    record = _plant(store, host, EPS, "img.png", format="png", mode="RGB")
    with pytest.raises(UnpackingError, match=r"^artifact 'img': cannot read the image as PNG"):
        unpack_record(store, record, Image.Image, host=host)
    assert [] == eps_consulted


def test_garbage_and_bomb_images_are_unpacking_errors(host: Any, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    record = _plant(store, host, b"\x89PNG\r\n\x1a\n garbage", "img.png", format="png", mode="RGB")
    with pytest.raises(UnpackingError, match="cannot read the image as PNG"):
        unpack_record(store, record, Image.Image, host=host)
    buffer = io.BytesIO()
    Image.new("L", (64, 64)).save(buffer, "PNG")
    bomb = _plant(store, host, buffer.getvalue(), "img.png", format="png", mode="L")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)  # 4096 pixels is now more than twice the limit
    with pytest.raises(UnpackingError, match="DecompressionBombError"):
        unpack_record(store, bomb, Image.Image, host=host)


@pytest.fixture
def png_record(host: Any, store: Store) -> ArtifactRecord:
    img = Image.new("P", (4, 4))
    img.putpalette([0, 0, 0, 255, 0, 0])
    with staging(store):
        return log_packed(store, "hostile", host.pack(img, "img", "file", {"format": "png"}))


@pytest.mark.parametrize(
    ("planted", "expected"),
    [
        ({"mode": "NOPE"}, r"instruction 'mode' is 'NOPE'; expected one of"),
        ({"mode": ["P"]}, r"instruction 'mode' is \['P'\]"),
        ({"dpi": ["a", 1]}, r"instruction 'dpi' is \['a', 1\]; expected two positive numbers"),
        ({"dpi": 300}, r"instruction 'dpi' is 300"),
        ({"dpi": [float("inf"), 1]}, r"instruction 'dpi' is \[inf, 1\]"),
        ({"palette_mode": "CMYK"}, r"instruction 'palette_mode' is 'CMYK'; expected 'RGB' or 'RGBA'"),
        ({"palette_entries": 10**12}, r"instruction 'palette_entries' is 1000000000000; expected a count from 0 to 256"),
        ({"palette_entries": "2"}, r"instruction 'palette_entries' is '2'"),
        ({"format": ["png"]}, r"instruction 'format' is \['png'\], not a format satchel-pillow reads"),
    ],
)
def test_planted_instructions_are_unpacking_errors_naming_the_artifact(
    host: Any, store: Store, png_record: ArtifactRecord, planted: dict[str, Any], expected: str,
) -> None:
    hostile = attrs.evolve(png_record, instructions={**png_record.instructions, **planted})
    with pytest.raises(UnpackingError, match=rf"^artifact 'img': {expected}"):
        unpack_record(store, hostile, Image.Image, host=host)


def test_every_format_satchel_writes_still_reads(host: Any, store: Store) -> None:
    for name in FORMATS:
        img = Image.new("RGB" if name != "gif" else "P", (3, 2))
        with staging(store):
            record = log_packed(store, "hostile", host.pack(img, f"img-{name}", "file", {"format": name}))
        assert (3, 2) == unpack_record(store, record, Image.Image, host=host).size
        local = DataItem.from_local_path(store.data_item(record).local())  # as a local input, no instructions
        assert (3, 2) == unpack_local(local, Image.Image, host=host).size


_IMAGES = images({"L", "RGB", "RGBA", "P", "I;16"}, metadata=False)


@pytest.mark.parametrize(("artifact_type", "options"), [("file", {"file": {"format": "png"}}), ("file", {"file": {"format": "tiff"}}), ("plot", None)])
def test_fuzzed_instructions_raise_only_satchels_errors(artifact_type: str, options: Any, tmp_path: pathlib.Path) -> None:
    store = Store(str(tmp_path / "store"))
    check_hostile_instructions(PillowPackager, _IMAGES, artifact_type, store, str(tmp_path / "planted"), options)
    assert not (tmp_path / "planted").exists()


def test_fuzzed_instructions_on_a_memory_store(tmp_path: pathlib.Path) -> None:
    store = Store(f"memory://pillow-hostile-{uuid.uuid4().hex}")
    check_hostile_instructions(PillowPackager, _IMAGES, "file", store, str(tmp_path / "planted"), max_examples=10)
