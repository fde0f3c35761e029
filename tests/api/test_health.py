"""/api/health publishes a reason, never an exception's text (that goes to the log)."""

import sqlite3

from app.scraping.run import run_scrape
from tests.conftest import new_app

# --- 9. /api/health publishes a reason, not exception text ---------------------------------


def test_crashed_run_is_published_without_its_exception_text(scraped, monkeypatch, caplog):
    def crash(*args, **kwargs):
        raise sqlite3.DatabaseError("database disk image is malformed at page 7 of /secret")

    monkeypatch.setattr("app.scraping.run._locked_run", crash)
    app = new_app({"DATABASE": scraped})
    outcome = run_scrape(app.config, source="api")
    assert outcome.status == "failed"
    health = app.test_client().get("/api/health").get_json()
    message = health["last_run"]["message"]
    assert "DatabaseError" in message and "log" in message
    assert "malformed" not in message and "/secret" not in message
    assert "malformed at page 7 of /secret" in caplog.text
