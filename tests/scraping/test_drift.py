"""Truth under drift (issue 8): stored figures survive any upstream change, a batch never
sticks, figures' windows are whole, storage errors name their cause, upstream ids and
names are held to their real shape.

Runs the real scraper against the chutes.ai stand-in (tests/standin/) on loopback,
with real SQLite files.
"""

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.db import connection
from app.db import models as model_store
from app.rows import CatalogueEntry, DailyRow
from app.scraping.speeds.stats import model_figures
from tests.dbstate import scrape_runs, snapshot
from tests.helpers import scrape
from tests.seed import seed
from tests.standin import Dataset, UpstreamApp, make_model_entry, make_row, serve

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.now(UTC).date()


@pytest.fixture
def stand_in(serve_stand_in) -> tuple[UpstreamApp, str]:
    return serve_stand_in(UpstreamApp(Dataset.synthetic(8, days=31, today=TODAY, seed=8)))


def edit_rows(upstream: UpstreamApp, change: Callable[[dict], dict]) -> None:
    """Serve every daily row through `change` from now on (keys keep their order)."""
    upstream.dataset = replace(
        upstream.dataset, rows=[change(dict(r)) for r in upstream.dataset.rows]
    )


def renamed(row: dict) -> dict:
    names = {"average_tps": "avg_tps", "average_ttft": "avg_ttft"}
    return {names.get(key, key): value for key, value in row.items()}


def stored_speeds(db_path: str) -> tuple[int, int]:
    """(models with latest_tps, daily rows with tps)."""
    conn = sqlite3.connect(db_path)
    try:
        models = conn.execute("SELECT count(*) FROM models WHERE latest_tps IS NOT NULL")
        days = conn.execute("SELECT count(*) FROM daily_stats WHERE tps IS NOT NULL")
        return models.fetchone()[0], days.fetchone()[0]
    finally:
        conn.close()


# --- 1. drift never erases stored speeds ------------------------------------------------


@pytest.mark.parametrize(
    "change, field, reason",
    [
        (renamed, "average_tps", "missing from all"),
        (lambda r: {**r, "average_tps": str(r["average_tps"])}, "average_tps", "as text"),
        (lambda r: {**r, "average_tps": 0}, "average_tps", "0 or null"),
        # Counts as text beside speeds is no longer drift (SPEC §3: drift is about speed):
        # tests/scraping/test_ttft_outage.py holds that run partial instead.
    ],
    ids=["renamed", "strings", "all-zero"],
)
@pytest.mark.parametrize("source", ["api", "html"])
def test_a_drifted_answer_fails_naming_the_field_and_writes_nothing(
    stand_in, db_path, change, field, reason, source
):
    upstream, base = stand_in
    assert scrape(db_path, base, source, BATCH_SIZE=50).status == "ok"
    before = snapshot(db_path)
    models_with_speed, days_with_speed = stored_speeds(db_path)
    assert models_with_speed >= 5 and days_with_speed > 100

    edit_rows(upstream, change)
    outcome = scrape(db_path, base, source, BATCH_SIZE=50)

    assert outcome.status == "failed" and outcome.exit_code != 0
    assert "drift" in outcome.message and field in outcome.message and reason in outcome.message
    assert snapshot(db_path) == before  # every stored figure kept, offset included
    assert scrape_runs(db_path)[-1]["status"] == "failed"
    assert field in scrape_runs(db_path)[-1]["message"]


def test_auto_falls_back_to_the_pages_when_only_the_api_drifted(stand_in, db_path):
    upstream, base = stand_in
    assert scrape(db_path, base, "api").status == "ok"
    models_with_speed, _ = stored_speeds(db_path)
    api_answer = upstream._stats  # only the JSON API renames; the pages do not

    def drifted_api(args: Any, empty: bool) -> tuple[int, str]:
        status, body = api_answer(args, empty)
        return status, json.dumps([renamed(row) for row in json.loads(body)])

    upstream._stats = drifted_api  # type: ignore[method-assign]

    outcome = scrape(db_path, base, "auto", BATCH_SIZE=50)

    assert outcome.status == "partial", outcome.message
    assert outcome.source == "html"
    assert "drift" in outcome.errors[0] and "average_tps" in outcome.errors[0]
    assert stored_speeds(db_path)[0] == models_with_speed


