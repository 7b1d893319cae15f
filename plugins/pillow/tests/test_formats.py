"""Every format/mode combination satchel-pillow claims, its options, its errors, and its metadata."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pillow_strategies import assert_same_image, exif_dict, images, mean_abs_error, srgb_profile

from satchel import Store, parse_log_hint
from satchel.errors import PackingError, UnpackingError
from satchel.packing import log_packed, staging
from satchel.unpacking import unpack_record
from satchel_pillow import FORMATS, ImageMetadataWarning, PillowPackager
from satchel_pillow._formats import TIFF_COMPRESSION, file_options, formats_holding

# Every mode Pillow can create an image in.
ALL_MODES = (
    "1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV",
    "I", "I;16", "I;16B", "I;16L", "I;16N", "F",
)
# The documented bounds: JPEG at quality 95 (the default, chroma 4:4:4) for any content, random
# noise being the worst case; lossy WebP (always 4:2:0) at quality 95 for smooth content only
# (flat colours, and ramps over at least 16 pixels: a 2-pixel "ramp" from 0 to 255 is not smooth).
JPEG_Q95_MAX_MEAN_ABS_ERROR = 4.0
WEBP_Q95_SMOOTH_MAX_MEAN_ABS_ERROR = 3.0

LOSSLESS_CASES = [
    (f"file[format={name}]", mode) for name, spec in FORMATS.items() if not spec.lossy for mode in sorted(spec.modes)
] + [
    (f"file[format=tiff, compression={compression}]", mode)
    for compression in TIFF_COMPRESSION
    if compression != "none"
    for mode in sorted(FORMATS["tiff"].modes - {"YCbCr", "I;16B"})
] + [("file[format=webp, lossless=true]", mode) for mode in sorted(FORMATS["webp"].modes)]


def round_trip(host: Any, store: Store, img: Image.Image, hint: str) -> tuple[Any, Image.Image]:
    """Pack ``img`` by ``hint`` into ``store`` and unpack it by its record, as a later run would."""
    parsed = parse_log_hint(hint)
    with staging(store):
        packed = host.pack(img, parsed.key, parsed.artifact_type, parsed.options)
    record = log_packed(store, "tests", packed)
    return record, unpack_record(store, record, Image.Image, host=host)


def quick_round_trip(host: Any, img: Image.Image, hint: str, directory: Path) -> tuple[Any, Image.Image]:
    """Pack and unpack without a store (the contract tests cover the store): the format matrix is big.

    The packed files are copied into ``directory`` to be unpacked, and removed after.
    """
    from satchel import DataItem

    parsed = parse_log_hint(hint)
    packed = host.pack(img, parsed.key, parsed.artifact_type, parsed.options)
    try:
        item = DataItem.from_packed(packed, str(directory))
        restored = host.unpack(
            item, producer=packed.producer, artifact_type=packed.artifact_type, instructions=packed.instructions
        )
    finally:
        packed.clear()
        shutil.rmtree(directory, ignore_errors=True)
    return packed, restored


def pack_error(host: Any, img: Image.Image, hint: str) -> str:
    parsed = parse_log_hint(hint)
    with pytest.raises(PackingError) as raised:
        host.pack(img, parsed.key, parsed.artifact_type, parsed.options)
    return str(raised.value)


# -- Lossless formats: exact -------------------------------------------------------------------


@pytest.mark.parametrize(("artifact", "mode"), LOSSLESS_CASES)
def test_lossless_formats_round_trip_exactly(host: Any, unpack_dir: Path, artifact: str, mode: str) -> None:
    """Mode, size, pixels, palette and the metadata the format holds come back exactly."""
    options = file_options(mode=mode, **parse_log_hint(f"k : {artifact}").options)
    spec = options.spec
    kept = ["dpi"] + ["transparency"] * spec.transparency + ["icc_profile"] * spec.icc_profile
    kept += ["exif"] * options.holds_exif

    @given(images([mode], transparency=spec.transparency, rgba_palettes=spec.palette_alpha))
    def check(img: Image.Image) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImageMetadataWarning)
            packed, restored = quick_round_trip(host, img, f"img : {artifact}", unpack_dir)
        assert packed.artifact.format == spec.name
        assert packed.artifact.src_path.endswith(f"img.{spec.extension}")
        assert_same_image(img, restored, metadata=kept)

    check()


# -- Lossy formats: within the documented bound --------------------------------------------------


@pytest.mark.parametrize("mode", sorted(FORMATS["jpeg"].modes))
def test_jpeg_is_within_the_documented_error_at_quality_95(host: Any, unpack_dir: Path, mode: str) -> None:
    """JPEG at quality 95 (explicit or default) keeps mode, size and metadata; pixels within the bound."""

    @given(images([mode]), st.sampled_from(["file[format=jpeg]", "file[format=JPG, quality=95]"]))
    def check(img: Image.Image, artifact: str) -> None:
        packed, restored = quick_round_trip(host, img, f"photo : {artifact}", unpack_dir)
        assert packed.instructions["quality"] == 95
        assert packed.artifact.src_path.endswith("photo.jpg")
        assert_same_image(img, restored, max_mean_abs_error=JPEG_Q95_MAX_MEAN_ABS_ERROR, metadata=("icc_profile", "dpi", "exif"))

    check()


@pytest.mark.parametrize("mode", sorted(FORMATS["webp"].modes))
def test_lossy_webp_is_within_the_documented_error_for_smooth_images(host: Any, unpack_dir: Path, mode: str) -> None:
    @given(images([mode], kinds=("flat", "gradient"), min_side=16))
    def check(img: Image.Image) -> None:
        _packed, restored = quick_round_trip(host, img, "photo : file[format=webp, quality=95]", unpack_dir)
        assert_same_image(
            img, restored, max_mean_abs_error=WEBP_Q95_SMOOTH_MAX_MEAN_ABS_ERROR, metadata=("icc_profile", "dpi", "exif")
        )

    check()


@pytest.mark.parametrize("artifact", ["file[format=webp, lossless=true]", "file[format=webp, quality=95]"])
def test_an_opaque_rgba_image_comes_back_from_webp_as_rgba(host: Any, store: Store, artifact: str) -> None:
    """libwebp drops an alpha channel that is opaque everywhere; the image still comes back RGBA."""
    img = Image.new("RGBA", (16, 16), (10, 120, 230, 255))
    with staging(store):
        packed = host.pack(img, "photo", "file", parse_log_hint(f"photo : {artifact}").options)
    restored = unpack_record(store, log_packed(store, "tests", packed), Image.Image, host=host)
    assert "RGBA" == restored.mode
    assert (255, 255) == restored.getchannel("A").getextrema()
    if "lossless" in artifact:
        assert img.tobytes() == restored.tobytes()


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_lower_quality_gives_a_smaller_file_with_more_error(host: Any, store: Store, fmt: str) -> None:
    img = Image.merge("RGB", [Image.linear_gradient("L").rotate(a).resize((200, 150)) for a in (0, 90, 180)])
    img = Image.blend(img, Image.effect_noise((200, 150), 40).convert("RGB"), 0.3)
    low, low_img = round_trip(host, store, img, f"q : file[format={fmt}, quality=20]")
    high, high_img = round_trip(host, store, img, f"q : file[format={fmt}, quality=95]")
    assert low.size < high.size
    assert mean_abs_error(img, high_img) < mean_abs_error(img, low_img)


def test_jpeg_subsampling_is_an_option_and_4_4_4_by_default(host: Any, store: Store) -> None:
    noise = Image.frombytes("RGB", (64, 64), bytes(range(256)) * 48)
    default, default_img = round_trip(host, store, noise, "c : file[format=jpeg]")
    subsampled, subsampled_img = round_trip(host, store, noise, "c : file[format=jpeg, subsampling='4:2:0']")
    assert (default.instructions["subsampling"], subsampled.instructions["subsampling"]) == ("4:4:4", "4:2:0")
    assert mean_abs_error(noise, default_img) < mean_abs_error(noise, subsampled_img)


# -- Defaults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"), [("RGB", "png"), ("P", "png"), ("I;16", "png"), ("CMYK", "tiff"), ("F", "tiff"), ("I", "tiff")]
)
def test_file_without_a_format_is_png_or_tiff_for_modes_png_cannot_hold(
    host: Any, store: Store, mode: str, expected: str
) -> None:
    img = Image.new(mode, (3, 2))
    record, restored = round_trip(host, store, img, "k : file")
    assert (record.format, record.instructions["format"]) == (expected, expected)
    assert_same_image(img, restored)


def test_format_names_are_case_insensitive_and_accept_aliases(host: Any, store: Store) -> None:
    img = Image.new("RGB", (4, 4), (1, 2, 3))
    for given_name, expected in [("JPG", "jpeg"), ("Jpeg", "jpeg"), (".png", "png"), ("TIF", "tiff"), ("WebP", "webp")]:
        record, _ = round_trip(host, store, img, f"k : file[format={given_name!r}]")
        assert record.format == expected


# -- Errors instead of silent conversions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [(name, mode) for name, spec in FORMATS.items() for mode in ALL_MODES if mode not in spec.modes],
)
def test_a_mode_the_format_cannot_hold_is_an_error(host: Any, fmt: str, mode: str) -> None:
    """Pillow would convert some of these silently (WebP: L to RGB; GIF: RGB to P); satchel refuses."""
    message = pack_error(host, Image.new(mode, (2, 2)), f"k : file[format={fmt}]")
    if formats_holding(mode):
        assert f"{mode} images cannot be saved as {fmt.upper()}" in message
        assert "convert the image" in message
    else:
        assert f"no format satchel-pillow writes holds {mode} images exactly; convert the image first" in message
        assert "log it as a plot" in message


def test_rgba_to_jpeg_error_says_why_and_what_to_do(host: Any) -> None:
    message = pack_error(host, Image.new("RGBA", (2, 2)), "k : file[format=jpeg]")
    assert message == (
        "RGBA images cannot be saved as JPEG (no alpha channel); use format='png', 'tiff' or "
        "'webp', or convert the image to RGB first (img.convert('RGB'))"
    )


def test_compressed_tiff_refuses_the_modes_it_cannot_hold_exactly(host: Any) -> None:
    for mode in ("YCbCr", "I;16B"):
        message = pack_error(host, Image.new(mode, (2, 2)), "k : file[format=tiff, compression=lzw]")
        assert "compression='none'" in message


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("k : file[format=xcf]", "unsupported image format 'xcf'; satchel-pillow writes png, jpeg, webp, bmp, tiff, gif"),
        ("k : file[format=3]", "format must be a string"),
        ("k : file[format=png, quality=90]", "quality applies only to the lossy formats (jpeg and webp); png is lossless"),
        ("k : file[format=tiff, quality=90]", "quality applies only to the lossy formats (jpeg and webp); tiff is lossless"),
        ("k : file[quality=90]", "quality applies only to the lossy formats (jpeg and webp); png is lossless"),
        ("k : file[format=jpeg, quality=0]", "quality must be from 1 (smallest file) to 100 (best); got 0"),
        ("k : file[format=jpeg, quality=101]", "quality must be from 1 (smallest file) to 100 (best); got 101"),
        ("k : file[format=jpeg, quality=true]", "quality must be an integer from 1 to 100; got True"),
        ("k : file[format=jpeg, quality=90.5]", "quality must be an integer from 1 to 100; got 90.5"),
        ("k : file[format=webp, lossless=true, quality=90]", "with lossless=true leave quality out"),
        ("k : file[format=png, lossless=true]", "lossless applies only to format='webp'; png is always lossless"),
        ("k : file[format=jpeg, lossless=false]", "lossless applies only to format='webp'; jpeg is lossy"),
        ("k : file[format=webp, lossless=yes]", "lossless must be true or false"),
        ("k : file[format=png, subsampling='4:2:0']", "subsampling applies only to format='jpeg'"),
        ("k : file[format=jpeg, subsampling='4:1:1']", "subsampling must be one of '4:4:4', '4:2:2', '4:2:0'"),
        ("k : file[format=png, compression=lzw]", "compression applies only to format='tiff'"),
        ("k : file[format=tiff, compression=jpeg]", "TIFF compression must be one of 'none', 'lzw', 'deflate', 'packbits'"),
    ],
)
def test_bad_options_are_clear_errors(host: Any, hint: str, expected: str) -> None:
    assert expected in pack_error(host, Image.new("RGB", (2, 2)), hint)


def test_unknown_option_names_the_valid_ones(host: Any) -> None:
    from satchel.errors import UnknownPackingKwargError

    with pytest.raises(UnknownPackingKwargError) as raised:
        host.pack(Image.new("RGB", (2, 2)), "k", "file", {"colour": "red"})
    for option in ("format", "quality", "subsampling", "lossless", "compression"):
        assert option in str(raised.value)


# -- Palettes and transparency -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "gif", "bmp", "tiff"])
def test_palette_length_and_out_of_palette_pixels_survive(host: Any, store: Store, fmt: str) -> None:
    """Formats pad palettes (GIF to a power of two, TIFF to 256) and PNG cuts pixel bits to the palette;
    the record restores the palette's length and the pixels stay as they were."""
    img = Image.frombytes("P", (4, 1), bytes([0, 1, 200, 255]))
    img.putpalette([10, 20, 30, 40, 50, 60, 70, 80, 90])
    _record, restored = round_trip(host, store, img, f"p : file[format={fmt}]")
    assert restored.getpalette() == [10, 20, 30, 40, 50, 60, 70, 80, 90]
    assert restored.tobytes() == bytes([0, 1, 200, 255])


