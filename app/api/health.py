"""Health of the data for monitors: ok, stale or empty (pure, no I/O)."""

from datetime import datetime

from app.clock import parse_utc


def capacity_health(capacity_at: str | None, *, now: datetime, stale_after: int) -> dict:
    """Capacity's own freshness: the newest snapshot time, upstream's clock. Reported
    apart from the speeds; a stale capacity alone never makes the service unhealthy."""
    taken = parse_utc(capacity_at)
    if taken is None:
        status = "empty"
    elif (now - taken).total_seconds() > stale_after:
        status = "stale"
    else:
        status = "ok"
    return {
        "status": status,
        "stale": status != "ok",
        "capacity_at": capacity_at,
        "stale_after_seconds": stale_after,
    }


def health_payload(
    facts: dict, *, now: datetime, scrape_interval: int, capacity_stale_after: int = 3600
) -> dict:
    """The /api/health object from the stored facts (model counts, last runs).

    `empty`: no active model (`unavailable`, an unreadable database, is
    unavailable_payload's). `stale`: the last good run finished more than two
    scrape intervals ago, or never did. Otherwise `ok`.
    """
    stale_after = 2 * scrape_interval
    good = facts["last_good_run"]
    finished = parse_utc(good.get("finished_at")) if good else None
    if not facts["models"]:
        status = "empty"
    elif finished is None or (now - finished).total_seconds() > stale_after:
        status = "stale"
    else:
        status = "ok"
    return {
        "status": status,
        "models": facts["models"],
        "models_with_data": facts["models_with_data"],
        "last_run": facts["last_run"],
        "last_good_run": good,
        "stale_after_seconds": stale_after,
        "capacity": capacity_health(
            facts.get("capacity_at"), now=now, stale_after=capacity_stale_after
        ),
    }


# What /api/health publishes when the database cannot be read; the detail (file, SQLite's
# message) goes to the log only.
UNAVAILABLE_REASON = "the database cannot be read"


def unavailable_payload(
    *, scrape_interval: int, error: str, capacity_stale_after: int = 3600
) -> dict:
    """The /api/health object when the database is missing or damaged (HTTP 503)."""
    return {
        "status": "unavailable",
        "reason": UNAVAILABLE_REASON,
        "error": error,
        "models": 0,
        "models_with_data": 0,
        "last_run": None,
        "last_good_run": None,
        "stale_after_seconds": 2 * scrape_interval,
        "capacity": {
            "status": "unavailable",
            "stale": True,
            "capacity_at": None,
            "stale_after_seconds": capacity_stale_after,
        },
    }
