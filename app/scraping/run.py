"""One scrape run: fetch -> parse -> compute -> one write. Never loses stored data."""

import fcntl
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app import db
from app.config import SOURCES
from app.db_capacity import CapacityUpdate
from app.rows import DailyRow
from app.scraping.capacity_update import capacity_for_run
from app.scraping.sources import SourceError, SourceResult
from app.scraping.sources.api import fetch_api
from app.scraping.sources.http import Fetcher
from app.scraping.sources.pages import fetch_pages
from app.scraping.stats import figures_by_model, merge_rows

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class RunOutcome:
    """How a run ended; exit_code is what scrape.py returns to systemd."""

    status: str  # ok, partial, failed, skipped
    message: str
    source: str | None = None
    models_updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.status == "failed" else 0


@contextmanager
def scrape_lock(database: str, wait: float) -> Iterator[bool]:
    """An exclusive lock beside the database; yields False if not had within `wait` s."""
    with open(database + ".lock", "a") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.2)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def collect(
    fetcher: Fetcher,
    config: Mapping[str, Any],
    source: str,
    *,
    offset: int,
    fetch_all: bool,
    today: date,
    progress: Progress | None,
) -> SourceResult:
    """Fetch from the chosen source; `auto` falls back to the pages when the API fails."""
    if source == "api":
        return fetch_api(fetcher, config, today)
    if source == "html":
        return fetch_pages(fetcher, config, offset=offset, fetch_all=fetch_all, progress=progress)
    try:
        return fetch_api(fetcher, config, today)
    except SourceError as exc:
        log.warning("JSON API failed, falling back to the web pages: %s", exc)
        result = fetch_pages(fetcher, config, offset=offset, fetch_all=fetch_all, progress=progress)
        result.errors.insert(0, f"API failed, used the web pages: {exc}")
        return result


def compute_figures(
    conn: Any, new_rows: list[DailyRow], min_requests: int, today: date
) -> dict[str, Any]:
    """Figures for every model with new rows, from its stored history plus the new rows."""
    if not new_rows:
        return {}
    # Each model's window is the 30 days ending at its latest day with speed data, which
    # may be a stored day; reading from the oldest such window start is enough.
    latest = db.latest_speed_dates(conn)
    for row in new_rows:
        if row.tps is not None and row.date > latest.get(row.chute_id, ""):
            latest[row.chute_id] = row.date
    changed = {row.chute_id for row in new_rows}
    starts = [latest[cid] for cid in changed if cid in latest]
    stored: list[DailyRow] = []
    if starts:
        since = (date.fromisoformat(min(starts)) - timedelta(days=30)).isoformat()
        stored = [row for row in db.history_since(conn, since) if row.chute_id in changed]
    figures = figures_by_model(merge_rows(stored, new_rows), min_requests, today.isoformat())
    return {cid: fig for cid, fig in figures.items() if cid in changed}


def run_scrape(
    config: Mapping[str, Any],
    *,
    source: str | None = None,
    fetch_all: bool = False,
    progress: Progress | None = None,
) -> RunOutcome:
    """Run one scrape under the lock and record it in scrape_runs."""
    database = str(config["DATABASE"])
    db.init_db(database)
    started_at = _now()
    source = source or str(config["SOURCE"])
    if source not in SOURCES:
        outcome = RunOutcome("failed", f"unknown source {source!r}: use one of {SOURCES}")
        _record_alone(database, started_at, outcome)
        return outcome
    with scrape_lock(database, float(config["LOCK_WAIT"])) as acquired:
        if not acquired:
            outcome = RunOutcome("skipped", "another scrape is running; this one exits")
        else:
            try:
                outcome = _locked_run(config, database, source, fetch_all, progress, started_at)
            except Exception as exc:  # a bug must still end as a recorded, failed run
                # The traceback and exception text go to the log; the recorded message
                # is public (/api/health, the page), so it names only the kind.
                log.exception("scrape crashed")
                outcome = RunOutcome(
                    "failed",
                    f"internal error ({type(exc).__name__}); details in the scraper's log",
                    source=source,
                )
            if outcome.status != "failed":
                return outcome
    _record_alone(database, started_at, outcome)
    return outcome


def _locked_run(
    config: Mapping[str, Any],
    database: str,
    source: str,
    fetch_all: bool,
    progress: Progress | None,
    started_at: str,
) -> RunOutcome:
    conn = db.connect(database)
    fetcher = Fetcher(config)
    try:
        offset = int(db.get_meta(conn, "batch_offset") or 0)
        today = datetime.now(UTC).date()
        try:
            result = collect(
                fetcher,
                config,
                source,
                offset=offset,
                fetch_all=fetch_all,
                today=today,
                progress=progress,
            )
        except SourceError as exc:
            return RunOutcome("failed", f"no data: {exc}", source=source, errors=[str(exc)])
        capacity, capacity_error = capacity_for_run(
            conn, fetcher, config, {entry.chute_id for entry in result.catalogue}, _utc_now()
        )
        if capacity_error:
            result.errors.append(capacity_error)
        return _store(
            conn, database, result, config, today, started_at, fetcher.requests_made, capacity
        )
    finally:
        fetcher.close()
        conn.close()


def _store(
    conn: Any,
    database: str,
    result: SourceResult,
    config: Mapping[str, Any],
    today: date,
    started_at: str,
    requests_made: int,
    capacity: CapacityUpdate | None = None,
) -> RunOutcome:
    """Keep the catalogue's rows, compute their figures, and write the run in one go."""
    known = {entry.chute_id for entry in result.catalogue}
    # A row dated after tomorrow (UTC) is an upstream glitch: history is kept
    # forever, so storing it would pin the model's latest figures to that day for good.
    horizon = (today + timedelta(days=1)).isoformat()
    rows = [row for row in result.rows if row.chute_id in known and row.date <= horizon]
    refreshed = result.refreshed & known
    figures = compute_figures(conn, rows, int(config["MIN_REQUESTS"]), today)
    status = "partial" if result.errors else "ok"
    message = (
        f"{len(refreshed)} of {len(known)} models refreshed from {result.source}"
        f" with {len(rows)} daily rows, {requests_made} requests"
    )
    if capacity is not None:
        message += f"; capacity of {len(capacity.figures)} models"
    if result.errors:
        message += f"; {len(result.errors)} errors: " + " | ".join(result.errors)
    run = {
        "started_at": started_at,
        "finished_at": _now(),
        "source": result.source,
        "status": status,
        "models_updated": len(refreshed),
        "errors": len(result.errors),
        "message": message,
    }
    run_id = db.store_scrape(
        conn,
        run=run,
        catalogue=result.catalogue,
        rows=rows,
        figures=figures,
        refreshed=refreshed,
        next_offset=result.next_offset,
        capacity=capacity,
    )
    db.bump_data_version(database, run_id)
    return RunOutcome(status, message, result.source, len(refreshed), result.errors)


def _record_alone(database: str, started_at: str, outcome: RunOutcome) -> None:
    """Log a run that stored nothing (failed or skipped) in its own tiny transaction."""
    conn = db.connect(database)
    try:
        db.record_run(
            conn,
            {
                "started_at": started_at,
                "finished_at": _now(),
                "source": outcome.source,
                "status": outcome.status,
                "models_updated": 0,
                "errors": len(outcome.errors),
                "message": outcome.message,
            },
        )
    finally:
        conn.close()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _now() -> str:
    return _utc_now().isoformat(timespec="seconds")
