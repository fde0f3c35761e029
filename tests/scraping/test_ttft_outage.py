"""Issue 17 item 4: drift is about speed (SPEC §3).

An answer in which every row carries TPS but no row a TTFT (or no row a request count)
is not drift: the run stores what it has, keeps every stored TTFT (never replaced by no
data), and is `partial`, naming the missing field. Only an answer without any TPS still
fails as drift. The real scraper against the loopback stand-in, real SQLite files.
"""

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from app import create_app
from app.scraping.run import RunOutcome, run_scrape
from tests.dbstate import scrape_runs, snapshot
from tests.standin import Dataset, UpstreamApp, serve

TODAY = datetime.now(UTC).date()
FAST = {"REQUEST_DELAY": 0, "HTTP_RETRIES": 0, "HTTP_BACKOFF": 0, "LOCK_WAIT": 0.3}


@pytest.fixture
def stand_in() -> Iterator[tuple[UpstreamApp, str]]:
    upstream = UpstreamApp(Dataset.synthetic(8, days=31, today=TODAY, seed=8))
    with serve(upstream) as base:
        yield upstream, base


def scrape(db_path: str, base: str, source: str = "api") -> RunOutcome:
    settings = {"TESTING": True, "DATABASE": db_path, **FAST, "BATCH_SIZE": 50}
    settings.update(API_URL=base, LLM_URL=base, WEB_URL=base)
    return run_scrape(dict(create_app(settings).config), source=source)


def edit_rows(upstream: UpstreamApp, change: Callable[[dict], dict]) -> None:
    upstream.dataset = replace(
        upstream.dataset, rows=[change(dict(r)) for r in upstream.dataset.rows]
    )


def daily(db_path: str) -> dict[tuple[str, str], tuple[Any, Any, Any]]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT chute_id, date, tps, ttft, requests FROM daily_stats")
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}
    finally:
        conn.close()


def faster(row: dict) -> dict:
    # Upstream's speeds move on; a row without speed stays without.
    return {**row, "average_tps": round(row["average_tps"] * 1.5, 3) if row["average_tps"] else 0}


@pytest.mark.parametrize("source", ["api", "html"])
def test_a_ttft_outage_stores_the_speeds_and_keeps_every_stored_ttft(stand_in, db_path, source):
    upstream, base = stand_in
    assert scrape(db_path, base, source).status == "ok"
    before = daily(db_path)
    assert sum(1 for _, ttft, _ in before.values() if ttft is not None) > 100

    edit_rows(upstream, lambda r: {**faster(r), "average_ttft": 0})
    outcome = scrape(db_path, base, source)

    assert outcome.status == "partial", outcome.message
    assert outcome.exit_code == 0
    assert "TTFT" in outcome.message and "average_ttft" in outcome.message
    assert "drift" not in outcome.message
    assert scrape_runs(db_path)[-1]["status"] == "partial"
    after = daily(db_path)
    moved = 0
    for key, (tps, ttft, requests) in before.items():
        new_tps, new_ttft, new_requests = after[key]
        assert new_ttft == ttft  # every stored TTFT kept, none replaced by no data
        assert new_requests == requests
        moved += tps is not None and new_tps != tps
    assert moved > 50  # the new speeds were stored: figures are not frozen


def test_a_ttft_outage_moves_the_latest_figures(stand_in, db_path):
    upstream, base = stand_in
    assert scrape(db_path, base).status == "ok"
    conn = sqlite3.connect(db_path)
    old = dict(conn.execute("SELECT chute_id, latest_tps FROM models WHERE latest_tps > 0"))
    conn.close()

    edit_rows(upstream, lambda r: {**faster(r), "average_ttft": None})
    assert scrape(db_path, base).status == "partial"

    conn = sqlite3.connect(db_path)
    new = dict(conn.execute("SELECT chute_id, latest_tps FROM models WHERE latest_tps > 0"))
    conn.close()
    assert old and all(new[cid] == pytest.approx(tps * 1.5, rel=1e-3) for cid, tps in old.items())


def test_counts_as_text_beside_speeds_is_partial_naming_the_field(stand_in, db_path):
    upstream, base = stand_in
    assert scrape(db_path, base).status == "ok"
    before = daily(db_path)

    edit_rows(upstream, lambda r: {**r, "total_requests": str(r["total_requests"])})
    outcome = scrape(db_path, base)

    assert outcome.status == "partial", outcome.message
    assert "total_requests" in outcome.message and "drift" not in outcome.message
    after = daily(db_path)
    assert all(after[key][2] == requests for key, (_, _, requests) in before.items())


def test_an_answer_without_any_tps_is_still_drift_and_writes_nothing(stand_in, db_path):
    upstream, base = stand_in
    assert scrape(db_path, base).status == "ok"
    before = snapshot(db_path)

    edit_rows(upstream, lambda r: {**r, "average_tps": 0, "average_ttft": 0})
    outcome = scrape(db_path, base)

    assert outcome.status == "failed" and "drift" in outcome.message
    assert "average_tps" in outcome.message
    assert snapshot(db_path) == before