def test_rgba_palette_survives_png(host: Any, store: Store) -> None:
    img = Image.new("RGBA", (8, 8), (255, 0, 0, 128)).quantize(4)
    assert img.palette.mode == "RGBA"
    for hint in ("p", "p : file"):
        _record, restored = round_trip(host, store, img, hint)
        assert_same_image(img, restored)
        assert "transparency" not in restored.info


@pytest.mark.parametrize("fmt", ["gif", "bmp", "tiff"])
def test_rgba_palette_is_an_error_where_it_cannot_be_held(host: Any, fmt: str) -> None:
    img = Image.new("RGBA", (8, 8), (255, 0, 0, 128)).quantize(4)
    assert "has a palette with alpha" in pack_error(host, img, f"k : file[format={fmt}]")


@pytest.mark.parametrize(("fmt", "mode"), [("bmp", "P"), ("tiff", "P"), ("tiff", "L"), ("tiff", "RGB"), ("bmp", "L")])
def test_transparent_colour_is_an_error_where_it_cannot_be_held(host: Any, fmt: str, mode: str) -> None:
    img = Image.new(mode, (2, 2))
    img.info["transparency"] = 0 if mode != "RGB" else (0, 0, 0)
    message = pack_error(host, img, f"k : file[format={fmt}]")
    assert "transparent colour" in message
    assert "format='png'" in message


