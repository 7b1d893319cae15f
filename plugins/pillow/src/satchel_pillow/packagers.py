"""PillowPackager: Pillow images as PNG plots with a thumbnail, or as image files in a chosen format."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from satchel import Artifact, Packager, PlotArtifact
from satchel.typenames import resolve_if_imported
from satchel_pillow._formats import PLOT_MODES, file_options

if TYPE_CHECKING:
    from PIL import Image

    from satchel import DataItem

__all__ = ["PillowPackager"]


class PillowPackager(Packager):
    """Packs Pillow images as PNG plots with a thumbnail preview, or as PNG/JPEG/WebP/BMP/TIFF/GIF files.

    ``plot`` (the default) stores a PNG; ``file[format=…, quality=…]`` stores the format asked for.
    Lossless formats give back the same mode, pixels, palette and metadata; JPEG and lossy WebP give
    back nearly the same pixels. A format that cannot hold the image's mode is an error, never a
    silent conversion.
    """

    PACKABLE_OBJECT_TYPE = "PIL.Image.Image"
    PACK_SUBCLASSES = True
    DEFAULT_PACKING_ARTIFACT_TYPE = "plot"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"
    FORMAT_VERSION = 1
    REQUIRES = {"PIL": "pillow"}
    PACKS_RESULT = False  # an image is not a JSON value

    def get_default_packing_artifact_type(self, obj: Any) -> str:
        """A plot when a PNG holds the image exactly, else a file (TIFF) so nothing is lost."""
        return "plot" if obj.mode in PLOT_MODES else "file"

    def pack_plot(self, obj: Image.Image, key: str, title: str | None = None) -> tuple[Artifact, dict[str, Any]]:
        """A PNG of the image with a thumbnail preview; modes PNG cannot hold are rendered for display."""
        from satchel_pillow._codec import save_plot
        from satchel_pillow._preview import preview

        path = os.path.join(self.make_temp_dir(), f"{key}.png")
        instructions = save_plot(obj, path, key)
        artifact = PlotArtifact(key=key, src_path=path, format="png", title=title or key, preview=preview(obj))
        return artifact, instructions

    def pack_file(
        self,
        obj: Image.Image,
        key: str,
        format: str | None = None,  # noqa: A002 - the option is called `format` in log hints
        quality: int | None = None,
        subsampling: str | None = None,
        lossless: bool | None = None,
        compression: str | None = None,
    ) -> tuple[Artifact, dict[str, Any]]:
        """The image saved as ``format`` (default: PNG, or TIFF for modes PNG cannot hold)."""
        options = file_options(format, obj.mode, quality, subsampling, lossless, compression)
        from satchel_pillow._codec import save_file
        from satchel_pillow._preview import preview

        path = os.path.join(self.make_temp_dir(), f"{key}.{options.spec.extension}")
        instructions = save_file(obj, path, options, key)
        artifact = Artifact(key=key, src_path=path, format=options.spec.name, preview=preview(obj))
        return artifact, instructions

    def convert(self, obj: Any, obj_type: type) -> Any:
        """An unpacked image as a ``numpy.ndarray`` (``np.asarray``) when the type hint asks for one."""
        # A hint naming numpy.ndarray means NumPy is imported; this never imports it.
        if obj_type is resolve_if_imported("numpy.ndarray"):
            import numpy as np

            return np.asarray(obj)
        return obj

    def unpack_file(
        self,
        data_item: DataItem,
        format: str | None = None,  # noqa: A002 - the instruction's name
        mode: str | None = None,
        dpi: list[float] | None = None,
        palette_mode: str | None = None,
        palette_entries: int | None = None,
    ) -> Image.Image:
        """A plain, fully loaded Image; a file given without instructions may be in any format this plugin writes."""
        from satchel_pillow._codec import load_image

        return load_image(
            data_item.local(), data_item.key, format=format, mode=mode, dpi=dpi,
            palette_mode=palette_mode, palette_entries=palette_entries,
        )

    def unpack_plot(
        self,
        data_item: DataItem,
        format: str | None = None,  # noqa: A002 - the instruction's name
        mode: str | None = None,
        dpi: list[float] | None = None,
        palette_mode: str | None = None,
        palette_entries: int | None = None,
    ) -> Image.Image:
        """The plotted image: equal to the packed one for modes a PNG holds, else the rendering."""
        return self.unpack_file(data_item, format or "png", mode, dpi, palette_mode, palette_entries)
