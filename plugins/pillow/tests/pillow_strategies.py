"""Hypothesis strategies for Pillow images in every mode, and comparisons that say what differs."""

from __future__ import annotations

import math
import random
from collections.abc import Collection
from typing import Any

from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageChops, ImageStat

__all__ = [
    "assert_same_image",
    "exif_dict",
    "images",
    "mean_abs_error",
    "palette_images",
    "srgb_profile",
]

# Bytes per pixel of each mode's raw data ("1" packs 8 pixels per byte, rows padded to a byte).
_BYTES_PER_PIXEL = {
    "L": 1, "P": 1, "LA": 2, "La": 2, "PA": 2, "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3,
    "RGBA": 4, "RGBa": 4, "RGBX": 4, "CMYK": 4, "I": 4, "F": 4,
    "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2,
}
# Pointer tags whose value is a file offset, different in every file that holds the same EXIF.
_POINTERS = {ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, ExifTags.IFD.Interop}

SIZES = st.integers(1, 48) | st.integers(49, 300)


def _raw_length(mode: str, width: int, height: int) -> int:
    if mode == "1":
        return (width + 7) // 8 * height
    return _BYTES_PER_PIXEL[mode] * width * height


def _pixels(mode: str, width: int, height: int, kind: str, seed: int) -> Image.Image:
    """An image whose pixels are random bytes ("noise"), one colour ("flat") or ramps ("gradient")."""
    rng = random.Random(seed)
    size = (width, height)
    if kind == "noise":
        return Image.frombytes(mode, size, rng.randbytes(_raw_length(mode, width, height)))
    if kind == "flat":
        if mode == "1":
            return Image.new("1", size, rng.randrange(2))
        return Image.frombytes(mode, size, rng.randbytes(_BYTES_PER_PIXEL[mode]) * (width * height))
    # Smooth ramps, the content lossy formats are made for.
    bands = [
        Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize(size, Image.Resampling.BILINEAR)
        for _ in range(4)
    ]
    if mode == "F":
        scale, offset = rng.uniform(-1e6, 1e6), rng.uniform(-1e6, 1e6)
        return bands[0].convert("F").point(lambda v: v * scale + offset)
    if mode == "I" or mode.startswith("I;16"):
        wide = bands[0].convert("I").point(lambda v: v * 257)
        if mode == "I":
            return wide
        sixteen = wide.convert("I;16")
        return sixteen if mode == "I;16" else Image.frombytes(mode, size, sixteen.tobytes("raw", "I;16B" if mode == "I;16B" else "I;16"))
    if mode in ("1", "P"):
        return bands[0].convert(mode)
    return Image.merge(mode, bands[: Image.getmodebands(mode)])


def srgb_profile() -> bytes:
    """An ICC profile's bytes (a real sRGB profile when LittleCMS is available)."""
    try:
        from PIL import ImageCms

        return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    except ImportError:  # pragma: no cover - Pillow built without LittleCMS
        return b"\x00\x00\x02\x0cfake icc profile" + bytes(64)


def _exif(make: str, datetime: bool) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Software] = "satchel-pillow tests"
    exif[ExifTags.Base.Orientation] = 1
    if datetime:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:06 07:08:09"
    return exif.tobytes()


@st.composite
def _metadata(draw: st.DrawFn) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if draw(st.booleans()):
        info["icc_profile"] = srgb_profile()
    if draw(st.booleans()):
        info["dpi"] = draw(
            st.tuples(st.integers(1, 2400), st.integers(1, 2400))
            | st.tuples(st.floats(1, 2400).map(lambda v: round(v, 3)), st.floats(1, 2400).map(lambda v: round(v, 3)))
        )
    if draw(st.booleans()):
        info["exif"] = _exif(draw(st.text("abcdefgh ", min_size=1, max_size=12)), draw(st.booleans()))
    return info


