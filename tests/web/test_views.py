"""The server-rendered pages through Flask's test client: every route and parameter."""

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from tests.conftest import new_app
from tests.seed import seed, simple_model

XSS = "<img src=x onerror=alert(1)>"


class Cards(HTMLParser):
    """The board's models in page order as dicts: id, rank ("—" when it has none), name,
    big (the big number), hidden, flags, classes and the data-field figures."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict] = []
        self._field: str | None = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag in ("li", "tr") and a.get("data-id"):
            self.cards.append(
                {
                    "id": a["data-id"],
                    "rank": "—",
                    "hidden": "hidden" in a,
                    "flags": [],
                    "classes": classes,
                    "attrs": a,
                    "tag": tag,
                }
            )
        elif self.cards and "rank-num" in classes:
            self._field = "rank"
        elif self.cards and "big-value" in classes:
            self._field = "big"
        elif self.cards and tag == "a" and self._names_here(classes):
            self._field = "name"
        elif self.cards and "flag" in classes:
            self._field = "flag"
        elif self.cards and tag == "dd" and a.get("data-field"):
            self._field = a["data-field"]
        if tag == "th" and "c-name" in classes:
            self._in_title = True
        elif tag != "a":
            self._in_title = tag == "h3" and "card-title" in classes

    def _names_here(self, classes: list[str]) -> bool:
        card = self.cards[-1]
        bare_item = card["tag"] == "li" and "card" not in card["classes"]  # the no-data list
        return "compare-link" not in classes and (self._in_title or bare_item)

    def handle_data(self, data):
        if self._field == "flag":
            self.cards[-1]["flags"].append(data)
        elif self._field == "name":
            self.cards[-1].setdefault("name", data)
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
    assert "No data yet: no scrape has succeeded" in html
    assert "No scrape has run yet" in html
    assert cards_of(response) == []
    assert "Chutes TPS Leaderboard" in html
    assert "updates every 10 min" in html
    line = freshness_line(html)
    assert line.state == "freshness-empty" and "No data yet" in line.text  # grey, not stale
    assert "make demo" not in html  # only in development


def record_failed_run(db_path: str, message: str, minutes_ago: int = 0) -> None:
    when = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO scrape_runs (started_at, finished_at, status, message)"
            " VALUES (?, ?, 'failed', ?)",
            (when, when, message),
        )
    conn.close()


def test_empty_state_says_why_the_last_attempt_failed_and_points_developers_to_demo(db_path):
    record_failed_run(db_path, "catalogue https://llm.chutes.ai/v1/models: connection refused")
    app = new_app({"DATABASE": db_path, "DEBUG": True})
    html = app.test_client().get("/").text
    assert "No data yet: no scrape has succeeded" in html
    # A sentence, not the recorded text (issue 19, defect 17).
    assert "failed: chutes.ai could not be reached." in html
    assert "https://llm.chutes.ai/v1/models" not in html
    assert "<code>make demo</code>" in html
    line = freshness_line(html)
    assert line.state == "freshness-empty" and "The last attempt, at" in line.text


def test_leaderboard_ranks_by_tps_with_no_data_last(client, board):
    response = client.get("/")
    assert response.status_code == 200
    cards = shown(response)
    # tiny has only today's 12 requests: unranked, after the ranked ones.
    assert [c["id"] for c in cards] == ["fast", "mid", "slow", "tiny", "empty"]
    assert [c["rank"] for c in cards] == ["1", "2", "3", "—", "—"]
    assert cards[0]["big"] == "150.0" and cards[3]["big"] == "60.0" and "big" not in cards[4]
    assert "rank-1" in response.get_data(as_text=True)
    assert "podium-1" in cards[0]["classes"] and "podium-3" in cards[2]["classes"]
    assert "podium" not in cards[3]["classes"]
    # Unranked models are set apart, without a number, with the reason; no-data ones are
    # a compact list of names, not cards of dashes.
    assert "cards-unranked" in response.text.split('data-id="tiny"')[0].rsplit("<ul", 1)[1]
    assert "Too little traffic to rank: 12 requests on" in response.text
    assert cards[4]["tag"] == "li" and "card" not in cards[4]["classes"]
    assert cards[4]["name"] == "Aardvark No Data"
    assert 'No speed data yet (<span data-group-count="no_data">1</span>)' in response.text
    html = response.get_data(as_text=True)
    assert 'href="/models/fast"' in html
    assert 'method="get"' in html and 'name="q"' in html and 'name="sort"' in html
    assert 'type="submit"' in html and "Refresh" in html


def test_card_figures_and_hero(client, board):
    response = client.get("/")
    mid = next(c for c in cards_of(response) if c["id"] == "mid")
    assert mid["ttft"] == "0.11 s"  # 10 / 90
    assert mid["requests"] == "20K"
    assert mid["response"] == "11.2 s"  # TTFT 0.111 + 1000 tokens / 90 tok/s
    # 7d: (90*20000 + 95*100) / 20100 ; 30d the same here.
    assert mid["avg_7d"] == f"{(90 * 20000 + 95 * 100) / 20100:,.1f}"
    html = response.get_data(as_text=True)
    hero = re.search(r'id="hero-total">(\d+)<', html)
    assert hero and hero.group(1) == "5"
    assert 'id="hero-peak">150.0<' in html
    weighted = (150 * 5000 + 90 * 20000 + 30 * 900 + 60 * 12) / (5000 + 20000 + 900 + 12)
    assert f'id="hero-average">{weighted:,.1f}<' in html
    # Not for the model without data; a line or, for one or two days, a note in its place.
    assert len(re.findall(r'class="spark(?: spark-note)?"', html)) == 4


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        # Ranked models first (by the sort), then unranked, then those without data.
        ("tps", ["fast", "mid", "slow", "tiny", "empty"]),
        ("ttft", ["fast", "mid", "slow", "tiny", "empty"]),
        ("requests", ["mid", "fast", "slow", "tiny", "empty"]),
        ("name", ["fast", "mid", "slow", "tiny", "empty"]),
        ("peak", ["fast", "mid", "slow", "tiny", "empty"]),
        ("avg_7d", ["fast", "mid", "slow", "tiny", "empty"]),
        ("avg_30d", ["fast", "mid", "slow", "tiny", "empty"]),
        ("price_out", ["fast", "mid", "slow", "tiny", "empty"]),
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
    no_matches = re.search(r'<p class="no-matches" id="no-matches"([^>]*)>', html)
    assert no_matches and "hidden" not in no_matches.group(1)
    assert "No model matches" in html and "nothing-like-this" in html


def test_no_matches_block_hidden_normally(client, board):
    html = client.get("/").get_data(as_text=True)
    assert '<p class="no-matches" id="no-matches" hidden>' in html


def test_low_sample_and_partial_day_flags(client, board):
    cards = {c["id"]: c for c in cards_of(client.get("/"))}
    assert cards["tiny"]["flags"] == ["Low sample", "Partial day"]
    assert cards["fast"]["flags"] == []
    assert cards["empty"]["flags"] == []  # no data is not a "low sample"


def test_a_thin_today_behind_a_ranked_day_is_not_flagged(client, db_path):
    """The card shows yesterday's full ranked day: today's 12 requests inform nothing."""
    entry, rows = simple_model("early", "Early Today", {0: (70.0, 12), 1: (60.0, 4000)})
    seed(db_path, [entry], rows)
    card = cards_of(client.get("/"))[0]
    assert card["rank"] == "1" and card["big"] == "60.0"
    assert card["flags"] == []
    # The API still says what its latest day is: a low sample, today.
    model = client.get("/api/models").get_json()[0]
    assert model["low_sample"] is True and model["partial_day"] is True


def test_freshness_line_in_utc(client, board):
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'Data as of <time datetime="([^"]+)">([^<]+)</time> · ([^<]+)</span>', html)
    assert match
    assert match.group(1).endswith("Z")
    assert re.fullmatch(r"\d\d:\d\d UTC", match.group(2))
    assert match.group(3) == "just now"
    assert freshness_line(html).state == "freshness-fresh"


def age_last_run(db_path: str, minutes: int) -> None:
    old = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="seconds")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE scrape_runs SET finished_at = ?", (old,))
    conn.close()


class FreshnessLine(HTMLParser):
    """The navbar's freshness line: its state class and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.state: str | None = None
        self.text = ""
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") == "freshness":
            self.state = next(c for c in a["class"].split() if c.startswith("freshness-"))
            self._depth = 1
        elif self._depth:
            self._depth += 1

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.text += data


