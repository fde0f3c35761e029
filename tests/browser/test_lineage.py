"""The model page's lineage chart in a real browser (Debian's chromium through Playwright):
the predecessor's history is drawn apart from the successor's (two lines that look
different, not one joined line), the link leads to the predecessor's page, no CSP error."""

import os
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from app import clock
from app.db import connection
from tests.clocks import ManualClock
from tests.conftest import new_app
from tests.scraping.test_lineage_flow import (
    MOVE_DAY,
    NEW_ID,
    OLD_ID,
    OLD_NAME,
    follow_the_move,
    noon,
)

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
]
playwright_sync = pytest.importorskip("playwright.sync_api")
werkzeug_serving = pytest.importorskip("werkzeug.serving")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    path = os.fspath(tmp_path_factory.mktemp("lineage") / "leaderboard.sqlite3")
    connection.init_db(path)
    follow_the_move(path)
    app = new_app({"DATABASE": path, "PROXY_HOPS": 0})
    server = werkzeug_serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    # The site reads "now" from the clock seam: the day after the move, on a manual clock.
    with clock.use(ManualClock(noon(MOVE_DAY) + timedelta(hours=1))):
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        thread.join(5)


LINES_JS = """() => [...document.querySelectorAll('.model-lineage .overlay-series')].map((g) => {
  const line = g.querySelector('.overlay-line');
  const box = line.getBBox();
  const style = getComputedStyle(line);
  return {role: g.classList.contains('lineage-predecessor') ? 'old' : 'new',
          left: box.x, right: box.x + box.width, dash: style.strokeDasharray,
          stroke: style.stroke, marks: g.querySelectorAll('.overlay-marker').length};
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_predecessor_is_drawn_apart_and_linked(site, browser, scheme):
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{site}/models/{NEW_ID}")
        section = page.locator(".model-lineage")
        assert section.is_visible()
        lines = {line["role"]: line for line in page.evaluate(LINES_JS)}
        assert set(lines) == {"old", "new"}
        old, new = lines["old"], lines["new"]
        assert old["marks"] == 20 and new["marks"] == 1
        # Told apart by more than colour, and not one line: the old one ends before the new.
        assert old["dash"] != new["dash"] and old["stroke"] != new["stroke"]
        assert old["right"] < new["left"] + 0.01
        page.locator(f'.model-lineage a[href="/models/{OLD_ID}"]').click()
        page.wait_for_url(f"**/models/{OLD_ID}")
        assert OLD_NAME in page.locator("h1").inner_text()
        assert page.locator(f'.model-lineage a[href="/models/{NEW_ID}"]').is_visible()
        assert errors == []
    finally:
        context.close()
