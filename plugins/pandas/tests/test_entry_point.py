"""The installed distribution's entry points work: discovery finds both packagers, light to load."""

from __future__ import annotations

import pandas as pd

from satchel import PluginHost
from satchel.testing import EntryPointContract

EXPECTED = {"pandas": "satchel_pandas.packagers:DataFramePackager", "pandas-series": "satchel_pandas.packagers:SeriesPackager"}


class TestEntryPoints(EntryPointContract):
    distribution = "satchel-pandas"
    entry_points = EXPECTED
    heavy_modules = ("pandas", "pyarrow", "numpy")


def test_discovery_describes_both_packagers_by_type() -> None:
    infos = {info.name: info for info in PluginHost().infos()}
    assert infos["pandas"].types == ["pandas.DataFrame"]
    assert infos["pandas-series"].types == ["pandas.Series"]


def test_discovery_selects_them_for_frames_and_series() -> None:
    host = PluginHost()
    assert "pandas" == host.select_packer(pd.DataFrame)
    assert "pandas-series" == host.select_packer(pd.Series)
    assert "pandas" == host.select_packer(pd.DataFrame, "file")