def freshness_line(html: str) -> FreshnessLine:
    parser = FreshnessLine()
    parser.feed(html)
    return parser


def test_stale_when_last_good_scrape_is_old_on_every_page(db_path):
    seed_board(db_path)
    app = new_app({"DATABASE": db_path})
    client = app.test_client()
    for path in ("/", "/models/mid", "/methodology", "/api", "/no-such-page"):
        fresh = freshness_line(client.get(path).text)
        assert fresh.state == "freshness-fresh", path
        assert "stale" not in fresh.text, path
    age_last_run(db_path, 21)  # > 2 x 10 min
    # Staleness depends on the clock, not on a new scrape: a fresh app (empty cache).
    client = new_app({"DATABASE": db_path}).test_client()
    for path in ("/", "/models/mid", "/methodology", "/api", "/no-such-page"):
        stale = freshness_line(client.get(path).text)
        assert stale.state == "freshness-stale", path
        assert "21 min ago stale" in " ".join(stale.text.split()), path
        assert "just now ago" not in stale.text


def test_fresh_page_is_not_cached_past_the_moment_it_turns_stale(db_path, monkeypatch):
    seed_board(db_path)
    age_last_run(db_path, 19)  # stale in one minute
    app = new_app({"DATABASE": db_path})
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
    assert freshness_line(client.get("/").text).state == "freshness-fresh"
    assert timeouts and 1 <= timeouts[0] <= 60


