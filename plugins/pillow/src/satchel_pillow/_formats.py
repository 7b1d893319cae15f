"""The image formats satchel-pillow writes, the modes each holds exactly, and their options checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from satchel.errors import PackingError

__all__ = [
    "FORMATS",
    "PLOT_MODES",
    "SUBSAMPLING",
    "TIFF_COMPRESSION",
    "FileOptions",
    "FormatSpec",
    "ImageMetadataWarning",
    "default_format",
    "file_options",
    "formats_holding",
]


class ImageMetadataWarning(UserWarning):
    """The chosen format cannot hold some of the image's metadata (ICC profile, EXIF), so it was left out."""


@dataclass(frozen=True)
class FormatSpec:
    """One format: its name, Pillow's name for it, what it holds, and which options apply."""

    name: str
    pil_name: str
    extension: str
    #: Modes stored so that opening the file gives the same mode and pixels (lossless formats) or
    #: the same mode and nearly the same pixels (lossy ones).
    modes: frozenset[str]
    lossy: bool = False
    icc_profile: bool = False
    exif: bool = False
    dpi: bool = False
    #: Whether ``info["transparency"]`` (a transparent palette index or colour) is written.
    transparency: bool = False
    #: Whether a palette with an alpha channel (``palette.mode == "RGBA"``) is written.
    palette_alpha: bool = False


FORMATS: Mapping[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec(
            "png", "PNG", "png", frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}),
            icc_profile=True, exif=True, dpi=True, transparency=True, palette_alpha=True,
        ),
        FormatSpec(
            "jpeg", "JPEG", "jpg", frozenset({"L", "RGB", "CMYK"}),
            lossy=True, icc_profile=True, exif=True, dpi=True,
        ),
        FormatSpec("webp", "WEBP", "webp", frozenset({"RGB", "RGBA"}), lossy=True, icc_profile=True, exif=True),
        FormatSpec("bmp", "BMP", "bmp", frozenset({"1", "L", "P", "RGB"}), dpi=True),
        FormatSpec(
            "tiff", "TIFF", "tiff",
            frozenset({"1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "I", "I;16", "I;16B", "F"}),
            icc_profile=True, exif=True, dpi=True,
        ),
        FormatSpec("gif", "GIF", "gif", frozenset({"L", "P"}), transparency=True),
    )
}

_ALIASES = {"jpg": "jpeg", "tif": "tiff"}

#: Modes a plot (a PNG) holds exactly; other modes are rendered for display.
PLOT_MODES = FORMATS["png"].modes

#: JPEG chroma subsampling values accepted, as Pillow names them.
SUBSAMPLING = ("4:4:4", "4:2:2", "4:2:0")
DEFAULT_SUBSAMPLING = "4:4:4"
DEFAULT_QUALITY = 95

#: TIFF compression option -> Pillow's compression name (None: uncompressed).
TIFF_COMPRESSION: Mapping[str, str | None] = {
    "none": None, "lzw": "tiff_lzw", "deflate": "tiff_adobe_deflate", "packbits": "packbits",
}
# libtiff's compressed writer does not give these back as they were (YCbCr reads as RGB,
# I;16B as I;16), so they are held only uncompressed.
_UNCOMPRESSED_ONLY_MODES = frozenset({"YCbCr", "I;16B"})


def formats_holding(mode: str) -> list[str]:
    """The names of the formats that hold images of ``mode``, lossless ones first."""
    found = [spec for spec in FORMATS.values() if mode in spec.modes]
    return [spec.name for spec in sorted(found, key=lambda spec: spec.lossy)]


def default_format(mode: str) -> str:
    """The format used when none is given: PNG when it holds the mode exactly, else TIFF."""
    return "png" if mode in FORMATS["png"].modes else "tiff"


def _format_spec(value: object) -> FormatSpec:
    if not isinstance(value, str):
        raise PackingError(f"format must be a string like 'png'; got {value!r} ({type(value).__name__})")
    name = value.strip().lower().lstrip(".")
    name = _ALIASES.get(name, name)
    spec = FORMATS.get(name)
    if spec is None:
        raise PackingError(
            f"unsupported image format {value!r}; satchel-pillow writes {', '.join(FORMATS)} "
            "('jpg' and 'tif' are accepted too)"
        )
    return spec


