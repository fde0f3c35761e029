"""The leaderboard in a real browser: Debian's chromium driven by Playwright.

The app is served for real (werkzeug in a thread) over a seeded temporary database,
so the page, its CSS/JS, the CSP and /api/models all run as in production.
"""

import math
import os
import pathlib
import re
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app.db import connection
from app.db import files as db_files
from tests.conftest import new_app
from tests.seed import seed, simple_model

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = pathlib.Path(__file__).parents[1] / "artifacts"

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
    # Too little traffic on every recent day: unranked, shown apart with its reason.
    entry, model_rows = simple_model(
        "chute-quiet", "quiet-org/Quiet-7B", {0: (80.0, 40), 1: (75.0, 30), 2: (70.0, 20)}
    )
    catalogue.append(entry)
    rows += model_rows
    entry, _ = simple_model("chute-nodata", "new-org/Brand-New-Model", {})
    catalogue.append(entry)
    return catalogue, rows


class LiveServer:
    def __init__(self, db_path: str):
        self.db_path = db_path
        app = new_app({"DATABASE": db_path, "PROXY_HOPS": 0})
        self.server = werkzeug_serving.make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


def start_server(directory: pathlib.Path) -> LiveServer:
    path = os.fspath(directory / "leaderboard.sqlite3")
    connection.init_db(path)
    seed(path, *realistic_catalogue())
    return LiveServer(path)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("browser"))
    yield server
    server.stop()


class Tab:
    """A page plus every console error and uncaught exception it produced."""

    def __init__(self, browser, width: int = 1366, height: int = 900, **options):
        self.context = browser.new_context(viewport={"width": width, "height": height}, **options)
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


DESKTOP = (1366, 900)
PHONE = (390, 844)
SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
BUSY = "!document.getElementById('board-region').hasAttribute('aria-busy')"


def wait_until(page, expression: str, seconds: float = 10) -> None:
    """Poll a JavaScript expression until it is truthy. (page.wait_for_function compiles
    its predicate with eval, which the site's CSP rightly forbids.)"""
    for _ in range(int(seconds * 20)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {expression}")


def visible_rows(page) -> list[dict]:
    """Rank, id, name, big number and group of every visible model, top to bottom, in
    either view (cards or table rows, then the no-data list)."""
    return page.eval_on_selector_all(
        "#board-region [data-rows] > [data-id]:not([hidden])",
        """els => els.map(el => ({
            id: el.dataset.id,
            rank: el.querySelector('.rank-num') ? el.querySelector('.rank-num').textContent : '—',
            name: el.querySelector('.card-title a, .c-name a, :scope > a').textContent,
            big: (el.querySelector('.big-value, .c-tps .num') || {textContent: ''}).textContent,
            group: el.parentElement.id || el.parentElement.className,
        }))""",
    )


def groups_in_order(rows: list[dict]) -> list[str]:
    seen: list[str] = []
    for row in rows:
        if not seen or seen[-1] != row["group"]:
            seen.append(row["group"])
    return seen


def shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=os.fspath(ARTIFACTS / f"{name}.png"), full_page=full_page)


def assert_rank_order(rows: list[dict]) -> None:
    """Ranked models first, numbered 1, 2, 3, … in board order; unranked ones after them."""
    ranks = [r["rank"] for r in rows]
    ranked = [r for r in ranks if r != "—"]
    assert ranked == [str(n) for n in range(1, len(ranked) + 1)]
    assert ranks == ranked + ["—"] * (len(ranks) - len(ranked))


def test_leaderboard_renders_ranked_cards(live, tab):
    page = tab.page
    page.goto(live.url + "/")
    rows = visible_rows(page)
    assert len(rows) == 62
    assert_rank_order(rows)
    # Unranked models (too little traffic) sit in their own list after the ranked ones;
    # the model without data is a name in the compact no-data list, not a card.
    assert groups_in_order(rows) == ["board", "cards cards-unranked", "no-data-list"]
    assert rows[-1]["name"] == "new-org/Brand-New-Model" and rows[-1]["rank"] == "—"
    assert (
        page.locator(".cards-unranked .unranked-reason")
        .first.text_content()
        .startswith("Too little traffic to rank: 40 requests on")
    )
    assert page.locator("#board > li").first.locator(".rank-1").count() == 1
    assert page.locator(".spark path.spark-line").count() >= 60
    assert page.locator("#apply").is_hidden()  # search is live with JS on
    # Dense: at least 6 whole cards above the fold at 1366x900.
    above = page.eval_on_selector_all(
        "#board > li", "els => els.filter(e => e.getBoundingClientRect().bottom <= 900).length"
    )
    assert above >= 6
    shot(page, "leaderboard")
    assert tab.errors == []