@st.composite
def images(
    draw: st.DrawFn,
    modes: Collection[str],
    *,
    kinds: Collection[str] = ("noise", "flat", "gradient"),
    metadata: bool = True,
    transparency: bool = False,
    rgba_palettes: bool = False,
    min_side: int = 1,
) -> Image.Image:
    """Images of the given modes, 1x1 up to 300x300, with random, flat or smooth pixels and metadata."""
    mode = draw(st.sampled_from(sorted(modes)))
    if mode in ("P", "PA"):
        return draw(palette_images(mode, metadata=metadata, transparency=transparency, rgba_palettes=rgba_palettes))
    width, height = draw(SIZES.filter(lambda side: side >= min_side)), draw(SIZES.filter(lambda side: side >= min_side))
    img = _pixels(mode, width, height, draw(st.sampled_from(sorted(kinds))), draw(st.integers(0, 2**32)))
    if metadata:
        img.info.update(draw(_metadata()))
    if transparency and mode in ("1", "L", "I;16", "RGB") and draw(st.booleans()):
        # The transparent colour, as Pillow gives it: "1" pixels are 0 or 255.
        values = {"1": st.sampled_from([0, 255]), "I;16": st.integers(0, 65535)}.get(mode, st.integers(0, 255))
        colour = tuple(draw(values) for _ in range(Image.getmodebands(mode)))
        img.info["transparency"] = colour if len(colour) > 1 else colour[0]
    return img


@st.composite
def palette_images(
    draw: st.DrawFn,
    mode: str = "P",
    *,
    metadata: bool = True,
    transparency: bool = False,
    rgba_palettes: bool = False,
) -> Image.Image:
    """P/PA images with 1..256 palette entries; pixels may point past the palette's end."""
    width, height = draw(SIZES), draw(SIZES)
    rng = random.Random(draw(st.integers(0, 2**32)))
    entries = draw(st.integers(1, 256))
    palette_mode = "RGBA" if rgba_palettes and mode == "P" and draw(st.booleans()) else "RGB"
    inside = draw(st.booleans())
    step = 2 if mode == "PA" else 1
    raw = bytearray(rng.randbytes(step * width * height))
    if inside:  # every pixel points into the palette; else any index, past its end too
        raw[0::step] = raw[0::step].translate(bytes(i % entries for i in range(256)))
    img = Image.frombytes(mode, (width, height), bytes(raw))
    img.putpalette(rng.randbytes(entries * len(palette_mode)), palette_mode)
    if transparency and palette_mode == "RGB" and draw(st.booleans()):
        img.info["transparency"] = draw(st.integers(0, entries - 1))
    if metadata:
        info = draw(_metadata())
        info.pop("icc_profile", None)  # an RGB profile on a palette image is unusual; covered elsewhere
        img.info.update(info)
    return img


def exif_dict(img: Image.Image) -> dict[Any, Any]:
    """The image's EXIF as plain data: IFD0 tags (pointer offsets left out) and each sub-IFD."""
    exif = img.getexif()
    out: dict[Any, Any] = {tag: value for tag, value in exif.items() if tag not in _POINTERS}
    for pointer in _POINTERS:
        sub = dict(exif.get_ifd(pointer))
        sub.pop(ExifTags.IFD.Interop, None)
        if sub:
            out[("ifd", pointer)] = sub
    return out


def mean_abs_error(a: Image.Image, b: Image.Image) -> float:
    """The mean absolute difference per channel value, over all pixels and bands."""
    stat = ImageStat.Stat(ImageChops.difference(a, b))
    return sum(stat.mean) / len(stat.mean)


def _palette(img: Image.Image) -> tuple[str, list[int]] | None:
    if img.mode not in ("P", "PA"):
        return None
    mode = img.palette.mode if img.palette is not None else "RGB"
    return mode, img.getpalette(mode) or []


def assert_same_image(
    original: Image.Image,
    restored: Image.Image,
    *,
    max_mean_abs_error: float | None = None,
    metadata: Collection[str] = ("icc_profile", "dpi", "exif", "transparency"),
) -> None:
    """Assert ``restored`` has ``original``'s mode, size, pixels (exactly, or within the bound),
    palette and the listed metadata."""
    assert (original.mode, original.size) == (restored.mode, restored.size)
    if max_mean_abs_error is None:
        assert original.tobytes() == restored.tobytes(), "pixels differ"
    else:
        error = mean_abs_error(original, restored)
        assert error <= max_mean_abs_error, f"mean absolute error {error:.3f} > {max_mean_abs_error}"
    assert _palette(original) == _palette(restored)
    if "icc_profile" in metadata:
        assert original.info.get("icc_profile") == restored.info.get("icc_profile")
    if "dpi" in metadata:
        expected, actual = original.info.get("dpi"), restored.info.get("dpi")
        assert (expected is None) == (actual is None), (expected, actual)
        if expected is not None:
            assert all(math.isclose(e, a) for e, a in zip(expected, actual, strict=True)), (expected, actual)
    if "exif" in metadata:
        assert exif_dict(original) == exif_dict(restored)
    if "transparency" in metadata:
        assert original.info.get("transparency") == restored.info.get("transparency")
