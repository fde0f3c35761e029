"""The server-rendered pages through Flask's test client: every route and parameter."""

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from app import create_app
from tests.seed import seed, simple_model

XSS = "<img src=x onerror=alert(1)>"


class Cards(HTMLParser):
    """The leaderboard's cards as dicts: id, rank, name, tps, hidden, flags."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict] = []
        self._field: str | None = None

    def handle_endtag(self, tag):
        if tag == "ol":
            self._done = True

    _done = False

    def handle_starttag(self, tag, attrs):
        if self._done:
            return
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "li" and "card" in classes:
            self.cards.append(
                {"id": a["data-id"], "hidden": "hidden" in a, "flags": [], "classes": classes}
            )
        elif self.cards and "rank-num" in classes:
            self._field = "rank"
        elif self.cards and "tps-value" in classes:
            self._field = "tps"
        elif self.cards and tag == "a" and self._in_title:
            self._field = "name"
        elif self.cards and "flag" in classes:
            self._field = "flag"
        elif self.cards and tag == "dd" and a.get("data-field"):
            self._field = a["data-field"]
        self._in_title = tag == "h3" and "card-title" in classes

    _in_title = False

    def handle_data(self, data):
        if self._field == "flag":
            self.cards[-1]["flags"].append(data)
        elif self._field:
            self.cards[-1][self._field] = data
        self._field = None


def cards_of(response) -> list[dict]:
    parser = Cards()
    parser.feed(response.get_data(as_text=True))
    return parser.cards


def shown(response) -> list[dict]:
    return [c for c in cards_of(response) if not c["hidden"]]


def seed_board(db_path: str) -> None:
    """Four models with known figures and one without data."""
    models = [
        simple_model("fast", "Fast Model", {1: (150.0, 5000), 2: (140.0, 5000)}),
        simple_model("mid", "Mid Model", {1: (90.0, 20000), 3: (95.0, 100)}),
        simple_model("slow", "Slow Qwen", {1: (30.0, 900)}),
        simple_model("tiny", "Tiny Qwen", {0: (60.0, 12)}),  # today, few requests
        simple_model("empty", "Aardvark No Data", {}),
    ]
    seed(db_path, [m[0] for m in models], [r for m in models for r in m[1]])


@pytest.fixture
def board(db_path):
    seed_board(db_path)
    return db_path


def test_empty_database_shows_friendly_empty_state(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No data yet — the first scrape runs within 10 minutes" in html
    assert cards_of(response) == []
    assert "Chutes TPS Leaderboard" in html
    assert "Data updates every 10 min" in html
    assert "hidden" in stale_badge(html).attrs  # no scrape yet is not "stale"


def test_leaderboard_ranks_by_tps_with_no_data_last(client, board):
    response = client.get("/")
    assert response.status_code == 200
    cards = shown(response)
    # tiny has only today's 12 requests: unranked, after the ranked ones.
    assert [c["id"] for c in cards] == ["fast", "mid", "slow", "tiny", "empty"]
    assert [c["rank"] for c in cards] == ["1", "2", "3", "—", "—"]
    assert cards[0]["tps"] == "150.0" and cards[-1]["tps"] == "—"
    assert "rank-1" in response.get_data(as_text=True)
    assert "podium-1" in cards[0]["classes"] and "podium-3" in cards[2]["classes"]
    assert "podium" not in cards[3]["classes"]
    html = response.get_data(as_text=True)
    assert 'href="/models/fast"' in html
    assert 'method="get"' in html and 'name="q"' in html and 'name="sort"' in html
    assert 'type="submit"' in html and "Refresh" in html


def test_card_figures_and_hero(client, board):
    response = client.get("/")
    mid = next(c for c in cards_of(response) if c["id"] == "mid")
    assert mid["latest_ttft"] == "0.11 s"  # 10 / 90
    assert mid["latest_requests"] == "20K"
    # 7d: (90*20000 + 95*100) / 20100 ; 30d the same here.
    assert mid["avg_7d"] == f"{(90 * 20000 + 95 * 100) / 20100:,.1f}"
    html = response.get_data(as_text=True)
    hero = re.search(r'id="hero-total">(\d+)<', html)
    assert hero and hero.group(1) == "5"
    assert 'id="hero-peak">150.0<' in html
    weighted = (150 * 5000 + 90 * 20000 + 30 * 900 + 60 * 12) / (5000 + 20000 + 900 + 12)
    assert f'id="hero-average">{weighted:,.1f}<' in html
    assert html.count('class="spark"') == 5


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("tps", ["fast", "mid", "tiny", "slow", "empty"]),
        ("ttft", ["fast", "mid", "tiny", "slow", "empty"]),
        ("requests", ["mid", "fast", "slow", "tiny", "empty"]),
        ("name", ["empty", "fast", "mid", "slow", "tiny"]),
        ("peak", ["fast", "mid", "slow", "empty", "tiny"]),  # no-data by name
        ("avg_7d", ["fast", "mid", "tiny", "slow", "empty"]),
        ("avg_30d", ["fast", "mid", "tiny", "slow", "empty"]),
    ],
)
def test_sort_orders(client, board, sort, order):
    response = client.get(f"/?sort={sort}")
    cards = shown(response)
    assert [c["id"] for c in cards] == order
    assert f'<option value="{sort}" selected>' in response.get_data(as_text=True)


def test_peak_needs_min_requests_so_low_sample_models_are_unranked(client, board):
    cards = shown(client.get("/?sort=peak"))
    # "tiny" has 12 requests: no peak, so it sorts with the no-data models, unranked.
    assert {c["id"]: c["rank"] for c in cards}["tiny"] == "—"


def test_invalid_sort_falls_back_to_default(client, board):
    response = client.get("/?sort=bogus%3Cscript%3E")
    assert response.status_code == 200
    assert [c["id"] for c in shown(response)][:2] == ["fast", "mid"]
    html = response.get_data(as_text=True)
    assert '<option value="rank" selected>' in html
    assert "<script>" not in html.split("</title>")[0]


def test_search_filters_without_renumbering(client, board):
    response = client.get("/?q=qwen")
    cards = shown(response)
    assert [(c["id"], c["rank"]) for c in cards] == [("slow", "3"), ("tiny", "—")]
    # Non-matches stay in the page, hidden, so the browser can bring them back.
    assert len(cards_of(response)) == 5
    html = response.get_data(as_text=True)
    assert 'value="qwen"' in html
    assert "2 of 5 models match" in html


def test_search_matches_every_word_and_chute_id(client, board):
    assert [c["id"] for c in shown(client.get("/?q=QWEN+tiny"))] == ["tiny"]
    assert [c["id"] for c in shown(client.get("/?q=fast"))] == ["fast"]


def test_search_with_sort(client, board):
    cards = shown(client.get("/?q=model&sort=requests"))
    assert [(c["id"], c["rank"]) for c in cards] == [("mid", "2"), ("fast", "1")]


def test_search_without_matches_says_so(client, board):
    response = client.get("/?q=nothing-like-this")
    assert shown(response) == []
    html = response.get_data(as_text=True)
    no_matches = re.search(r'<div class="no-matches" id="no-matches"([^>]*)>', html)
    assert no_matches and "hidden" not in no_matches.group(1)
    assert "No models match" in html and "nothing-like-this" in html


def test_no_matches_block_hidden_normally(client, board):
    html = client.get("/").get_data(as_text=True)
    assert '<div class="no-matches" id="no-matches" hidden>' in html


def test_low_sample_and_partial_day_flags(client, board):
    cards = {c["id"]: c for c in cards_of(client.get("/"))}
    assert cards["tiny"]["flags"] == ["Low sample", "Partial day"]
    assert cards["fast"]["flags"] == []
    assert cards["empty"]["flags"] == []  # no data is not a "low sample"


def test_last_updated_time_in_utc(client, board):
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'<time id="last-updated" datetime="([^"]+)">([^<]+)</time>', html)
    assert match
    assert match.group(1).endswith("Z")
    assert match.group(2).endswith(" UTC")
    assert match.group(2)[:10] == datetime.now(UTC).date().isoformat()


def age_last_run(db_path: str, minutes: int) -> None:
    old = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="seconds")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE scrape_runs SET finished_at = ?", (old,))
    conn.close()


class Badge(HTMLParser):
    """The stale badge's attributes and text, or None if the page has no badge."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict | None = None
        self.text = ""
        self._inside = False

    def handle_starttag(self, tag, attrs):
        if dict(attrs).get("id") == "stale-badge":
            self.attrs, self._inside = dict(attrs), True

    def handle_endtag(self, tag):
        self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.text += data