def test_stale_uses_the_last_good_run_and_says_why_the_last_attempt_failed(db_path):
    seed_board(db_path)
    age_last_run(db_path, 60)
    record_failed_run(db_path, "stats https://api.chutes.ai/invocations: HTTP 502\n  retried")
    html = new_app({"DATABASE": db_path}).test_client().get("/").text
    line = freshness_line(html)
    assert line.state == "freshness-stale"
    assert "failed: chutes.ai answered with an error (HTTP 502)." in line.text
    assert "invocations" not in line.text


def test_interval_comes_from_config(db_path):
    seed_board(db_path)
    age_last_run(db_path, 21)
    app = new_app({"DATABASE": db_path, "SCRAPE_INTERVAL": 3600})
    html = app.test_client().get("/").text
    assert freshness_line(html).state == "freshness-fresh"
    assert "updates every 60 min" in html


def test_model_page(client, board):
    response = client.get("/models/mid")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Mid Model</h1>" in html
    assert "#2 of 3 by speed on its ranked day" in html
    assert "$0.10" in html and "$0.40" in html and "/ 1M tokens" in html
    assert "32,768" in html and "vllm" in html
    # TPS, TTFT, requests, and the capacity section's daily rate-limited share.
    assert html.count('<figure class="chart') == 4
    assert "<title>" in html and "90.0 tok/s</title>" in html
    assert "20,000 requests</title>" in html
    # History table, newest first.
    days = re.findall(r'<tr><th scope="row"><time datetime="([0-9-]+)">', html)
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
    assert "Not ranked: too little traffic" in html
    # Today's partial day is marked in the charts and in the history table.
    assert 'class="bar bar-partial"' in html and "(today, in progress)</title>" in html
    assert '<tr class="row-partial">' in html and "in progress</span>" in html
    assert "only 1 day of data" in html


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
    plain = new_app({"DATABASE": db_path}).test_client()
    demo = new_app({"DATABASE": db_path, "DEMO": True}).test_client()
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
    assert "<title>#1 &lt;img src=x onerror=alert(1)&gt;: 50.0 tok/s" in index
    assert 'data-name="&lt;img src=x onerror=alert(1)&gt;"' in index
    model = client.get("/models/evil").get_data(as_text=True)
    assert "<title>&lt;img src=x onerror=alert(1)&gt;: daily output tokens" in model