# -- Metadata -------------------------------------------------------------------------------------


def _tagged(mode: str = "RGB") -> Image.Image:
    from PIL import ExifTags

    img = Image.new(mode, (16, 12), "white" if mode != "CMYK" else (0, 0, 0, 0))
    img.info["icc_profile"] = srgb_profile()
    img.info["dpi"] = (300.5, 72)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Maker"
    exif[ExifTags.Base.Model] = "Model 7"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:01:02 03:04:05"
    img.info["exif"] = exif.tobytes()
    return img


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "tiff"])
def test_icc_profile_dpi_and_exif_are_kept(host: Any, store: Store, fmt: str) -> None:
    img = _tagged()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImageMetadataWarning)
        _record, restored = round_trip(host, store, img, f"m : file[format={fmt}]")
    assert restored.info["icc_profile"] == img.info["icc_profile"]
    assert restored.info["dpi"] == (300.5, 72)
    assert exif_dict(restored) == exif_dict(img)
    assert exif_dict(restored)[("ifd", 0x8769)] == {0x9003: "2024:01:02 03:04:05"}


@pytest.mark.parametrize("fmt", ["bmp", "gif"])
def test_metadata_a_format_cannot_hold_is_dropped_with_a_warning_and_dpi_kept_in_the_record(
    host: Any, store: Store, fmt: str
) -> None:
    img = _tagged("L")
    with pytest.warns(ImageMetadataWarning, match=rf"{fmt.upper()} cannot hold the image's ICC profile and EXIF"):
        record, restored = round_trip(host, store, img, f"m : file[format={fmt}]")
    assert record.instructions["dpi"] == [300.5, 72]
    assert restored.info["dpi"] == (300.5, 72)
    assert "icc_profile" not in restored.info
    assert exif_dict(restored) == {}


