"""Issue 17 item 1: the rank fields are figures of today (SPEC §5).

`rank`, `rank_tps`, `rank_ttft`, `rank_requests`, `rank_date` and `e2e_1k_s` are computed
together when read, against the current UTC day: never a rank_date outside the 7-day
window, never `rank` null beside a `rank_tps`, and a model that left the catalogue has no
rank fields at all. The real scraper runs against the loopback stand-in on a manual
clock; the site is read on the same clock, days later, with no scrape in between.
"""

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app import clock, create_app
from app.scraping.run import run_scrape
from tests.clocks import ManualClock
from tests.standin import Dataset, UpstreamApp, make_row, serve

D = date(2026, 9, 30)
FAST = {"REQUEST_DELAY": 0, "HTTP_RETRIES": 0, "HTTP_BACKOFF": 0, "LOCK_WAIT": 0.3}
RANK_FIELDS = ("rank", "rank_tps", "rank_ttft", "rank_requests", "rank_date", "e2e_1k_s")


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    """Two models: `busy` at 5,000 requests / 80 tok/s on D-1, `other` at 2,000 / 50."""
    base = Dataset.synthetic(2, days=1, today=D, seed=17)
    (busy, other) = base.models
    rows = [
        make_row(busy["chute_id"], busy["id"], D - timedelta(days=1), 5000, 5e6, 1e6, 80.0, 0.5),
        make_row(other["chute_id"], other["id"], D - timedelta(days=1), 2000, 2e6, 4e5, 50.0, 1.0),
    ]
    upstream = UpstreamApp(replace(base, rows=rows))
    with serve(upstream) as url:
        yield {"upstream": upstream, "url": url, "busy": busy, "other": other}


def scrape(db_path: str, url: str) -> None:
    settings = {"TESTING": True, "DATABASE": db_path, **FAST}
    settings.update(API_URL=url, LLM_URL=url, WEB_URL=url)
    outcome = run_scrape(dict(create_app(settings).config), source="api")
    assert outcome.status in ("ok", "partial"), outcome.message


def api_models(client) -> dict[str, dict]:
    response = client.get("/api/models")
    assert response.status_code == 200
    return {m["chute_id"]: m for m in response.get_json()}


def assert_all_or_none(model: dict) -> None:
    values = [model[field] for field in RANK_FIELDS]
    assert all(v is None for v in values) or all(v is not None for v in values), model


def test_rank_fields_drop_together_when_the_ranked_day_leaves_the_window(world, db_path, client):
    busy = world["busy"]["chute_id"]
    manual = ManualClock(noon(D))
    with clock.use(manual):
        scrape(db_path, world["url"])
        on_d = api_models(client)[busy]
        assert on_d["rank"] == 1 and on_d["rank_tps"] == 80.0
        assert on_d["rank_date"] == (D - timedelta(days=1)).isoformat()
        assert on_d.get("unranked_reason") is None

        # On D+5, D-1 is the first of the 7 days ending today: still ranked.
        manual.advance(5 * 86400)
        assert api_models(client)[busy]["rank"] == 1

        # No scrape until D+8: D-1 is outside the 7 days ending today.
        manual.advance(3 * 86400)
        models = api_models(client)
        for model in models.values():
            assert_all_or_none(model)
            assert model["rank"] is None and model.get("unranked_reason") == "no_speed_data"
        # The stored figures of the latest day stay what they are.
        assert models[busy]["latest_tps"] == 80.0

        detail = client.get(f"/api/models/{busy}").get_json()
        assert [detail[f] for f in RANK_FIELDS] == [None] * len(RANK_FIELDS)

        page = client.get(f"/compare?ids={busy},{world['other']['chute_id']}").text
        ranked_row = re.search(r"TPS \(ranked day\)</th>(.*?)</tr>", page, re.S)
        assert ranked_row is not None and "80.0" not in ranked_row.group(1)
        assert "unranked" in page


def test_a_model_that_left_the_catalogue_has_no_rank_fields(world, db_path, client):
    upstream, busy = world["upstream"], world["busy"]
    with clock.use(ManualClock(noon(D))):
        scrape(db_path, world["url"])
        assert api_models(client)[busy["chute_id"]]["rank"] == 1
        upstream.dataset = replace(
            upstream.dataset, models=[m for m in upstream.dataset.models if m is not busy]
        )
        scrape(db_path, world["url"])

        gone = client.get(f"/api/models/{busy['chute_id']}").get_json()
        assert gone["active"] is False
        assert [gone[f] for f in RANK_FIELDS] == [None] * len(RANK_FIELDS)
        assert gone["unranked_reason"] == "not_listed"
        assert busy["chute_id"] not in api_models(client)
        # The one left in the catalogue now ranks first.
        assert api_models(client)[world["other"]["chute_id"]]["rank"] == 1
