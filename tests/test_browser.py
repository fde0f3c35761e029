"""The leaderboard in a real browser: Debian's chromium driven by Playwright.

The app is served for real (werkzeug in a thread) over a seeded temporary database,
so the page, its CSS/JS, the CSP and /api/models all run as in production.
"""

import json
import math
import os
import pathlib
import re
import sqlite3
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app import create_app, db
from tests.seed import seed, simple_model

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = pathlib.Path(__file__).parent / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
    ),
]

playwright_sync = pytest.importorskip("playwright.sync_api")
werkzeug_serving = pytest.importorskip("werkzeug.serving")

FAMILIES = [
    "deepseek-ai/DeepSeek-V3",
    "deepseek-ai/DeepSeek-R1",
    "Qwen/Qwen3-235B-A22B",
    "Qwen/Qwen3-32B",
    "Qwen/Qwen2.5-Coder-32B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Llama-4-Maverick-17B",
    "mistralai/Mistral-Small-3.1-24B",
    "google/gemma-3-27b-it",
    "zai-org/GLM-4.5-Air",
    "moonshotai/Kimi-K2-Instruct",
    "NousResearch/Hermes-4-70B",
]
VARIANTS = ["", "-TEE", "-FP8", "-turbo", "-0528"]


def daily_tps(base: float, model: int, day: int) -> float:
    """A deterministic, gently wandering daily speed (no randomness: stable tests)."""
    wave = math.sin((day + model) / 3.1) * 0.08 + math.sin(day * 1.7 + model) * 0.04
    return round(base * (1 + wave), 2)


def realistic_catalogue(count: int = 60):
    """About `count` models with 35 days of history, plus the edge cases a page must show."""
    catalogue, rows = [], []
    for i in range(count):
        name = FAMILIES[i % len(FAMILIES)] + VARIANTS[i // len(FAMILIES) % len(VARIANTS)]
        base = 20 + (i * 37) % 180
        requests = 300 + (i * 911) % 40000
        days = {n: (daily_tps(base, i, n), requests) for n in range(35)}
        if i % 9 == 4:
            days[0] = (base + 3, 40)  # today, few requests: partial day + low sample
        elif i % 4 == 0:
            del days[0]  # no row today yet
        entry, model_rows = simple_model(f"chute-{i:03d}", name, days)
        catalogue.append(entry)
        rows += model_rows
    entry, _ = simple_model("chute-nodata", "new-org/Brand-New-Model", {})
    catalogue.append(entry)
    return catalogue, rows


class LiveServer:
    def __init__(self, db_path: str):
        self.db_path = db_path
        app = create_app({"TESTING": True, "DATABASE": db_path, "PROXY_HOPS": 0})
        self.server = werkzeug_serving.make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


def start_server(directory: pathlib.Path) -> LiveServer:
    path = os.fspath(directory / "leaderboard.sqlite3")
    db.init_db(path)
    seed(path, *realistic_catalogue())
    return LiveServer(path)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("browser"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


class Tab:
    """A page plus every console error and uncaught exception it produced."""

    def __init__(self, browser, width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None
        )
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))


@pytest.fixture
def tab(browser) -> Iterator[Tab]:
    t = Tab(browser)
    yield t
    t.context.close()


def visible_cards(page) -> list[dict]:
    """Rank, id and name of every visible card, top to bottom."""
    return page.eval_on_selector_all(
        "#board > li:not([hidden])",
        """els => els.map(li => ({
            id: li.dataset.id,
            rank: li.querySelector('.rank-num').textContent,
            name: li.querySelector('.card-title a').textContent,
            tps: li.querySelector('.tps-value').textContent,
        }))""",
    )


def test_leaderboard_renders_ranked_cards(live, tab):
    page = tab.page
    page.goto(live.url + "/")
    cards = visible_cards(page)
    assert len(cards) == 61
    # Ranked models first, numbered 1, 2, 3, … in board order; unranked ones after them.
    ranks = [c["rank"] for c in cards]
    ranked = [r for r in ranks if r != "—"]
    assert ranked == [str(n) for n in range(1, len(ranked) + 1)]
    assert ranks == ranked + ["—"] * (len(ranks) - len(ranked))
    assert cards[-1]["name"] == "new-org/Brand-New-Model" and cards[-1]["rank"] == "—"
    assert page.locator("#board > li").first.locator(".rank-1").count() == 1
    assert page.locator(".spark path").count() >= 60
    assert page.locator("#apply").is_hidden()  # search is live with JS on
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=os.fspath(ARTIFACTS / "leaderboard.png"), full_page=True)
    assert tab.errors == []


