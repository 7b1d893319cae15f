"""Small SVG pictures drawn on the server: a histogram, a heatmap and a lineage graph.

Every text and link in them is escaped here; they go into pages inline (no script, no style
attribute: the page's Content-Security-Policy allows neither).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
from markupsafe import Markup, escape

__all__ = ["Edge", "Node", "heatmap", "histogram", "lineage"]

_WIDTH = 360
_HEIGHT = 140


def _n(value: float) -> str:
    return f"{value:.1f}"


def histogram(counts: Sequence[int], edges: Sequence[float], label: str = "histogram") -> Markup:
    """Bars of ``counts`` over ``edges``, with the range written under them."""
    if not counts or len(edges) != len(counts) + 1:
        return Markup("")
    top = max(max(counts), 1)
    width = _WIDTH / len(counts)
    bars = []
    for i, count in enumerate(counts):
        height = (_HEIGHT - 20) * count / top
        title = f"{edges[i]:.4g} to {edges[i + 1]:.4g}: {count}"
        bars.append(
            f'<rect x="{_n(i * width + 1)}" y="{_n(_HEIGHT - 20 - height)}" width="{_n(max(width - 2, 1))}" '
            f'height="{_n(height)}" fill="#3d7fbf"><title>{escape(title)}</title></rect>'
        )
    low, high = escape(f"{edges[0]:.4g}"), escape(f"{edges[-1]:.4g}")
    return Markup(  # noqa: S704 - every text and link in it went through escape(); the rest are numbers
        f'<svg class="chart" role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" height="{_HEIGHT}">{"".join(bars)}'
        f'<text x="0" y="{_HEIGHT - 4}" font-size="11">{low}</text>'
        f'<text x="{_WIDTH}" y="{_HEIGHT - 4}" font-size="11" text-anchor="end">{high}</text></svg>'
    )


def _colour(fraction: float) -> str:
    """Dark blue (low) to yellow (high)."""
    fraction = 0.0 if math.isnan(fraction) else min(max(fraction, 0.0), 1.0)
    red, green, blue = int(40 + 215 * fraction), int(40 + 190 * fraction), int(120 - 80 * fraction)
    return f"#{red:02x}{green:02x}{blue:02x}"


def heatmap(values: Sequence[Sequence[float]], label: str = "heatmap") -> Markup:
    """One coloured cell per value, scaled from the smallest value to the largest."""
    rows = [list(row) for row in values if row]
    if not rows:
        return Markup("")
    columns = max(len(row) for row in rows)
    flat = [v for row in rows for v in row if math.isfinite(v)]
    low, high = (min(flat), max(flat)) if flat else (0.0, 1.0)
    span = (high - low) or 1.0
    # Cells stretch to fill at least a readable picture: a tall, thin array still shows its columns.
    cell_w = min(max(_WIDTH / columns, 4), 24)
    cell_h = min(max(200 / len(rows), 4), 24)
    cells = [
        f'<rect x="{_n(c * cell_w)}" y="{_n(r * cell_h)}" width="{_n(cell_w)}" height="{_n(cell_h)}" '
        f'fill="{_colour((v - low) / span)}"/>'
        for r, row in enumerate(rows) for c, v in enumerate(row)
    ]
    width, height = max(columns * cell_w, 200), len(rows) * cell_h + 16
    caption = escape(f"{low:.4g} (dark) to {high:.4g} (light)")
    return Markup(  # noqa: S704 - every text and link in it went through escape(); the rest are numbers
        f'<svg class="chart" role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}">{"".join(cells)}'
        f'<text x="0" y="{_n(height - 3)}" font-size="11">{caption}</text></svg>'
    )


@attrs.frozen
class Node:
    """A box in the lineage graph: a run or an artifact, in a column, linking to its page."""

    id: str
    label: str
    detail: str
    href: str
    column: int
    is_run: bool
    current: bool = False


@attrs.frozen
class Edge:
    """An arrow from one node (by id) to another."""

    source: str
    target: str


_BOX_W, _BOX_H, _GAP_X, _GAP_Y = 170, 38, 50, 14


def lineage(nodes: Sequence[Node], edges: Sequence[Edge]) -> Markup:
    """Columns of boxes left to right (what came first on the left), arrows between them."""
    if not nodes:
        return Markup("")
    columns = sorted({node.column for node in nodes})
    place: dict[str, tuple[float, float]] = {}
    rows_by_column: dict[int, int] = {}
    for node in nodes:
        row = rows_by_column.get(node.column, 0)
        rows_by_column[node.column] = row + 1
        place[node.id] = (columns.index(node.column) * (_BOX_W + _GAP_X) + 4, row * (_BOX_H + _GAP_Y) + 4)
    width = len(columns) * (_BOX_W + _GAP_X) - _GAP_X + 8
    height = max(rows_by_column.values()) * (_BOX_H + _GAP_Y) - _GAP_Y + 8
    parts = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#777"/></marker></defs>'
    ]
    for edge in edges:
        if edge.source not in place or edge.target not in place:
            continue
        (x1, y1), (x2, y2) = place[edge.source], place[edge.target]
        parts.append(
            f'<line x1="{_n(x1 + _BOX_W)}" y1="{_n(y1 + _BOX_H / 2)}" x2="{_n(x2)}" y2="{_n(y2 + _BOX_H / 2)}" '
            'stroke="#777" stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    for node in nodes:
        x, y = place[node.id]
        fill = "#fff4d6" if node.current else ("#e3edf7" if node.is_run else "#eef6ea")
        stroke = "#c48a00" if node.current else "#667"
        radius = 3 if node.is_run else 12
        label = node.label if len(node.label) <= 24 else node.label[:23] + "…"
        detail = node.detail if len(node.detail) <= 30 else node.detail[:29] + "…"
        parts.append(
            f'<a href="{escape(node.href)}" class="lineage-node"><title>{escape(node.label)} ({escape(node.detail)})</title>'
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_BOX_W}" height="{_BOX_H}" rx="{radius}" fill="{fill}" '
            f'stroke="{stroke}"/>'
            f'<text x="{_n(x + 8)}" y="{_n(y + 16)}" font-size="12" font-weight="bold">{escape(label)}</text>'
            f'<text x="{_n(x + 8)}" y="{_n(y + 30)}" font-size="10" fill="#555">{escape(detail)}</text></a>'
        )
    return Markup(  # noqa: S704 - every text and link in it went through escape(); the rest are numbers
        f'<svg class="lineage" role="img" aria-label="lineage" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}">{"".join(parts)}</svg>'
    )
