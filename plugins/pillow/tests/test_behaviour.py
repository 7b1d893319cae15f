"""What users see: opened files pack without being touched, frames bundle, the seed tutorial works."""
# ruff: noqa: A002 - the seed tutorial's packager below is kept as written, `format` parameter and all

from __future__ import annotations

import contextlib
import os
import tempfile
from io import BytesIO
from typing import Any

import pytest
from PIL import Image, ImageSequence
from pillow_strategies import assert_same_image

import satchel
from satchel import Store
from satchel.errors import PackingError, UnpackingError
from satchel.packing import log_packed
from satchel.testing import isolated_host
from satchel.unpacking import unpack_record


def store_and_load(host: Any, store: Store, packed: Any) -> Any:
    record = log_packed(store, "tests", packed)
    return record, unpack_record(store, record, Image.Image, host=host)


def gradient(size: tuple[int, int] = (64, 48)) -> Image.Image:
    return Image.merge("RGB", [Image.linear_gradient("L").rotate(a).resize(size) for a in (0, 90, 180)])


# -- Images opened from files (PACK_SUBCLASSES) ---------------------------------------------------


@pytest.mark.parametrize(("fmt", "hint"), [("JPEG", "photo"), ("PNG", "photo : file[format=png]"), ("GIF", "photo : file[format=gif]")])
def test_opened_files_pack_and_are_left_as_they_were(host: Any, store: Store, tmp_path: Any, fmt: str, hint: str) -> None:
    """JpegImageFile, PngImageFile, GifImageFile: packed by this plugin, lazily opened or not,
    and the caller's object gets no encoder state, no changed info, and keeps working."""
    source = gradient().convert("P") if fmt == "GIF" else gradient()
    path = tmp_path / f"in.{fmt.lower()}"
    source.save(path, format=fmt)
    with Image.open(path) as opened:
        assert type(opened) is not Image.Image
        winner = host.explain(opened).winner
        assert winner is not None and winner.plugin == "pillow"
        info_before = dict(opened.info)
        packed = satchel.pack(opened, hint, host=host)
        assert packed.producer.plugin == "pillow"
        assert not hasattr(opened, "encoderinfo")
        assert opened.info == info_before
        _record, restored = store_and_load(host, store, packed)
        assert_same_image(opened, restored, metadata=("dpi", "transparency"))
        assert type(restored) is Image.Image


def test_packing_leaves_an_in_memory_image_untouched(host: Any) -> None:
    img = gradient().convert("P")
    img.info["transparency"] = 3
    img.info["dpi"] = (72, 72)
    before = (img.tobytes(), img.getpalette(), dict(img.info), sorted(vars(img)))
    for hint in ("k", "k : file[format=png]", "k : file[format=gif]", "k : file[format=tiff, compression=lzw]"):
        # TIFF cannot hold the transparent colour: refused before anything is written.
        with contextlib.suppress(PackingError):
            satchel.pack(img, hint, host=host).clear()
    assert (img.tobytes(), img.getpalette(), dict(img.info), sorted(vars(img))) == before


# -- Asked for as an array ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "hint"),
    [("RGB", "img"), ("RGBA", "img : file[format=png]"), ("L", "img : file[format=tiff]"),
     ("P", "img : file[format=gif]"), ("I;16", "img : file[format=png]")],
)
def test_an_image_asked_for_as_a_numpy_array_arrives_as_its_pixels(host: Any, store: Store, mode: str, hint: str) -> None:
    """np.asarray of the stored image: (height, width[, bands]) in the mode's dtype; palette indices for P."""
    np = pytest.importorskip("numpy")
    img = gradient((5, 3)).convert(mode) if mode != "I;16" else gradient((5, 3)).convert("L").convert("I;16")
    record, _ = store_and_load(host, store, satchel.pack(img, hint, host=host))
    array = unpack_record(store, record, np.ndarray, host=host)
    assert np.ndarray is type(array)
    assert np.array_equal(np.asarray(img), array)
    assert (np.asarray(img).dtype, array.shape[:2]) == (array.dtype, (3, 5))


def test_an_image_asked_for_as_another_type_is_an_error_not_a_silent_conversion(host: Any, store: Store) -> None:
    np = pytest.importorskip("numpy")
    record, _ = store_and_load(host, store, satchel.pack(gradient(), "img", host=host))
    with pytest.raises(UnpackingError, match=r"holds a PIL.Image.Image, packed by 'pillow', but the type hint asks for numpy.memmap"):
        unpack_record(store, record, np.memmap, host=host)


# -- Frames -------------------------------------------------------------------------------------


def test_star_key_bundles_a_list_into_one_artifact_per_image(host: Any, store: Store) -> None:
    """Core unbundles `*frames` into frames-0, frames-1, ...; each image is packed by this plugin."""
    img1, img2 = gradient(), gradient((20, 10)).convert("L")
    packed = satchel.pack_outputs([img1, img2], "*frames : file[format=png]", host=host)
    assert [p.key for p in packed] == ["frames-0", "frames-1"]
    assert [p.producer.plugin for p in packed] == ["pillow", "pillow"]
    assert [(p.artifact_type, p.artifact.format) for p in packed] == [("file", "png"), ("file", "png")]
    for original, one in zip([img1, img2], packed, strict=True):
        record, restored = store_and_load(host, store, one)
        assert record.files[0].name == f"{one.key}.png"
        assert_same_image(original, restored)