def test_search_filters_without_renumbering(live, tab):
    page = tab.page
    page.goto(live.url + "/")
    before = {c["id"]: c["rank"] for c in visible_cards(page)}
    page.evaluate("window.__sameDocument = true")
    page.fill("#q", "qwen coder")
    cards = visible_cards(page)
    assert cards and all(
        "qwen" in c["name"].lower() and "coder" in c["name"].lower() for c in cards
    )
    assert all(c["rank"] == before[c["id"]] for c in cards)
    assert cards[0]["rank"] != "1"
    assert "of 61 models match" in page.text_content("#result-count")
    assert "q=qwen+coder" in page.url
    page.fill("#q", "no such model anywhere")
    assert visible_cards(page) == []
    assert page.locator("#no-matches").is_visible()
    page.fill("#q", "")
    assert len(visible_cards(page)) == 61
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert "q=" not in page.url
    assert tab.errors == []


def server_page_of(page, url: str):
    """The same URL rendered by the server in a second tab of the same browser."""
    other = page.context.new_page()
    other.goto(url)
    return other


def test_sort_reorders_without_renumbering(live, tab):
    page = tab.page
    page.goto(live.url + "/?q=llama")
    assert all("llama" in c["name"].lower() for c in visible_cards(page))
    page.select_option("#sort", "name")
    page.fill("#q", "")
    cards = visible_cards(page)
    names = [c["name"].lower() for c in cards]
    assert names == sorted(names)
    # Sorting reorders but never renumbers: each model keeps its speed rank.
    ranks = {c["id"]: c["rank"] for c in visible_cards(server_page_of(page, live.url + "/"))}
    assert {c["id"]: c["rank"] for c in cards} == ranks
    assert "sort=name" in page.url
    page.select_option("#sort", "ttft")
    ttfts = page.eval_on_selector_all(
        "#board > li:not([hidden]) [data-field=latest_ttft]", "els => els.map(e => e.textContent)"
    )
    values = [float(t.split()[0]) for t in ttfts if t != "—"]
    assert values == sorted(values)
    assert ttfts[-1] == "—"
    # The server agrees with the browser's ranking for the same URL.
    server_page = page.context.new_page()
    server_page.goto(live.url + "/?sort=ttft")
    assert [c["id"] for c in visible_cards(server_page)] == [c["id"] for c in visible_cards(page)]
    assert tab.errors == []


def test_refresh_fetches_api_and_rerenders(tmp_path, browser):
    live = start_server(tmp_path)
    tab = Tab(browser)
    try:
        page = tab.page
        page.goto(live.url + "/")
        assert visible_cards(page)[0]["id"] != "chute-rocket"
        # A new scrape lands while the page is open: a new, very fast model.
        entry, rows = simple_model("chute-rocket", "rocket/Rocket-9B", {1: (999.5, 5000)})
        catalogue, old_rows = realistic_catalogue()
        seed(live.db_path, [*catalogue, entry], [*old_rows, *rows])
        page.evaluate(
            """() => { window.__busySeen = false;
               new MutationObserver(() => {
                 if (document.getElementById('board').getAttribute('aria-busy') === 'true')
                   window.__busySeen = true;
               }).observe(document.getElementById('board'), {attributes: true}); }"""
        )
        with page.expect_response(re.compile(r"/api/models\?sort=rank$")) as response:
            page.click("#refresh")
        assert response.value.status == 200
        page.wait_for_function("!document.getElementById('board').hasAttribute('aria-busy')")
        assert page.evaluate("window.__busySeen") is True
        first = visible_cards(page)[0]
        assert first == {
            "id": "chute-rocket",
            "rank": "1",
            "name": "rocket/Rocket-9B",
            "tps": "999.5",
        }
        assert len(visible_cards(page)) == 62
        assert page.text_content("#hero-total") == "62"
        assert "Updated" in page.text_content("#refresh-status")
        # Sparklines drawn by the server survive the re-render.
        assert page.locator(".spark path").count() >= 60

        # The API fails: a polite message, and the cards stay on screen.
        page.route("**/api/models?*", lambda route: route.fulfill(status=503, body="down"))
        page.click("#refresh")
        page.wait_for_function("!document.getElementById('board').hasAttribute('aria-busy')")
        assert "Couldn't refresh" in page.text_content("#refresh-status")
        assert page.get_attribute("#refresh-status", "role") == "status"
        assert len(visible_cards(page)) == 62
        errors = [e for e in tab.errors if "503" not in e]  # the failed fetch is logged
        assert errors == []
    finally:
        tab.context.close()
        live.stop()


@pytest.mark.parametrize("path", ["/", "/?q=qwen", "/methodology"])
def test_phone_width_has_no_horizontal_overflow(live, browser, path):
    tab = Tab(browser, width=360, height=740)
    try:
        tab.page.goto(live.url + path)
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 360
        assert tab.errors == []
    finally:
        tab.context.close()


