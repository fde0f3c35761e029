"""/api's examples in a real browser (issue 19, defect 5): every request and answer box
scrolls inside itself on a phone and a laptop, in both themes, and the page never
scrolls sideways; the curl line's Copy button copies the line."""

import json
from collections.abc import Iterator

import pytest

from tests.browser.screens import SIZES, THEMES, themed_context
from tests.browser.test_site import LiveServer, start_server

pytestmark = pytest.mark.browser

SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Each example box: on screen within the page's width, and whether it has more than it
# shows (then it scrolls itself: overflow auto).
BOXES = """() => [...document.querySelectorAll('.api-example pre')].map(pre => {
  const box = pre.getBoundingClientRect();
  const style = getComputedStyle(pre);
  return {
    id: pre.id || pre.getAttribute('aria-labelledby'),
    right: box.right,
    width: document.documentElement.clientWidth,
    overflows: pre.scrollWidth > pre.clientWidth || pre.scrollHeight > pre.clientHeight,
    scrolls: style.overflowX === 'auto' && style.overflowY === 'auto',
    wraps: style.whiteSpace !== 'pre',
  };
})"""


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("apidocs"))
    yield server
    server.stop()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_example_scrolls_in_its_own_box(browser, live, theme, width, height):
    context = themed_context(browser, theme, width, height)
    page = context.new_page()
    try:
        page.goto(live.url + "/api")
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        assert page.evaluate(SIDEWAYS) <= 0
        boxes = page.evaluate(BOXES)
        # A request and an answer for each of the 7 endpoints (the database has data).
        assert len(boxes) == 14, boxes
        for box in boxes:
            assert box["right"] <= box["width"] + 0.5, box
            assert box["scrolls"] and not box["wraps"], box
        # The long answers hold more than their box shows, so they are the ones scrolled.
        assert any(box["overflows"] for box in boxes)
    finally:
        context.close()


def test_the_copy_button_copies_the_curl_line(browser, live):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(live.url + "/api")
        line = page.text_content("#listModels-curl")
        assert line == f"curl '{live.url}/api/models?sort=ttft&limit=3'"
        page.click('button[data-copy="listModels-curl"]')
        page.wait_for_function(
            "document.querySelector('[data-copy=listModels-curl]').textContent === 'Copied'"
        )
        assert page.evaluate("navigator.clipboard.readText()") == line
        # The answer shown is the real one's first 2 models.
        shown = json.loads(page.text_content("pre[aria-labelledby=listModels-answer]"))
        assert len(shown) == 2 and all("chute_id" in m for m in shown)
    finally:
        context.close()
