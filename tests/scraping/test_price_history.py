"""Price history end to end (SPEC §4 `model_prices`, §7 `price_change`): the real scraper
over the loopback stand-in on a manual clock, a catalogue price that changes between two
runs, and what the site says about it: the API, the events, the feed and the model page."""

import sqlite3
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest

from app import clock
from app.db import connection
from tests.clocks import ManualClock
from tests.conftest import new_app
from tests.helpers import scrape
from tests.standin import (
    Dataset,
    UtilizationFeed,
    make_chute,
    make_model_entry,
    make_row,
    make_upstream_app,
    repriced,
    serve,
)

ATOM = "{http://www.w3.org/2005/Atom}"
DAY = date(2026, 5, 20)
START = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
PRICED_ID = "d4d4d4d4-0000-4000-8000-000000000004"
STEADY_ID = "e5e5e5e5-0000-4000-8000-000000000005"
PRICED_NAME = "zai-org/GLM-5.1-TEE"


def catalogue() -> Dataset:
    """Two models with ten days of rows; the priced one's cache-read price is 0.052."""
    models, chutes, rows = [], [], []
    for chute_id, name, prompt in (
        (PRICED_ID, PRICED_NAME, 0.104),
        (STEADY_ID, "org/Steady-8B", 0.02),
    ):
        models.append(make_model_entry(name, chute_id, prompt=prompt, completion=prompt * 3))
        chutes.append(make_chute(name, chute_id, price=(prompt, prompt * 3)))
        for back in range(10):
            rows.append(
                make_row(
                    chute_id, name, DAY - timedelta(days=back), 1500, 10**6, 3 * 10**5, 60.0, 0.8
                )
            )
    return Dataset(models, chutes, rows)


def price_rows(db_path: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT chute_id, since, prompt, completion, cache_read FROM model_prices"
            " ORDER BY chute_id, since"
        ).fetchall()


def runs(db_path: str, datasets: list[Dataset], sources: tuple[str, ...] = ("api",)) -> list[str]:
    """One scrape per data set, ten minutes apart on the manual clock, from the sources in
    turn; their times."""
    upstream = make_upstream_app(datasets[0])
    upstream.utilization = UtilizationFeed(START, timedelta(minutes=10))
    times = []
    with serve(upstream) as base, clock.use(ManualClock(START)) as manual:
        for i, dataset in enumerate(datasets):
            upstream.dataset = dataset
            outcome = scrape(db_path, base, sources[i % len(sources)])
            assert outcome.status == "ok", outcome.message
            times.append(clock.now().isoformat(timespec="seconds"))
            manual.advance(600)
    return times


def test_a_price_change_adds_one_row_and_one_event(db_path):
    before = catalogue()
    after = repriced(before, PRICED_ID, input_cache_read=0.0104)
    t1, _t2, t3, _t4 = runs(db_path, [before, before, after, after])

    # One row per model at first, one more only for the change, dated by its run.
    assert price_rows(db_path) == [
        (PRICED_ID, t1, 0.104, 0.104 * 3, 0.052),
        (PRICED_ID, t3, 0.104, 0.104 * 3, 0.0104),
        (STEADY_ID, t1, 0.02, 0.02 * 3, 0.01),
    ]
    client = new_app({"DATABASE": db_path}).test_client()
    with clock.use(ManualClock(START + timedelta(hours=1))):
        events = client.get("/api/events").get_json()
        detail = client.get(f"/api/models/{PRICED_ID}").get_json()
        feed = ET.fromstring(client.get("/feed.atom").data)
        page = client.get(f"/models/{PRICED_ID}").text

    changes = [e for e in events if e["kind"] == "price_change"]
    assert len(changes) == 1, "unchanged prices announce nothing, a change is announced once"
    change = changes[0]
    assert change["chute_id"] == PRICED_ID and change["at"] == t3.replace("+00:00", "Z")
    assert change["detail"]["changed"] == ["cache_read"]
    assert change["detail"]["before"]["cache_read"] == 0.052
    assert change["detail"]["after"]["cache_read"] == 0.0104
    assert "cache-read $0.052 → $0.0104" in change["summary"]
    assert [p["since"] for p in detail["prices"]] == [t1, t3]
    assert [p["cache_read"] for p in detail["prices"]] == [0.052, 0.0104]

    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert f"Price change: {PRICED_NAME}" in titles

    table = page[page.index('class="model-prices"') :]
    table = table[: table.index("</section>")]
    assert table.count('<tr><th scope="row">') == 2
    assert '<td class="price-changed"><strong>$0.0104</strong>' in table
    assert "price_change event" in table


@pytest.mark.parametrize("sources", [("api",), ("api", "html")])
def test_prices_that_never_change_add_no_row_and_no_event(db_path, sources):
    """Also when runs alternate between the API and the web pages (the fallback), which
    carry the same three prices."""
    same = catalogue()
    runs(db_path, [same, same, same], sources)
    assert len(price_rows(db_path)) == 2
    with sqlite3.connect(db_path) as conn:
        kinds = [row[0] for row in conn.execute("SELECT kind FROM events")]
    assert "price_change" not in kinds


def test_an_existing_database_gains_the_price_table_on_upgrade(db_path):
    """A database made before model_prices existed: the scraper's upgrade adds the table
    and the run writes the first prices, without an event (nothing changed)."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TABLE model_prices")
    assert "model_prices" not in tables(db_path)
    (t1,) = runs(db_path, [catalogue()])
    assert "model_prices" in tables(db_path)
    assert [row[:2] for row in price_rows(db_path)] == [(PRICED_ID, t1), (STEADY_ID, t1)]


def tables(db_path: str) -> set[str]:
    conn = connection.connect(db_path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    finally:
        conn.close()


def test_the_api_document_and_the_methodology_describe_price_history(client):
    spec = client.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert "price_change" in schemas["Event"]["properties"]["kind"]["enum"]
    assert schemas["PriceRow"]["required"] == ["since", "prompt", "completion", "cache_read"]
    detail = schemas["ModelDetail"]["allOf"][1]
    assert "prices" in detail["required"]
    assert "PriceRow" in client.get("/api").text
    methodology = client.get("/methodology").text
    assert 'id="m-prices"' in methodology and "only when a price differs" in methodology
