"""Read a test database's visible state: for asserting that a run changed nothing."""

import sqlite3

from app.db import connection


def snapshot(db_path: str) -> dict[str, list[tuple]]:
    """Every figure a visitor could see: models, daily_stats and meta, row for row."""
    conn = sqlite3.connect(db_path)
    try:
        return {
            "models": conn.execute("SELECT * FROM models ORDER BY chute_id").fetchall(),
            "daily_stats": conn.execute(
                "SELECT * FROM daily_stats ORDER BY chute_id, date"
            ).fetchall(),
            "meta": conn.execute("SELECT * FROM meta ORDER BY key").fetchall(),
        }
    finally:
        conn.close()


def scrape_runs(db_path: str) -> list[dict]:
    """The scrape_runs log, oldest first."""
    conn = connection.connect(db_path)
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM scrape_runs ORDER BY id")]
    finally:
        conn.close()