def test_tiff_layout_tags_are_not_carried_as_exif(host: Any, store: Store, tmp_path: Any) -> None:
    """A TIFF's getexif() lists its own layout (strip offsets, sizes); only the real EXIF moves on."""
    source = _tagged()
    path = tmp_path / "in.tiff"
    source.save(path, exif=source.info["exif"])
    with Image.open(path) as opened:
        assert 273 in opened.getexif()  # StripOffsets, which means nothing in another file
        _record, restored = round_trip(host, store, opened, "m : file[format=png]")
    assert exif_dict(restored) == exif_dict(source)


def test_no_dpi_stays_no_dpi(host: Any, store: Store) -> None:
    """TIFF writes a 1x1 resolution when given none; an image without DPI comes back without it."""
    _record, restored = round_trip(host, store, Image.new("L", (2, 2)), "k : file[format=tiff]")
    assert "dpi" not in restored.info


# -- What unpacking gives back ---------------------------------------------------------------------


def _open_files() -> set[str]:
    import os

    fd_dir = "/proc/self/fd"
    found = set()
    for fd in os.listdir(fd_dir):
        try:
            found.add(os.readlink(os.path.join(fd_dir, fd)))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("hint", ["k", "k : file[format=bmp]", "k : file[format=tiff]", "k : file[format=jpeg]", "k : file[format=gif]"])
