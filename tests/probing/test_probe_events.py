"""probe_failing / probe_recovered: pure, then through real runs into the feed."""

import sqlite3

from app.probing.events import probe_events
from app.probing.run import run_probes
from app.settings import Settings
from tests.conftest import new_app
from tests.helpers import scrape
from tests.standin import Dataset, UpstreamApp
from tests.standin.chat import ChatBehaviour


def p(at, outcome):
    return {"at": at, "outcome": outcome}


def test_three_failures_open_an_episode_and_an_ok_closes_it():
    failing = [p("3", "timeout"), p("2", "http_error"), p("1", "rate_limited")]
    [event] = probe_events({"c": failing}, {"c": "M"}, set())
    assert event.kind == "probe_failing" and event.key == "probe_failing:c:3"
    assert probe_events({"c": failing[:2]}, {}, set()) == []  # two are not enough
    assert probe_events({"c": [p("1", "ok"), *failing[:2]]}, {}, set()) == []
    assert probe_events({"c": failing}, {}, {"c"}) == []  # already open: once
    [back] = probe_events({"c": [p("4", "ok"), *failing]}, {"c": "M"}, {"c"})
    assert back.kind == "probe_recovered"


def test_runs_announce_once_and_the_feed_shows_them(serve_stand_in, db_path, tmp_path):
    upstream, base = serve_stand_in(UpstreamApp(Dataset.synthetic(1, days=2, seed=2)))
    assert scrape(db_path, base).status == "ok"
    key = tmp_path / "k"
    key.write_text("cpk_events")
    settings = Settings.from_mapping(
        {"DATABASE": db_path, "LLM_URL": base, "REQUEST_DELAY": 0, "PROBE_KEY_FILE": str(key)}
    )
    upstream.chat.default = ChatBehaviour(mode="server_error")
    for _ in range(4):
        run_probes(settings)
    upstream.chat.default = ChatBehaviour()
    run_probes(settings)
    run_probes(settings)
    conn = sqlite3.connect(db_path)
    kinds = [
        r[0] for r in conn.execute("SELECT kind FROM events WHERE kind LIKE 'probe%' ORDER BY id")
    ]
    conn.close()
    assert kinds == ["probe_failing", "probe_recovered"]
    client = new_app({"DATABASE": db_path, "HOT_PATH": False}).test_client()
    feed = client.get("/feed.atom").get_data(as_text=True)
    assert "Our probes are failing" in feed and "Our probes succeed again" in feed
    api = client.get("/api/events").get_json()
    assert {"probe_failing", "probe_recovered"} <= {e["kind"] for e in api}
