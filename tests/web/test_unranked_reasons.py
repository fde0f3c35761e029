"""Issue 17 item 2: each unranked model says its true reason (SPEC §5), once.

The reason is computed by one pure function (app.ranking.standing, plain data here),
carried by the read model, named by the API (`unranked_reason`) and put in words once
(app.web.table.unranked_text) for the board's card and the model page. Day labels in the
reason keep their capital ("Sep 30", never "sep 30").
"""

import re

import pytest

from app.methodology import (
    UNRANKED_BUSY_WITHOUT_SPEED,
    UNRANKED_NO_SPEED,
    UNRANKED_NOT_LISTED,
    UNRANKED_TOO_LITTLE_TRAFFIC,
)
from app.ranking import standing
from app.rows import DailyRow
from app.web import formatting
from app.web.table import sentence, unranked_text
from tests.seed import days_ago, seed, simple_model

TODAY = "2026-09-30"


def day(date: str, requests: int | None, tps: float | None) -> DailyRow:
    return DailyRow("c", date, requests=requests, tps=tps, ttft=None if tps is None else 0.5)


# --- the pure reason ----------------------------------------------------------------------


def test_a_full_day_with_speed_in_the_window_ranks():
    found = standing([day("2026-09-29", 5000, 80.0), day("2026-09-30", 30, 90.0)], TODAY, 100)
    assert found.ranked is not None and found.ranked.date == "2026-09-29"
    assert found.reason is None


def test_busy_days_without_speed_are_not_too_little_traffic():
    # The world: speed only on day -10; a million requests without speed since.
    rows = [
        day("2026-09-20", 5000, 80.0),
        day("2026-09-29", 1_000_000, None),
        day("2026-09-30", 250_000, None),
    ]
    found = standing(rows, TODAY, 100)
    assert found.reason == UNRANKED_BUSY_WITHOUT_SPEED
    assert (found.day, found.requests) == ("2026-09-29", 1_000_000)


def test_busy_days_without_speed_win_over_thin_days_with_speed():
    rows = [day("2026-09-28", 40, 70.0), day("2026-09-29", 9000, None)]
    assert standing(rows, TODAY, 100).reason == UNRANKED_BUSY_WITHOUT_SPEED


def test_thin_days_with_speed_name_the_busiest():
    rows = [day("2026-09-26", 60, 70.0), day("2026-09-28", 90, 75.0), day("2026-09-30", 12, 80.0)]
    found = standing(rows, TODAY, 100)
    assert found.reason == UNRANKED_TOO_LITTLE_TRAFFIC
    assert (found.day, found.requests) == ("2026-09-28", 90)


def test_no_speed_in_the_window():
    # A busy day with speed 8 days back is outside the 7 ending today.
    found = standing([day("2026-09-23", 5000, 80.0), day("2026-09-30", 20, None)], TODAY, 100)
    assert found.reason == UNRANKED_NO_SPEED and found.ranked is None
    assert standing([], TODAY, 100).reason == UNRANKED_NO_SPEED


def test_a_model_no_longer_listed_has_no_standing():
    found = standing([day("2026-09-29", 5000, 80.0)], TODAY, 100, listed=False)
    assert found.ranked is None and found.reason == UNRANKED_NOT_LISTED


# --- the words -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, expected",
    [
        (
            {
                "unranked_reason": UNRANKED_TOO_LITTLE_TRAFFIC,
                "unranked_day": "2026-09-28",
                "unranked_requests": 90,
                "latest_date": "2026-09-30",
            },
            "too little traffic to rank: 90 requests on Sep 28, its busiest day with speed"
            " data in the last 7, fewer than 100",
        ),
        (
            {
                "unranked_reason": UNRANKED_BUSY_WITHOUT_SPEED,
                "unranked_day": "2026-09-29",
                "unranked_requests": 1_000_000,
                "latest_date": "2026-09-20",
            },
            "chutes.ai reported no speed for its busy days (1,000,000 requests on Sep 29,"
            " the busiest of the last 7)",
        ),
        (
            {"unranked_reason": UNRANKED_NO_SPEED, "latest_date": "2026-09-20"},
            "no speed data in the last 7 days (last on Sep 20)",
        ),
        ({"unranked_reason": UNRANKED_NO_SPEED, "latest_date": None}, "no speed data yet"),
        ({"unranked_reason": UNRANKED_NOT_LISTED}, "no longer listed on chutes.ai"),
        ({"unranked_reason": None, "rank": 1}, None),
    ],
    ids=["too-little-traffic", "busy-without-speed", "no-speed", "never", "gone", "ranked"],
)
def test_each_reason_in_words(model, expected):
    assert unranked_text(model, 100) == expected


def test_a_sentence_keeps_the_month_capitalised():
    assert sentence("too little traffic to rank: 9 requests on Sep 30") == (
        "Too little traffic to rank: 9 requests on Sep 30"
    )


# --- shown on the board, the model page and the API ---------------------------------------


@pytest.fixture
def world(db_path):
    models = [
        simple_model("fast", "Fast Model", {1: (100.0, 5000)}),
        simple_model("quiet", "Quiet Model", {0: (50.0, 30), 2: (60.0, 40)}),
        simple_model(
            "busy", "Busy Model", {10: (80.0, 5000), 1: (None, 1_000_000), 0: (None, 250_000)}
        ),
        simple_model("stale", "Stale Model", {10: (80.0, 5000)}),
    ]
    seed(db_path, [m[0] for m in models], [r for m in models for r in m[1]])


def card_reason(html: str, chute_id: str) -> str:
    card = html.split(f'data-id="{chute_id}"', 1)[1].split("</li>", 1)[0]
    match = re.search(r'<span class="unranked-reason">([^<]*)</span>', card)
    assert match, card
    return match.group(1)


def test_the_board_the_model_page_and_the_api_say_the_same_true_reason(client, world):
    html = client.get("/").text
    api = {m["chute_id"]: m for m in client.get("/api/models").get_json()}
    expected = {
        "quiet": (
            UNRANKED_TOO_LITTLE_TRAFFIC,
            f"too little traffic to rank: 40 requests on {formatting.short_day(days_ago(2))}",
        ),
        "busy": (
            UNRANKED_BUSY_WITHOUT_SPEED,
            "chutes.ai reported no speed for its busy days (1,000,000 requests on"
            f" {formatting.short_day(days_ago(1))}",
        ),
        "stale": (
            UNRANKED_NO_SPEED,
            f"no speed data in the last 7 days (last on {formatting.short_day(days_ago(10))})",
        ),
    }
    assert api["fast"]["rank"] == 1 and api["fast"]["unranked_reason"] is None
    for chute_id, (code, words) in expected.items():
        assert api[chute_id]["rank"] is None
        assert api[chute_id]["unranked_reason"] == code
        assert card_reason(html, chute_id).startswith(sentence(words))
        page = client.get(f"/models/{chute_id}").text
        assert f"Not ranked: {words}" in page
    # The old, false sentence is gone.
    assert "on every day of the last" not in html


def test_the_month_in_a_reason_keeps_its_capital(client, world):
    reason = card_reason(client.get("/").text, "quiet")
    label = formatting.short_day(days_ago(2))
    assert label[0].isupper() and label in reason
