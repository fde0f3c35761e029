"""Both sources end to end against the chutes.ai stand-in: same upstream, same figures."""

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.db import connection
from app.db import models as model_store
from app.db import runs as run_log
from app.scraping.run import run_scrape
from tests.conftest import new_app
from tests.standin import Dataset, install, make_upstream_app

FIGURE_COLUMNS = (
    "chute_id, name, latest_tps, latest_ttft, latest_requests, avg_7d, avg_30d, peak_tps,"
    " latest_date, active"
)


def scraper_config(db_path: str, base_url: str, **overrides) -> dict:
    connection.init_db(db_path)
    return new_app(
        {
            "DATABASE": db_path,
            "API_URL": base_url,
            "LLM_URL": base_url,
            "WEB_URL": base_url,
            "REQUEST_DELAY": 0,
            "HTTP_RETRIES": 0,
            **overrides,
        }
    ).config


def figures(db_path: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(f"SELECT {FIGURE_COLUMNS} FROM models ORDER BY chute_id").fetchall()
    finally:
        conn.close()


def history(db_path: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT * FROM daily_stats ORDER BY chute_id, date").fetchall()
    finally:
        conn.close()


def assert_only_rowless_pages_failed(outcome, upstream_app) -> None:
    """With pages narrowed to their own chute, a model without stats has an empty page."""
    assert outcome.exit_code == 0, outcome.message
    with_rows = {row["chute_id"] for row in upstream_app.dataset.rows}
    for error in outcome.errors:
        assert not any(chute_id in error for chute_id in with_rows), error


def faster(dataset: Dataset) -> Dataset:
    """The same models and days with every speed 10% higher."""
    rows = [{**row, "average_tps": row["average_tps"] * 1.1} for row in dataset.rows]
    return replace(dataset, rows=rows)


@pytest.fixture
def upstream(httpserver):
    today = datetime.now(UTC).date()
    app = make_upstream_app(Dataset.synthetic(n_models=12, days=31, today=today, seed=7))
    app.pages_carry_all_rows = False  # so each run's batch really is a third of the data
    return app, install(httpserver, app)


def test_api_and_three_batched_html_runs_give_identical_figures(upstream, tmp_path):
    upstream_app, base = upstream
    api_db, html_db = str(tmp_path / "api.sqlite3"), str(tmp_path / "html.sqlite3")
    api_outcome = run_scrape(scraper_config(api_db, base), source="api")
    assert api_outcome.status == "ok", api_outcome.message

    html_config = scraper_config(html_db, base, BATCH_SIZE=4)
    page_requests = []
    for _ in range(3):
        before = sum(n for p, n in upstream_app.requests.items() if p.startswith("/app/chute/"))
        outcome = run_scrape(html_config, source="html")
        assert_only_rowless_pages_failed(outcome, upstream_app)
        after = sum(n for p, n in upstream_app.requests.items() if p.startswith("/app/chute/"))
        page_requests.append(after - before)

    # Pages that fail to parse are retried once as __data.json, hence "at least".
    assert [n >= 4 for n in page_requests] == [True] * 3
    api_figures = figures(api_db)
    assert len(api_figures) == 12
    assert any(row[2] is not None for row in api_figures)
    assert figures(html_db) == api_figures
    assert history(html_db) == history(api_db)
    conn = connection.connect(html_db)
    assert run_log.get_meta(conn, "batch_offset") == "0"  # 3 x 4 pages wrapped round 12 models
    conn.close()


def test_one_html_batch_refreshes_only_its_models(upstream, tmp_path):
    _, base = upstream
    html_db = str(tmp_path / "html.sqlite3")
    outcome = run_scrape(scraper_config(html_db, base, BATCH_SIZE=4), source="html")
    assert outcome.models_updated <= 4
    conn = connection.connect(html_db)
    models = model_store.list_models(conn)
    assert len(models) == 12  # the whole catalogue is known after one run
    assert sum(m["scraped_at"] is not None for m in models) == outcome.models_updated
    assert run_log.get_meta(conn, "batch_offset") == "4"
    conn.close()


def test_all_flag_fetches_every_page_in_one_run(upstream, tmp_path):
    upstream_app, base = upstream
    html_db, api_db = str(tmp_path / "html.sqlite3"), str(tmp_path / "api.sqlite3")
    assert run_scrape(scraper_config(api_db, base), source="api").status == "ok"
    outcome = run_scrape(scraper_config(html_db, base, BATCH_SIZE=2), source="html", fetch_all=True)
    assert_only_rowless_pages_failed(outcome, upstream_app)
    assert figures(html_db) == figures(api_db)


def test_auto_falls_back_to_the_pages_when_the_api_fails(upstream, tmp_path):
    upstream_app, base = upstream
    upstream_app.faults.add("/invocations/stats/llm", status=503)
    auto_db = str(tmp_path / "auto.sqlite3")

    outcome = run_scrape(scraper_config(auto_db, base, BATCH_SIZE=50), source="auto")

    assert outcome.status == "partial"
    assert outcome.source == "html"
    assert outcome.exit_code == 0
    assert "API failed" in outcome.errors[0] and "503" in outcome.errors[0]
    assert upstream_app.requests["/app"] == 1
    assert sum(row[2] is not None for row in figures(auto_db)) >= 1


def test_auto_uses_only_the_api_when_it_works(upstream, tmp_path):
    upstream_app, base = upstream
    outcome = run_scrape(scraper_config(str(tmp_path / "a.sqlite3"), base), source="auto")
    assert (outcome.status, outcome.source) == ("ok", "api")
    assert upstream_app.requests["/app"] == 0
    # Catalogue, stats and the capacity snapshot: nothing more. (Two stats requests: a
    # first run also asks for the month before the last 30 days, the year's backfill,
    # which the 31-day stand-in has no rows for, so it stops there.)
    assert upstream_app.requests == {
        "/v1/models": 1,
        "/invocations/stats/llm": 2,
        "/chutes/utilization": 1,
    }


def test_a_failing_page_skips_that_model_and_keeps_the_rest(upstream, tmp_path):
    upstream_app, base = upstream
    html_db = str(tmp_path / "html.sqlite3")
    config = scraper_config(html_db, base, BATCH_SIZE=50)
    run_scrape(config, source="html")
    before = {row[0]: row for row in figures(html_db)}
    victim = next(cid for cid in sorted(before) if before[cid][2] is not None)
    upstream_app.faults.add(f"/app/chute/{victim}", status=500)
    upstream_app.dataset = faster(upstream_app.dataset)  # upstream moved on

    outcome = run_scrape(config, source="html")

    assert outcome.status == "partial"
    assert outcome.exit_code == 0
    assert any(victim in error and "HTTP 500" in error for error in outcome.errors)
    after = {row[0]: row for row in figures(html_db)}
    assert after[victim] == before[victim]  # old data kept for the failed page
    changed = [cid for cid in after if cid != victim and after[cid] != before.get(cid)]
    assert changed, "the other pages' new data was stored"
