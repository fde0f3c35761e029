"""The capacity tables' SQL (SPEC §4): snapshots, their daily shares, the model columns.

Writes run inside the scraper's one transaction (db.store_scrape); reads serve the site.
"""

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.rows import CapacityFigures, CapacitySnapshot, DailyCapacity


@dataclass
class CapacityUpdate:
    """What one run writes for capacity; empty when the capacity answer failed."""

    snapshots: list[CapacitySnapshot] = field(default_factory=list)
    daily: list[DailyCapacity] = field(default_factory=list)
    figures: dict[str, CapacityFigures] = field(default_factory=dict)
    # Snapshots of days before this one (YYYY-MM-DD) are pruned; None prunes nothing.
    keep_from: str | None = None


def snapshots_since(
    conn: sqlite3.Connection, chute_ids: Iterable[str], since: str
) -> list[CapacitySnapshot]:
    """Stored snapshots of these chutes taken at or after `since` (an ISO prefix)."""
    rows = conn.execute(
        "SELECT * FROM capacity_snapshots WHERE taken_at >= ?"
        " AND chute_id IN (SELECT value FROM json_each(?))",
        (since, json.dumps(sorted(set(chute_ids)))),
    )
    return [CapacitySnapshot(**dict(row)) for row in rows]


def write(conn: sqlite3.Connection, update: CapacityUpdate) -> None:
    """Store snapshots, daily shares and model figures; prune old snapshots. The caller
    holds the transaction. Nothing here erases a stored figure with "no data"."""
    conn.executemany(
        "INSERT OR IGNORE INTO capacity_snapshots (chute_id, taken_at, utilization_1h,"
        " rate_limit_ratio_1h, total_requests_1h, rate_limited_requests_1h, instance_count,"
        " active_instance_count) VALUES (:chute_id, :taken_at, :utilization_1h,"
        " :rate_limit_ratio_1h, :total_requests_1h, :rate_limited_requests_1h,"
        " :instance_count, :active_instance_count)",
        [vars(snap) for snap in update.snapshots],
    )
    conn.executemany(
        "INSERT INTO daily_capacity (chute_id, date, snapshots, total_requests,"
        " rate_limited_requests, rate_limited) VALUES (:chute_id, :date, :snapshots,"
        " :total_requests, :rate_limited_requests, :rate_limited)"
        " ON CONFLICT (chute_id, date) DO UPDATE SET snapshots = excluded.snapshots,"
        " total_requests = excluded.total_requests,"
        " rate_limited_requests = excluded.rate_limited_requests,"
        " rate_limited = excluded.rate_limited",
        [vars(day) for day in update.daily],
    )
    conn.executemany(
        "UPDATE models SET instances = :instances, utilization_1h = :utilization_1h,"
        " rate_limited_1h = :rate_limited_1h, rate_limited_24h = :rate_limited_24h,"
        " capacity_at = :capacity_at WHERE chute_id = :chute_id",
        [{**vars(fig), "chute_id": cid} for cid, fig in update.figures.items()],
    )
    if update.keep_from is not None:
        # Only catalogue models' snapshots are stored, so every one has a models row.
        conn.execute(
            "DELETE FROM capacity_snapshots WHERE chute_id IN (SELECT chute_id FROM models)"
            " AND taken_at < ?",
            (update.keep_from,),
        )


def daily_rate_limited(conn: sqlite3.Connection, chute_id: str) -> dict[str, float | None]:
    """The model's daily rate-limited share by UTC day."""
    rows = conn.execute(
        "SELECT date, rate_limited FROM daily_capacity WHERE chute_id = ?", (chute_id,)
    )
    return {row["date"]: row["rate_limited"] for row in rows}


def recent_rate_limited(
    conn: sqlite3.Connection, chute_ids: Iterable[str], since: str
) -> dict[str, list[tuple[str, float | None]]]:
    """Daily rate-limited shares of these models from `since` on, oldest first."""
    series: dict[str, list[tuple[str, float | None]]] = {}
    rows = conn.execute(
        "SELECT chute_id, date, rate_limited FROM daily_capacity WHERE date >= ?"
        " AND chute_id IN (SELECT value FROM json_each(?)) ORDER BY chute_id, date",
        (since, json.dumps(sorted(set(chute_ids)))),
    )
    for row in rows:
        series.setdefault(row["chute_id"], []).append((row["date"], row["rate_limited"]))
    return series


def newest_capacity_at(conn: sqlite3.Connection) -> str | None:
    """The newest snapshot time over the active models: capacity's own freshness."""
    row = conn.execute("SELECT max(capacity_at) AS at FROM models WHERE active = 1").fetchone()
    return row["at"] if row else None