def test_unpacked_image_is_a_plain_loaded_image_the_caller_can_change(host: Any, store: Store, hint: str) -> None:
    """A plain Image, not an ImageFile holding the stored file open or memory-mapped (uncompressed
    BMP and TIFF would be), and changing it changes nothing stored."""
    import os

    img = Image.new("L", (40, 30), 7)
    watch_fds = os.path.isdir("/proc/self/fd")
    before = _open_files() if watch_fds else set()
    record, restored = round_trip(host, store, img, hint)
    assert type(restored) is Image.Image
    assert not restored.readonly
    if watch_fds:
        assert [path for path in _open_files() - before if "/objects/" in path or "/tmp/" in path] == []
    restored.putpixel((0, 0), 200)
    again = unpack_record(store, record, Image.Image, host=host)
    assert again.getpixel((0, 0)) == 7


def test_a_file_given_without_instructions_opens_in_any_format_satchel_writes(tmp_path: Any) -> None:
    """An input given as a plain path (no record) is opened by whichever of satchel's formats it is in;
    other formats are refused, so no decoder satchel does not use (EPS runs Ghostscript) is reached."""
    from satchel import DataItem

    path = tmp_path / "scan.image"
    Image.new("RGB", (5, 4), (9, 8, 7)).save(path, format="BMP")
    restored = PillowPackager().unpack_file(DataItem.from_local_path(path))
    assert (type(restored), restored.mode, restored.size, restored.getpixel((0, 0))) == (Image.Image, "RGB", (5, 4), (9, 8, 7))
    other = tmp_path / "scan.tga"
    Image.new("RGB", (5, 4), (9, 8, 7)).save(other)
    with pytest.raises(UnpackingError, match=r"artifact 'scan.tga': cannot read the image as one of the formats satchel-pillow reads \(png, jpeg"):
        PillowPackager().unpack_file(DataItem.from_local_path(other))


def test_a_file_that_is_not_the_recorded_format_is_an_unpacking_error(tmp_path: Any) -> None:
    from satchel import DataItem

    path = tmp_path / "image.png"
    Image.new("RGB", (2, 2)).save(path, format="JPEG")
    with pytest.raises(UnpackingError, match=r"artifact 'image.png': cannot read the image as PNG"):
        PillowPackager().unpack_file(DataItem.from_local_path(path), format="png", mode="RGB")


def test_a_mode_read_back_differently_is_an_unpacking_error(tmp_path: Any) -> None:
    from satchel import DataItem

    path = tmp_path / "image.png"
    Image.new("L", (2, 2)).save(path)
    with pytest.raises(UnpackingError, match=r"stored as a RGB image, but this Pillow reads it back as L"):
        PillowPackager().unpack_file(DataItem.from_local_path(path), format="png", mode="RGB")