def test_model_page_at_phone_width(live, browser):
    tab = Tab(browser, width=360, height=740)
    try:
        tab.page.goto(live.url + "/models/chute-001")
        assert tab.page.locator(".chart svg").count() == 3
        assert tab.page.locator(".chart circle.point title").count() >= 30
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 360
        tab.page.set_viewport_size({"width": 1280, "height": 900})
        ARTIFACTS.mkdir(exist_ok=True)
        tab.page.screenshot(path=os.fspath(ARTIFACTS / "model.png"), full_page=True)
        assert tab.errors == []
    finally:
        tab.context.close()


def test_keyboard_reaches_controls(live, tab):
    page = tab.page
    page.goto(live.url + "/")
    page.keyboard.press("Tab")  # the skip link
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("#q")
    page.keyboard.type("deepseek")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "sort"
    assert all("deepseek" in c["name"].lower() for c in visible_cards(page))
    assert tab.errors == []


def test_works_with_javascript_off(live, browser):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1024, "height": 800}
    )
    try:
        page = context.new_page()
        page.goto(live.url + "/")
        assert page.locator("#apply").is_visible()
        page.fill("#q", "gemma")
        page.select_option("#sort", "requests")
        page.click("#apply")
        page.wait_for_url(re.compile(r"q=gemma"))
        cards = visible_cards(page)
        assert cards and all("gemma" in c["name"].lower() for c in cards)
        requests = page.eval_on_selector_all(
            "#board > li:not([hidden]) [data-field=latest_requests]",
            "els => els.map(e => Number(e.title.replaceAll(',', '')))",
        )
        assert requests == sorted(requests, reverse=True)
    finally:
        context.close()


def api_answer_scraped_at(live: LiveServer, when: datetime):
    """A route handler answering /api/models with the real models, all scraped at `when`."""
    with urllib.request.urlopen(live.url + "/api/models?sort=tps") as response:
        models = json.load(response)
    for model in models:
        model["scraped_at"] = when.isoformat(timespec="seconds")
    body = json.dumps(models)
    return lambda route: route.fulfill(status=200, content_type="application/json", body=body)


def refresh_and_wait(page) -> None:
    page.click("#refresh")
    page.wait_for_function("!document.getElementById('board').hasAttribute('aria-busy')")
    assert "Updated" in page.text_content("#refresh-status")


def test_refresh_rechecks_the_stale_badge(live, browser, tmp_path):
    expect = playwright_sync.expect
    # A fresh page, left open while the scraper stops: the next refresh brings old data.
    tab = Tab(browser)
    try:
        page = tab.page
        page.goto(live.url + "/")
        badge = page.locator("#stale-badge")
        assert badge.is_hidden()
        assert badge.get_attribute("data-stale-after") == "1200"
        three_hours_ago = datetime.now(UTC) - timedelta(hours=3)
        page.route("**/api/models*", api_answer_scraped_at(live, three_hours_ago))
        refresh_and_wait(page)
        expect(badge).to_be_visible()
        assert badge.text_content() == "Stale — last good update 3 h ago"
        assert (badge.get_attribute("title") or "").startswith(
            "The last successful update was 3 h ago ("
        )
        assert page.get_attribute("#last-updated", "datetime") == three_hours_ago.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        assert tab.errors == []
    finally:
        tab.context.close()

    # A stale page, left open until the scraper recovers: the next refresh clears the badge.
    stale = start_server(tmp_path)
    conn = sqlite3.connect(stale.db_path)
    with conn:
        two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
        conn.execute("UPDATE scrape_runs SET finished_at = ?", (two_hours_ago.isoformat(),))
    conn.close()
    tab = Tab(browser)
    try:
        page = tab.page
        page.goto(stale.url + "/")
        badge = page.locator("#stale-badge")
        expect(badge).to_be_visible()
        assert badge.text_content() == "Stale — last good update 2 h ago"
        page.route("**/api/models*", api_answer_scraped_at(stale, datetime.now(UTC)))
        refresh_and_wait(page)
        expect(badge).to_be_hidden()
        assert tab.errors == []
    finally:
        tab.context.close()
        stale.stop()


def test_auto_refresh_every_five_minutes(live, tab):
    page = tab.page
    page.clock.install()
    page.goto(live.url + "/?sort=name")
    fetched: list[str] = []
    page.on("request", lambda req: fetched.append(req.url) if "/api/models" in req.url else None)
    page.clock.run_for("04:50")
    assert fetched == []
    with page.expect_response(re.compile(r"/api/models\?sort=name$")):
        page.clock.run_for("00:15")
    page.wait_for_function("!document.getElementById('board').hasAttribute('aria-busy')")
    names = [c["name"].lower() for c in visible_cards(page)]
    assert names == sorted(names)
    assert tab.errors == []
