"""Put capacity snapshots into a test database through the scraper's own capacity path."""

from datetime import UTC, datetime

from app.db import capacity as db_capacity
from app.db import connection
from app.db import files as db_files
from app.rows import CapacitySnapshot
from app.scraping.capacity.update import prepare_capacity


def snapshot(
    chute_id: str,
    taken: datetime,
    total: float,
    limited: float,
    *,
    instances: int = 4,
    utilization: float = 0.5,
) -> CapacitySnapshot:
    return CapacitySnapshot(
        chute_id=chute_id,
        taken_at=taken.astimezone(UTC).isoformat(timespec="microseconds"),
        utilization_1h=utilization,
        rate_limit_ratio_1h=limited / total if total else 0.0,
        total_requests_1h=total,
        rate_limited_requests_1h=limited,
        instance_count=instances,
        active_instance_count=instances,
    )


def seed_capacity(db_path: str, snapshots: list[CapacitySnapshot]) -> None:
    """Store snapshots one answer (taken_at) at a time, as successive runs would."""
    conn = connection.connect(db_path)
    try:
        known = {row["chute_id"] for row in conn.execute("SELECT chute_id FROM models")}
        for taken_at in sorted({s.taken_at for s in snapshots}):
            answer = [s for s in snapshots if s.taken_at == taken_at]
            update = prepare_capacity(conn, answer, known, datetime.now(UTC), "seed")
            conn.execute("BEGIN IMMEDIATE")
            db_capacity.write(conn, update)
            conn.execute("COMMIT")
    finally:
        conn.close()
    db_files.bump_data_version(db_path, 0)  # a new data version: cached pages are rebuilt
