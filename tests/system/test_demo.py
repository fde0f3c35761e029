"""`make demo`'s back story gives a fresh demo events to show, through the real scraper."""

import sqlite3
from datetime import UTC, datetime

from tests.conftest import new_app
from tests.demo_history import FASTER_MODELS, run_back_story, stand_in_dataset
from tests.helpers import scrape_ok
from tests.standin import make_upstream_app, serve

SYNTHETIC = 12


def test_back_story_then_the_demo_scrape_announce_events(db_path):
    today = datetime.now(UTC).date()

    def scrape(url: str) -> None:
        config = {"DATABASE": db_path, "API_URL": url, "LLM_URL": url, "WEB_URL": url}
        scrape_ok(new_app({"REQUEST_DELAY": 0, **config}))

    run_back_story(scrape, synthetic=SYNTHETIC, today=today, page_form="inline")
    with serve(make_upstream_app(stand_in_dataset(SYNTHETIC, today))) as url:
        scrape(url)
    conn = sqlite3.connect(db_path)
    kinds = [kind for (kind,) in conn.execute("SELECT kind FROM events ORDER BY id")]
    conn.close()
    assert kinds[0] == "tracking_started"
    assert kinds.count("speed_change") == FASTER_MODELS
    assert sorted(kinds[-2:]) == ["model_added", "model_removed"]
