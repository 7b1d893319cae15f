"""Write Pillow images to files and read them back exactly: mode, pixels, palette, metadata (imports Pillow)."""

from __future__ import annotations

import math
import warnings
from typing import Any

from PIL import ExifTags, Image

from satchel.errors import PackingError, UnpackingError
from satchel_pillow._formats import FORMATS, PLOT_MODES, FileOptions, FormatSpec, ImageMetadataWarning

__all__ = ["load_image", "render_for_display", "save_file", "save_plot"]

# Tags that describe a TIFF file's own layout, not the picture: Pillow reports them through
# getexif() for TIFF images, but they are not EXIF metadata to carry into another file.
_TIFF_STRUCTURE_TAGS = frozenset({
    254, 255, 256, 257, 258, 259, 262, 263, 264, 265, 266, 273, 277, 278, 279, 280, 281, 282, 283,
    284, 290, 291, 292, 293, 296, 297, 317, 318, 319, 320, 321, 322, 323, 324, 325, 330, 332, 338,
    339, 340, 341, 347, *range(512, 522), 529, 530, 531, 532, 700, 33723, 34377, 34675, 37724,
})
_SUB_IFDS = (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo)
_EMPTY_EXIF = Image.Exif().tobytes()
# Lossless conversions that undo a reader giving a stored mode back as another (older Pillow reads
# 16-bit PNG as "I").
_SAME_VALUES = frozenset({("I", "I;16")})
# The same, for one format: libwebp leaves out an alpha channel that is opaque everywhere, so an
# RGBA image without transparency reads back as RGB, and alpha 255 restores it exactly.
_SAME_VALUES_IN = {"webp": frozenset({("RGB", "RGBA")})}


# -- Packing ------------------------------------------------------------------------------------


def check_single_frame(img: Image.Image, key: str) -> None:
    """Refuse a multi-frame image: writing it as one picture would silently drop frames."""
    frames = getattr(img, "n_frames", 1)
    if isinstance(frames, int) and frames > 1:
        raise PackingError(
            f"{key!r} is an image with {frames} frames (an animation or a multi-page file); "
            f"satchel-pillow stores one frame per artifact: log every frame with a '*{key}' hint "
            "and a list ([frame.copy() for frame in PIL.ImageSequence.Iterator(img)]), or only the "
            "current frame with img.copy()"
        )


def _detached(img: Image.Image) -> Image.Image:
    """A plain Image over ``img``'s pixels, so saving never touches the caller's object.

    The pixels are shared (no copy) except for palette images, whose palette may be changed below.
    """
    img.load()
    if img.mode in ("P", "PA"):
        return img.copy()
    return img._new(img.im)


def save_file(img: Image.Image, path: str, options: FileOptions, key: str) -> dict[str, Any]:
    """Save ``img`` to ``path`` as ``options`` say; returns the unpacking instructions."""
    check_single_frame(img, key)
    options.check_mode(img.mode)
    instructions = options.instructions()
    instructions["mode"] = img.mode
    _write(
        img, _detached(img), path, options.spec, options.save_params(), instructions, key,
        keep_icc=True, keep_exif=options.holds_exif,
    )
    return instructions


def save_plot(img: Image.Image, path: str, key: str) -> dict[str, Any]:
    """Save ``img`` as a PNG: exactly when PNG holds its mode, else rendered for display."""
    check_single_frame(img, key)
    spec = FORMATS["png"]
    exact = img.mode in PLOT_MODES
    shown = _detached(img) if exact else render_for_display(img)
    instructions: dict[str, Any] = {"format": "png", "mode": shown.mode}
    if not exact:
        instructions["source_mode"] = img.mode
    # A CMYK or LAB profile does not describe the RGB rendering, so a rendered plot drops it.
    _write(img, shown, path, spec, {}, instructions, key, keep_icc=exact, keep_exif=True)
    return instructions


