"""Events end to end: the real scraper over the loopback chutes.ai stand-in, through a
catalogue change, a speed shift and a rate-limit spell; then the feed, the API and badges."""

import os
import pathlib
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from app.db import events as event_store
from app.scraping.run import run_scrape
from tests.helpers import scrape_ok as scrape
from tests.standin import (
    Dataset,
    UtilizationFeed,
    make_chute,
    make_model_entry,
    make_row,
    make_upstream_app,
    serve,
)

ATOM = "{http://www.w3.org/2005/Atom}"
PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[2]
TODAY = datetime.now(UTC).date()
FAST = {"REQUEST_DELAY": 0, "HTTP_RETRIES": 0, "HTTP_BACKOFF": 0, "LOCK_WAIT": 0.3}
# The scraper only takes UUID chute_ids, as upstream's are.
STEADY = "aaaaaaaa-0000-4000-8000-000000000001"
LEAVING = "bbbbbbbb-0000-4000-8000-000000000002"
SHIFTING = "cccccccc-0000-4000-8000-000000000003"
NEWCOMER_ID = "dddddddd-0000-4000-8000-000000000004"
# chute_id -> (name, steady TPS)
MODELS = {
    STEADY: ("org/Steady-7B", 50.0),
    LEAVING: ("org/Leaving-13B", 80.0),
    SHIFTING: ("org/Shifting-70B", 40.0),
}
NEWCOMER = (NEWCOMER_ID, "org/Newcomer-32B", 120.0)


def model_data(chute_id: str, name: str, tps: float, faster_last_week: float = 1.0):
    """Catalogue entry, chute and 30 days of rows: 2,000 requests a day, and today partial
    with too few requests to rank, so yesterday is the ranked day."""
    rows = []
    for back in range(30):
        day = TODAY - timedelta(days=back)
        speed = tps * (faster_last_week if 1 <= back <= 7 else 1.0)
        requests = 40 if back == 0 else 2000
        rows.append(
            make_row(chute_id, name, day, requests, requests * 900, requests * 300, speed, 0.8)
        )
    return make_model_entry(name, chute_id), make_chute(name, chute_id), rows


def dataset(ids: list[str], *, shift: float = 1.0) -> Dataset:
    known = {**MODELS, NEWCOMER[0]: NEWCOMER[1:]}
    parts = [model_data(cid, *known[cid], shift if cid == SHIFTING else 1.0) for cid in ids]
    return Dataset(
        models=[p[0] for p in parts],
        chutes=[p[1] for p in parts],
        rows=[r for p in parts for r in p[2]],
    )


