"""The SQL of the `events` table: the scraper's reads of what was announced and its
writes (inside its one transaction), and the site's reads (feed, API, model pages)."""

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from app.rows import DailyRow

# The event kinds that answer one another: the newest of a pair is the announced state.
FAMILIES = {
    "listing": ("model_added", "model_removed"),
    "rate": ("rate_limited", "rate_limited_cleared"),
    "probe": ("probe_failing", "probe_recovered"),
}


def any_events(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None


def active_ids(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT chute_id FROM models WHERE active = 1")}


def model_rows(conn: sqlite3.Connection, ids: Iterable[str]) -> list[dict]:
    """The models' stored facts the detection reads, as the run left them."""
    rows = conn.execute(
        "SELECT chute_id, name, active, rate_limited_24h, rank_tps, price_input,"
        " price_output, context_length FROM models"
        " WHERE chute_id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(ids)),),
    )
    return [dict(row) for row in rows]


def history_by_model(conn: sqlite3.Connection, since: str) -> dict[str, list[DailyRow]]:
    grouped: dict[str, list[DailyRow]] = {}
    rows = conn.execute(
        "SELECT chute_id, date, requests, tps FROM daily_stats WHERE date >= ?", (since,)
    )
    for row in rows:
        grouped.setdefault(row["chute_id"], []).append(DailyRow(**dict(row)))
    return grouped


def last_of_family(conn: sqlite3.Connection, family: str) -> dict[str, tuple[str, int]]:
    """Each model's newest event of a family (see FAMILIES): (kind, id)."""
    kinds = json.dumps(FAMILIES[family])
    rows = conn.execute(
        "SELECT chute_id, kind, max(id) AS id FROM events"
        " WHERE kind IN (SELECT value FROM json_each(?)) GROUP BY chute_id",
        (kinds,),
    )
    return {row["chute_id"]: (row["kind"], row["id"]) for row in rows}


def last_speed_changes(conn: sqlite3.Connection) -> dict[str, tuple[int, str, str]]:
    """Each model's newest speed_change: (id, direction, window_end)."""
    rows = conn.execute(
        "SELECT chute_id, max(id) AS id, json_extract(detail, '$.direction') AS direction,"
        " json_extract(detail, '$.window_end') AS window_end FROM events"
        " WHERE kind = 'speed_change' GROUP BY chute_id"
    )
    return {row["chute_id"]: (row["id"], row["direction"], row["window_end"]) for row in rows}


def insert_events(conn: sqlite3.Connection, events: Iterable[Any], at: str) -> list[Any]:
    """Store new events (objects with kind, chute_id, name, summary, detail, key); a key
    already stored is skipped. Returns the events actually added."""
    added = []
    for e in events:
        cur = conn.execute(
            "INSERT INTO events (kind, chute_id, name, at, summary, detail, key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (e.kind, e.chute_id, e.name, at, e.summary, json.dumps(e.detail), e.key),
        )
        if cur.rowcount == 1:
            added.append(e)
    return added


# --- site side (read-only) -------------------------------------------------------------


def _event(row: sqlite3.Row) -> dict:
    event = dict(row)
    event["detail"] = json.loads(event["detail"] or "{}")
    return event


def recent_events(conn: sqlite3.Connection, limit: int, chute_id: str | None = None) -> list[dict]:
    """The newest events first, all or one model's."""
    where, args = ("WHERE chute_id = ?", (chute_id, limit)) if chute_id else ("", (limit,))
    rows = conn.execute(
        "SELECT id, kind, chute_id, name, at, summary, detail FROM events"
        f" {where} ORDER BY id DESC LIMIT ?",
        args,
    )
    return [_event(row) for row in rows]
