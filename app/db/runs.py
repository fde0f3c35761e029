"""The scrape_runs log and the meta table (the pages' batch offset)."""

import sqlite3
from collections.abc import Mapping
from typing import Any

from app.db.connection import transaction


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row["value"]


def record_run(conn: sqlite3.Connection, run: Mapping[str, Any]) -> int:
    """Insert one scrape_runs row (used alone for failed or skipped runs)."""
    cur = conn.execute(
        "INSERT INTO scrape_runs (started_at, finished_at, source, status,"
        " models_updated, errors, message) VALUES (:started_at, :finished_at,"
        " :source, :status, :models_updated, :errors, :message)",
        dict(run),
    )
    return int(cur.lastrowid or 0)


def record_failed_run(
    conn: sqlite3.Connection, run: Mapping[str, Any], next_offset: int | None
) -> int:
    """A run that stored no data, and the batch offset it moved past, in one transaction."""
    with transaction(conn):
        if next_offset is not None:
            set_offset(conn, next_offset)
        return record_run(conn, run)


def set_offset(conn: sqlite3.Connection, offset: int) -> None:
    set_meta(conn, "batch_offset", str(offset))


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def last_run(conn: sqlite3.Connection, *, good_only: bool = False) -> dict | None:
    """The newest scrape run; with good_only, the newest that stored data."""
    where = " WHERE status IN ('ok', 'partial')" if good_only else ""
    row = conn.execute(f"SELECT * FROM scrape_runs{where} ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else dict(row)
