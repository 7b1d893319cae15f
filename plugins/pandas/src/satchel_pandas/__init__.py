"""satchel packagers for pandas: DataFrame and Series as Parquet datasets, or CSV, JSON and Feather files.

Importing this module imports neither pandas nor pyarrow; the packagers import them when they run.
"""

from __future__ import annotations

from satchel_pandas.packagers import FORMATS, DataFramePackager, FormatLossWarning, SeriesPackager

__all__ = ["FORMATS", "DataFramePackager", "FormatLossWarning", "SeriesPackager"]
