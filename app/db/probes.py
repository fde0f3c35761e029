"""The probes and probe_runs tables (SPEC §2 D): the prober's writes, the readers' reads."""

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.db.connection import transaction

PROBE_COLUMNS = (
    "chute_id",
    "at",
    "outcome",
    "http_status",
    "ttft_s",
    "tps",
    "output_tokens",
    "tokens_estimated",
    "total_s",
    "detail",
)


def start_run(conn: sqlite3.Connection, started_at: str) -> int:
    """A probe_runs row for a run under way (status 'running' until finish_run)."""
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO probe_runs (started_at, status) VALUES (?, 'running')", (started_at,)
        )
    return int(cur.lastrowid or 0)


def store_run(
    conn: sqlite3.Connection,
    run_id: int,
    probes: Iterable[Mapping[str, Any]],
    *,
    finished_at: str,
    status: str,
    message: str,
    derive: Callable[[sqlite3.Connection], None] | None = None,
) -> int:
    """The run's probes and its outcome in one transaction, with what `derive` writes
    from them (the probe events); the number of probes."""
    rows = [dict(probe, run_id=run_id) for probe in probes]
    columns = ", ".join(("run_id", *PROBE_COLUMNS))
    marks = ", ".join(f":{name}" for name in ("run_id", *PROBE_COLUMNS))
    with transaction(conn):
        conn.executemany(f"INSERT INTO probes ({columns}) VALUES ({marks})", rows)
        conn.execute(
            "UPDATE probe_runs SET finished_at = ?, status = ?, probes = ?, message = ?"
            " WHERE id = ?",
            (finished_at, status, len(rows), message, run_id),
        )
        if derive is not None:
            derive(conn)
    return len(rows)


def record_run(conn: sqlite3.Connection, *, started_at: str, status: str, message: str) -> int:
    """A run that probed nothing (skipped, failed before probing) in its own row; its id."""
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO probe_runs (started_at, finished_at, status, message) VALUES (?, ?, ?, ?)",
            (started_at, started_at, status, message),
        )
    return int(cur.lastrowid or 0)


def tokens_since(conn: sqlite3.Connection, since: str) -> int:
    """Output tokens spent by probes sent at or after `since` (the UTC day's start)."""
    row = conn.execute(
        "SELECT COALESCE(SUM(output_tokens), 0) AS spent FROM probes WHERE at >= ?", (since,)
    ).fetchone()
    return int(row["spent"])


def probes_since(conn: sqlite3.Connection, since: str, chute_id: str | None = None) -> list[dict]:
    """Probes sent at or after `since`, newest first (one model's, or all)."""
    where, args = "at >= ?", [since]
    if chute_id is not None:
        where, args = where + " AND chute_id = ?", [since, chute_id]
    rows = conn.execute(
        f"SELECT * FROM probes WHERE {where} ORDER BY at DESC, id DESC", args
    ).fetchall()
    return [dict(row) for row in rows]


def last_run(conn: sqlite3.Connection) -> dict | None:
    row = conn.execute("SELECT * FROM probe_runs ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else dict(row)


def latest_probes(conn: sqlite3.Connection, chute_id: str, limit: int) -> list[dict]:
    """A model's newest `limit` probes, newest first."""
    rows = conn.execute(
        "SELECT at, outcome FROM probes WHERE chute_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        (chute_id, limit),
    ).fetchall()
    return [dict(row) for row in rows]