def _write(
    original: Image.Image,
    src: Image.Image,
    path: str,
    spec: FormatSpec,
    params: dict[str, Any],
    instructions: dict[str, Any],
    key: str,
    *,
    keep_icc: bool,
    keep_exif: bool,
) -> None:
    _prepare_palette(src, spec, instructions, key)
    _check_transparency(src, spec, key)
    params = {**params, **_metadata(original, spec, instructions, key, keep_icc=keep_icc, keep_exif=keep_exif)}
    # Some writers also read these from info; `src` is this packager's own image, so it can change.
    for name in ("icc_profile", "exif"):
        if name not in params:
            src.info.pop(name, None)
    try:
        src.save(path, format=spec.pil_name, **params)
    except (OSError, ValueError, RuntimeError) as error:
        raise PackingError(
            f"Pillow could not save {key!r} ({src.mode}, {src.size[0]}x{src.size[1]}) as "
            f"{spec.name}: {error}"
        ) from error


def _prepare_palette(src: Image.Image, spec: FormatSpec, instructions: dict[str, Any], key: str) -> None:
    """Record the palette's length and kind; pad it when pixels point past its end (PNG would cut them)."""
    if src.mode not in ("P", "PA"):
        return
    palette_mode = src.palette.mode if src.palette is not None else "RGB"
    if palette_mode not in ("RGB", "RGBA"):
        raise PackingError(
            f"{key!r} has a {palette_mode} palette; satchel-pillow stores RGB and RGBA palettes — "
            "convert the image (img.convert('RGB')) first"
        )
    if palette_mode == "RGBA" and not spec.palette_alpha:
        holders = [name for name, s in FORMATS.items() if s.palette_alpha and src.mode in s.modes]
        raise PackingError(
            f"{key!r} has a palette with alpha, which {spec.name.upper()} cannot hold; use "
            f"format={' or '.join(map(repr, holders))}, or convert the image to RGBA first"
        )
    channels = len(palette_mode)
    data = src.getpalette(palette_mode) or []
    entries = len(data) // channels
    extrema = src.getextrema()
    highest = int(extrema[0][1] if isinstance(extrema[0], tuple) else extrema[1])
    if highest >= entries:
        src.putpalette(data + [0] * channels * (highest + 1 - entries), palette_mode)
    instructions["palette_mode"] = palette_mode
    instructions["palette_entries"] = entries


def _check_transparency(src: Image.Image, spec: FormatSpec, key: str) -> None:
    if "transparency" not in src.info or src.mode in ("LA", "RGBA", "PA") or spec.transparency:
        return
    holders = [name for name, s in FORMATS.items() if s.transparency and src.mode in s.modes]
    where = f"use format={' or '.join(map(repr, holders))}" if holders else "use format='tiff'"
    raise PackingError(
        f"{key!r} has a transparent colour (info['transparency']), which {spec.name.upper()} cannot "
        f"hold; {where}, or convert the image to {'RGBA' if src.mode != 'L' else 'LA'} first"
    )


def _metadata(
    img: Image.Image, spec: FormatSpec, instructions: dict[str, Any], key: str, *, keep_icc: bool, keep_exif: bool
) -> dict[str, Any]:
    """Save parameters carrying the ICC profile, EXIF and DPI; warns about what the format drops."""
    params: dict[str, Any] = {}
    dropped: list[str] = []
    icc = img.info.get("icc_profile") if keep_icc else None
    if icc:
        if spec.icc_profile:
            params["icc_profile"] = icc
        else:
            dropped.append("ICC profile")
    exif = user_exif(img)
    if exif is not None:
        if keep_exif:
            params["exif"] = exif
        else:
            dropped.append("EXIF")
    dpi = img.info.get("dpi")
    if dpi:
        # Kept in the record too: PNG and BMP round it to pixels per metre, JPEG to integers.
        values = [v if isinstance(v, int) else float(v) for v in tuple(dpi)[:2]]
        instructions["dpi"] = values
        if spec.dpi:
            params["dpi"] = tuple(values)
    if dropped:
        what = spec.name.upper()
        if spec.exif and not keep_exif:
            what = f"compressed {what}"
            where = "; use compression='none' to keep it (libtiff's compressed writer cannot write EXIF)"
        else:
            holders = [n for n, s in FORMATS.items() if s.exif and s.icc_profile and img.mode in s.modes]
            where = f"; use format={' or '.join(map(repr, holders))} to keep it" if holders else ""
        warnings.warn(
            f"{key!r}: {what} cannot hold the image's {' and '.join(dropped)}, so it is left out{where}",
            ImageMetadataWarning,
            stacklevel=6,
        )
    return params


