"""Health of the data for monitors: ok, stale, empty or failing (pure, no I/O)."""

from datetime import datetime

from app.clock import parse_utc
from app.upstream import upstream_frozen


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


def failing_object(failure: dict) -> dict:
    """The `failing` member: a failed run the database does not know of (the runtime
    status file's line, app.db.files.unrecorded_failure). Its message is the public
    phrase the scraper wrote; `summary` says it in one line for people."""
    since = failure.get("since") or failure["at"]
    moment = parse_utc(since)
    when = moment.strftime("%H:%M UTC") if moment else since
    return {
        "since": since,
        "at": failure["at"],
        "message": failure["message"],
        "summary": f"failing since {when}: {failure['message']}",
    }


def health_payload(
    facts: dict,
    *,
    now: datetime,
    scrape_interval: int,
    capacity_stale_after: int = 3600,
    failure: dict | None = None,
    upstream_frozen_after: int = 3600,
) -> dict:
    """The /api/health object from the stored facts (model counts, last runs).

    `upstream_frozen`: runs succeed (status ok) but none has seen chutes.ai's stats answer
    change since `upstream_changed_at`, more than `upstream_frozen_after` seconds ago
    (SPEC §5): its cache never expires, so a stopped upstream looks fresh. Reported, not
    a failure of this service: the status stays ok.

    `failing`: the newest run failed and could not be recorded in the database (`failure`,
    from the status file): reported at once instead of `ok` until stale. `empty`: no
    active model (`unavailable`, an unreadable database, is unavailable_payload's).
    `stale`: the last good run finished more than two scrape intervals ago, or never did.
    Otherwise `ok`.
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
    changed_at = facts.get("upstream_changed_at")
    extra = {}
    if failure is not None:
        status = "failing"
        extra["failing"] = failing_object(failure)
        extra["reason"] = extra["failing"]["summary"]
    return {
        "status": status,
        **extra,
        "models": facts["models"],
        "models_with_data": facts["models_with_data"],
        "last_run": facts["last_run"],
        "last_good_run": good,
        "stale_after_seconds": stale_after,
        "upstream_changed_at": changed_at,
        "upstream_frozen": status == "ok"
        and upstream_frozen(changed_at, now, upstream_frozen_after),
        "upstream_frozen_after_seconds": upstream_frozen_after,
        "capacity": capacity_health(
            facts.get("capacity_at"), now=now, stale_after=capacity_stale_after
        ),
    }


# What /api/health publishes when the database cannot be read; the detail (file, SQLite's
# message) goes to the log only.
UNAVAILABLE_REASON = "the database cannot be read"


def unavailable_payload(
    *,
    scrape_interval: int,
    error: str,
    capacity_stale_after: int = 3600,
    failure: dict | None = None,
    upstream_frozen_after: int = 3600,
) -> dict:
    """The /api/health object when the database is missing or damaged (HTTP 503); with
    the scraper's own unrecorded failure, when the status file has one."""
    extra = {} if failure is None else {"failing": failing_object(failure)}
    return {
        "status": "unavailable",
        "reason": UNAVAILABLE_REASON,
        "error": error,
        **extra,
        "models": 0,
        "models_with_data": 0,
        "last_run": None,
        "last_good_run": None,
        "stale_after_seconds": 2 * scrape_interval,
        "upstream_changed_at": None,
        "upstream_frozen": False,
        "upstream_frozen_after_seconds": upstream_frozen_after,
        "capacity": {
            "status": "unavailable",
            "stale": True,
            "capacity_at": None,
            "stale_after_seconds": capacity_stale_after,
        },
    }