def test_table_view_shows_15_models_above_the_fold_with_sorted_column_marked(live, tab):
    page = tab.page
    page.goto(live.url + "/?view=table")
    rows = visible_rows(page)
    assert len(rows) == 62
    assert_rank_order(rows)
    assert groups_in_order(rows) == ["rows-ranked", "rows-unranked", "no-data-list"]
    above = page.eval_on_selector_all(
        "#rows-ranked > tr",
        "els => els.filter(e => e.getBoundingClientRect().bottom <= 900).length",
    )
    assert above >= 15
    # The default sort is the speed rank: its own column is marked (SPEC §6).
    assert page.get_attribute("th[aria-sort]", "class").startswith("c-rank")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shot(page, "table")
    assert tab.errors == []


@SIZES
@pytest.mark.parametrize("view", ["cards", "table"])
def test_both_views_read_on_a_phone_without_sideways_scrolling(live, browser, size, view):
    tab = Tab(browser, *size)
    try:
        tab.page.goto(f"{live.url}/?view={view}")
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= size[0]
        assert len(visible_rows(tab.page)) == 62
        if view == "table" and size[0] > 1000:
            # On a laptop every column fits; a phone scrolls the table inside its wrapper
            # (price and rate-limited share are on every row at every width).
            assert tab.page.evaluate(
                "(() => { const w = document.querySelector('.board-table-wrap');"
                " return w.scrollWidth <= w.clientWidth; })()"
            )
        assert tab.errors == []
    finally:
        tab.context.close()


def test_search_filters_without_renumbering(live, tab):
    page = tab.page
    page.goto(live.url + "/")
    before = {c["id"]: c["rank"] for c in visible_rows(page)}
    page.evaluate("window.__sameDocument = true")
    # The visible count is not a live region: screen readers hear one polite summary
    # once typing pauses, not every keystroke.
    assert page.get_attribute("#result-count", "role") is None
    page.type("#q", "qwen coder", delay=20)
    cards = visible_rows(page)
    assert cards and all(
        "qwen" in c["name"].lower() and "coder" in c["name"].lower() for c in cards
    )
    assert all(c["rank"] == before[c["id"]] for c in cards)
    assert cards[0]["rank"] != "1"
    assert "of 62 models match" in page.text_content("#result-count")
    wait_until(page, "document.getElementById('search-status').textContent !== ''")
    assert page.text_content("#search-status") == page.text_content("#result-count")
    assert "q=qwen+coder" in page.url
    page.fill("#q", "no such model anywhere")
    assert visible_rows(page) == []
    assert page.locator("#no-matches").is_visible()
    page.fill("#q", "")
    assert len(visible_rows(page)) == 62
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert "q=" not in page.url
    assert tab.errors == []


def server_page_of(page, url: str):
    """The same URL rendered by the server in a second tab of the same browser."""
    other = page.context.new_page()
    other.goto(url)
    return other


def test_sort_reorders_without_renumbering_and_the_big_number_follows(live, tab):
    page = tab.page
    page.goto(live.url + "/?q=llama")
    assert all("llama" in c["name"].lower() for c in visible_rows(page))
    page.select_option("#sort", "name")
    wait_until(page, BUSY)
    page.fill("#q", "")
    rows = visible_rows(page)
    for group in groups_in_order(rows):
        names = [r["name"].lower() for r in rows if r["group"] == group]
        assert names == sorted(names), group
    # Sorting reorders but never renumbers: each model keeps its speed rank.
    ranks = {c["id"]: c["rank"] for c in visible_rows(server_page_of(page, live.url + "/"))}
    assert {c["id"]: c["rank"] for c in rows} == ranks
    assert "sort=name" in page.url
    page.select_option("#sort", "ttft")
    wait_until(page, BUSY)
    rows = visible_rows(page)
    # The big number follows the sort (the server's fragment replaced the board).
    assert rows[0]["big"].endswith(" s")
    ranked = [float(r["big"].split()[0]) for r in rows if r["group"] == "board"]
    assert ranked == sorted(ranked)
    # The server agrees with the browser's order for the same URL.
    server = visible_rows(server_page_of(page, live.url + "/?sort=ttft"))
    assert [c["id"] for c in server] == [c["id"] for c in rows]
    assert tab.errors == []