def user_exif(img: Image.Image) -> bytes | None:
    """The image's EXIF as bytes, without a TIFF's own layout tags; None when there is none."""
    exif = img.getexif()
    if img.format == "TIFF":
        exif = _without_tiff_structure(exif)
    raw = exif.tobytes()
    return None if raw == _EMPTY_EXIF else raw


def _without_tiff_structure(exif: Image.Exif) -> Image.Exif:
    kept = Image.Exif()
    for tag, value in exif.items():
        if tag in _TIFF_STRUCTURE_TAGS:
            continue
        if tag in _SUB_IFDS:
            sub = dict(exif.get_ifd(tag))
            if tag == ExifTags.IFD.Exif and ExifTags.IFD.Interop in sub:
                sub[ExifTags.IFD.Interop] = exif.get_ifd(ExifTags.IFD.Interop)
            kept[tag] = sub
        else:
            kept[tag] = value
    return kept


# -- Rendering ----------------------------------------------------------------------------------


def render_for_display(img: Image.Image) -> Image.Image:
    """``img`` in a mode a PNG holds (L, LA, RGB, RGBA), for looking at; a new image."""
    mode = img.mode
    if mode in ("PA", "RGBa"):
        return img.convert("RGBA")
    if mode == "La":
        return img.convert("LA")
    if mode == "LAB":
        return img.getchannel("L")  # lightness is exact; Pillow has no colour-managed LAB->RGB
    if mode in ("I", "F") or mode.startswith("I;16"):
        return _stretch_to_l(img)
    if mode in PLOT_MODES:
        return img.copy()
    return img.convert("RGB")


def _stretch_to_l(img: Image.Image) -> Image.Image:
    """Map the image's value range onto 0..255 (values outside a finite range are clipped)."""
    values = img.convert("I") if img.mode.startswith("I;16") else img
    values = values.convert("F") if values.mode != "F" else values
    low, high = values.getextrema()
    if isinstance(low, float | int) and isinstance(high, float | int) and math.isfinite(low + high) and high > low:
        scale = 255.0 / (high - low)
        values = values.point(lambda v: v * scale - low * scale)
    return values.convert("L")


def thumbnail_source(img: Image.Image) -> Image.Image:
    """``img`` in a mode every browser shows (L, LA, RGB, RGBA)."""
    if img.mode == "1":
        return img.convert("L")
    if img.mode == "P":
        has_alpha = "transparency" in img.info or (img.palette is not None and img.palette.mode == "RGBA")
        return img.convert("RGBA" if has_alpha else "RGB")
    if img.mode in ("L", "LA", "RGB", "RGBA"):
        return img
    return render_for_display(img) if img.mode != "I;16" else _stretch_to_l(img)


# -- Unpacking ----------------------------------------------------------------------------------


#: Pillow's names of the formats satchel-pillow writes: the only decoders an image is opened with,
#: so a planted EPS, PDF or other file never reaches a decoder that runs a program (Ghostscript).
READ_FORMATS = tuple(spec.pil_name for spec in FORMATS.values())
_MODES = frozenset().union(*(spec.modes for spec in FORMATS.values()))
_PALETTE_MODES = ("RGB", "RGBA")
_MAX_PALETTE_ENTRIES = 256


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _check_instructions(
    key: str, format: object, mode: object, dpi: object, palette_mode: object, palette_entries: object,  # noqa: A002
) -> FormatSpec | None:
    """The recorded format's spec, after checking every instruction is one this plugin writes."""
    what = f"artifact {key!r}: instruction"
    spec = FORMATS.get(format) if isinstance(format, str) else None
    if format is not None and spec is None:
        raise UnpackingError(
            f"{what} 'format' is {_short(format)}, not a format satchel-pillow reads; it reads only "
            f"{', '.join(FORMATS)} (the formats it writes)"
        )
    if mode is not None and not (isinstance(mode, str) and mode in _MODES):
        raise UnpackingError(f"{what} 'mode' is {_short(mode)}; expected one of {', '.join(sorted(_MODES))}")
    if dpi is not None and not (
        isinstance(dpi, list) and len(dpi) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0 for v in dpi)
    ):
        raise UnpackingError(f"{what} 'dpi' is {_short(dpi)}; expected two positive numbers, like [300, 300]")
    if palette_mode is not None and palette_mode not in _PALETTE_MODES:
        raise UnpackingError(f"{what} 'palette_mode' is {_short(palette_mode)}; expected 'RGB' or 'RGBA'")
    if palette_entries is not None and not (
        isinstance(palette_entries, int) and not isinstance(palette_entries, bool)
        and 0 <= palette_entries <= _MAX_PALETTE_ENTRIES
    ):
        raise UnpackingError(
            f"{what} 'palette_entries' is {_short(palette_entries)}; expected a count from 0 to {_MAX_PALETTE_ENTRIES}"
        )
    return spec


