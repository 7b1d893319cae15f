"""A few big images through a real store: exact where lossless, bounded where lossy, previews small."""

from __future__ import annotations

import json
from typing import Any

from PIL import Image
from pillow_strategies import assert_same_image

from satchel import Store, parse_log_hint
from satchel.packing import log_packed, staging
from satchel.unpacking import unpack_record


def round_trip(host: Any, store: Store, img: Image.Image, hint: str) -> tuple[Any, Image.Image]:
    parsed = parse_log_hint(hint)
    with staging(store):
        packed = host.pack(img, parsed.key, parsed.artifact_type, parsed.options)
    record = log_packed(store, "large", packed)
    assert len(json.dumps(record.preview)) < 16 * 1024
    return record, unpack_record(store, record, Image.Image, host=host)


def photo_like(size: tuple[int, int]) -> Image.Image:
    """Smooth ramps with some noise: compresses like a photograph, not like a flat colour."""
    ramps = Image.merge("RGB", [Image.linear_gradient("L").rotate(a).resize(size) for a in (0, 90, 180)])
    return Image.blend(ramps, Image.effect_noise(size, 30).convert("RGB"), 0.2)


def test_4096_square_rgb_jpeg(host: Any, store: Store) -> None:
    img = photo_like((4096, 4096))
    record, restored = round_trip(host, store, img, "big : file[format=jpeg]")
    assert record.files[0].name == "big.jpg"
    assert_same_image(img, restored, max_mean_abs_error=4.0)  # the documented bound at quality 95


def test_3000_by_2000_rgba_png_plot(host: Any, store: Store) -> None:
    img = Image.merge("RGBA", [Image.linear_gradient("L").rotate(a).resize((3000, 2000)) for a in (0, 90, 180, 270)])
    _record, restored = round_trip(host, store, img, "big")
    assert_same_image(img, restored)


def test_5000_square_grey_bmp_is_copied_out_of_its_memory_map(host: Any, store: Store) -> None:
    img = Image.effect_noise((5000, 5000), 50)
    _record, restored = round_trip(host, store, img, "big : file[format=bmp]")
    assert_same_image(img, restored)
    assert not restored.readonly


def test_2048_square_float_tiff(host: Any, store: Store) -> None:
    img = Image.effect_noise((2048, 2048), 50).convert("F").point(lambda v: v / 255.0 - 0.5)
    record, restored = round_trip(host, store, img, "depth")
    assert (record.artifact_type, record.format) == ("file", "tiff")
    assert_same_image(img, restored)
