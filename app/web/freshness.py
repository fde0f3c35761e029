"""The data's freshness, for the one freshness line every page shows in its navbar."""

import re
import sqlite3
from datetime import datetime, timedelta

from flask import current_app

from app import clock, upstream
from app.db import files as db_files
from app.db import flaskdb
from app.db import runs as run_log
from app.web import formatting

# "3 min ago" changes every minute: a page showing it holds no longer than that.
AGE_TEXT_HOLDS = 60.0


def freshness(conn: sqlite3.Connection, now: datetime) -> dict:
    """State (fresh / frozen / stale / empty), when the data is from, and the last failed
    attempt.

    Stale: the last good scrape is older than 2x the interval. Frozen: runs succeed, but
    none has seen chutes.ai's figures change for UPSTREAM_FROZEN_AFTER (SPEC §5).
    `holds_for` is how many seconds this answer (and the page showing it) stays true
    without a new scrape.
    """
    interval = float(current_app.config["SCRAPE_INTERVAL"])
    good = run_log.last_run(conn, good_only=True)
    last = run_log.last_run(conn)
    finished = formatting.parse_utc(good["finished_at"]) if good else None
    state, holds_for, age_text = "empty", float("inf"), None
    if finished is not None:
        elapsed = max(0.0, (now - finished).total_seconds())
        stale_at = finished + timedelta(seconds=2 * interval)
        state = "stale" if now >= stale_at else "fresh"
        age_text = formatting.ago(elapsed)
        holds_for = AGE_TEXT_HOLDS - elapsed % AGE_TEXT_HOLDS
        if state == "fresh":
            holds_for = min(holds_for, (stale_at - now).total_seconds())
    changed_at = run_log.get_meta(conn, upstream.CHANGED_AT_KEY)
    frozen_since = None
    if state == "fresh" and changed_at is not None:
        frozen_after = float(current_app.config["UPSTREAM_FROZEN_AFTER"])
        if upstream.upstream_frozen(changed_at, now, frozen_after):
            state, frozen_since = "frozen", _since_text(changed_at, now)
        else:
            changed = formatting.parse_utc(changed_at)
            if changed is not None:
                frozen_at = changed + timedelta(seconds=frozen_after)
                holds_for = min(holds_for, max(0.0, (frozen_at - now).total_seconds()))
    return {
        "state": state,
        # chutes.ai's figures have not changed since then (SPEC §5); None unless frozen.
        "frozen_since": frozen_since,
        "upstream_changed_at": changed_at,
        "stale": state == "stale",
        "as_of": good["finished_at"] if good else None,
        "ago": age_text,
        "failure": _unrecorded_failure(last) or _failure(last, good),
        "holds_for": holds_for,
        "stale_after": round(2 * interval),
    }


def _since_text(changed_at: str, now: datetime) -> str:
    """ "20:10 UTC" today (UTC), "Oct 3, 20:10 UTC" on an earlier day."""
    moment = formatting.parse_utc(changed_at)
    if moment is None or moment.date() == now.date():
        return formatting.clock_time(changed_at)
    return f"{formatting.short_day(moment.date().isoformat())}, {formatting.clock_time(changed_at)}"


def _failure(last: dict | None, good: dict | None) -> dict | None:
    """The newest attempt when it failed after (or without) the last good one."""
    if last is None or last["status"] != "failed" or (good and good["id"] == last["id"]):
        return None
    return _shown(last.get("finished_at") or last.get("started_at"), last.get("message"))


def _unrecorded_failure(last: dict | None) -> dict | None:
    """The scraper's newest failure when the database could not record it (the runtime
    status file, newer than the newest recorded run): shown at once, not after 20 min."""
    config = current_app.config
    status = db_files.read_status(db_files.status_path(config["DATABASE"], config["STATUS_FILE"]))
    recorded_at = (last.get("finished_at") or last.get("started_at")) if last else None
    failure = db_files.unrecorded_failure(status, recorded_at)
    if failure is None:
        return None
    return _shown(failure["at"], failure["message"])


def _shown(at: str | None, message: object) -> dict:
    return {"at": at, "why": visitor_reason(str(message or ""))}


# Signs of a failure to reach upstream in the scraper's recorded message (requests' and
# urllib3's words, and our own "request failed").
_UNREACHABLE = (
    "connection refused",
    "newconnectionerror",
    "failed to establish",
    "failed to resolve",
    "name resolution",
    "nameresolution",
    "timed out",
    "timeout",
    "max retries",
    "request failed",
    "connectionerror",
    "remotedisconnected",
    "network is unreachable",
)
_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")
# The scraper's own public phrases about its storage (app.scraping.run), kept as written.
_STORAGE_PHRASES = ("cannot open the database", "database or disk is full", "database is")


def visitor_reason(message: str) -> str:
    """Why the last attempt failed, as a sentence for visitors (SPEC §6): never exception
    text, which stays in the log and the run record. Pure."""
    text = " ".join(message.split())
    lowered = text.casefold()
    for phrase in _STORAGE_PHRASES:
        if lowered.startswith(phrase):
            return text.split(";")[0].split(" (")[0] + "."
    status = _HTTP_STATUS.search(text)
    if status:
        return f"chutes.ai answered with an error (HTTP {status.group(1)})."
    if any(sign in lowered for sign in _UNREACHABLE):
        return "chutes.ai could not be reached."
    if "no data" in lowered:
        return "chutes.ai sent no usable data."
    return "the scraper's log has the details."


def site_freshness() -> dict | None:
    """Freshness for pages that don't compute it (methodology, errors, API docs); None when
    the database can't be read (the error page for that must still render)."""
    try:
        return freshness(flaskdb.get_db(), clock.now())
    except (sqlite3.Error, OSError):
        return None