def load_image(
    path: str,
    key: str,
    *,
    format: str | None = None,  # noqa: A002 - the instruction's name
    mode: str | None = None,
    dpi: list[float] | None = None,
    palette_mode: str | None = None,
    palette_entries: int | None = None,
) -> Image.Image:
    """Open ``path``, decode it fully, and give back a plain Image with the recorded mode, palette and metadata.

    Only the formats satchel-pillow writes are read: the recorded one, or (no instructions: a
    local file) any of them.
    """
    spec = _check_instructions(key, format, mode, dpi, palette_mode, palette_entries)
    try:
        with Image.open(path, formats=[spec.pil_name] if spec else list(READ_FORMATS)) as opened:
            opened.load()
            tiff_exif = user_exif(opened) if opened.format == "TIFF" else None
            # A memory-mapped file (uncompressed BMP/TIFF) is read-only and would keep the file
            # mapped; copy those pixels, share the others with a plain Image.
            img = opened._new(opened.im.copy() if opened.readonly else opened.im)
    except Exception as error:  # a decoder fed hostile bytes fails in many ways; say it once
        expected = f" as {spec.name.upper()}" if spec else f" as one of the formats satchel-pillow reads ({', '.join(FORMATS)})"
        raise UnpackingError(f"artifact {key!r}: cannot read the image{expected}: {type(error).__name__}: {error}") from error
    if opened.format == "TIFF":
        img.info.pop("exif", None)
        if tiff_exif is not None:
            img.info["exif"] = tiff_exif
    if mode and img.mode != mode:
        if (img.mode, mode) not in _SAME_VALUES | _SAME_VALUES_IN.get(format or "", frozenset()):
            raise UnpackingError(
                f"artifact {key!r} was stored as a {mode} image, but this Pillow reads it back as "
                f"{img.mode}; install the Pillow version that wrote it, or newer"
            )
        img = img.convert(mode)
    if palette_mode and img.mode in ("P", "PA") and palette_entries is not None:
        try:
            _restore_palette(img, palette_mode, palette_entries)
        except (ValueError, TypeError) as error:
            raise UnpackingError(
                f"artifact {key!r}: its palette does not fit the recorded {palette_mode} palette of "
                f"{palette_entries} entries ({error})"
            ) from error
    if dpi:
        img.info["dpi"] = tuple(dpi)
    elif mode is not None:
        # Written by this packager without a DPI: drop the default some writers put in (TIFF: 1x1).
        img.info.pop("dpi", None)
        img.info.pop("resolution", None)
    return img


def _restore_palette(img: Image.Image, palette_mode: str, entries: int) -> None:
    """Give the palette back its recorded kind and length (formats pad it; PNG splits off its alpha)."""
    if palette_mode == "RGBA" and img.palette is not None and img.palette.mode != "RGBA":
        rgb = img.getpalette("RGB") or []
        alphas = img.info.pop("transparency", b"")
        if isinstance(alphas, int):
            alphas = bytes(255 if i != alphas else 0 for i in range(entries))
        rgba: list[int] = []
        for index in range(entries):
            alpha = alphas[index] if index < len(alphas) else 255
            rgba.extend([*rgb[3 * index : 3 * index + 3], alpha])
        img.putpalette(rgba, "RGBA")
        return
    data = img.getpalette(palette_mode) or []
    if len(data) != entries * len(palette_mode):
        img.putpalette(data[: entries * len(palette_mode)], palette_mode)
