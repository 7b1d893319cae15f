"""satchel-pillow against satchel's packager contract: round trips through a real store, per format."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from PIL import Image
from pillow_strategies import assert_same_image, images

from satchel.testing import PackagerContract
from satchel_pillow import FORMATS, PillowPackager
from satchel_pillow._formats import PLOT_MODES

JPEG_MAX_MEAN_ABS_ERROR = 4.0  # at the default quality, 95, for any content (see test_formats.py)


class _ImageContract(PackagerContract):
    packager = PillowPackager
    # Images never pack as a result (not JSON); listing the types keeps that test from passing vacuously.
    round_trip_types = ("file", "plot")
    lossy = False

    def snapshot(self, obj: Any) -> Any:
        return obj.copy()  # deepcopy pickles the palette as RGB, losing an RGBA palette's alpha

    def strategy_for(self, artifact_type: str) -> st.SearchStrategy[Any]:
        if artifact_type == "plot":
            return self.strategy.filter(lambda img: img.mode in PLOT_MODES)
        return self.strategy

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        assert isinstance(restored, Image.Image)
        lossy = self.lossy and artifact_type == "file" and original is not restored
        assert_same_image(original, restored, max_mean_abs_error=JPEG_MAX_MEAN_ABS_ERROR if lossy else None)

    def assert_same_from_file(self, original: Any, restored: Any, artifact_type: str) -> None:
        # A plain file comes without instructions: its DPI is what the format keeps (PNG rounds it to
        # dots per metre, TIFF and JPEG may drop it), and a palette comes back as the format stores
        # it (padded, its alpha split off), so a palette image keeps its indices and its colours.
        assert isinstance(restored, Image.Image)
        lossy = self.lossy and artifact_type == "file"
        if original.mode in ("P", "PA"):
            assert (original.mode, original.size) == (restored.mode, restored.size)
            assert original.tobytes() == restored.tobytes(), "palette indices differ"
            colours = original.getpalette("RGB") or []
            assert colours == (restored.getpalette("RGB") or [])[: len(colours)], "palette colours differ"
            return
        assert_same_image(
            original, restored, max_mean_abs_error=JPEG_MAX_MEAN_ABS_ERROR if lossy else None,
            metadata=("icc_profile", "exif", "transparency"),
        )


class TestTiffFilesAndPlots(_ImageContract):
    """Every mode TIFF holds, as a TIFF file and (rendered where PNG cannot hold it) as a plot."""

    strategy = images(FORMATS["tiff"].modes)
    options = {"file": {"format": "tiff"}}


class TestPngFilesAndPlots(_ImageContract):
    """PNG modes, with transparent colours and palettes with alpha, which only PNG holds."""

    strategy = images(FORMATS["png"].modes, transparency=True, rgba_palettes=True)
    options = {"file": {"format": "png"}}


class TestJpegFiles(_ImageContract):
    """JPEG modes; pixels come back within the documented error bound."""

    strategy = images(FORMATS["jpeg"].modes)
    options = {"file": {"format": "jpeg"}}
    lossy = True