def test_table_headers_sort_with_javascript(live, tab):
    page = tab.page
    page.goto(live.url + "/?view=table")
    page.evaluate("window.__sameDocument = true")
    page.click("th.c-requests a.sort-link")
    wait_until(page, BUSY)
    assert page.get_attribute("th.c-requests", "aria-sort") == "descending"
    assert page.locator("th[aria-sort]").count() == 1
    values = page.eval_on_selector_all(
        "#rows-ranked > tr", "els => els.map(e => Number(e.dataset.sRequests))"
    )
    assert values == sorted(values, reverse=True)
    assert "sort=requests" in page.url and "view=table" in page.url
    # Focus stays on the header that was used, for the next keypress.
    assert page.evaluate("document.activeElement.dataset.sort") == "requests"
    page.click("th.c-requests a.sort-link")
    wait_until(page, BUSY)
    assert page.get_attribute("th.c-requests", "aria-sort") == "ascending"
    values = page.eval_on_selector_all(
        "#rows-ranked > tr", "els => els.map(e => Number(e.dataset.sRequests))"
    )
    assert values == sorted(values)
    assert "order=asc" in page.url
    assert page.evaluate("window.__sameDocument") is True
    assert tab.errors == []


def test_view_switch_is_remembered(live, tab):
    page = tab.page
    page.goto(live.url + "/")
    page.click(".view-switch a[data-view=table]")
    wait_until(page, BUSY)
    assert page.locator("#rows-ranked > tr").count() == 60
    assert "view=table" in page.url
    assert page.get_attribute(".view-switch a[data-view=table]", "aria-current") == "page"
    # A later visit to the bare URL opens the remembered view.
    page.goto(live.url + "/")
    page.wait_for_selector("table.board-table")
    assert "view=table" in page.url
    page.click(".view-switch a[data-view=cards]")
    wait_until(page, BUSY)
    assert page.locator("#board > li").count() == 60
    assert "view=" not in page.url
    assert tab.errors == []


def test_compare_checkboxes_build_the_compare_url(live, tab):
    page = tab.page
    page.goto(live.url + "/")
    assert page.locator("#board .compare-link").first.is_hidden()
    boxes = page.locator("#board .compare-pick input")
    boxes.nth(0).check()
    assert page.get_attribute("#compare-go", "aria-disabled") == "true"
    boxes.nth(2).check()
    ids = page.eval_on_selector_all("#board > li", "els => els.map(e => e.dataset.id)")
    assert page.get_attribute("#compare-go", "href") == f"/compare?ids={ids[0]},{ids[2]}"
    assert page.get_attribute("#compare-go", "aria-disabled") == "false"
    assert tab.errors == []


