"""The array preview `satchel ui` shows: statistics from the verified file, a histogram or a heatmap,
and never an unpickled object array."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from satchel import PickleFallbackWarning, PluginHost, Store
from satchel.artifacts import ArtifactRecord
from satchel.packing import log_packed, staging
from satchel.previews import Facts, Heatmap, Histogram, Preview


def stored(host: PluginHost, store: Store, array: Any, key: str = "a") -> ArtifactRecord:
    with staging(store):
        packed = host.pack(array, key, "file", {})
    return log_packed(store, "proj", packed)


def preview(host: PluginHost, store: Store, record: ArtifactRecord) -> tuple[str | None, Preview | None, list[str]]:
    return host.render_preview(record, lambda name: store.read_bytes(record, name))


def facts(found: Preview) -> dict[str, str]:
    (block,) = [b for b in found.blocks if isinstance(b, Facts)]
    return dict(block.items)


def test_a_1d_array_gets_its_statistics_and_a_histogram(host: PluginHost, store: Store) -> None:
    record = stored(host, store, np.arange(1000, dtype=np.float64))
    plugin, found, problems = preview(host, store, record)
    assert ("numpy", []) == (plugin, problems)
    assert found is not None
    assert {"shape": "1000", "dtype": "float64", "elements": "1000", "min": "0", "max": "999", "mean": "499.5"} == {
        k: v for k, v in facts(found).items() if k != "std"
    }
    (histogram,) = [b for b in found.blocks if isinstance(b, Histogram)]
    assert (24, 1000, [0.0, 999.0]) == (len(histogram.counts), sum(histogram.counts), [histogram.edges[0], histogram.edges[-1]])


def test_a_2d_array_gets_a_heatmap_averaged_down(host: PluginHost, store: Store) -> None:
    record = stored(host, store, np.ones((500, 7), dtype=np.int32))
    _plugin, found, _problems = preview(host, store, record)
    assert found is not None and "500x7 int32" == found.summary
    (heatmap,) = [b for b in found.blocks if isinstance(b, Heatmap)]
    assert (48, 7, 1.0) == (len(heatmap.values), len(heatmap.values[0]), heatmap.values[10][3])


def test_non_finite_values_are_counted_not_drawn(host: PluginHost, store: Store) -> None:
    record = stored(host, store, np.array([1.0, np.nan, np.inf, 3.0] * 10))
    _plugin, found, _problems = preview(host, store, record)
    assert found is not None
    assert ("20", "1", "3") == (facts(found)["not finite"], facts(found)["min"], facts(found)["max"])


def test_an_object_array_is_never_unpickled_to_be_previewed(host: PluginHost, store: Store) -> None:
    with pytest.warns(PickleFallbackWarning):
        record = stored(host, store, np.array([{"a": 1}, None], dtype=object))
    plugin, found, problems = preview(host, store, record)
    # np.load refuses the pickle; the plugin's failure is reported and no other plugin here answers.
    assert (None, None) == (plugin, found)
    assert 1 == len(problems) and "numpy" in problems[0] and "allow_pickle" in problems[0]


def test_other_files_are_not_its_to_preview(host: PluginHost, store: Store) -> None:
    record = stored(host, store, np.zeros(3), key="z")
    record.format = "npz"
    assert (None, None, []) == preview(host, store, record)
