"""satchel-pillow: pack Pillow images as PNG plots with a thumbnail, or as image files; unpack them back.

This module stays light: it imports satchel only; Pillow is imported when an image is packed.
"""

from __future__ import annotations

from satchel_pillow._formats import FORMATS, ImageMetadataWarning
from satchel_pillow.packagers import PillowPackager

__all__ = ["FORMATS", "ImageMetadataWarning", "PillowPackager"]