def test_hostile_query_is_escaped(client, board):
    html = client.get("/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert 'value="&#34;&gt;&lt;script&gt;' in html


def test_static_urls_carry_a_content_hash(client):
    html = client.get("/").get_data(as_text=True)
    # Every stylesheet link, in cascade order, each with its content hash.
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]*)">', html)
    names = ["tokens", "base", "board", "charts", "model", "prose", "probes"]
    assert len(sheets) == len(names)
    for href, name in zip(sheets, names, strict=True):
        assert re.fullmatch(rf"/static/css/{name}\.css\?v=[0-9a-f]{{10}}", href), href
        assert client.get(href).status_code == 200, href
    js = re.search(r'src="(/static/js/leaderboard\.js\?v=[0-9a-f]{10})" defer', html)
    assert js
    assert client.get(js.group(1)).status_code == 200


def test_no_inline_scripts_or_styles(client, board):
    html = client.get("/").get_data(as_text=True)
    assert "<style" not in html and " style=" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts)
    assert "onerror=" not in html and "onclick=" not in html


def test_pages_are_conditional(client, board):
    first = client.get("/")
    assert first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- caching -----------------------------------------------------------------------


def test_new_scrape_is_visible_at_once_in_every_worker(db_path):
    seed_board(db_path)
    workers = [new_app({"DATABASE": db_path}).test_client() for _ in "ab"]
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

    monkeypatch.setattr("app.db.flaskdb.get_db", no_sql)
    monkeypatch.setattr("app.db.connection.connect", no_sql)
    monkeypatch.setattr(sqlite3, "connect", no_sql)
    second = client.get(path)
    assert second.status_code == 200
    assert second.get_data() == first.get_data()


def test_cache_key_ignores_request_details_other_than_path_and_args(client, board, monkeypatch):
    client.get("/?sort=name", headers={"User-Agent": "a", "Accept-Language": "fr"})
    monkeypatch.setattr("app.db.flaskdb.get_db", lambda: pytest.fail("cache miss"))
    assert client.get("/?sort=name", headers={"User-Agent": "b"}).status_code == 200


def test_unknown_model_404_is_not_cached_into_a_hit(client, board):
    assert client.get("/models/later").status_code == 404
    assert client.get("/models/later").status_code == 404


def test_unknown_page_uses_the_site_error_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Back to the leaderboard" in response.text and 'class="site-header"' in response.text
    assert "There is no page at this address" in response.text
    assert "If you entered the URL manually" not in response.text  # not Werkzeug's text
    assert client.get("/api/no-such-thing").is_json  # the API's 404s stay JSON


def test_favicon_ico_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert client.get(response.headers["Location"]).status_code == 200


# --- the board as a decision tool -----------------------------------------------------


def header_sorts(html: str) -> dict[str, tuple[str | None, str]]:
    """Sortable table headers: ?sort= key -> (aria-sort or None, the header's link)."""
    found = {}
    for attrs, href, key in re.findall(
        r'<th scope="col" class="[^"]*"([^>]*)><a class="sort-link" href="([^"]+)" '
        r'data-sort="([^"]+)"',
        html,
    ):
        aria = re.search(r'aria-sort="(\w+)"', attrs)
        found[key] = (aria.group(1) if aria else None, href.replace("&amp;", "&"))
    return found


