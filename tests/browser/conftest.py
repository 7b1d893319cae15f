"""Browser tests: headless Chromium from the system's packages (/usr/bin/chromium), driven by Playwright.

Without Chromium (or Playwright) they skip with one line locally; under CI (``CI=true``) that is a
failure instead, since CI installs both. Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("SATCHEL_CHROMIUM", "/usr/bin/chromium")
# A closed network refuses Chromium's background connections; these keep it from trying.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _missing() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright; no browser download is needed)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Any:
    """``shots(page, name)`` saves a screenshot under tmp_path (and into $SATCHEL_UI_SCREENSHOTS if set)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    extra = os.environ.get("SATCHEL_UI_SCREENSHOTS")

    def take(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if extra:
            shutil.copy(path, Path(extra) / path.name)
        return path

    return take
