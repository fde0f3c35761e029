"""The compare page and the model page's capacity section in a real browser (Debian's
chromium through Playwright): both colour schemes, a 390 px phone, the CSP, the legend."""

import math
import os
import pathlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app.db import connection
from tests.conftest import new_app
from tests.seed import seed, simple_model
from tests.seed_capacity import seed_capacity, snapshot

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = pathlib.Path(__file__).parents[1] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing"),
]
playwright_sync = pytest.importorskip("playwright.sync_api")
werkzeug_serving = pytest.importorskip("werkzeug.serving")

NAMES = [
    "deepseek-ai/DeepSeek-V3.2-TEE",
    "openai/gpt-oss-20b",
    "Qwen/Qwen3-235B-A22B-Instruct-2507-TEE",
    "zai-org/GLM-4.7-TEE",
]
IDS = [f"cmp-{i}" for i in range(len(NAMES))]
SNAPSHOT_DAYS: list[int] = []  # filled by the `site` fixture


def seed_compare(db_path: str) -> int:
    """Four models with 35 days of speeds; three with a snapshot every 8 h for 30 days."""
    models = [
        simple_model(
            IDS[i],
            name,
            {
                d: (round(40 + 30 * i + 8 * math.sin(d / 3 + i), 2), 2000 + 500 * i)
                for d in range(35)
            },
        )
        for i, name in enumerate(NAMES)
    ]
    seed(db_path, [e for e, _ in models], [r for _, rows in models for r in rows])
    now = datetime.now(UTC) - timedelta(minutes=2)
    snaps = []
    for step in range(90):
        taken = now - timedelta(hours=8 * step)
        for i in range(3):
            share = max(0.0, 0.1 * i + 0.15 * math.sin(step / 5 + i))
            snaps.append(snapshot(IDS[i], taken, 1000.0, 1000.0 * share, instances=4 + i))
    seed_capacity(db_path, snaps)
    return len({s.taken_at[:10] for s in snaps if s.chute_id == IDS[2]})  # days with a share


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    path = os.fspath(tmp_path_factory.mktemp("compare") / "leaderboard.sqlite3")
    connection.init_db(path)
    SNAPSHOT_DAYS.append(seed_compare(path))
    app = new_app({"DATABASE": path, "PROXY_HOPS": 0})
    server = werkzeug_serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def open_page(browser, url: str, scheme: str, width: int, errors: list[str]):
    context = browser.new_context(viewport={"width": width, "height": 844}, color_scheme=scheme)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.emulate_media(color_scheme=scheme)
    return context, page


# Relative luminance contrast of two computed "rgb(r, g, b)" colours (WCAG 2).
CONTRAST_JS = """([a, b]) => {
  const lum = (css) => {
    const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map(Number).map((c) => {
      c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["dark", "light"])
@pytest.mark.parametrize("width", [390, 1280])
def test_compare_page_reads_in_both_themes_and_on_a_phone(site, browser, scheme, width):
    errors: list[str] = []
    ids = ",".join([IDS[2], IDS[0], IDS[2], IDS[1], IDS[3]])  # a duplicate, order kept
    context, page = open_page(browser, f"{site}/compare?ids={ids}", scheme, width, errors)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"compare-{scheme}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        headers = page.locator(".compare-table thead th[scope=col] a").all_text_contents()
        assert headers == [NAMES[2], NAMES[0], NAMES[1], NAMES[3]]
        assert page.locator("h1 + .compare-legend li").count() == 4
        charts = page.locator(".chart.overlay")
        assert charts.count() == 3
        for index in range(3):
            chart = charts.nth(index)
            assert chart.locator("figcaption .compare-legend li").count() == 4
            groups = chart.locator(".overlay-series")
            shapes = {groups.nth(i).get_attribute("data-marker") for i in range(groups.count())}
            assert len(shapes) == groups.count()  # every series its own marker shape
            dashes = set(
                chart.locator(".overlay-line").evaluate_all(
                    "els => els.map(e => getComputedStyle(e).strokeDasharray)"
                )
            )
            assert len(dashes) == groups.count()  # and its own dash pattern
        # The rate-limited chart has the three models with snapshots, the fourth has none.
        assert charts.nth(2).locator(".overlay-series .overlay-marker").count() > 60
        card_bg = page.evaluate(
            "getComputedStyle(document.querySelector('.chart-card')).backgroundColor"
        )
        for i in range(4):
            stroke = page.evaluate(
                f"getComputedStyle(document.querySelector('.series-{i} .overlay-line')).stroke"
            )
            assert page.evaluate(CONTRAST_JS, [stroke, card_bg]) >= 3, (i, stroke, card_bg)
        text = page.evaluate("getComputedStyle(document.querySelector('.chart text')).fill")
        assert page.evaluate(CONTRAST_JS, [text, card_bg]) >= 3
        assert errors == []  # no CSP violation, no script error
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_three_models_fit_a_phone_flags_and_all(site, browser, scheme):
    """Defect 10: a phone shows every column of three compared models without scrolling,
    also when one carries the "Often rate-limited" flag (it once widened its column)."""
    errors: list[str] = []
    ids = ",".join([IDS[2], IDS[0], IDS[1]])
    context, page = open_page(browser, f"{site}/compare?ids={ids}", scheme, 390, errors)
    try:
        assert page.locator(".compare-table .flag-ratelimited").count() >= 1
        fits = page.evaluate(
            """() => { const t = document.querySelector('.compare-table');
                       return [t.scrollWidth, t.parentElement.clientWidth]; }"""
        )
        assert fits[0] <= fits[1], fits
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/compare?ids=cmp-0", "/compare?ids=cmp-0,nope"])
def test_error_pages_in_the_site_style_fit_a_phone(site, browser, path):
    errors: list[str] = []
    context, page = open_page(browser, site + path, "dark", 390, errors)
    try:
        assert page.locator(".error-code").inner_text() in ("400", "404")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert errors == [] or all("404" in e or "400" in e for e in errors)
    finally:
        context.close()


def test_model_page_capacity_section_and_compare_link(site, browser):
    errors: list[str] = []
    context, page = open_page(browser, f"{site}/models/{IDS[2]}", "dark", 390, errors)
    try:
        section = page.locator("section.capacity")
        assert section.locator(".figure").count() == 4
        assert section.locator("time").count() == 1
        assert section.locator(".flag-ratelimited").count() == 1  # ~20-35 % refused
        assert section.locator("svg circle.point").count() == SNAPSHOT_DAYS[-1]  # one a day
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("a.compare-link").click()
        page.wait_for_load_state()
        assert "/compare?ids=" in page.url
        assert page.locator(".compare-table thead th[scope=col] a").count() == 2
        assert errors == []
    finally:
        context.close()
