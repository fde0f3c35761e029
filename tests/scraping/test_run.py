"""The scraper end to end against a real loopback server serving the chutes.ai samples."""

import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug import Response

from app.db import connection
from app.db import models as model_store
from app.db import write as db_write
from app.db.files import scrape_lock
from app.scraping.run import run_scrape
from tests.conftest import FIXTURES, fixture_text, new_app
from tests.dbstate import scrape_runs, snapshot
from tests.standin import UtilizationFeed

PROJECT_ROOT = FIXTURES.parents[2]
QWEN32 = "ac059e33-eb27-541c-b9a9-24b214036475"
GEMMA = "42ee92ba-a537-5a73-8741-876067750db7"
CATALOGUE_IDS = {
    "b048fe26-0352-5c46-acf7-335e527e7f3d",
    GEMMA,
    QWEN32,
    "7725a31d-28df-5bb7-9d29-c23b49df5472",
}


def serve_json_fixture(httpserver, path: str, name: str) -> None:
    httpserver.expect_request(path).respond_with_data(
        fixture_text(name), content_type="application/json"
    )


def scrape_py_env(db_path: str, httpserver, **extra: str) -> dict[str, str]:
    """The environment for a `scrape.py` subprocess aimed at the loopback server."""
    base = httpserver.url_for("").rstrip("/")
    return {
        **os.environ,
        "LEADERBOARD_DATABASE": db_path,
        "LEADERBOARD_API_URL": base,
        "LEADERBOARD_LLM_URL": base,
        "LEADERBOARD_REQUEST_DELAY": "0",
        **extra,
    }


def serve_utilization(httpserver) -> None:
    """/chutes/utilization: the real sample mapped onto the catalogue, taken now."""
    models = json.loads(fixture_text("v1_models.json"))["data"]
    httpserver.expect_request("/chutes/utilization").respond_with_data(
        json.dumps(UtilizationFeed().answer(models)), content_type="application/json"
    )


@pytest.fixture
def upstream(httpserver):
    """The JSON API serving the real samples."""
    serve_json_fixture(httpserver, "/v1/models", "v1_models.json")
    serve_json_fixture(httpserver, "/invocations/stats/llm", "stats_llm.json")
    serve_utilization(httpserver)
    return httpserver


@pytest.fixture
def scrape_app(db_path, httpserver):
    base = httpserver.url_for("").rstrip("/")
    return new_app(
        {
            "DATABASE": db_path,
            "API_URL": base,
            "LLM_URL": base,
            "WEB_URL": base,
            "REQUEST_DELAY": 0,
            "HTTP_RETRIES": 0,
            "HTTP_BACKOFF": 0,
            "LOCK_WAIT": 0.3,
        }
    )


def test_api_run_stores_catalogue_models_with_figures(scrape_app, upstream, db_path):
    outcome = run_scrape(scrape_app.config, source="api")

    assert outcome.status == "ok", outcome.message
    assert outcome.exit_code == 0
    conn = connection.connect(db_path)
    models = {m["chute_id"]: m for m in model_store.list_models(conn)}
    assert set(models) == CATALOGUE_IDS
    qwen = models[QWEN32]
    assert qwen["name"] == "Qwen/Qwen3-32B-TEE"
    assert qwen["latest_date"] == "2026-10-02"
    assert qwen["latest_tps"] == pytest.approx(55.1249706102813)
    assert qwen["latest_requests"] == 25911
    expected_avg = (55.1249706102813 * 25911 + 57.17010701992273 * 24198) / (25911 + 24198)
    assert qwen["avg_7d"] == pytest.approx(expected_avg)
    assert qwen["avg_30d"] == pytest.approx(expected_avg)
    assert qwen["peak_tps"] == pytest.approx(57.17010701992273)
    assert qwen["price_input"] == 0.104
    assert qwen["context_length"] == 40960
    assert qwen["engine"] == "sglang"
    # GLM-5.1's partial day 10-03 has speed data, so it is the latest.
    glm = models["b048fe26-0352-5c46-acf7-335e527e7f3d"]
    assert glm["latest_date"] == "2026-10-03"
    assert glm["latest_requests"] == 52113
    # Rows of chutes outside the catalogue ([private], embeddings, …) are not kept.
    stored_ids = {r["chute_id"] for r in conn.execute("SELECT chute_id FROM daily_stats")}
    assert stored_ids == CATALOGUE_IDS
    assert len(model_store.model_history(conn, QWEN32)) == 2
    conn.close()
    [run] = scrape_runs(db_path)
    assert (run["status"], run["source"], run["models_updated"]) == ("ok", "api", 4)
    assert os.path.exists(db_path + ".version")