def test_a_row_losing_its_speed_keeps_the_stored_number(stand_in, db_path):
    upstream, base = stand_in
    assert scrape(db_path, base, "api").status == "ok"
    conn = sqlite3.connect(db_path)
    chute_id, day, tps, ttft, requests = conn.execute(
        "SELECT chute_id, date, tps, ttft, requests FROM daily_stats"
        " WHERE tps IS NOT NULL ORDER BY date DESC, chute_id LIMIT 1"
    ).fetchone()
    conn.close()

    def lose_speed(row: dict) -> dict:
        if row["chute_id"] == chute_id and row["date"] == day:
            return {**row, "average_tps": 0, "average_ttft": None, "total_requests": None}
        return row

    edit_rows(upstream, lose_speed)
    assert scrape(db_path, base, "api").status == "ok"  # other rows carry speeds: not drift

    conn = sqlite3.connect(db_path)
    kept = conn.execute(
        "SELECT tps, ttft, requests FROM daily_stats WHERE chute_id = ? AND date = ?",
        (chute_id, day),
    ).fetchone()
    latest = conn.execute(
        "SELECT latest_tps, latest_date FROM models WHERE chute_id = ?", (chute_id,)
    ).fetchone()
    conn.close()
    assert kept == (tps, ttft, requests)
    assert latest == (tps, day)


def test_a_first_run_without_any_speed_is_not_drift(stand_in, db_path):
    """Drift needs stored history to contradict; an empty database has none."""
    upstream, base = stand_in
    edit_rows(upstream, lambda r: {**r, "average_tps": 0})
    outcome = scrape(db_path, base, "api")
    assert outcome.status == "ok", outcome.message
    assert stored_speeds(db_path) == (0, 0)


# --- 5. a batch never sticks ---------------------------------------------------------------


def test_a_batch_whose_pages_all_fail_still_moves_the_offset(stand_in, db_path):
    upstream, base = stand_in
    upstream.faults.add("/app/chute/*", status=500)
    outcome = scrape(db_path, base, "html", BATCH_SIZE=3)
    assert outcome.status == "failed" and outcome.exit_code != 0
    assert "all 3 stats pages failed" in outcome.message
    assert snapshot(db_path)["meta"] == [("batch_offset", "3")]
    assert snapshot(db_path)["daily_stats"] == []
    assert [run["status"] for run in scrape_runs(db_path)] == ["failed"]

    upstream.faults.clear()
    upstream.reset_counts()
    assert scrape(db_path, base, "html", BATCH_SIZE=3).status == "ok"
    ids = sorted(model["chute_id"] for model in upstream.dataset.models)
    pages = [r.path for r in upstream.log if r.path.startswith("/app/chute/")]
    assert pages[0] == f"/app/chute/{ids[3]}"  # the next run went on with the 4th chute


def test_a_failed_catalogue_leaves_the_offset_alone(stand_in, db_path):
    upstream, base = stand_in
    upstream.faults.add("/app", status=500)
    upstream.faults.add("/app/__data.json", status=500)
    assert scrape(db_path, base, "html", BATCH_SIZE=3).status == "failed"
    assert snapshot(db_path)["meta"] == []


# --- 6. the figures' window is computed after merging -----------------------------------

A = "a0000000-0000-5000-8000-00000000000a"
B = "b0000000-0000-5000-8000-00000000000b"


def test_rows_without_speed_do_not_shorten_the_window(db_path):
    """Days 0-40 at 50 tok/s with one 500 tok/s day; the next run brings days 33-40
    again, without speed. The 30-day figures must still cover days 11-40."""
    start = TODAY - timedelta(days=41)
    day = [(start + timedelta(days=n)).isoformat() for n in range(41)]
    history = [
        DailyRow(A, day[n], requests=1000, tps=500.0 if n == 20 else 50.0, ttft=1.0)
        for n in range(41)
    ] + [DailyRow(B, day[40], requests=1000, tps=80.0, ttft=1.0)]
    seed(db_path, [CatalogueEntry(A, "org/a"), CatalogueEntry(B, "org/b")], history)
    models = [make_model_entry("org/a", A), make_model_entry("org/b", B)]
    rows = [make_row(A, "org/a", day[n], 1000, 10, 10, 0, 0) for n in range(33, 41)]
    rows.append(make_row(B, "org/b", day[40], 1000, 10, 10, 81.0, 1.0))
    upstream = UpstreamApp(Dataset(models=models, chutes=[], rows=rows))

    with serve(upstream) as base:
        assert scrape(db_path, base, "api").status == "ok"

    conn = connection.connect(db_path)
    model = model_store.get_model(conn, A)
    assert (model["avg_30d"], model["peak_tps"]) == (pytest.approx(65.0), 500.0)
    stored = model_store.history_of(conn, [A])
    conn.close()
    expected = model_figures(stored, 100, TODAY.isoformat())  # what is stored, recomputed
    assert model["avg_30d"] == pytest.approx(expected.avg_30d)
    assert model["latest_date"] == day[40] == expected.latest_date