class SpellFeed(UtilizationFeed):
    """`/chutes/utilization` answers 25 h apart (each 24 h window holds one snapshot), with
    the share of rate-limited requests the test sets per model (0 unless set)."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC) - timedelta(days=10), timedelta(hours=25))
        self.share: dict[str, float] = {}

    def answer(self, models: list[dict]) -> list[dict]:
        snapshot = super().answer(models)
        for obj in snapshot:
            share, total = self.share.get(obj["chute_id"], 0.0), 1000.0
            obj["total_requests_1h"] = total
            obj["rate_limited_requests_1h"] = total * share
            obj["completed_requests_1h"] = total * (1 - share)
            obj["rate_limit_ratio_1h"] = share
        return snapshot


@pytest.fixture
def world(db_path, make_app):
    upstream = make_upstream_app(dataset(list(MODELS)))
    upstream.utilization = SpellFeed()
    with serve(upstream) as base:
        app = make_app(API_URL=base, LLM_URL=base, **FAST)
        yield upstream, app


def stored_events(db_path: str) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT kind, chute_id FROM events ORDER BY id").fetchall()
    finally:
        conn.close()


def test_catalogue_change_speed_shift_and_rate_limit_spell(world, db_path):
    upstream, app = world
    scrape(app)
    assert stored_events(db_path) == [("tracking_started", None)]
    scrape(app)  # a repeated answer adds nothing
    assert len(stored_events(db_path)) == 1

    upstream.dataset = dataset([STEADY, SHIFTING, NEWCOMER[0]])
    scrape(app)
    assert stored_events(db_path)[1:] == [
        ("model_removed", LEAVING),
        ("model_added", NEWCOMER[0]),
    ]

    upstream.dataset = dataset([STEADY, SHIFTING, NEWCOMER[0]], shift=1.5)
    scrape(app)
    assert stored_events(db_path)[3:] == [("speed_change", SHIFTING)]
    scrape(app)
    assert len(stored_events(db_path)) == 4

    upstream.utilization.share[STEADY] = 0.31  # a rate-limit spell, through capacity
    scrape(app)
    scrape(app)
    upstream.utilization.share[STEADY] = 0.04
    scrape(app)
    scrape(app)
    assert stored_events(db_path)[4:] == [
        ("rate_limited", STEADY),
        ("rate_limited_cleared", STEADY),
    ]

    client = app.test_client()
    events = client.get("/api/events").get_json()
    assert [e["kind"] for e in events] == [
        "rate_limited_cleared",
        "rate_limited",
        "speed_change",
        "model_added",
        "model_removed",
        "tracking_started",
    ]
    shift = events[2]
    assert shift["detail"]["tps_before"] == pytest.approx(40.0)
    assert shift["detail"]["tps_after"] == pytest.approx(60.0)
    assert shift["detail"]["direction"] == "faster"
    assert "50% faster" in shift["summary"] and "40.0 → 60.0 tok/s" in shift["summary"]
    assert events[1]["summary"].endswith("31% of requests in the last 24 h")
    assert events[5]["chute_id"] is None and events[5]["detail"]["models"] == 3
    detail = client.get(f"/api/models/{SHIFTING}").get_json()
    assert [e["kind"] for e in detail["events"]] == ["speed_change"]

    feed = ET.fromstring(client.get("/feed.atom").data)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}category").get("term") for e in entries] == [e["kind"] for e in events]
    link = entries[2].find(f"{ATOM}link").get("href")
    assert link == f"http://localhost/models/{SHIFTING}"
    assert "50% faster" in entries[2].find(f"{ATOM}summary").text

    badge = client.get(f"/badge/{SHIFTING}.svg")
    assert badge.status_code == 200
    assert b"60.0 tok/s" in badge.data  # the ranked day (yesterday) after the shift
    gone = client.get(f"/badge/{LEAVING}.svg")
    assert gone.status_code == 200 and b"no data" in gone.data
    assert client.get("/badge/nope.svg").status_code == 404

    page = client.get(f"/models/{SHIFTING}").get_data(as_text=True)
    assert "50% faster" in page and 'class="mark"' in page and "+50%" in page


def test_events_roll_back_with_a_failed_write(world, db_path, monkeypatch):
    upstream, app = world
    scrape(app)
    upstream.dataset = dataset([STEADY])
    original = event_store.insert_events

    def insert_then_fail(*args, **kwargs):
        assert len(original(*args, **kwargs)) == 2  # both removals were written...
        raise RuntimeError("disk full")

    monkeypatch.setattr(event_store, "insert_events", insert_then_fail)
    assert run_scrape(app.config, source="api").status == "failed"
    # ...and rolled back with the run's data: nothing announced, nothing lost.
    assert stored_events(db_path) == [("tracking_started", None)]
    monkeypatch.undo()
    scrape(app)
    assert [kind for kind, _ in stored_events(db_path)[1:]] == ["model_removed", "model_removed"]


def test_scrape_py_logs_the_events_it_announced(world, db_path):
    upstream, app = world
    base = app.config["API_URL"]
    env = {
        **os.environ,
        "LEADERBOARD_DATABASE": db_path,
        "LEADERBOARD_API_URL": base,
        "LEADERBOARD_LLM_URL": base,
        "LEADERBOARD_REQUEST_DELAY": "0",
    }

    def scrape_py() -> str:
        done = subprocess.run(
            [sys.executable, "scrape.py", "--source", "api"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert "event tracking_started: Started following 3 models" in scrape_py()
    upstream.dataset = dataset([STEADY, SHIFTING])
    log = scrape_py()
    assert "event model_removed: org/Leaving-13B left the chutes.ai catalogue" in log
    assert "event " not in scrape_py()  # the same answer again: nothing new to announce
