"""The exported course (``make html``) read offline: every diagram drawn, the sliders shown, nothing fetched.

Pages are opened as files (file://), as on a laptop with the network off; the
browser fixture blocks every request that leaves this machine and records it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from orchestration_kit.course.export import export

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "build" / "js" / "node_modules"
LESSONS = ["00_start_here", "04_hierarchical", "05_tradeoffs", "08_choosing"]
SCREEN_HEIGHT = 1000  # the browser window's height (see conftest.py)

COUNT_NODES = """(img) => {
    const svg = new DOMParser().parseFromString(decodeURIComponent(img.src.split(',')[1]), 'image/svg+xml');
    return svg.querySelectorAll('svg g.node').length;
}"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    if not NODE_MODULES.exists():
        pytest.fail(f"no {NODE_MODULES}: run `make build/js/.installed` (npm) first, or `make browser-test`")
    out = tmp_path_factory.mktemp("html")
    written = export([ROOT / "notebooks" / f"{name}.ipynb" for name in LESSONS], out, NODE_MODULES)
    return {page.stem: page for page in written}


def open_page(browser, page_path: Path):
    page = browser.new_page()
    page.goto(page_path.as_uri())
    return page


@pytest.mark.parametrize("name", LESSONS)
def test_every_diagram_of_the_exported_page_is_drawn_offline(browser, pages, name, screenshots):
    page = open_page(browser, pages[name])
    diagrams = page.locator(".jp-Mermaid")
    wanted = diagrams.count()
    if wanted:
        page.wait_for_function(f"document.querySelectorAll('.jp-RenderedMermaid img').length === {wanted}", timeout=30_000)
    pictures = page.locator(".jp-RenderedMermaid img")
    assert page.locator(".jp-RenderedMermaid.jp-mod-warning").count() == 0  # none failed to parse
    for index in range(pictures.count()):
        assert pictures.nth(index).evaluate(COUNT_NODES) >= 3, f"diagram {index} of {name} has no nodes"
    if wanted:
        diagrams.first.scroll_into_view_if_needed()
        diagrams.first.screenshot(path=str(screenshots / f"offline_{name}_diagram.png"))
    assert browser.outside == [], f"the page tried to reach {browser.outside}"
    page.close()


def test_the_exported_explorer_shows_its_sliders_and_chart_offline(browser, pages, screenshots):
    page = open_page(browser, pages["05_tradeoffs"])
    sliders = page.locator(".widget-slider")
    sliders.first.wait_for(timeout=30_000)
    assert sliders.count() >= 3
    explorer = page.locator(".jupyter-widgets").filter(has=sliders.first).first
    explorer.scroll_into_view_if_needed()
    explorer.screenshot(path=str(screenshots / "offline_05_explorer.png"))
    assert browser.outside == []
    page.close()


def test_the_guides_last_diagram_fits_on_a_screen(browser, pages, screenshots):
    page = open_page(browser, pages["08_choosing"])
    page.wait_for_function("document.querySelectorAll('.jp-RenderedMermaid img').length >= 1", timeout=30_000)
    last = page.locator(".jp-RenderedMermaid img").last
    last.scroll_into_view_if_needed()
    height = last.bounding_box()["height"]
    last.screenshot(path=str(screenshots / "offline_08_last_diagram.png"))
    assert height <= SCREEN_HEIGHT, f"the diagram is {height:.0f} px tall"
    page.close()
