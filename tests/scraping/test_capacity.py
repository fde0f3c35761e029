"""Capacity end to end: the real scraper against the loopback stand-in's /chutes/utilization.

The stand-in serves the real 2026-02-18 sample with its ids mapped onto the catalogue, a
new snapshot per request at times the test sets; figures are checked against what was
served, failures must leave speeds stored and capacity untouched, and old snapshots go.
"""

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app import clock
from app.db import capacity as db_capacity
from app.db import connection
from app.db import models as model_store
from app.scraping.capacity.stats import retention_start
from tests.clocks import WarpClock
from tests.dbstate import scrape_runs
from tests.helpers import scrape
from tests.standin import (
    Dataset,
    UpstreamApp,
    UtilizationFeed,
    naive_timestamp,
)

GLM = "b048fe26-0352-5c46-acf7-335e527e7f3d"  # gets DeepSeek-V3.2-TEE's real snapshot
GEMMA = "42ee92ba-a537-5a73-8741-876067750db7"  # gets openai/gpt-oss-20b's
QWEN = "ac059e33-eb27-541c-b9a9-24b214036475"  # gets Qwen/Qwen3-32B's


@pytest.fixture(scope="module")
def shared(serve_stand_in_for_module) -> tuple[UpstreamApp, str]:
    return serve_stand_in_for_module(Dataset.from_fixtures(shift_to=datetime.now(UTC).date()))


@pytest.fixture
def stand_in(shared) -> tuple[UpstreamApp, str]:
    upstream_app, base = shared
    upstream_app.faults.clear()
    upstream_app.dataset = Dataset.from_fixtures(shift_to=datetime.now(UTC).date())
    upstream_app.utilization = UtilizationFeed()
    return upstream_app, base


def served(feed: UtilizationFeed, chute_id: str) -> list[dict]:
    return [obj for answer in feed.served for obj in answer if obj["chute_id"] == chute_id]


def utc(naive: str) -> str:
    return datetime.fromisoformat(naive).replace(tzinfo=UTC).isoformat(timespec="microseconds")


def capacity_state(db_path: str) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db_path)
    try:
        return {
            "models": conn.execute(
                "SELECT chute_id, instances, utilization_1h, rate_limited_1h, rate_limited_24h,"
                " capacity_at FROM models ORDER BY chute_id"
            ).fetchall(),
            "snapshots": conn.execute("SELECT * FROM capacity_snapshots ORDER BY 1, 2").fetchall(),
            "daily": conn.execute("SELECT * FROM daily_capacity ORDER BY 1, 2").fetchall(),
        }
    finally:
        conn.close()


def test_first_answer_is_the_real_sample(db_path, stand_in):
    upstream_app, base = stand_in
    outcome = scrape(db_path, base)
    assert outcome.status == "ok", outcome.message
    conn = connection.connect(db_path)
    models = {m["chute_id"]: m for m in model_store.list_models(conn)}
    # Real figures of 2026-02-18: a model can be fast and nearly unavailable.
    assert models[GEMMA]["rate_limited_1h"] == 0.952236115804889
    assert models[GEMMA]["rate_limited_24h"] == pytest.approx(
        25788.813559322032 / 27082.372881355932
    )
    assert models[GLM]["rate_limited_1h"] == 0.4750384024577573
    assert (models[GLM]["instances"], models[QWEN]["instances"]) == (12, 40)
    assert models[QWEN]["rate_limited_24h"] == 0.0
    stamp = upstream_app.utilization.served[0][0]["timestamp"]
    assert models[GLM]["capacity_at"] == utc(stamp)
    # Only catalogue models are kept: the sample's private chutes and others are not.
    stored = {row[0] for row in conn.execute("SELECT chute_id FROM capacity_snapshots")}
    assert stored == set(models)
    conn.close()


