"""Capacity in the API: model fields, history shares, CSV, OpenAPI and /api/health."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from app.api.openapi import document
from app.methodology import OFTEN_RATE_LIMITED_SHARE
from tests.conftest import new_app
from tests.seed import seed, simple_model
from tests.seed_capacity import seed_capacity, snapshot

NOW = datetime.now(UTC).replace(microsecond=0)


def seed_board(db_path: str, capacity_age: timedelta = timedelta(minutes=5)) -> dict:
    """Three models: one often rate-limited, one just under the line, one never seen."""
    models = [
        simple_model("busy", "Busy Model", {0: (50.0, 900), 1: (55.0, 5000), 2: (52.0, 5000)}),
        simple_model("calm", "Calm Model", {1: (40.0, 3000)}),
        simple_model("dark", "No Capacity", {1: (30.0, 3000)}),
    ]
    seed(db_path, [e for e, _ in models], [r for _, rows in models for r in rows])
    newest = NOW - capacity_age
    yesterday = newest - timedelta(days=1, hours=1)
    snapshots = [
        snapshot("busy", yesterday, 1000.0, 900.0, instances=3),  # outside the 24 h
        snapshot("busy", newest - timedelta(hours=3), 300.0, 30.0, instances=3),
        snapshot("busy", newest, 100.0, 70.0, instances=5, utilization=0.8),
        snapshot("calm", newest, 1000.0, 199.0, instances=2, utilization=0.25),
    ]
    seed_capacity(db_path, snapshots)
    return {"newest": newest, "snapshots": snapshots}


@pytest.fixture
def board(db_path) -> dict:
    return seed_board(db_path)


def test_model_objects_carry_capacity(client, board):
    models = {m["chute_id"]: m for m in client.get("/api/models").get_json()}
    busy, calm, dark = models["busy"], models["calm"], models["dark"]
    assert busy["instances"] == 5
    assert busy["utilization_1h"] == 0.8
    assert busy["rate_limited_1h"] == 0.7
    assert busy["rate_limited_24h"] == pytest.approx((30 + 70) / (300 + 100))
    assert busy["often_rate_limited"] is True
    assert busy["capacity_at"] == board["newest"].isoformat(timespec="microseconds")
    assert calm["rate_limited_24h"] == pytest.approx(0.199)
    assert calm["often_rate_limited"] is False  # just under OFTEN_RATE_LIMITED_SHARE
    assert OFTEN_RATE_LIMITED_SHARE == 0.2
    assert (dark["instances"], dark["rate_limited_24h"], dark["capacity_at"]) == (None,) * 3
    assert dark["often_rate_limited"] is False


def test_history_days_carry_their_rate_limited_share(client, board):
    history = {h["date"]: h for h in client.get("/api/models/busy").get_json()["history"]}
    by_day: dict[str, list] = {}
    for snap in board["snapshots"]:
        if snap.chute_id == "busy":
            by_day.setdefault(snap.taken_at[:10], []).append(snap)
    assert len(by_day) >= 2  # the seed spans at least two UTC days
    for day, snaps in by_day.items():
        total = sum(s.total_requests_1h for s in snaps)
        limited = sum(s.rate_limited_requests_1h for s in snaps)
        assert history[day]["rate_limited"] == pytest.approx(limited / total)
    calm = client.get("/api/models/calm").get_json()["history"]
    assert all(h["rate_limited"] is None for h in calm)  # no snapshot on its speed days


def test_csv_has_the_capacity_columns(client, board):
    rows = list(csv.DictReader(io.StringIO(client.get("/api/models.csv").data.decode())))
    busy = next(r for r in rows if r["chute_id"] == "busy")
    assert busy["instances"] == "5"
    assert busy["often_rate_limited"] == "true"
    assert float(busy["rate_limited_24h"]) == pytest.approx(0.25)
    dark = next(r for r in rows if r["chute_id"] == "dark")
    assert dark["rate_limited_24h"] == "" and dark["capacity_at"] == ""


def test_openapi_documents_units():
    model = document()["components"]["schemas"]["Model"]["properties"]
    for field in ("utilization_1h", "rate_limited_1h", "rate_limited_24h"):
        assert "Share 0-1" in model[field]["description"]
        assert (model[field]["minimum"], model[field]["maximum"]) == (0, 1)
    assert model["capacity_at"]["format"] == "date-time"
    history = document()["components"]["schemas"]["DailyRow"]["properties"]
    assert "Share 0-1" in history["rate_limited"]["description"]


def test_health_reports_capacity_apart(client, board):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok"
    assert body["capacity"] == {
        "status": "ok",
        "stale": False,
        "capacity_at": board["newest"].isoformat(timespec="microseconds"),
        "stale_after_seconds": 3600,
    }


def test_stale_capacity_alone_keeps_health_200(db_path):
    seed_board(db_path, capacity_age=timedelta(hours=2))
    client = new_app({"DATABASE": db_path}).test_client()
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert (body["capacity"]["status"], body["capacity"]["stale"]) == ("stale", True)
    tighter = new_app({"DATABASE": db_path, "CAPACITY_STALE_AFTER": 9000})
    assert tighter.test_client().get("/api/health").get_json()["capacity"]["stale"] is False


def test_unreadable_database_reports_capacity_unavailable_and_compare_503(tmp_path):
    path = tmp_path / "state" / "missing.sqlite3"
    path.parent.mkdir()
    client = new_app({"DATABASE": str(path)}).test_client()
    health = client.get("/api/health")
    assert health.status_code == 503
    assert health.get_json()["capacity"]["status"] == "unavailable"
    assert client.get("/compare?ids=a,b").status_code == 503  # not a 500
