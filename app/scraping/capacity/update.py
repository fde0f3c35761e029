"""Turn one capacity answer into the run's capacity write, reading the stored snapshots
it needs (the 24 h before each newest snapshot, and every snapshot of the days touched)."""

import logging
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta

from app.clock import parse_utc
from app.db import capacity as db_capacity
from app.db.capacity import CapacityUpdate
from app.rows import CapacitySnapshot
from app.scraping.capacity.stats import (
    WINDOW_24H,
    daily_capacity,
    figures_by_chute,
    merge_snapshots,
    retention_start,
    snapshot_day,
    usable,
)
from app.scraping.sources import SourceError
from app.scraping.sources.capacity import fetch_capacity, utilization_url
from app.scraping.sources.http import Fetcher
from app.settings import Settings

log = logging.getLogger(__name__)


def prepare_capacity(
    conn: sqlite3.Connection,
    snapshots: Iterable[CapacitySnapshot],
    known: set[str],
    now: datetime,
    url: str,
) -> CapacityUpdate:
    """The catalogue models' new snapshots, their days' shares and their figures, plus the
    pruning horizon. SourceError when the answer holds nothing for the catalogue."""
    keep_from = retention_start(now)
    snaps = list(snapshots)
    fresh = [s for s in snaps if s.chute_id in known and usable(s, now, keep_from)]
    if not fresh:
        raise SourceError(
            f"{url}: {len(snaps)} snapshots but none recent for the {len(known)} catalogue models"
        )
    oldest = min(s.taken_at for s in fresh)
    window_start = parse_utc(oldest)
    assert window_start is not None
    # Every stored snapshot of the touched days and of each model's 24 h window.
    since = min(oldest[:10], (window_start - WINDOW_24H - timedelta(seconds=1)).isoformat())
    stored = db_capacity.snapshots_since(conn, {s.chute_id for s in fresh}, since)
    merged = merge_snapshots(stored, fresh)
    touched = {(s.chute_id, snapshot_day(s)) for s in fresh}
    changed = {s.chute_id for s in fresh}
    return CapacityUpdate(
        snapshots=fresh,
        daily=[d for d in daily_capacity(merged) if (d.chute_id, d.date) in touched],
        figures={cid: f for cid, f in figures_by_chute(merged).items() if cid in changed},
        keep_from=keep_from,
    )


def capacity_for_run(
    conn: sqlite3.Connection,
    fetcher: Fetcher,
    settings: Settings,
    known: set[str],
    now: datetime,
) -> tuple[CapacityUpdate | None, str | None]:
    """The run's capacity write, or None and the reason: capacity never fails the speeds."""
    try:
        snapshots = fetch_capacity(fetcher, settings)
        return prepare_capacity(conn, snapshots, known, now, utilization_url(settings)), None
    except SourceError as exc:
        reason = str(exc)
    except Exception as exc:  # a parsing bug must cost capacity only, never the speeds
        log.exception("capacity processing crashed")
        reason = f"{utilization_url(settings)}: internal error: {exc!r}"
    log.warning("capacity not updated, stored capacity kept: %s", reason)
    return None, f"capacity: {reason}"