def test_table_view_rows_columns_and_sortable_headers(client, board):
    response = client.get("/?view=table")
    html = response.text
    rows = shown(response)
    assert [(r["id"], r["rank"]) for r in rows] == [
        ("fast", "1"),
        ("mid", "2"),
        ("slow", "3"),
        ("tiny", "—"),
        ("empty", "—"),
    ]
    assert [r["tag"] for r in rows] == ["tr", "tr", "tr", "tr", "li"]
    for label in (
        "7-day range",
        "TTFT",
        "1K tok",
        "Requests",
        "Rate-ltd 24 h",
        "Instances",
        "$/1M in",
        "$/1M out",
        "Context",
    ):
        assert label in html, label
    fast_row = html.split('data-id="fast"')[1].split("</tr>")[0]
    assert "150.0" in fast_row and "140\u2013150" in fast_row and "$0.400" in fast_row
    assert "33K" in fast_row and "vllm" in fast_row
    headers = header_sorts(html)
    # The default sort is the rank, marked on its own column (#1 first, ascending).
    assert headers["rank"] == ("ascending", "/?order=desc&view=table")
    assert headers["tps"] == (None, "/?sort=tps&view=table")
    assert headers["requests"] == (None, "/?sort=requests&view=table")
    sorted_by_requests = client.get("/?view=table&sort=requests").text
    assert header_sorts(sorted_by_requests)["requests"] == (
        "descending",
        "/?sort=requests&order=asc&view=table",
    )
    reverse = shown(client.get("/?view=table&sort=requests&order=asc"))
    assert [r["id"] for r in reverse][:3] == ["slow", "fast", "mid"]
    assert (
        header_sorts(client.get("/?view=table&sort=requests&order=asc").text)["requests"][0]
        == "ascending"
    )


def test_views_and_choices_are_kept_in_links(client, board):
    html = client.get("/?view=table&sort=ttft&tokens=4000&q=qwen").text
    assert 'href="/?sort=ttft&amp;tokens=4000&amp;q=qwen" data-view="cards"' in html
    assert 'data-view="table" aria-current="page"' in html
    assert '<input type="hidden" name="view" value="table">' in html
    assert '<option value="4000" selected>' in html


def test_answer_time_follows_the_token_choice(client, board):
    for tokens in (256, 4000):
        cards = {c["id"]: c for c in cards_of(client.get(f"/?tokens={tokens}"))}
        expected = 0.111 + tokens / 90
        assert cards["mid"]["response"] == (
            f"{expected:.2f} s" if expected < 10 else f"{expected:,.1f} s"
        )
    # An unknown choice falls back to 1,000 tokens (pages are lenient).
    assert {c["id"]: c for c in cards_of(client.get("/?tokens=7"))}["mid"]["response"] == "11.2 s"


def test_big_number_follows_the_sort(client, board):
    by_rank = {c["id"]: c for c in cards_of(client.get("/"))}
    assert by_rank["fast"]["big"] == "150.0"
    by_ttft = {c["id"]: c for c in cards_of(client.get("/?sort=ttft"))}
    assert by_ttft["fast"]["big"] == "0.07 s"
    by_price = {c["id"]: c for c in cards_of(client.get("/?sort=price_out"))}
    assert by_price["fast"]["big"] == "$0.400"
    html = client.get("/?sort=requests").text
    assert "sorted by Requests" in html and "Ranked by tps" not in html


def test_fragment_is_the_board_without_the_page(client, board):
    response = client.get("/?fragment=board&view=table")
    html = response.text
    assert response.status_code == 200
    assert "<html" not in html and "<nav" not in html
    for element in ('id="freshness"', 'id="hero-figures"', 'id="board-region"'):
        assert element in html
    assert html.count("<tr data-id=") == 4
    assert client.get("/?fragment=board").text.count('class="card') >= 4


def test_price_chart_points_have_accessible_names(client, board):
    html = client.get("/").text
    points = re.findall(
        r'<a class="dot" data-id="\w+" data-name="[^"]*" href="/models/(\w+)"><circle [^>]*/>'
        r"(?:<text [^>]*>[^<]*</text>)?"
        r"<title>([^<]+)</title></a>",
        html,
    )
    assert {chute_id for chute_id, _ in points} == {"fast", "mid", "slow"}
    assert ("fast", "#1 Fast Model: 150.0 tok/s, $0.400 per 1M output tokens") in points


def test_api_documentation_page_is_rendered_from_the_openapi_document(client):
    from app.api.openapi import document

    html = client.get("/api").text
    assert '<a href="/api" aria-current="page">API</a>' in html
    for path in document()["paths"]:
        assert f"<code>GET {path}</code>" in html, path
    assert "rank_tps" in html and "e2e_1k_s" in html
    assert "<script src=" in html and "cdn" not in html.lower()
    assert 'href="/api"' in client.get("/").text