def test_stats_request_asks_for_last_30_days_and_today(scrape_app, httpserver, db_path):
    today = datetime.now(UTC).date()
    serve_json_fixture(httpserver, "/v1/models", "v1_models.json")
    httpserver.expect_request(
        "/invocations/stats/llm", headers={"User-Agent": scrape_app.config["USER_AGENT"]}
    ).respond_with_data(fixture_text("stats_llm.json"), content_type="application/json")
    serve_utilization(httpserver)
    last_30_days = {
        "start_date": (today - timedelta(days=30)).isoformat(),
        "end_date": today.isoformat(),
    }

    def stats_asked() -> list[dict[str, str]]:
        asked = [r for r, _ in httpserver.log if r.path == "/invocations/stats/llm"]
        return [dict(r.args) for r in asked]

    # The first run asks for the last 30 days first (then older months: the backfill).
    assert run_scrape(scrape_app.config, source="api").status == "ok"
    assert stats_asked()[0] == last_30_days
    httpserver.clear_log()
    # Later runs ask for those only.
    assert run_scrape(scrape_app.config, source="api").status == "ok"
    assert stats_asked() == [last_30_days]


def test_catalogue_failure_keeps_old_data_and_offset(scrape_app, upstream, db_path):
    assert run_scrape(scrape_app.config, source="api").status == "ok"
    conn = connection.connect(db_path)
    conn.execute("INSERT INTO meta (key, value) VALUES ('batch_offset', '2')")
    conn.close()
    before = snapshot(db_path)
    upstream.clear()
    upstream.expect_request("/v1/models").respond_with_data("down", status=500)

    outcome = run_scrape(scrape_app.config, source="api")

    assert outcome.status == "failed"
    assert outcome.exit_code == 1
    assert "/v1/models" in outcome.message and "500" in outcome.message
    assert snapshot(db_path) == before
    last = scrape_runs(db_path)[-1]
    assert last["status"] == "failed" and "/v1/models" in last["message"]


def test_empty_stats_answer_is_a_failure_not_a_deletion(scrape_app, upstream, db_path):
    assert run_scrape(scrape_app.config, source="api").status == "ok"
    before = snapshot(db_path)
    upstream.clear()
    serve_json_fixture(upstream, "/v1/models", "v1_models.json")
    upstream.expect_request("/invocations/stats/llm").respond_with_json([])

    outcome = run_scrape(scrape_app.config, source="api")

    assert outcome.exit_code == 1
    assert "/invocations/stats/llm" in outcome.message and "[]" in outcome.message
    assert snapshot(db_path) == before


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_retries_are_bounded_then_the_failure_rule_applies(scrape_app, httpserver, db_path, status):
    calls = []

    def busy(request):
        calls.append(time.monotonic())
        return Response("slow down", status=status, headers={"Retry-After": "1"})

    httpserver.expect_request("/v1/models").respond_with_handler(busy)
    scrape_app.config.update(HTTP_RETRIES=2, HTTP_BACKOFF=0.1)
    started = time.monotonic()

    outcome = run_scrape(scrape_app.config, source="api")

    assert outcome.exit_code == 1
    assert f"HTTP {status}" in outcome.message or "too many" in outcome.message.lower()
    assert len(calls) == 3  # the first try and two retries
    # Retry-After (1 s) was honoured between tries, and nothing waited much longer.
    assert calls[1] - calls[0] >= 0.9
    assert time.monotonic() - started < 10


def test_retry_after_beyond_the_cap_fails_at_once(scrape_app, httpserver):
    calls = []

    def banned(request):
        calls.append(request.path)
        return Response("banned", status=429, headers={"Retry-After": "3600"})

    httpserver.expect_request("/v1/models").respond_with_handler(banned)
    scrape_app.config.update(HTTP_RETRIES=3, HTTP_MAX_RETRY_AFTER=5)
    started = time.monotonic()

    outcome = run_scrape(scrape_app.config, source="api")

    assert outcome.exit_code == 1
    assert "HTTP 429 (Retry-After: 3600)" in outcome.message
    assert calls == ["/v1/models"]  # no retry into a long ban
    assert time.monotonic() - started < 3


def test_second_concurrent_run_exits_cleanly(scrape_app, upstream, db_path):
    with scrape_lock(db_path, wait=0) as acquired:
        assert acquired
        outcome = run_scrape(scrape_app.config, source="api")
    assert outcome.status == "skipped"
    assert outcome.exit_code == 0
    assert "another scrape is running" in outcome.message
    assert scrape_runs(db_path)[-1]["status"] == "skipped"
    assert snapshot(db_path)["models"] == []


