"""Plots: the default artifact type, a PNG with a thumbnail preview small enough for listings."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from PIL import Image
from pillow_strategies import assert_same_image, images

from satchel import parse_log_hint
from satchel.errors import PackingError
from satchel.testing import isolated_host
from satchel_pillow import FORMATS, PillowPackager
from satchel_pillow._formats import PLOT_MODES

ALL_MODES = sorted(FORMATS["tiff"].modes | {"La", "RGBa", "RGBX", "HSV", "I;16L", "I;16N"})
PREVIEW_LIMIT = 16 * 1024


def pack(host: Any, img: Image.Image, hint: str = "img") -> Any:
    parsed = parse_log_hint(hint)
    packed = host.pack(img, parsed.key, parsed.artifact_type, parsed.options)
    packed.clear()
    return packed


def unpack_plot(host: Any, packed: Any, directory: Path) -> Image.Image:
    """Unpack a packed plot from its own files copied into ``directory`` (no store), then remove them."""
    from satchel import DataItem

    try:
        item = DataItem.from_packed(packed, str(directory))
        return host.unpack(item, producer=packed.producer, artifact_type="plot", instructions=packed.instructions)
    finally:
        packed.clear()
        shutil.rmtree(directory, ignore_errors=True)


def thumbnail(preview: dict[str, Any]) -> Image.Image:
    header, _, data = preview["thumbnail"].partition(",")
    assert header in ("data:image/png;base64", "data:image/jpeg;base64", "data:image/webp;base64")
    img = Image.open(io.BytesIO(base64.b64decode(data)))
    img.load()
    return img


def test_plot_is_the_default_and_stores_a_png(host: Any) -> None:
    img = Image.new("RGB", (300, 200), (200, 10, 10))
    packed = pack(host, img, "gradient")
    assert (packed.artifact_type, packed.artifact.kind, packed.artifact.format) == ("plot", "plot", "png")
    assert packed.artifact.title == "gradient"
    assert packed.instructions == {"format": "png", "mode": "RGB"}


def test_plot_title_is_an_option(host: Any) -> None:
    packed = pack(host, Image.new("L", (3, 3)), "g : plot[title='A gradient']")
    assert packed.artifact.title == "A gradient"
    assert packed.artifact.extra_metadata() == {"title": "A gradient"}


@given(images(ALL_MODES, metadata=False))
def test_preview_is_a_small_thumbnail_every_listing_can_show(img: Image.Image) -> None:
    """At most 128 px a side, same aspect ratio, a browser-viewable mode, the whole preview < 16 KiB."""
    host = isolated_host(("pillow", PillowPackager))
    hints = ["img : plot"] + ["img : file[format=tiff]"] * (img.mode in FORMATS["tiff"].modes)
    for hint in hints:
        preview = pack(host, img, hint).artifact.preview
        assert len(json.dumps(preview)) < PREVIEW_LIMIT
        assert (preview["width"], preview["height"], preview["mode"]) == (*img.size, img.mode)
        small = thumbnail(preview)
        assert small.mode in ("L", "LA", "RGB", "RGBA")
        assert max(small.size) <= 128
        scale = max(small.size) / max(img.size)
        assert scale <= 1  # small images are not blown up
        for thumb_side, side in zip(small.size, img.size, strict=True):  # the aspect ratio is kept
            assert abs(thumb_side - max(1.0, side * scale)) <= 1


@pytest.mark.parametrize("size", [(4096, 4096), (5000, 3), (3, 5000), (1, 1)])
def test_preview_of_extreme_sizes(host: Any, size: tuple[int, int]) -> None:
    noise = Image.effect_noise(size, 100).convert("RGB") if min(size) > 1 else Image.new("RGB", size)
    preview = pack(host, noise, "n : file[format=bmp]").artifact.preview
    assert len(json.dumps(preview)) < PREVIEW_LIMIT
    small = thumbnail(preview)
    assert max(small.size) <= 128
    assert min(small.size) >= 1


def test_noisy_preview_falls_back_to_a_lossy_thumbnail(host: Any) -> None:
    noise = Image.effect_noise((256, 256), 120).convert("RGBA")
    preview = pack(host, noise).artifact.preview
    assert preview["thumbnail"].startswith(("data:image/webp;base64,", "data:image/jpeg;base64,"))
    assert len(json.dumps(preview)) < PREVIEW_LIMIT


@given(images(sorted(PLOT_MODES), transparency=True, rgba_palettes=True))
def test_plot_round_trips_exactly_for_the_modes_png_holds(host: Any, unpack_dir: Path, img: Image.Image) -> None:
    packed = host.pack(img, "img", "plot", {})
    restored = unpack_plot(host, packed, unpack_dir)
    assert "source_mode" not in packed.instructions
    assert_same_image(img, restored)


@pytest.mark.parametrize(
    ("mode", "shown"),
    [("CMYK", "RGB"), ("YCbCr", "RGB"), ("HSV", "RGB"), ("RGBX", "RGB"), ("LAB", "L"), ("PA", "RGBA"),
     ("La", "LA"), ("RGBa", "RGBA"), ("I", "L"), ("F", "L"), ("I;16B", "L")],
)
def test_plot_renders_modes_png_cannot_hold_and_says_so(host: Any, unpack_dir: Path, mode: str, shown: str) -> None:
    """A plot is for looking at: CMYK becomes RGB, float and 32-bit values are stretched onto 0..255.
    The record says which mode was rendered; with no hint such images are stored as TIFF files."""
    img = Image.new(mode, (6, 4))
    if mode == "PA":
        img.putpalette([255, 0, 0] * 256)
    packed = host.pack(img, "img", "plot", {})
    restored = unpack_plot(host, packed, unpack_dir)
    assert packed.instructions == {"format": "png", "mode": shown, "source_mode": mode}
    assert restored.mode == shown
    if mode in FORMATS["tiff"].modes:
        default = pack(host, img)
        assert (default.artifact_type, default.artifact.format) == ("file", "tiff")
    else:  # no format holds it exactly: an error, never a silent rendering
        with pytest.raises(PackingError, match=f"no format satchel-pillow writes holds {re.escape(mode)} images exactly"):
            pack(host, img)


def test_float_plot_stretches_the_value_range() -> None:
    from satchel_pillow._codec import render_for_display

    img = Image.linear_gradient("L").convert("F").point(lambda v: v / 255 * 0.5 - 0.25)  # -0.25 .. 0.25
    shown = render_for_display(img)
    assert shown.mode == "L"
    assert shown.getextrema() == (0, 255)
    nan = Image.frombytes("F", (2, 1), b"\x00\x00\xc0\x7f" + b"\x00\x00\x80\x3f")  # NaN and 1.0
    assert render_for_display(nan).mode == "L"


def test_a_rendered_plot_drops_the_icc_profile_of_the_source_colour_space(host: Any, unpack_dir: Path) -> None:
    img = Image.new("CMYK", (4, 4))
    img.info["icc_profile"] = b"a CMYK profile"
    img.info["dpi"] = (150, 150)
    restored = unpack_plot(host, host.pack(img, "img", "plot", {}), unpack_dir)
    assert "icc_profile" not in restored.info
    assert restored.info["dpi"] == (150, 150)