def stale_badge(html: str) -> Badge:
    parser = Badge()
    parser.feed(html)
    return parser


def test_stale_badge_when_last_good_scrape_is_old(db_path):
    seed_board(db_path)
    app = create_app({"TESTING": True, "DATABASE": db_path})
    client = app.test_client()
    # Fresh: the badge is in the page for the JavaScript, but hidden (also with JS off).
    for path in ("/", "/models/mid"):
        fresh = stale_badge(client.get(path).text)
        assert fresh.attrs is not None, path
        assert "hidden" in fresh.attrs, path
        assert "badge-stale" in fresh.attrs["class"].split()
        assert fresh.attrs["data-stale-after"] == "1200"  # 2 x SCRAPE_INTERVAL (600 s)
    age_last_run(db_path, 21)  # > 2 x 10 min
    # Staleness depends on the clock, not on a new scrape: a fresh app (empty cache).
    client = create_app({"TESTING": True, "DATABASE": db_path}).test_client()
    for path in ("/", "/models/mid"):
        stale = stale_badge(client.get(path).text)
        assert stale.attrs is not None and "hidden" not in stale.attrs, path
        assert stale.attrs["data-stale-after"] == "1200"
        assert stale.text == "Stale — last good update 21 min ago"


def test_no_stale_badge_on_pages_without_freshness(client, board):
    assert stale_badge(client.get("/methodology").text).attrs is None


