"""GET /api/events and the events in /api/models/<id>, over events stored directly."""

import pytest

from app.api.openapi import document
from app.db import connection
from app.db import events as event_store
from app.db import files as db_files
from app.plumbing.bodies import DATA_CACHE_CONTROL
from app.scraping.events.detect import NewEvent
from tests.seed import seed, simple_model


def store_events(db_path: str, count: int, at: str = "2026-10-03T12:00:00+00:00") -> None:
    """`count` events alternating between two models, oldest first."""
    conn = connection.connect(db_path)
    events = [
        NewEvent(
            "speed_change",
            "m1" if i % 2 else "m0",
            f"org/M{i % 2}",
            f"event {i}",
            {"change": i / 100},
            f"k{i}",
        )
        for i in range(count)
    ]
    with conn:
        event_store.insert_events(conn, events, at)
    conn.close()
    db_files.bump_data_version(db_path, count)


def test_events_newest_first_with_default_limit(client, db_path):
    assert client.get("/api/events").get_json() == []
    store_events(db_path, 60)
    events = client.get("/api/events").get_json()
    assert len(events) == 50
    assert [e["summary"] for e in events[:2]] == ["event 59", "event 58"]
    assert events[0] == {
        "id": 60,
        "kind": "speed_change",
        "chute_id": "m1",
        "name": "org/M1",
        "at": "2026-10-03T12:00:00Z",
        "summary": "event 59",
        "detail": {"change": 0.59},
    }
    assert set(document()["components"]["schemas"]["Event"]["required"]) == set(events[0])


def test_limit_and_chute_id(client, db_path):
    store_events(db_path, 600)
    assert len(client.get("/api/events?limit=500").get_json()) == 500
    assert len(client.get("/api/events?limit=3").get_json()) == 3
    only = client.get("/api/events?chute_id=m0&limit=500").get_json()
    assert len(only) == 300 and {e["chute_id"] for e in only} == {"m0"}
    assert client.get("/api/events?chute_id=unknown").get_json() == []


@pytest.mark.parametrize(
    ("parameter", "query"),
    [
        ("limit", "limit=0"),
        ("limit", "limit=501"),
        ("limit", "limit=abc"),
        ("limit", "limit=1&limit=2"),
        ("chute_id", "chute_id=" + "x" * 201),
        ("chute_id", "chute_id=a&chute_id=b"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client, db_path, parameter, query):
    response = client.get(f"/api/events?{query}")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == parameter


def test_events_are_cached_per_data_version_with_validators(client, db_path):
    store_events(db_path, 2)
    first = client.get("/api/events")
    assert first.headers["Cache-Control"] == DATA_CACHE_CONTROL
    again = client.get("/api/events", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    # A new version: k0 and k1 are stored already (unique keys), k2 shows at once.
    store_events(db_path, 3)
    assert [e["summary"] for e in client.get("/api/events").get_json()] == [
        "event 2",
        "event 1",
        "event 0",
    ]


def test_model_detail_carries_its_events(client, db_path):
    entry, rows = simple_model("m0", "org/M0", {1: (50.0, 500)})
    seed(db_path, [entry], rows)
    store_events(db_path, 4)
    detail = client.get("/api/models/m0").get_json()
    assert [e["summary"] for e in detail["events"]] == ["event 2", "event 0"]
