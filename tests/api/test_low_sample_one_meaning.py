"""Issue 17 item 5: `low_sample` has one meaning (SPEC §5), on the API and the board.

It describes the latest_* figures: the latest day with speed data had fewer than
MIN_REQUESTS requests. It is computed once (app.methodology.low_sample, applied by
app.ranking.rank_models), carried unchanged by the board's rows, and flagged where the
latest figures are shown; the ranked day's figures are never low sample by definition.
"""

import re

from app.api.openapi import document
from app.db import connection
from app.methodology import low_sample
from app.readmodel import models_as_shown
from app.web import table
from tests.seed import seed, simple_model


def test_the_one_rule():
    assert low_sample(70.0, 12, 100) is True
    assert low_sample(70.0, 100, 100) is False
    assert low_sample(70.0, None, 100) is True
    assert low_sample(None, 12, 100) is False  # no speed data is not a low sample


def flags_of_card(html: str, chute_id: str) -> list[str]:
    card = html.split(f'data-id="{chute_id}"', 1)[1].split("</li>", 1)[0]
    return re.findall(r'<span class="flag flag-[a-z]+"[^>]*>([^<]+)</span>', card)


def test_the_board_row_and_the_api_agree(client, db_path):
    # Ranked on yesterday's full day; today so far only 12 requests.
    entry, rows = simple_model("early", "Early Today", {0: (70.0, 12), 1: (60.0, 4000)})
    seed(db_path, [entry], rows)
    api = client.get("/api/models").get_json()[0]
    assert api["rank"] == 1 and api["low_sample"] is True

    conn = connection.connect(db_path)
    try:
        shown = models_as_shown(conn, min_requests=100)
    finally:
        conn.close()
    row = table.board_row(
        shown[0], sort="rank", tokens=1000, today=api["latest_date"], min_requests=100
    )
    assert row["low_sample"] is api["low_sample"] is True
    # Flagged only where the latest figures are shown: not beside the ranked day...
    assert row["low_sample_shown"] is False
    assert "Low sample" not in flags_of_card(client.get("/").text, "early")
    # ...nor on ?sort=tps, which sorts by and shows the ranked day's TPS (SPEC §6).
    assert "Low sample" not in flags_of_card(client.get("/?sort=tps").text, "early")


def test_the_openapi_document_says_the_meaning():
    described = document()["components"]["schemas"]
    text = repr(described)
    assert "latest_date (the newest day with TPS) had fewer than MIN_REQUESTS" in text