def test_refresh_swaps_the_server_fragment_with_skeletons(tmp_path, browser):
    live = start_server(tmp_path)
    tab = Tab(browser)
    try:
        page = tab.page
        page.goto(live.url + "/")
        # While busy, every figure is a skeleton: the hero's accented average too.
        page.evaluate(
            "for (const id of ['board-region', 'hero-figures'])"
            " document.getElementById(id).setAttribute('aria-busy', 'true')"
        )
        colors = page.eval_on_selector_all(
            "#hero-figures .figure-value, #board .big-value",
            "els => els.map(e => getComputedStyle(e).color)",
        )
        assert set(colors) == {"rgba(0, 0, 0, 0)"}
        page.evaluate(
            "for (const id of ['board-region', 'hero-figures'])"
            " document.getElementById(id).removeAttribute('aria-busy')"
        )
        assert visible_rows(page)[0]["id"] != "chute-rocket"
        # A new scrape lands while the page is open: a new, very fast model.
        entry, rows = simple_model("chute-rocket", "rocket/Rocket-9B", {1: (999.5, 5000)})
        catalogue, old_rows = realistic_catalogue()
        seed(live.db_path, [*catalogue, entry], [*old_rows, *rows])
        page.evaluate(
            """() => { window.__busySeen = false;
               new MutationObserver(() => {
                 const region = document.getElementById('board-region');
                 if (region && region.getAttribute('aria-busy') === 'true')
                   window.__busySeen = true;
               }).observe(document.querySelector('.board'), {attributes: true, subtree: true}); }"""
        )
        with page.expect_response(re.compile(r"/\?fragment=board$")) as response:
            page.click("#refresh")
        assert response.value.status == 200
        wait_until(page, BUSY)
        assert page.evaluate("window.__busySeen") is True
        first = visible_rows(page)[0]
        assert first["id"] == "chute-rocket" and first["rank"] == "1"
        assert first["big"] == "999.5"
        assert len(visible_rows(page)) == 63
        assert page.text_content("#hero-total") == "63"
        assert page.text_content("#refresh-status") == "Board refreshed."
        assert page.locator(".spark path.spark-line").count() >= 60

        # The server fails: a polite message, and the board stays on screen.
        page.route("**/?fragment=*", lambda route: route.fulfill(status=503, body="down"))
        page.click("#refresh")
        wait_until(page, BUSY)
        assert "Couldn't refresh" in page.text_content("#refresh-status")
        assert page.get_attribute("#refresh-status", "role") == "status"
        assert len(visible_rows(page)) == 63
        errors = [e for e in tab.errors if "503" not in e]  # the failed fetch is logged
        assert errors == []
    finally:
        tab.context.close()
        live.stop()


def test_refresh_rechecks_freshness(tmp_path, browser):
    live = start_server(tmp_path)
    tab = Tab(browser)
    try:
        page = tab.page
        page.goto(live.url + "/")
        assert "freshness-fresh" in page.get_attribute("#freshness", "class")
        # The scraper stops while the page is open: the next refresh says "stale".
        conn = sqlite3.connect(live.db_path)
        with conn:
            three_hours_ago = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
            conn.execute("UPDATE scrape_runs SET finished_at = ?", (three_hours_ago,))
            run_id = conn.execute("SELECT max(id) FROM scrape_runs").fetchone()[0]
        conn.close()
        db_files.bump_data_version(live.db_path, run_id)
        page.click("#refresh")
        wait_until(page, BUSY)
        assert "freshness-stale" in page.get_attribute("#freshness", "class")
        assert "3 h ago stale" in " ".join(page.text_content("#freshness").split())
        assert tab.errors == []
    finally:
        tab.context.close()
        live.stop()


def empty_server(directory: pathlib.Path, failed: str | None = None) -> LiveServer:
    path = os.fspath(directory / "leaderboard.sqlite3")
    connection.init_db(path)
    if failed:
        conn = sqlite3.connect(path)
        with conn:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            conn.execute(
                "INSERT INTO scrape_runs (started_at, finished_at, status, message)"
                " VALUES (?, ?, 'failed', ?)",
                (now, now, failed),
            )
        conn.close()
    return LiveServer(path)


def dot_color(page) -> str:
    return page.eval_on_selector("#freshness .dot", "e => getComputedStyle(e).backgroundColor")


@SIZES
def test_freshness_line_on_every_page(live, browser, tmp_path, size):
    """Fresh (green), stale (amber) and empty (grey, with the failure) on every page."""
    stale = start_server(tmp_path / "stale")
    conn = sqlite3.connect(stale.db_path)
    with conn:
        two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        conn.execute("UPDATE scrape_runs SET finished_at = ?", (two_hours_ago,))
    conn.close()
    empty = empty_server(tmp_path, failed="catalogue fetch failed: connection refused")
    tab = Tab(browser, *size)
    try:
        page = tab.page
        colors = {}
        for state, server in (("fresh", live), ("stale", stale), ("empty", empty)):
            for path in ("/", "/methodology", "/api", "/no-such-page", "/models/chute-001"):
                page.goto(server.url + path)
                line = page.locator("#freshness")
                assert line.is_visible(), (state, path)
                assert f"freshness-{state}" in line.get_attribute("class"), (state, path)
                text = " ".join(line.text_content().split())
                if state == "empty":
                    assert text.startswith("No data yet"), path
                    assert "failed: chutes.ai could not be reached." in text
                else:
                    assert re.match(r"Data as of \d\d:\d\d UTC · ", text), (state, text)
                    assert ("stale" in text) == (state == "stale")
                colors.setdefault(state, set()).add(dot_color(page))
        assert all(len(c) == 1 for c in colors.values())
        assert len({c.pop() for c in colors.values()}) == 3  # green, amber, grey
        page.goto(empty.url + "/")
        assert page.text_content("#empty-state h3") == "No data yet: no scrape has succeeded"
        shot(page, f"empty-{size[0]}")
        assert [e for e in tab.errors if "404 (NOT FOUND)" not in e] == []
    finally:
        tab.context.close()
        stale.stop()
        empty.stop()