def test_fresh_page_is_not_cached_past_the_moment_it_turns_stale(db_path, monkeypatch):
    seed_board(db_path)
    age_last_run(db_path, 19)  # stale in one minute
    app = create_app({"TESTING": True, "DATABASE": db_path})
    client = app.test_client()
    timeouts = []
    real_set = app.extensions["cache"]
    cache = next(iter(real_set.values()))
    original = cache.set
    monkeypatch.setattr(
        cache,
        "set",
        lambda key, value, timeout=None: (
            timeouts.append(timeout) or original(key, value, timeout=timeout)
        ),
    )
    assert "hidden" in stale_badge(client.get("/").text).attrs
    assert timeouts and 1 <= timeouts[0] <= 60


def test_stale_uses_the_last_good_run_not_a_failed_one(db_path):
    seed_board(db_path)
    age_last_run(db_path, 60)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO scrape_runs (started_at, finished_at, status) VALUES (?, ?, 'failed')",
            (now, now),
        )
    conn.close()
    html = create_app({"TESTING": True, "DATABASE": db_path}).test_client().get("/").text
    assert "hidden" not in stale_badge(html).attrs


def test_interval_comes_from_config(db_path):
    seed_board(db_path)
    age_last_run(db_path, 21)
    app = create_app({"TESTING": True, "DATABASE": db_path, "SCRAPE_INTERVAL": 3600})
    html = app.test_client().get("/").text
    badge = stale_badge(html).attrs
    assert "hidden" in badge and badge["data-stale-after"] == "7200"
    assert "Data updates every 60 min" in html


def test_model_page(client, board):
    response = client.get("/models/mid")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Mid Model</h1>" in html
    assert "#2 of 5 by latest TPS" in html
    assert "$0.10" in html and "$0.40" in html and "/ 1M tokens" in html
    assert "32,768" in html and "vllm" in html
    # TPS, TTFT, requests, and the capacity section's daily rate-limited share.
    assert html.count('<figure class="chart') == 4
    assert "<title>" in html and "90.0 tok/s</title>" in html
    assert "20,000 requests</title>" in html
    # History table, newest first.
    days = re.findall(r'<th scope="row"><time datetime="([0-9-]+)">', html)
    assert len(days) == 2 and days == sorted(days, reverse=True)


def test_model_page_without_data(client, board):
    response = client.get("/models/empty")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Not ranked: no speed data yet" in html
    assert "No data for this chart yet." in html
    assert "No daily rows stored" in html


def test_model_page_flags_partial_day(client, board):
    html = client.get("/models/tiny").get_data(as_text=True)
    assert "Low sample" in html and "Partial day" in html


def test_unknown_model_is_a_404_page(client, board):
    response = client.get("/models/does-not-exist")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Model not found" in html and "Back to the leaderboard" in html
    assert "<nav" in html  # the full site layout, not a bare error


def test_error_template_takes_code_title_message(app):
    with app.test_request_context("/nope"):
        from flask import render_template

        html = render_template("error.html", code=500, title="Oops <b>", message="Broke <i>")
    assert "500" in html and "Oops &lt;b&gt;" in html and "Broke &lt;i&gt;" in html


