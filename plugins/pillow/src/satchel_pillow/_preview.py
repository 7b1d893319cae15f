"""A small thumbnail of an image as a data: URI, for listings that show it without reading the artifact."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image, features

from satchel_pillow._codec import thumbnail_source

__all__ = ["MAX_SIDE", "preview"]

MAX_SIDE = 128
# Raw bytes allowed for the thumbnail; base64 makes it 4/3 larger, and the preview stays under 16 KiB.
_BUDGET = 11 * 1024
# Big images are first subsampled (nearest neighbour, cheap) to this many times the thumbnail, then
# filtered down properly: a Lanczos pass over a 4096x4096 image costs more than the rest.
_PRESHRINK = 4


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _png(img: Image.Image, compress_level: int) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


def _encode(img: Image.Image) -> tuple[str, bytes]:
    # zlib level 1: ~1 ms on a noisy thumbnail, where the default level takes ~10 and `optimize` ~20;
    # what does not fit the budget then is photographic, and a lossy thumbnail suits it anyway.
    data = _png(img, compress_level=1)
    if len(data) <= _BUDGET:
        return "image/png", data
    buffer = io.BytesIO()
    if img.mode in ("LA", "RGBA") and features.check("webp"):
        img.save(buffer, format="WEBP", quality=75)
        return "image/webp", buffer.getvalue()
    if img.mode in ("LA", "RGBA"):
        flat = Image.new("RGB", img.size, (255, 255, 255))
        flat.paste(img.convert("RGBA"), mask=img.getchannel("A"))
        img = flat
    img.save(buffer, format="JPEG", quality=75)
    return "image/jpeg", buffer.getvalue()


def preview(img: Image.Image) -> dict[str, Any]:
    """``{"thumbnail": "data:image/...;base64,...", "width", "height", "mode"}`` for ``img``."""
    width, height = img.size
    target = _fit(img.size, MAX_SIDE)
    source = img
    if max(width, height) > _PRESHRINK * MAX_SIDE:
        source = source.resize(_fit(img.size, _PRESHRINK * MAX_SIDE), Image.Resampling.NEAREST)
    source = thumbnail_source(source)
    while True:
        if source.size != target:
            small = source.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
        else:
            small = source.copy() if source is img else source  # saving must not touch the caller's image
        media_type, data = _encode(small)
        if len(data) <= _BUDGET or max(target) == 1:
            break
        target = _fit(target, max(target) // 2)
    uri = f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
    return {"thumbnail": uri, "width": width, "height": height, "mode": img.mode}
