"""The decision at a glance (issue 19, SPEC §6): what the board sorts on is what it shows,
`?min_requests=` raises the gate, search filters everything, price and traffic on every
card and row, and the board's cap (BOARD_LIMIT) with pages."""

import re

import pytest

from app.web.board import SORT_LABELS
from tests.seed import seed, simple_model
from tests.web.test_views import cards_of, header_sorts, seed_board, shown


@pytest.fixture
def board(db_path):
    seed_board(db_path)
    return db_path


def ranked_ids(response) -> list[str]:
    return [c["id"] for c in shown(response) if c["rank"] != "—"]


def test_sort_tps_orders_by_the_tps_it_shows(client, db_path):
    # "burst" is fastest today on 20 requests, but ranks on yesterday's 100 tok/s.
    models = [
        simple_model("burst", "Burst", {0: (200.0, 20), 1: (100.0, 5000)}),
        simple_model("steady", "Steady", {1: (150.0, 5000)}),
    ]
    seed(db_path, [m[0] for m in models], [r for m in models for r in m[1]])
    cards = cards_of(client.get("/?sort=tps"))
    assert [c["id"] for c in cards] == ["steady", "burst"]
    assert [c["big"] for c in cards] == ["150.0", "100.0"]
    table = client.get("/?sort=tps&view=table").text
    assert header_sorts(table)["tps"][0] == "descending"


@pytest.mark.parametrize("sort", list(SORT_LABELS))
def test_every_sort_key_is_a_shown_column_marked_as_sorted(client, board, sort):
    html = client.get("/", query_string={"view": "table", "sort": sort}).text
    headers = header_sorts(html)
    marked = [key for key, (aria, _) in headers.items() if aria]
    assert marked == [sort]
    # Cards: the sorted figure is the big number, and marked where it is a metric too.
    cards_html = client.get("/", query_string={"sort": sort}).text
    if sort in ("ttft", "requests", "price_out", "rate_limited"):
        assert 'class="is-sorted"' in cards_html, sort


def test_min_requests_raises_the_gate_and_recomputes_ranks(client, board):
    default = {c["id"]: c["rank"] for c in shown(client.get("/"))}
    assert default["slow"] == "3"
    raised = client.get("/?min_requests=1000")
    ranks = {c["id"]: c["rank"] for c in shown(raised)}
    # slow's ranked day had 900 requests: unranked now, the others keep 1 and 2.
    assert ranks["slow"] == "—" and ranks["fast"] == "1" and ranks["mid"] == "2"
    assert "≥ 1,000 requests" in raised.text
    assert 'name="min_requests" value="1000"' in raised.text
    # Shareable: the view switch keeps it.
    assert "min_requests=1000" in raised.text.split('data-view="table"')[0].rsplit("href=", 1)[1]


@pytest.mark.parametrize("value", ["abc", "5", "²", "-1", "1" * 40, "", "1e9"])
def test_board_ignores_a_silly_min_requests(client, board, value):
    response = client.get("/", query_string={"min_requests": value})
    assert response.status_code == 200
    assert {c["id"]: c["rank"] for c in shown(response)}["slow"] == "3"


def test_board_clamps_a_huge_min_requests(client, board):
    response = client.get("/?min_requests=999999999999")
    assert response.status_code == 200
    assert ranked_ids(response) == []


def test_price_rate_limited_and_traffic_on_every_ranked_card(client, board):
    for card in shown(client.get("/")):
        if card["rank"] == "—":
            continue
        assert card["price_out"] == "$0.400", card
        assert "rate_limited" in card and "requests" in card, card
    # Table rows: the price and rate-limited columns are never hidden on small screens.
    html = client.get("/?view=table").text
    for key in ("price_out", "rate_limited", "requests"):
        assert re.search(rf'<th scope="col" class="c-{key}"[ >]', html), key


def test_the_board_says_whose_numbers_these_are(client, board):
    html = client.get("/").text
    assert "Speeds are chutes.ai's own daily averages over all traffic" in html


def test_search_filters_group_counts_headings_and_the_price_chart(client, board):
    html = client.get("/?q=qwen").text
    assert 'Not ranked (<span data-group-count="unranked">1</span>)' in html
    no_data = re.search(r'<section class="no-data"[^>]*>', html).group(0)
    assert "hidden" in no_data
    dots = re.findall(r'<a class="dot" data-id="(\w+)"', html)
    assert dots == ["slow"]