def test_methodology(client):
    response = client.get("/methodology")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for phrase in (
        "most recent UTC day",
        "request-weighted",
        "at least 100 requests",
        "Low sample",
        "JSON API",
        "web pages",
        "every 10 minutes",
        "All times and days are UTC",
        "“—”",
    ):
        assert phrase in html, phrase
    assert 'href="/methodology"' in client.get("/").get_data(as_text=True)


def test_demo_banner_only_in_demo_mode(db_path):
    plain = create_app({"TESTING": True, "DATABASE": db_path}).test_client()
    demo = create_app({"TESTING": True, "DATABASE": db_path, "DEMO": True}).test_client()
    assert "Demo data" not in plain.get("/").text
    assert "Demo data" in demo.get("/").text
    assert "Demo data" in demo.get("/methodology").text


def test_hostile_model_name_is_escaped_everywhere(client, db_path):
    entry, rows = simple_model("evil", XSS, {1: (50.0, 500), 2: (40.0, 500)})
    seed(db_path, [entry], rows)
    for path in ("/", "/models/evil", "/?q=img"):
        html = client.get(path).get_data(as_text=True)
        assert XSS not in html, path
        # The model page's own badge preview is an <img>; the name must never make one.
        assert "<img src=x" not in html, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, path
    index = client.get("/").get_data(as_text=True)
    # SVG <title> and the embedded JSON data block are escaped too.
    assert "<title>&lt;img src=x onerror=alert(1)&gt;: daily TPS" in index
    data = re.search(r'<script type="application/json" id="board-data">(.*?)</script>', index)
    assert data and "<" not in data.group(1) and "\\u003cimg" in data.group(1)
    model = client.get("/models/evil").get_data(as_text=True)
    assert "<title>&lt;img src=x onerror=alert(1)&gt;: daily output tokens" in model


def test_hostile_query_is_escaped(client, board):
    html = client.get("/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert 'value="&#34;&gt;&lt;script&gt;' in html


def test_static_urls_carry_a_content_hash(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{10})"', html)
    js = re.search(r'src="(/static/js/leaderboard\.js\?v=[0-9a-f]{10})" defer', html)
    assert css and js
    assert client.get(css.group(1)).status_code == 200
    assert client.get(js.group(1)).status_code == 200


def test_no_inline_scripts_or_styles(client, board):
    html = client.get("/").get_data(as_text=True)
    assert "<style" not in html and " style=" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert "onerror=" not in html and "onclick=" not in html


def test_pages_are_conditional(client, board):
    first = client.get("/")
    assert first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- caching -----------------------------------------------------------------------


def test_new_scrape_is_visible_at_once_in_every_worker(db_path):
    seed_board(db_path)
    workers = [create_app({"TESTING": True, "DATABASE": db_path}).test_client() for _ in "ab"]
    for worker in workers:
        assert shown(worker.get("/"))[0]["id"] == "fast"
        assert "Rocket" not in worker.get("/models/fast").text
    entry, rows = simple_model("rocket", "Rocket", {1: (500.0, 9000)})
    fast, fast_rows = simple_model("fast", "Fast Model renamed", {1: (150.0, 5000)})
    seed(db_path, [entry, fast], rows + fast_rows)
    for worker in workers:
        assert shown(worker.get("/"))[0]["id"] == "rocket"
        assert "Fast Model renamed" in worker.get("/models/fast").text


@pytest.mark.parametrize("path", ["/", "/?q=qwen&sort=name", "/models/mid"])
def test_cached_hot_path_runs_no_sql(client, board, monkeypatch, path):
    first = client.get(path)
    assert first.status_code == 200

    def no_sql(*args, **kwargs):
        raise AssertionError("SQL on the cached hot path")

    monkeypatch.setattr("app.db.get_db", no_sql)
    monkeypatch.setattr("app.db.connect", no_sql)
    monkeypatch.setattr(sqlite3, "connect", no_sql)
    second = client.get(path)
    assert second.status_code == 200
    assert second.get_data() == first.get_data()


def test_cache_key_ignores_request_details_other_than_path_and_args(client, board, monkeypatch):
    client.get("/?sort=name", headers={"User-Agent": "a", "Accept-Language": "fr"})
    monkeypatch.setattr("app.db.get_db", lambda: pytest.fail("cache miss"))
    assert client.get("/?sort=name", headers={"User-Agent": "b"}).status_code == 200


def test_unknown_model_404_is_not_cached_into_a_hit(client, board):
    assert client.get("/models/later").status_code == 404
    assert client.get("/models/later").status_code == 404


def test_unknown_page_uses_the_site_error_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Back to the leaderboard" in response.text and 'class="site-header"' in response.text