def test_figures_over_several_snapshots_match_what_was_served(db_path, stand_in):
    upstream_app, base = stand_in
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=30)
    feed = upstream_app.utilization = UtilizationFeed(start, timedelta(hours=12), vary=True)
    for _ in range(3):  # snapshots 30 h, 18 h and 6 h ago
        assert scrape(db_path, base).status == "ok"

    conn = connection.connect(db_path)
    for chute_id in (GLM, GEMMA, QWEN):
        objs = served(feed, chute_id)
        newest = objs[-1]
        model = model_store.get_model(conn, chute_id)
        assert model["instances"] == newest["active_instance_count"]
        assert model["utilization_1h"] == newest["utilization_1h"]
        assert model["rate_limited_1h"] == newest["rate_limit_ratio_1h"]
        assert model["capacity_at"] == utc(newest["timestamp"])
        # The 24 h ending at the newest snapshot hold the last two, not the first.
        in_window = objs[1:]
        total = sum(o["total_requests_1h"] for o in in_window)
        limited = sum(o["rate_limited_requests_1h"] for o in in_window)
        assert model["rate_limited_24h"] == (pytest.approx(limited / total) if total else None)
        by_day: dict[str, list[dict]] = {}
        for obj in objs:
            by_day.setdefault(obj["timestamp"][:10], []).append(obj)
        daily = db_capacity.daily_rate_limited(conn, chute_id)
        assert set(daily) == set(by_day)
        for day, group in by_day.items():
            total = sum(o["total_requests_1h"] for o in group)
            limited = sum(o["rate_limited_requests_1h"] for o in group)
            assert daily[day] == (pytest.approx(limited / total) if total else None)
    assert (
        served(feed, GLM)[1]["rate_limit_ratio_1h"] != served(feed, GLM)[2]["rate_limit_ratio_1h"]
    )
    conn.close()

    # Upstream took no newer snapshot: the same one again (here with other counts, to
    # show which wins) is stored once, as first seen, and nothing moves.
    before = capacity_state(db_path)
    upstream_app.utilization = UtilizationFeed(start + timedelta(hours=24))
    assert scrape(db_path, base).status == "ok"
    again = served(upstream_app.utilization, GLM)[0]
    assert again["timestamp"] == served(feed, GLM)[2]["timestamp"]
    assert again["rate_limit_ratio_1h"] != served(feed, GLM)[2]["rate_limit_ratio_1h"]
    assert capacity_state(db_path) == before


FAULTS = {
    "HTTP 500": ({"status": 500}, "HTTP 500"),
    "garbage JSON": ({"body": "malformed"}, "not valid JSON"),
    "[]": ({"body": "empty"}, "returned []"),
    "timeout": ({"delay": 1.5}, "timed out"),
    "HTML instead of JSON": ({"body": "html"}, "not valid JSON"),
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=list(FAULTS))
def test_a_failing_capacity_answer_keeps_capacity_and_stores_the_speeds(db_path, stand_in, fault):
    upstream_app, base = stand_in
    assert scrape(db_path, base).status == "ok"
    before = capacity_state(db_path)
    assert any(row[5] for row in before["models"])
    # Upstream moves on: a faulty capacity answer must not stop the new speeds landing.
    upstream_app.dataset = replace(
        upstream_app.dataset,
        rows=[
            {**r, "average_tps": r["average_tps"] * 2 if r["average_tps"] else r["average_tps"]}
            for r in upstream_app.dataset.rows
        ],
    )
    conn = connection.connect(db_path)
    old_tps = model_store.get_model(conn, QWEN)["latest_tps"]
    conn.close()
    kwargs, reason = fault
    upstream_app.faults.add("/chutes/utilization", **kwargs)

    outcome = scrape(db_path, base, HTTP_TIMEOUT=0.5)

    assert outcome.status == "partial" and outcome.exit_code == 0
    assert any(e.startswith("capacity: ") and reason in e for e in outcome.errors), outcome.errors
    conn = connection.connect(db_path)
    assert model_store.get_model(conn, QWEN)["latest_tps"] == pytest.approx(old_tps * 2)
    conn.close()
    assert capacity_state(db_path) == before
    last = scrape_runs(db_path)[-1]
    assert last["status"] == "partial"
    assert "/chutes/utilization" in last["message"] and reason in last["message"]


