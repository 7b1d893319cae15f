"""The installed distribution's entry points work: discovery finds both packagers, light to load."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pandas as pd

from satchel.plugins import PluginHost

EXPECTED = {"pandas": "satchel_pandas:DataFramePackager", "pandas-series": "satchel_pandas:SeriesPackager"}


def test_entry_points_are_declared() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="satchel") if ep.name in EXPECTED}
    assert found == EXPECTED


def test_discovery_registers_both_packagers_from_the_distribution() -> None:
    host = PluginHost()
    assert set(EXPECTED) <= set(host.names)
    infos = {info.name: info for info in host.infos()}
    for name in EXPECTED:
        assert infos[name].distribution == "satchel-pandas"
        assert infos[name].error is None
    assert infos["pandas"].types == ["pandas.DataFrame"]
    assert infos["pandas-series"].types == ["pandas.Series"]


def test_discovery_selects_them_for_frames_and_series() -> None:
    host = PluginHost()
    assert host.select_packer(pd.DataFrame).name == "pandas"
    assert host.select_packer(pd.Series).name == "pandas-series"
    assert host.select_packer(pd.DataFrame, "file").name == "pandas"


def test_loading_the_entry_points_imports_neither_pandas_nor_pyarrow() -> None:
    code = (
        "import satchel.plugins as p, sys; h = p.PluginHost(); h.ensure_loaded(); "
        "assert {'pandas', 'pandas-series'} <= set(h.names), h.names; "
        "heavy = [m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
