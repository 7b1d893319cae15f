"""`satchel ui` in headless Chromium: a person's walk through the demo's runs and artifacts, and
hostile text from a store that must show as text and run nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from uiserver import Server

import satchel
from satchel.store import Store
from satchel.ui.app import make_app

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<script>window.pwned = 1; alert("script ran")</script><img src=x onerror="window.pwned = 2; alert(1)">'


def hostile_prompt() -> Any:
    """A prompt template whose text is a script and an image with an onerror handler."""
    from langchain_core.prompts import PromptTemplate

    return PromptTemplate.from_template("Summarise {topic}. " + HOSTILE)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The README's demo, run as a user runs it, plus one run returning a hostile prompt template."""
    folder = tmp_path_factory.mktemp("demo")
    subprocess.run([sys.executable, str(ROOT / "examples" / "demo.py")], cwd=folder, check=True,
                   capture_output=True, text=True, env={**os.environ, "SATCHEL_STORE": str(folder / ".satchel")})
    project = satchel.get_or_create_project("demo", store=str(folder / ".satchel"))
    project.run(hostile_prompt, name="hostile", returns=["bad_prompt"])
    with Store(folder / ".satchel") as store:
        yield store


@pytest.fixture(scope="module")
def ui(demo_store: Store) -> Iterator[Server]:
    with Server(make_app(demo_store)) as server:
        yield server


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.dialogs = []  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_from_the_runs_list_to_a_run_its_output_and_the_run_that_consumed_it(ui: Server, page: Any, shots: Any) -> None:
    page.goto(f"{ui.url}/p/demo/runs")
    assert "Runs" == page.locator("h1").inner_text()
    names = page.locator("#runs a.run-link").all_inner_texts()
    assert ["hostile", "thumbnail", "generate-gradient", "summarise", "prepare"] == names
    assert 5 == page.locator("#runs .status-completed").count()
    shots(page, "runs")

    page.locator("#runs a.run-link", has_text="prepare").click()
    assert page.locator("h1").inner_text().startswith("Run prepare")
    assert "2000" in page.locator("table.kv").first.inner_text()  # the rows parameter
    image = page.locator("#output-image img")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 128  # served verified, as a PNG
    table = page.locator("#output-table")
    assert "2000 rows x 4 columns" in table.inner_text()
    assert {"Lisbon", "Oslo", "Quito"} & set(table.locator("td").all_inner_texts())
    assert ["{rows}", "{topic}"] == sorted(page.locator("#output-prompt mark.var").all_inner_texts())
    assert "2000x8" in page.locator("#output-features").inner_text()
    assert 1 == page.locator("#output-features svg.chart").count()  # the array's heatmap
    shots(page, "run")

    page.locator("#output-table a.output-link").click()
    assert page.locator("h1").inner_text().startswith("table")
    assert "2000" in page.locator(".block-facts").first.inner_text()
    assert ["id", "city", "when", "value"] == page.locator(".block-table").nth(1).locator("th").all_inner_texts()
    shots(page, "artifact")

    page.locator("#consumers a.consumer-link", has_text="summarise").click()
    assert page.locator("h1").inner_text().startswith("Run summarise")
    inputs = page.locator("#inputs").inner_text()
    assert all(name in inputs for name in ("image", "features", "table", "prompt"))
    # The lineage picture links back to the run that made the inputs.
    page.locator("svg.lineage a", has_text="prepare").first.click()
    assert page.locator("h1").inner_text().startswith("Run prepare")
    assert [] == page.dialogs and [] == page.errors


def test_a_hostile_prompt_template_and_label_show_as_text_and_run_nothing(ui: Server, page: Any, shots: Any) -> None:
    page.goto(f"{ui.url}/p/demo/runs")
    page.locator("#runs a.run-link", has_text="hostile").click()
    output = page.locator("#output-bad_prompt")
    assert HOSTILE in output.inner_text()  # shown, character for character
    assert ["{topic}"] == output.locator("mark.var").all_inner_texts()
    assert (0, 0) == (page.locator("script").count(), page.locator("[onerror]").count())
    page.locator("#output-bad_prompt a.output-link").click()
    assert page.locator("h1").inner_text().startswith("bad_prompt")
    assert HOSTILE in page.locator(".block-text").first.inner_text()
    shots(page, "hostile")
    assert (0, 0) == (page.locator("script").count(), page.locator("[onerror]").count())
    assert None is page.evaluate("() => window.pwned ?? null")
    assert [] == page.dialogs and [] == page.errors


def test_escaping_alone_keeps_the_script_inert_even_without_the_csp(ui: Server, browser: Any) -> None:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(f"{ui.url}/p/demo/runs")
        page.locator("#runs a.run-link", has_text="hostile").click()
        page.locator("#output-bad_prompt a.output-link").click()
        page.wait_for_load_state("load")
        assert ([], None) == (dialogs, page.evaluate("() => window.pwned ?? null"))
    finally:
        context.close()


def test_a_bad_path_shows_a_message(ui: Server, page: Any) -> None:
    response = page.goto(f"{ui.url}/p/demo/artifacts/no-such-key")
    assert 404 == response.status
    assert "no-such-key" in page.locator("#message").inner_text()


def test_with_a_token_the_printed_address_opens_the_ui_and_the_cookie_carries_on(demo_store: Store, browser: Any) -> None:
    with Server(make_app(demo_store, token="t0ken", allowed_hosts=None)) as server:
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(f"{server.url}/p/demo/runs?token=t0ken")
            assert f"{server.url}/p/demo/runs" == page.url  # the token left the address bar
            page.locator("#runs a.run-link", has_text="prepare").click()
            assert page.locator("h1").inner_text().startswith("Run prepare")
            assert "image" in page.locator("#output-image").inner_text()
            assert page.locator("#output-image img").evaluate("img => img.naturalWidth") == 128  # the cookie, on images too
        finally:
            context.close()
        stranger = browser.new_context()
        try:
            refused = stranger.new_page().goto(f"{server.url}/p/demo/runs")
            assert 401 == refused.status
        finally:
            stranger.close()