def test_zero_matches_show_one_line_and_no_empty_headings(client, board):
    html = client.get("/?q=zzz-nothing").text
    assert re.search(r'<p class="no-matches" id="no-matches">', html)
    for group in ("unranked", "no_data"):
        head = re.search(rf'<[a-z]+ [^>]*data-group-head="{group}"[^>]*>', html).group(0)
        assert "hidden" in head, group
    assert '<section class="price-chart"' not in html


def test_sort_texts_read_as_words(client, board):
    for sort in ("ttft", "price_out", "rate_limited"):
        html = client.get(f"/?sort={sort}").text
        assert "(lowest)" not in html and "(cheap" not in html.replace("(cheapest first)", "")
        assert "the # stays the speed rank" in html


def test_the_board_is_capped_with_pages(make_app, board):
    client = make_app(BOARD_LIMIT=2).test_client()
    first = client.get("/")
    assert len(cards_of(first)) == 2
    assert "Show all 5" in first.text and "page=2" in first.text
    assert "data-capped" in first.text
    second = cards_of(client.get("/?page=2"))
    third = cards_of(client.get("/?page=3"))
    assert len(second) == 2 and len(third) == 1
    seen = [c["id"] for c in cards_of(first) + second + third]
    assert sorted(seen) == ["empty", "fast", "mid", "slow", "tiny"]
    # Ranked first, then unranked, then no data.
    assert seen[:3] == ["fast", "mid", "slow"] and seen[-1] == "empty"
    # A page past the end shows the last; junk shows the first.
    assert [c["id"] for c in cards_of(client.get("/?page=99"))] == ["empty"]
    assert len(cards_of(client.get("/?page=x"))) == 2
    # Above the cap the server searches: only matches are rendered.
    assert [c["id"] for c in cards_of(client.get("/?q=qwen"))] == ["slow", "tiny"]


def test_compare_link_has_no_stray_ellipsis(client, board):
    html = client.get("/models/mid").text
    assert "Compare with" in html
    assert not re.search(r"Compare with [^<]*…", html)


OFFLINE = (
    "no data: https://chutes.ai/app: request failed after retries: NewConnectionError: "
    "HTTPSConnection(host='chutes.ai', port=443): Failed to resolve 'chutes.ai' "
    "([Errno -3] Temporary failure in name resolution)"
)


@pytest.mark.parametrize(
    ("message", "sentence"),
    [
        (OFFLINE, "chutes.ai could not be reached."),
        (
            "stats https://api.chutes.ai/invocations: HTTP 502",
            "chutes.ai answered with an error (HTTP 502).",
        ),
        (
            "cannot open the database (OperationalError); check that the file exists",
            "cannot open the database.",
        ),
        ("ValueError: 'x' object has no attribute 'y'", "the scraper's log has the details."),
        ("", "the scraper's log has the details."),
    ],
)
def test_visitors_read_a_sentence_never_exception_text(message, sentence):
    from app.web.freshness import visitor_reason

    assert visitor_reason(message) == sentence


def test_offline_dev_page_says_one_sentence(db_path):
    from tests.conftest import new_app
    from tests.web.test_views import record_failed_run

    record_failed_run(db_path, OFFLINE)
    html = new_app({"DATABASE": db_path, "DEBUG": True}).test_client().get("/").text
    assert "HTTPSConnection" not in html and "Errno" not in html
    assert html.count("chutes.ai could not be reached.") == 2  # the navbar and the empty state


def test_model_page_leads_to_action(client, board):
    html = client.get("/models/fast").text
    assert 'href="https://chutes.ai/app/chute/fast"' in html
    assert '<code id="model-id">Fast Model</code>' in html and 'data-copy="model-id"' in html
    assert "https://llm.chutes.ai/v1/chat/completions" in html
    assert "&#34;model&#34;: &#34;Fast Model&#34;" in html or '"model": "Fast Model"' in html
    assert "$CHUTES_API_TOKEN" in html
    assert "1,000 tokens:" in html and "4,000 tokens:" in html


@pytest.mark.parametrize(
    "path", ["/", "/models/fast", "/compare?ids=fast,mid", "/methodology", "/api"]
)
def test_every_page_has_share_previews(client, board, path):
    html = client.get(path).text
    for tag in ('property="og:title"', 'property="og:description"', 'name="twitter:card"'):
        assert tag in html, (path, tag)
    if path == "/":
        assert "Fastest: Fast Model at 150.0 tok/s, $0.400 per 1M output tokens" in html