@dataclass(frozen=True)
class FileOptions:
    """Validated options for one ``file`` artifact."""

    spec: FormatSpec
    quality: int | None = None
    subsampling: str | None = None
    lossless: bool = False
    compression: str | None = None

    @property
    def holds_exif(self) -> bool:
        """Whether the file keeps EXIF: libtiff's compressed writer cannot write its sub-IFDs."""
        return self.spec.exif and not (self.spec.name == "tiff" and self.compression not in (None, "none"))

    def save_params(self) -> dict[str, Any]:
        """Keyword arguments for ``Image.save`` beyond the format."""
        name = self.spec.name
        if name == "jpeg":
            return {"quality": self.quality, "subsampling": self.subsampling}
        if name == "webp":
            if self.lossless:
                # exact: keep the colour of fully transparent pixels, or RGBA does not round-trip.
                return {"lossless": True, "exact": True}
            return {"quality": self.quality}
        if name == "gif":
            # optimize would drop unused palette entries and renumber the pixels.
            return {"optimize": False}
        if name == "tiff" and self.compression is not None:
            pil_compression = TIFF_COMPRESSION[self.compression]
            return {"compression": pil_compression} if pil_compression else {}
        return {}

    def instructions(self) -> dict[str, Any]:
        """What the stored record says about the encoding (for people reading it; unpacking ignores it)."""
        out: dict[str, Any] = {"format": self.spec.name}
        if self.spec.name == "jpeg":
            out.update(quality=self.quality, subsampling=self.subsampling)
        elif self.spec.name == "webp":
            out.update({"lossless": True} if self.lossless else {"quality": self.quality})
        elif self.spec.name == "tiff":
            out["compression"] = self.compression or "none"
        return out

    def check_mode(self, mode: str) -> None:
        """Fail unless this format (with these options) holds images of ``mode``."""
        spec = self.spec
        if mode not in spec.modes:
            raise PackingError(_mode_message(mode, spec))
        if spec.name == "tiff" and self.compression not in (None, "none") and mode in _UNCOMPRESSED_ONLY_MODES:
            raise PackingError(
                f"{mode} images are held exactly only by uncompressed TIFF; use compression='none' "
                f"(or leave it out), or convert the image first"
            )


# What to convert an image to when no format holds its mode (Pillow's intermediate modes).
_CONVERT_TO = {"La": "LA", "RGBa": "RGBA", "RGBX": "RGB", "HSV": "RGB", "I;16L": "I;16", "I;16N": "I;16"}


def _mode_message(mode: str, spec: FormatSpec) -> str:
    holding = formats_holding(mode)
    if not holding:
        target = _CONVERT_TO.get(mode, "RGB")
        return (
            f"no format satchel-pillow writes holds {mode} images exactly; convert the image first "
            f"(img.convert({target!r})), or log it as a plot ('key : plot') to store a rendering for display"
        )
    fmt = spec.name.upper()
    others = [repr(name) for name in holding]
    where = f"use format={', '.join(others[:-1])} or {others[-1]}" if len(others) > 1 else f"use format={others[0]}"
    if mode in ("RGBA", "LA", "PA") and not {"RGBA", "LA", "PA"} & spec.modes:
        target = "L" if mode == "LA" else "RGB"
        return (
            f"{mode} images cannot be saved as {fmt} (no alpha channel); {where}, or convert the "
            f"image to {target} first (img.convert({target!r}))"
        )
    return (
        f"{mode} images cannot be saved as {fmt}, which holds only {', '.join(sorted(spec.modes))}; "
        f"{where}, or convert the image to one of those modes first"
    )


def _check_quality(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PackingError(f"quality must be an integer from 1 to 100; got {value!r}")
    if not 1 <= value <= 100:
        raise PackingError(f"quality must be from 1 (smallest file) to 100 (best); got {value}")
    return value


def file_options(
    format: str | None,  # noqa: A002 - the option is called `format` in log hints
    mode: str,
    quality: object = None,
    subsampling: object = None,
    lossless: object = None,
    compression: object = None,
) -> FileOptions:
    """Check the options of a ``file`` artifact against each other and the image's mode."""
    spec = _format_spec(format if format is not None else default_format(mode))
    lossy_names = " and ".join(name for name, s in FORMATS.items() if s.lossy)
    if lossless is not None:
        if spec.name != "webp":
            kind = "lossy" if spec.lossy else "always lossless"
            raise PackingError(
                f"lossless applies only to format='webp'; {spec.name} is {kind}, so leave lossless out"
            )
        if not isinstance(lossless, bool):
            raise PackingError(f"lossless must be true or false; got {lossless!r}")
    webp_lossless = spec.name == "webp" and bool(lossless)
    if quality is not None:
        if not spec.lossy:
            raise PackingError(
                f"quality applies only to the lossy formats ({lossy_names}); {spec.name} is "
                "lossless, so leave quality out"
            )
        if webp_lossless:
            raise PackingError("quality applies to lossy WebP; with lossless=true leave quality out")
        quality = _check_quality(quality)
    elif spec.lossy and not webp_lossless:
        quality = DEFAULT_QUALITY
    if subsampling is not None:
        if spec.name != "jpeg":
            raise PackingError(f"subsampling applies only to format='jpeg'; leave it out for {spec.name}")
        if subsampling not in SUBSAMPLING:
            raise PackingError(f"subsampling must be one of {', '.join(map(repr, SUBSAMPLING))}; got {subsampling!r}")
    elif spec.name == "jpeg":
        subsampling = DEFAULT_SUBSAMPLING
    if compression is not None:
        if spec.name != "tiff":
            raise PackingError(f"compression applies only to format='tiff'; leave it out for {spec.name}")
        if compression not in TIFF_COMPRESSION:
            raise PackingError(
                f"TIFF compression must be one of {', '.join(map(repr, TIFF_COMPRESSION))}; got {compression!r}"
            )
    options = FileOptions(
        spec,
        quality=quality if isinstance(quality, int) else None,
        subsampling=subsampling if isinstance(subsampling, str) else None,
        lossless=webp_lossless,
        compression=compression if isinstance(compression, str) else None,
    )
    options.check_mode(mode)
    return options
