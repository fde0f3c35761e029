"""Issue 17 item 8: a frozen upstream is seen (SPEC §5, §7).

chutes.ai serves its stats from a cache that never expires: when its refresh stops, every
run "succeeds" on the same numbers. The real scraper against the loopback stand-in, a real
SQLite file, the clock seam set to each run's moment; then /api/health and the pages'
freshness line, read "as of" the same moments.
"""

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app import clock
from app.db import flaskdb
from app.web.freshness import freshness
from tests.clocks import ManualClock
from tests.conftest import new_app
from tests.helpers import scrape
from tests.standin import Dataset, serve
from tests.standin.app import UpstreamApp
from tests.web.test_views import freshness_line

# The first run: an hour before midnight, UTC, so the frozen spell crosses the day.
START = datetime(2026, 10, 20, 23, 0, tzinfo=UTC)


def run_at(db_path: str, base: str, moment: datetime, source: str) -> None:
    with clock.use(ManualClock(moment)):
        outcome = scrape(db_path, base, source, BATCH_SIZE=50)
    assert outcome.status in ("ok", "partial") and "daily rows" in outcome.message, outcome.message


def changed_at(db_path: str) -> str | None:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'upstream_changed_at'").fetchone()
        return row and row[0]
    finally:
        conn.close()


def seen_at(db_path: str, moment: datetime) -> tuple[dict, str, str]:
    """/api/health and the board's freshness line (state, text) as of `moment`."""
    with clock.use(ManualClock(moment)):
        client = new_app({"DATABASE": db_path}).test_client()
        health = client.get("/api/health")
        line = freshness_line(client.get("/").text)
    assert health.status_code == 200
    return health.get_json(), line.state or "", " ".join(line.text.split())


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@pytest.mark.parametrize("source", ["api", "html"])
def test_figures_that_stop_moving_are_said_to_have_stopped(db_path, source):
    upstream = UpstreamApp(Dataset.synthetic(6, days=31, today=START.date(), seed=3))
    with serve(upstream) as base:
        run_at(db_path, base, START, source)
        assert changed_at(db_path) == iso(START)
        # The same answer 10 minutes later, and again past UTC midnight (yesterday's rows
        # are now the old "today", and no row for the new day): nothing changed upstream.
        run_at(db_path, base, START + timedelta(minutes=10), source)
        health, state, _ = seen_at(db_path, START + timedelta(minutes=15))
        assert health["upstream_frozen"] is False and state == "freshness-fresh"
        late = START + timedelta(minutes=65)
        run_at(db_path, base, late, source)
        assert changed_at(db_path) == iso(START)

        health, state, text = seen_at(db_path, late + timedelta(minutes=1))
        assert health["status"] == "ok"
        assert health["upstream_frozen"] is True
        assert health["upstream_changed_at"] == iso(START)
        assert health["upstream_frozen_after_seconds"] == 3600
        assert state == "freshness-frozen"
        assert "chutes.ai's figures have not changed since Oct 20, 23:00 UTC" in text
        assert "Data as of 00:05 UTC" in text

        # Upstream moves again: one more request on one model's latest day.
        rows = [dict(r) for r in upstream.dataset.rows]
        newest = max(r["date"] for r in rows if r["chute_id"] == rows[0]["chute_id"])
        for row in rows:
            if row["chute_id"] == rows[0]["chute_id"] and row["date"] == newest:
                row["total_requests"] += 1
        upstream.dataset = replace(upstream.dataset, rows=rows)
        moved = late + timedelta(minutes=10)
        run_at(db_path, base, moved, source)
        assert changed_at(db_path) == iso(moved)
        health, state, text = seen_at(db_path, moved + timedelta(minutes=1))
        assert health["upstream_frozen"] is False and health["upstream_changed_at"] == iso(moved)
        assert state == "freshness-fresh" and "have not changed" not in text


def test_a_stopped_scraper_is_stale_not_frozen(db_path):
    upstream = UpstreamApp(Dataset.synthetic(4, days=31, today=START.date(), seed=4))
    with serve(upstream) as base:
        run_at(db_path, base, START, "api")
    health = new_app({"DATABASE": db_path}).test_client()
    with clock.use(ManualClock(START + timedelta(hours=3))):
        body = health.get("/api/health").get_json()
    assert body["status"] == "stale" and body["upstream_frozen"] is False


def test_the_methodology_and_the_api_docs_say_how_freshness_is_judged(db_path):
    client = new_app({"DATABASE": db_path, "UPSTREAM_FROZEN_AFTER": 1800}).test_client()
    page = " ".join(client.get("/methodology").text.split())
    assert "Is chutes.ai still updating?" in page
    assert "for 30 minutes while scrapes succeed" in page
    assert "A new install starts with a year." in page
    assert "never announced twice" in page  # the speed-change episode rule
    docs = client.get("/api").text
    assert "upstream_frozen" in docs and "one per episode" in docs


def test_a_fresh_page_is_not_cached_past_the_moment_upstream_counts_as_frozen(db_path):
    upstream = UpstreamApp(Dataset.synthetic(4, days=31, today=START.date(), seed=4))
    with serve(upstream) as base:
        run_at(db_path, base, START, "api")
        run_at(db_path, base, START + timedelta(minutes=50, seconds=30), "api")
    app = new_app({"DATABASE": db_path})
    with clock.use(ManualClock(START + timedelta(minutes=59, seconds=50))), app.app_context():
        fresh = freshness(flaskdb.get_db(), clock.now())
    # "9 min ago" would hold 40 s more; the line turns frozen at START + 60 min, in 10 s.
    assert fresh["state"] == "fresh"
    assert fresh["holds_for"] == pytest.approx(10)
