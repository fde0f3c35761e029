"""The site's database connections: a corrupt or missing database is a 503 (and
/api/health says so), never a 500 or a new empty file; the site cannot write."""

import logging
import os
import sqlite3

import pytest

from app.db import flaskdb
from tests.conftest import new_app

# --- 4. a corrupt or missing database -------------------------------------------------

ROUTES = ["/", "/models/chute-0", "/api/models", "/api/models.csv", "/api/models/chute-0"]


def _page_size(path: str) -> int:
    with open(path, "rb") as handle:
        header = handle.read(100)
    size = int.from_bytes(header[16:18], "big")
    return 65536 if size == 1 else size


def _root_page(path: str, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)
        ).fetchone()[0]


def corrupt(path: str, kind: str) -> None:
    size = _page_size(path)
    if kind == "garbage-header":
        with open(path, "r+b") as handle:
            handle.write(b"this is not an SQLite file at all!" * 3)
    elif kind == "truncated":
        os.truncate(path, size * 2 + 100)
    elif kind == "zeroed-pages":
        with open(path, "r+b") as handle:
            handle.seek(size)
            handle.write(b"\0" * (os.path.getsize(path) - size))
    elif kind in {"models-page", "daily-stats-page"}:
        # One table's root page overwritten: other tables still read fine.
        table = "models" if kind == "models-page" else "daily_stats"
        page = _root_page(path, table)
        with open(path, "r+b") as handle:
            handle.seek((page - 1) * size)
            handle.write(b"\xa5" * size)
    else:
        raise AssertionError(kind)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


CORRUPTIONS = ["garbage-header", "truncated", "zeroed-pages", "models-page", "daily-stats-page"]


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_corrupt_database_is_a_503_and_health_says_so(scraped, kind, caplog) -> None:
    before = new_app({"DATABASE": scraped}).test_client()
    assert before.get("/api/health").status_code in {200, 503}
    corrupt(scraped, kind)
    client = new_app({"DATABASE": scraped}).test_client()
    caplog.set_level(logging.ERROR)
    statuses = {path: client.get(path).status_code for path in ROUTES}
    # A damaged table some routes never read may leave them working; none may be a 500.
    assert 500 not in statuses.values(), statuses
    assert statuses["/"] == 503, statuses
    health = client.get("/api/health")
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "unavailable"
    assert body["reason"] == "the database cannot be read"
    assert "malformed" not in health.get_data(as_text=True)
    assert scraped in caplog.text and "integrity_check" in caplog.text


def test_missing_database_is_a_503_and_no_file_is_created(tmp_path, caplog) -> None:
    path = tmp_path / "state" / "leaderboard.sqlite3"
    path.parent.mkdir()
    client = new_app({"DATABASE": str(path)}).test_client()
    for route in [*ROUTES, "/api/health"]:
        assert client.get(route).status_code == 503, route
    assert list(path.parent.iterdir()) == []
    assert str(path) in caplog.text


def test_the_site_cannot_write_the_database(app, db_path) -> None:
    with app.app_context():
        conn = flaskdb.get_db()
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("PRAGMA query_only = OFF")
            conn.execute("CREATE TABLE intruder (x)")