def test_star_key_with_a_count_and_the_default_type(host: Any) -> None:
    packed = satchel.pack_outputs((gradient(), gradient()), "2*shots", host=host)
    assert [(p.key, p.artifact_type) for p in packed] == [("shots-0", "plot"), ("shots-1", "plot")]
    for one in packed:
        one.clear()


def _animation(path: str) -> None:
    frames = [Image.new("P", (8, 8), i) for i in range(3)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)


def test_a_multi_frame_image_is_refused_and_the_error_shows_how_to_bundle(host: Any, tmp_path: Any) -> None:
    path = str(tmp_path / "anim.gif")
    _animation(path)
    with Image.open(path) as anim:
        for hint in ("anim", "anim : plot", "anim : file[format=gif]"):
            with pytest.raises(PackingError, match=r"'anim' is an image with 3 frames") as raised:
                satchel.pack(anim, hint, host=host)
            assert "'*anim' hint" in str(raised.value)
        frames = [frame.copy() for frame in ImageSequence.Iterator(anim)]
    # Pillow reads GIF frames after the first as RGB, so they go to PNG, not back to GIF.
    packed = satchel.pack_outputs(frames, "*anim : file[format=png]", host=host)
    assert [p.key for p in packed] == ["anim-0", "anim-1", "anim-2"]
    for one in packed:
        one.clear()


# -- The seed tutorial's pack-only packager -------------------------------------------------------
# Copied from the MLRun "pack-only tutorial" (seeds/001) as it is written there. Only the imports
# changed: mlrun.artifacts / mlrun.package.utils -> satchel, DefaultPackager -> satchel.Packager.

from satchel import Artifact, ArtifactType, PlotArtifact  # noqa: E402
from satchel import Packager as DefaultPackager  # noqa: E402


class PILImagePackager(DefaultPackager):
    """
    A custom packager for PIL Image objects.

    Supports two artifact types:
    - ``file``  — saves the image to disk in the requested format (default PNG).
    - ``plot``  — embeds the image as a base64 inline preview (PlotArtifact).
    """

    PACKABLE_OBJECT_TYPE = Image.Image
    PACK_SUBCLASSES = True  # also handle Image subclasses
    DEFAULT_PACKING_ARTIFACT_TYPE = ArtifactType.PLOT

    def pack_file(
        self,
        obj: Image.Image,
        key: str,
        format: str = "png",
    ) -> tuple[Artifact, dict]:
        """
        Save the image to a temporary file and return a file Artifact.

        :param obj:    The PIL Image to pack.
        :param key:    The artifact key.
        :param format: Image format — ``png``, ``jpeg``, ``bmp``, etc.

        :returns: The artifact and unpacking instructions.
        """
        # Create a temp directory and save the image
        temp_dir = tempfile.mkdtemp()
        file_path = os.path.join(temp_dir, f"{key}.{format}")
        obj.save(file_path, format=format.upper())

        # Mark for cleanup after upload
        self.add_future_clearing_path(temp_dir)

        artifact = Artifact(key=key, src_path=file_path)
        instructions = {"format": format}
        return artifact, instructions

    def pack_plot(
        self,
        obj: Image.Image,
        key: str,
    ) -> tuple[PlotArtifact, dict]:
        """
        Create a PlotArtifact with the image embedded as PNG bytes for
        inline preview in the MLRun UI.

        :param obj: The PIL Image to pack.
        :param key: The artifact key.

        :returns: The plot artifact and unpacking instructions.
        """
        buf = BytesIO()
        obj.save(buf, format="PNG")
        png_bytes = buf.getvalue()

        artifact = PlotArtifact(key=key, body=png_bytes, title=key)
        return artifact, {}


def _generate_gradient(width: int = 256, height: int = 256) -> Image.Image:
    """The tutorial's handler, verbatim but for its name."""
    img = Image.new("RGB", (width, height))
    for x in range(width):
        for y in range(height):
            r = int(255 * x / width)
            g = int(255 * y / height)
            img.putpixel((x, y), (r, g, 50))
    return img


def test_seed_tutorial_packager_registers_and_packs_plot_and_jpeg_file(store: Store) -> None:
    host = isolated_host(("pil-image", PILImagePackager))
    assert "pil-image" in host.names
    gradient_img = _generate_gradient(128, 128)

    plot = satchel.pack(gradient_img, "gradient", host=host)  # no artifact type: the default, plot
    assert (plot.producer.plugin, plot.artifact_type, plot.artifact.kind) == ("pil-image", "plot", "plot")
    plot_record = log_packed(store, "tutorial", plot)
    png = Image.open(BytesIO(store.read_bytes(plot_record)))
    assert (png.format, png.size, plot_record.files[0].name) == ("PNG", (128, 128), "gradient.png")

    jpeg = satchel.pack(gradient_img, "gradient : file[format=jpeg]", host=host)
    assert (jpeg.producer.plugin, jpeg.artifact_type, jpeg.instructions) == ("pil-image", "file", {"format": "jpeg"})
    jpeg_record = log_packed(store, "tutorial", jpeg)
    assert jpeg_record.files[0].name == "gradient.jpeg"
    assert Image.open(BytesIO(store.read_bytes(jpeg_record))).format == "JPEG"
    assert not os.path.exists(os.path.dirname(jpeg.artifact.src_path))  # its temp dir was cleared