def relative_luminance(rgb: str) -> float:
    values = [float(v) / 255 for v in re.findall(r"[\d.]+", rgb)[:3]]
    linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


CONTRAST_PAIRS = {
    # (text element, element whose background it sits on)
    "body text": ("#hero-title", "body"),
    "muted": (".lede", "body"),
    "card title": ("#board .card-title a", "#board .card-body"),
    "big number": ("#board .big-value", "#board .card-body"),
    "metric label": ("#board .metrics dt", "#board .card-body"),
    "flag": ("#board .flag-partial", "#board .card-body"),
    "day": ("#board .as-of", "#board .card-body"),
    "link": (".legend a", "body"),
}


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_both_color_schemes_meet_wcag_aa(live, browser, scheme):
    tab = Tab(browser, color_scheme=scheme)
    try:
        page = tab.page
        page.goto(live.url + "/")
        assert page.get_attribute("html", "data-theme") == scheme
        for name, (text, under) in CONTRAST_PAIRS.items():
            fg = page.eval_on_selector(text, "e => getComputedStyle(e).color")
            bg = page.eval_on_selector(under, "e => getComputedStyle(e).backgroundColor")
            if bg == "rgba(0, 0, 0, 0)":  # a gradient: its base colour is the page's
                bg = page.eval_on_selector("body", "e => getComputedStyle(e).backgroundColor")
            assert contrast(fg, bg) >= 4.5, (name, fg, bg)
        shot(page, f"board-{scheme}")
        assert tab.errors == []
    finally:
        tab.context.close()


def test_theme_toggle_is_remembered_without_a_flash(live, browser):
    tab = Tab(browser, color_scheme="dark")
    try:
        page = tab.page
        page.goto(live.url + "/methodology")
        # theme.js runs in <head>, before the stylesheet, neither deferred nor async.
        head_script = page.eval_on_selector(
            "head script", "s => [s.src, s.defer, s.async, !!s.nextElementSibling]"
        )
        assert "/static/js/theme.js" in head_script[0] and head_script[1:3] == [False, False]
        dark_bg = page.eval_on_selector("body", "e => getComputedStyle(e).backgroundColor")
        toggle = page.locator("#theme-toggle")
        assert toggle.get_attribute("aria-label") == "Use the light theme"
        toggle.click()
        assert page.get_attribute("html", "data-theme") == "light"
        light_bg = page.eval_on_selector("body", "e => getComputedStyle(e).backgroundColor")
        assert relative_luminance(light_bg) > 0.8 > 0.05 > relative_luminance(dark_bg)
        # Remembered across pages, whatever the system says.
        page.goto(live.url + "/")
        assert page.get_attribute("html", "data-theme") == "light"
        assert toggle.get_attribute("aria-label") == "Use the dark theme"
        assert tab.errors == []
    finally:
        tab.context.close()


@SIZES
def test_focus_is_never_hidden_under_the_header(live, browser, size):
    tab = Tab(browser, *size)
    try:
        page = tab.page
        page.goto(live.url + "/?view=table")
        page.focus("#rows-ranked > tr:nth-child(40) .c-name a")
        # Backwards through the rows: the browser scrolls each link just into view at the
        # top, where a sticky header would cover it without scroll-padding-top.
        for _ in range(30):
            page.keyboard.press("Shift+Tab")
            hidden = page.evaluate(
                """() => { const header = document.querySelector('.site-header');
                   const bottom = getComputedStyle(header).position === 'sticky'
                     ? header.getBoundingClientRect().bottom : 0;
                   const r = document.activeElement.getBoundingClientRect();
                   return r.top < bottom - 1 ? document.activeElement.outerHTML : null; }"""
            )
            assert hidden is None
        assert tab.errors == []
    finally:
        tab.context.close()