# --- 8. storage errors say what they are ---------------------------------------------------


def test_a_full_disk_is_reported_as_such_not_as_a_rollback_error(stand_in, db_path, monkeypatch):
    upstream, base = stand_in
    all_rows = upstream.dataset.rows
    old_days = (TODAY - timedelta(days=10)).isoformat()
    upstream.dataset = replace(upstream.dataset, rows=[r for r in all_rows if r["date"] < old_days])
    assert scrape(db_path, base, "api").status == "ok"
    before = snapshot(db_path)
    upstream.dataset = replace(upstream.dataset, rows=all_rows)  # ten new days: the file grows
    real_connect = connection.connect

    def full_connect(path: str, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(path, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL on growth
        return conn

    monkeypatch.setattr(connection, "connect", full_connect)
    outcome = scrape(db_path, base, "api")

    assert outcome.status == "failed" and outcome.exit_code != 0
    assert outcome.message.startswith("database or disk is full")
    assert "rollback" not in outcome.message
    monkeypatch.undo()
    assert snapshot(db_path) == before


def run_scrape_py(db_path: str, base: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEADERBOARD_DATABASE": db_path, "LEADERBOARD_REQUEST_DELAY": "0"}
    for key in ("API_URL", "LLM_URL", "WEB_URL"):
        env[f"LEADERBOARD_{key}"] = base
    return subprocess.run(
        [sys.executable, "scrape.py", "--source", "api"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_corrupt_database_is_one_clear_line_not_a_traceback(stand_in, tmp_path):
    _, base = stand_in
    path = tmp_path / "leaderboard.sqlite3"
    path.write_bytes(b"this is not an SQLite database, it was overwritten" * 100)
    result = run_scrape_py(str(path), base)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "corrupt" in result.stderr and "PRAGMA integrity_check" in result.stderr


def test_a_database_that_cannot_be_opened_is_one_clear_line(stand_in, tmp_path):
    _, base = stand_in
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the database directory should be")
    result = run_scrape_py(str(blocker / "leaderboard.sqlite3"), base)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"cannot open the database {blocker / 'leaderboard.sqlite3'}" in result.stderr


# --- 9. upstream ids and names are held to their real shape --------------------------------


def test_ids_that_are_not_uuids_are_skipped_and_names_are_cleaned(stand_in, db_path):
    upstream, base = stand_in
    evil = "../../api/health"
    first = upstream.dataset.models[0]
    bidi = "org/\u202eevil\u0000-\u2066name\x07"
    models = [{**first, "id": bidi}, *upstream.dataset.models[1:], make_model_entry("x/y", evil)]
    rows = [
        {**r, "name": bidi} if r["chute_id"] == first["chute_id"] else r
        for r in upstream.dataset.rows
    ] + [make_row(evil, "x/y", TODAY.isoformat(), 500, 10, 10, 50.0, 1.0)]
    upstream.dataset = replace(upstream.dataset, models=models, rows=rows)

    outcome = scrape(db_path, base, "api")

    assert outcome.status == "partial"
    assert len(outcome.errors) == 1 and evil in outcome.errors[0]
    conn = sqlite3.connect(db_path)
    ids = {row[0] for row in conn.execute("SELECT chute_id FROM models")}
    stat_ids = {row[0] for row in conn.execute("SELECT DISTINCT chute_id FROM daily_stats")}
    name = conn.execute("SELECT name FROM models WHERE chute_id = ?", (first["chute_id"],))
    name = name.fetchone()[0]
    conn.close()
    assert evil not in ids and evil not in stat_ids
    assert name == "org/evil-name"