def test_an_answer_without_catalogue_models_is_a_failure(db_path, stand_in):
    upstream_app, base = stand_in
    upstream_app.utilization.answer = lambda models: [  # type: ignore[method-assign]
        {"chute_id": "someone-else", "timestamp": naive_timestamp(datetime.now(UTC))}
    ]
    outcome = scrape(db_path, base)
    assert outcome.status == "partial"
    assert "none recent for the 4 catalogue models" in outcome.message


def test_snapshots_older_than_35_days_are_pruned_but_their_days_stay(db_path, stand_in):
    upstream_app, base = stand_in
    real_now = datetime.now(UTC)
    then = real_now - timedelta(days=40)
    # A scrape 40 days ago, of an upstream as it was then.
    upstream_app.dataset = Dataset.from_fixtures(shift_to=then.date())
    upstream_app.utilization = UtilizationFeed(then.replace(tzinfo=None), timedelta(hours=1))
    with clock.use(WarpClock(start=then)):
        assert scrape(db_path, base).status == "ok"
    old_day = then.date().isoformat()
    conn = connection.connect(db_path)
    share = served(upstream_app.utilization, GEMMA)[0]["rate_limit_ratio_1h"]
    assert db_capacity.daily_rate_limited(conn, GEMMA)[old_day] == pytest.approx(share)
    assert conn.execute("SELECT count(*) FROM capacity_snapshots").fetchone()[0] == 4
    conn.close()

    upstream_app.dataset = Dataset.from_fixtures(shift_to=real_now.date())
    upstream_app.utilization = UtilizationFeed(real_now.replace(tzinfo=None))
    assert scrape(db_path, base).status == "ok"

    conn = connection.connect(db_path)
    days = [row[0] for row in conn.execute("SELECT taken_at FROM capacity_snapshots")]
    assert len(days) == 4 and min(days) >= retention_start(real_now)
    daily = db_capacity.daily_rate_limited(conn, GEMMA)
    assert daily[old_day] == pytest.approx(share)  # the old day's figure outlives its snapshot
    assert daily[real_now.date().isoformat()] == pytest.approx(0.952236115804889)
    conn.close()

    # A snapshot older than the retention is refused (it would be pruned and re-added).
    upstream_app.utilization = UtilizationFeed(then.replace(tzinfo=None))
    outcome = scrape(db_path, base)
    assert outcome.status == "partial" and "none recent" in outcome.message


def test_the_web_pages_source_asks_for_capacity_once_too(db_path, stand_in):
    upstream_app, base = stand_in
    upstream_app.reset_counts()
    outcome = scrape(db_path, base, "html", BATCH_SIZE=50)
    assert outcome.status == "ok", outcome.message
    assert upstream_app.requests["/chutes/utilization"] == 1
    assert upstream_app.requests["/v1/models"] == 0
    conn = connection.connect(db_path)
    assert model_store.get_model(conn, GEMMA)["rate_limited_1h"] == 0.952236115804889
    conn.close()


def test_a_bug_in_capacity_costs_capacity_only(db_path, stand_in, monkeypatch):
    _, base = stand_in
    assert scrape(db_path, base).status == "ok"
    before = capacity_state(db_path)

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("app.scraping.capacity.update.prepare_capacity", broken)
    outcome = scrape(db_path, base)
    assert outcome.status == "partial"
    assert any("internal error: ZeroDivisionError('a bug')" in e for e in outcome.errors)
    assert capacity_state(db_path) == before
    assert scrape_runs(db_path)[-1]["models_updated"] == 4
