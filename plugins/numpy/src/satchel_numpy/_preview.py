"""An array's preview for the UI: shape, dtype, summary statistics and a small picture of its values."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np

from satchel.previews import MAX_READ_BYTES, Block, Facts, Heatmap, Histogram, Preview

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.previews import Reader

__all__ = ["HEATMAP_CELLS", "HISTOGRAM_BINS", "array_preview"]

HISTOGRAM_BINS = 24
#: A 2-D array is averaged down to at most this many rows and columns for its heatmap.
HEATMAP_CELLS = 48


def array_preview(record: ArtifactRecord, read: Reader) -> Preview | None:
    """The preview of one stored .npy file (None for other files, or one too large to read)."""
    if record.format != "npy" or len(record.files) != 1 or record.files[0].size > MAX_READ_BYTES:
        return None
    # allow_pickle=False: an object array in a store is never unpickled to be looked at.
    array = np.load(io.BytesIO(read(record.files[0].name)), allow_pickle=False)
    facts = [("shape", "x".join(str(n) for n in array.shape) or "scalar"), ("dtype", str(array.dtype)),
             ("elements", str(array.size))]
    blocks: list[Block] = [Facts(facts)]
    if array.dtype.kind in "biuf" and array.size:
        values = array.astype(np.float64)
        finite = values[np.isfinite(values)]
        if finite.size:
            facts += [("min", _number(finite.min())), ("max", _number(finite.max())),
                      ("mean", _number(finite.mean())), ("std", _number(finite.std()))]
        if finite.size < values.size:
            facts.append(("not finite", str(values.size - finite.size)))
        blocks = [Facts(facts)]
        if array.ndim == 2 and min(array.shape) > 1:
            blocks.append(Heatmap(_shrink(np.nan_to_num(values)).tolist(), title="Values (heatmap)"))
        elif finite.size:
            counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
            blocks.append(Histogram(counts.tolist(), edges.tolist(), title="Values (histogram)"))
    return Preview(blocks, summary=f"{facts[0][1]} {array.dtype}")


def _number(value: Any) -> str:
    return f"{float(value):.6g}"


def _shrink(values: Any) -> Any:
    """Block means over an even grid, so the heatmap has at most HEATMAP_CELLS rows and columns."""
    for axis in (0, 1):
        size = values.shape[axis]
        if size > HEATMAP_CELLS:
            starts = np.linspace(0, size, HEATMAP_CELLS, endpoint=False).astype(int)
            counts = np.diff(np.append(starts, size))
            sums = np.add.reduceat(values, starts, axis=axis)
            values = sums / (counts[:, None] if axis == 0 else counts[None, :])
    return values