def test_exception_inside_the_write_rolls_everything_back(
    scrape_app, upstream, db_path, monkeypatch
):
    assert run_scrape(scrape_app.config, source="api").status == "ok"
    before = snapshot(db_path)
    runs_before = len(scrape_runs(db_path))
    # Upstream moves on: a new partial day. The write dies after its first statements.
    monkeypatch.setattr(db_write, "UPDATE_FIGURES", "UPDATE no_such_table SET x = 1")

    outcome = run_scrape(scrape_app.config, source="api")

    assert outcome.status == "failed"
    # Public (recorded) message: the kind; SQLite's words are in the log.
    assert outcome.message == "database error (OperationalError); details in the scraper's log"
    assert snapshot(db_path) == before
    assert len(scrape_runs(db_path)) == runs_before + 1


def test_models_leaving_the_catalogue_keep_history_and_go_inactive(scrape_app, upstream, db_path):
    assert run_scrape(scrape_app.config, source="api").status == "ok"
    catalogue = json.loads(fixture_text("v1_models.json"))
    catalogue["data"] = [m for m in catalogue["data"] if m["chute_id"] != QWEN32]
    upstream.clear()
    upstream.expect_request("/v1/models").respond_with_json(catalogue)
    serve_json_fixture(upstream, "/invocations/stats/llm", "stats_llm.json")
    serve_utilization(upstream)

    assert run_scrape(scrape_app.config, source="api").status == "ok"

    conn = connection.connect(db_path)
    qwen = model_store.get_model(conn, QWEN32)
    assert qwen["active"] == 0
    assert qwen["latest_tps"] == pytest.approx(55.1249706102813)
    assert len(model_store.model_history(conn, QWEN32)) == 2
    assert QWEN32 not in {m["chute_id"] for m in model_store.list_models(conn)}
    conn.close()


def test_fixture_copies_match_the_shared_samples():
    shared = PROJECT_ROOT.parent / "shared" / "fixtures" / "chutes"
    if not shared.is_dir():
        pytest.skip("../shared is not beside this checkout")
    for sample in shared.iterdir():
        assert (FIXTURES / sample.name).read_bytes() == sample.read_bytes(), sample.name


def test_sigkill_mid_run_leaves_the_database_as_before(scrape_app, upstream, db_path):

    assert run_scrape(scrape_app.config, source="api").status == "ok"
    before = snapshot(db_path)
    runs_before = scrape_runs(db_path)
    reached = threading.Event()

    def stall(request):
        reached.set()
        time.sleep(3)
        return Response("[]", content_type="application/json")

    upstream.clear()
    serve_json_fixture(upstream, "/v1/models", "v1_models.json")
    upstream.expect_request("/invocations/stats/llm").respond_with_handler(stall)
    env = scrape_py_env(db_path, upstream)
    proc = subprocess.Popen(
        [sys.executable, "scrape.py", "--source", "api"], cwd=PROJECT_ROOT, env=env
    )
    try:
        assert reached.wait(20), "the scraper never reached the stats request"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(db_path) == before
    assert scrape_runs(db_path) == runs_before


def test_scrape_py_exit_status_and_log_line(scrape_app, httpserver, db_path):
    httpserver.expect_request("/v1/models").respond_with_data("nope", status=503)
    env = scrape_py_env(db_path, httpserver, LEADERBOARD_HTTP_RETRIES="0")
    done = subprocess.run(
        [sys.executable, "scrape.py", "--source", "api"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "failed: no data" in done.stderr
    assert "/v1/models: HTTP 503" in done.stderr

    bad = subprocess.run(
        [sys.executable, "scrape.py", "--source", "ftp"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "invalid choice" in bad.stderr


def test_unknown_configured_source_is_a_clear_failure(scrape_app, db_path):
    scrape_app.config["SOURCE"] = "ftp"
    outcome = run_scrape(scrape_app.config)
    assert outcome.exit_code == 1
    assert "unknown source 'ftp'" in outcome.message
    assert scrape_runs(db_path)[-1]["status"] == "failed"


def test_init_db_adds_columns_an_older_database_lacks(tmp_path):
    """An upgrade keeps the data and gains the columns schema.sql added since."""
    path = str(tmp_path / "old.sqlite3")
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE models (chute_id TEXT PRIMARY KEY, name TEXT NOT NULL);"
        "INSERT INTO models VALUES ('c1', 'Old model');"
    )
    conn.close()
    connection.init_db(path)
    conn = connection.connect(path)
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(models)")}
    assert {"latest_tps", "active", "scraped_at"} <= columns
    row = conn.execute("SELECT name, active FROM models").fetchone()
    assert (row["name"], row["active"]) == ("Old model", 1)
    # A second run finds nothing left to add.
    schema = pathlib.Path(connection.SCHEMA_PATH).read_text()
    assert connection.add_missing_columns(conn, schema) == []
    conn.close()
