"""``satchel ui``: a local, read-only web page of a store's runs and artifacts, with previews.

Needs the ``ui`` extra (Starlette, uvicorn, Jinja2, markdown-it-py); only ``satchel ui`` imports
this package. ``docs/ui.md`` tells the whole story.
"""

from __future__ import annotations

__all__: list[str] = []