@pytest.mark.parametrize(
    "path", ["/", "/?q=qwen", "/?view=table", "/methodology", "/api", "/models/chute-001"]
)
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
        tab.page.goto(live.url + "/models/chute-004")
        assert tab.page.locator(".chart svg").count() == 3
        assert tab.page.locator(".chart circle.point title").count() >= 30
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 360
        # Chart labels stay readable (>= 12 px on screen) even scaled down to a phone.
        sizes = tab.page.eval_on_selector_all(
            ".chart text", "els => els.map(e => e.getBoundingClientRect().height)"
        )
        assert min(sizes) >= 12
        # Today's partial day is marked in the requests chart and in the table.
        assert tab.page.locator(".chart rect.bar-partial").count() == 1
        assert tab.page.locator("tr.row-partial").count() == 1
        # The history table is part of the page, not a scroll box inside it.
        assert tab.page.evaluate(
            "(() => { const t = document.querySelector('.history-table');"
            " return t.scrollHeight <= t.clientHeight + 1; })()"
        )
        tab.page.set_viewport_size({"width": 1366, "height": 900})
        shot(tab.page, "model", full_page=True)
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
    assert all("deepseek" in c["name"].lower() for c in visible_rows(page))
    # The speed-vs-price chart's points are links whose accessible name (their <title>)
    # gives rank, name, speed and price.
    points = page.get_by_role(
        "link",
        name=re.compile(r"^#[0-9]+ .+ tok.s, .+ per 1M output tokens$"),  # no slash: Playwright
    )
    # Search filters the chart too (SPEC §6): only the matching models' points remain.
    matching = [c for c in visible_rows(page) if c["rank"] != "—"]
    assert 0 < points.count() == len(matching) < 60
    points.first.focus()
    assert page.evaluate("document.activeElement.getAttribute('class')") == "dot"
    assert tab.errors == []


def test_works_with_javascript_off(live, browser):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1366, "height": 900}
    )
    try:
        page = context.new_page()
        page.goto(live.url + "/")
        assert page.get_attribute("html", "data-theme") is None
        assert page.locator("#apply").is_visible()
        assert page.locator("#theme-toggle").is_hidden()  # useless without JS
        page.fill("#q", "gemma")
        page.select_option("#sort", "requests")
        page.click("#apply")
        page.wait_for_url(re.compile(r"q=gemma"))
        rows = visible_rows(page)
        assert rows and all("gemma" in c["name"].lower() for c in rows)
        requests = page.eval_on_selector_all(
            "#board > li:not([hidden])", "els => els.map(e => Number(e.dataset.sRequests))"
        )
        assert requests == sorted(requests, reverse=True)
        # Table view and its sortable headers are plain links.
        page.click(".view-switch a[data-view=table]")
        page.wait_for_url(re.compile(r"view=table"))
        assert page.get_attribute("th.c-requests", "aria-sort") == "descending"
        page.click("th.c-requests a.sort-link")
        page.wait_for_url(re.compile(r"order=asc"))
        assert page.get_attribute("th.c-requests", "aria-sort") == "ascending"
        # Without JS, each model links to a comparison with the #1.
        link = page.locator("#rows-ranked > tr:nth-child(2) .compare-link")
        assert link.is_visible()
        assert re.fullmatch(r"/compare\?ids=chute-\d+,chute-\d+", link.get_attribute("href"))
    finally:
        context.close()


def test_auto_refresh_every_five_minutes(live, tab):
    page = tab.page
    page.clock.install()
    page.goto(live.url + "/?sort=name")
    fetched: list[str] = []
    page.on("request", lambda req: fetched.append(req.url) if "fragment=" in req.url else None)
    page.clock.run_for("04:50")
    assert fetched == []
    with page.expect_response(re.compile(r"/\?sort=name&fragment=board$")):
        page.clock.run_for("00:15")
    wait_until(page, BUSY)
    names = [c["name"].lower() for c in visible_rows(page) if c["group"] == "board"]
    assert names == sorted(names)
    assert tab.errors == []
