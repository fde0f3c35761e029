"""One scrape run: fetch -> parse -> compute -> one write. Never loses stored data."""

import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from app import clock, upstream
from app.db import connection
from app.db import events as event_store
from app.db import files as db_files
from app.db import models as model_store
from app.db import runs as run_log
from app.db import write as db_write
from app.db.capacity import CapacityUpdate
from app.rows import DailyRow
from app.scraping.capacity.update import capacity_for_run
from app.scraping.events.announce import Announcer
from app.scraping.sources import SourceError, SourceResult
from app.scraping.sources.api import fetch_api
from app.scraping.sources.http import Fetcher
from app.scraping.sources.pages import fetch_pages
from app.scraping.speeds.stats import figures_by_model, merge_rows
from app.settings import SOURCES, Settings

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
    # True once the outcome is in scrape_runs (a failed run that still moved the offset).
    recorded: bool = False
    # The public phrase when `message` is not one (it names a path or SQLite's words:
    # a failure that only reaches the log, the exit status and the status file).
    public: str | None = None
    # The finished_at of its scrape_runs row (the status file's time, so the two agree).
    finished_at: str | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.status == "failed" else 0


StoredColumns = Callable[[set[str]], set[str]]


def drift_message(result: SourceResult, stored_columns: StoredColumns) -> str | None:
    """Why `result` is upstream drift (SPEC §3), or None. Drift is about speed: only an
    answer in which no row carries TPS, while stored history of the same models has it.
    A missing TTFT or count is a gap (gap_messages), not drift."""
    why = result.field_gaps.get("tps")
    if why is None:
        return None
    if "tps" not in stored_columns({row.chute_id for row in result.rows}):
        return None
    return (
        f"upstream drift in the {result.source} source: {why}"
        " (stored history has speeds, so nothing was written)"
    )


def gap_messages(result: SourceResult) -> list[str]:
    """The run's errors for a field no row carries beside TPS (SPEC §3): what the
    answer has is stored, the stored values of the missing field are kept (the daily
    upsert never replaces a number by NULL), and the run is partial, naming the field."""
    return [
        f"{column.upper() if column == 'ttft' else column} missing in the {result.source}"
        f" source: {why}; stored {column} values kept"
        for column, why in result.field_gaps.items()
        if column != "tps"
    ]


@dataclass(frozen=True)
class ScrapeRun:
    """What one run was asked to do."""

    settings: Settings
    source: str
    started_at: str
    fetch_all: bool = False
    progress: Progress | None = None
    # The first run into an empty database asks the API for a year (SPEC §10).
    backfill: bool = False

    @property
    def database(self) -> str:
        return self.settings.database


def collect(
    fetcher: Fetcher,
    run: ScrapeRun,
    *,
    offset: int,
    today: date,
    stored_columns: StoredColumns = lambda _ids: set(),
) -> SourceResult:
    """Fetch from the chosen source; `auto` falls back to the pages when the API fails
    or drifted. A forced source that drifted is a SourceError."""

    def checked(result: SourceResult) -> SourceResult:
        drift = drift_message(result, stored_columns)
        if drift is not None:
            raise SourceError(drift)
        result.errors.extend(gap_messages(result))
        return result

    settings = run.settings

    def pages() -> SourceResult:
        return checked(
            fetch_pages(
                fetcher, settings, offset=offset, fetch_all=run.fetch_all, progress=run.progress
            )
        )

    if run.source == "api":
        return checked(fetch_api(fetcher, settings, today, backfill=run.backfill))
    if run.source == "html":
        return pages()
    try:
        return checked(fetch_api(fetcher, settings, today, backfill=run.backfill))
    except SourceError as exc:
        log.warning("JSON API failed, falling back to the web pages: %s", exc)
        result = pages()
        result.errors.insert(0, f"API failed, used the web pages: {exc}")
        return result


def compute_figures(
    conn: Any, new_rows: list[DailyRow], min_requests: int, today: date
) -> dict[str, Any]:
    """Figures for every model with new rows, from its stored history plus the new rows."""
    if not new_rows:
        return {}
    # A model's window ends at its latest day with speed data *after* the new rows are
    # merged in, so it can only be known from the merged history: read the changed
    # models' whole stored history (small: a row a model a day) and merge first.
    changed = {row.chute_id for row in new_rows}
    stored = model_store.history_of(conn, changed)
    figures = figures_by_model(merge_rows(stored, new_rows), min_requests, today.isoformat())
    return {cid: fig for cid, fig in figures.items() if cid in changed}


def run_scrape(
    settings: Settings | Mapping[str, Any],
    *,
    source: str | None = None,
    fetch_all: bool = False,
    progress: Progress | None = None,
) -> RunOutcome:
    """Run one scrape under the lock and record it in scrape_runs.

    Never raises: every way a run can end, an unusable database included, is an outcome
    whose message puts the real cause first. `settings` may be a mapping of upper-case
    keys (a Flask config), coerced here once.
    """
    if not isinstance(settings, Settings):
        settings = Settings.from_mapping(settings)
    outcome = _run_scrape(settings, source or settings.source, fetch_all, progress)
    write_status(settings, outcome)
    return outcome


def write_status(settings: Settings, outcome: RunOutcome) -> None:
    """The outcome's line in the runtime status file; a file that cannot be written is
    logged, and the outcome stands (the exit status still tells)."""
    path = db_files.status_path(settings.database, settings.status_file)
    try:
        db_files.write_status(
            path,
            status=outcome.status,
            at=outcome.finished_at or _now(),
            message=outcome.public or outcome.message,
            recorded=outcome.recorded,
        )
    except OSError as exc:
        log.error("could not write the status file %s: %s", path, exc)


def _run_scrape(
    settings: Settings, source: str, fetch_all: bool, progress: Progress | None
) -> RunOutcome:
    database = settings.database
    started_at = _now()
    try:
        # Never creates the database (SPEC §3); upgrades an existing one (see upgrade_db).
        connection.upgrade_db(database)
    except connection.DatabaseMissing as exc:
        message = f"{exc} ({database})"
        log.error("%s", message)
        return RunOutcome("failed", message, source=source, public=str(exc))
    except (OSError, sqlite3.Error) as exc:
        message = describe_storage_error(exc, database, public=False)
        log.error("%s", message)
        # The database cannot take a record: the log, the exit status and the status
        # file tell.
        public = describe_storage_error(exc, database, public=True)
        return RunOutcome("failed", message, source=source, public=public)
    if source not in SOURCES:
        outcome = RunOutcome("failed", f"unknown source {source!r}: use one of {SOURCES}")
        _record_alone(database, started_at, outcome)
        return outcome
    try:
        with db_files.scrape_lock(database, settings.lock_wait) as acquired:
            if not acquired:
                outcome = RunOutcome("skipped", "another scrape is running; this one exits")
            else:
                run = ScrapeRun(settings, source, started_at, fetch_all, progress)
                outcome = _guarded_run(run)
                if outcome.status != "failed" or outcome.recorded:
                    return outcome
    except OSError as exc:  # the lock file beside the database cannot be opened
        outcome = _storage_failure(exc, database, source, logged_path=db_files.lock_path(database))
    _record_alone(database, started_at, outcome)
    return outcome


def _guarded_run(run: ScrapeRun) -> RunOutcome:
    """_locked_run, with any exception turned into a failed outcome naming its cause."""
    try:
        return _locked_run(run)
    except (sqlite3.Error, OSError) as exc:
        return _storage_failure(exc, run.database, run.source)
    except Exception as exc:  # a bug must still end as a recorded, failed run
        # The traceback and exception text go to the log; the recorded message is
        # public (/api/health, the page), so it names only the kind.
        log.exception("scrape crashed")
        return RunOutcome(
            "failed",
            f"internal error ({type(exc).__name__}); details in the scraper's log",
            source=run.source,
        )


def _storage_failure(
    exc: BaseException, database: str, source: str, *, logged_path: str | None = None
) -> RunOutcome:
    """A failed outcome for a database or file error: one log line with the path and
    SQLite's words (no traceback: the cause is known, and it is not a bug), and the
    public phrase as the recorded message."""
    log.error(
        "scrape failed on storage: %s",
        describe_storage_error(exc, logged_path or database, public=False),
    )
    return RunOutcome("failed", describe_storage_error(exc, database, public=True), source=source)


def describe_storage_error(exc: BaseException, database: str, *, public: bool) -> str:
    """One line for a database or file error: the cause first, then what to do.

    A public line (recorded in scrape_runs, hence shown by /api/health and the page) is a
    fixed phrase per kind of failure, never the exception's own text or the file's path;
    the log has those. A line that only reaches the log and the exit status (the database
    cannot be used at all) also names the file and SQLite's words.
    """
    text = str(exc) or type(exc).__name__
    kind = type(exc).__name__
    detail = f" ({database}: {text})" if not public else "; details in the scraper's log"
    if "disk is full" in text or "No space left" in text:
        return f"database or disk is full: the scrape could not be stored; free disk space{detail}"
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
        target = "database" if public else database
        return f"database is corrupt ({kind}); {connection.repair_advice(target)}{detail}"
    if isinstance(exc, OSError) or "readonly" in text or "unable to open" in text:
        target = "the database" if public else f"the database {database}"
        return (
            f"cannot open {target} ({kind}); check that the file and its directory exist"
            f" and are readable and writable by this user{detail}"
        )
    return f"database error ({kind}){detail}"


def _locked_run(run: ScrapeRun) -> RunOutcome:
    conn = connection.connect(run.database, create=False)
    fetcher = Fetcher(run.settings)
    try:
        offset = int(run_log.get_meta(conn, "batch_offset") or 0)
        today = clock.now().date()
        if not model_store.has_history(conn):
            run = replace(run, backfill=True)
        try:
            result = collect(
                fetcher,
                run,
                offset=offset,
                today=today,
                stored_columns=lambda ids: model_store.columns_with_data(conn, ids),
            )
        except SourceError as exc:
            return RunOutcome("failed", f"no data: {exc}", source=run.source, errors=[str(exc)])
        if result.failure is not None:
            return _record_no_data(conn, result, run.started_at)
        capacity, capacity_error = capacity_for_run(
            conn, fetcher, run.settings, {entry.chute_id for entry in result.catalogue}, clock.now()
        )
        if capacity_error:
            result.errors.append(capacity_error)
        return _store(conn, run, result, today, fetcher.requests_made, capacity)
    finally:
        fetcher.close()
        conn.close()


def _record_no_data(conn: Any, result: SourceResult, started_at: str) -> RunOutcome:
    """A source that reached upstream but got no rows: a failed run that still moves the
    batch offset past the pages it tried, so the next run tries others."""
    message = f"no data: {result.failure}"
    if len(result.errors) > 1:
        message += f"; {len(result.errors)} errors: " + " | ".join(result.errors)
    outcome = RunOutcome("failed", message, result.source, 0, result.errors)
    run_log.record_failed_run(conn, _run_row(started_at, outcome), result.next_offset)
    outcome.recorded = True
    return outcome


def _store(
    conn: Any,
    run: ScrapeRun,
    result: SourceResult,
    today: date,
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
    min_requests = run.settings.min_requests
    figures = compute_figures(conn, rows, min_requests, today)
    status = "partial" if result.errors else "ok"
    message = (
        f"{len(refreshed)} of {len(known)} models refreshed from {result.source}"
        f" with {len(rows)} daily rows, {requests_made} requests"
    )
    if capacity is not None:
        message += f"; capacity of {len(capacity.figures)} models"
    if result.errors:
        message += f"; {len(result.errors)} errors: " + " | ".join(result.errors)
    outcome = RunOutcome(status, message, result.source, len(refreshed), result.errors)
    run_row = _run_row(run.started_at, outcome)
    seen = upstream.upstream_seen(run_log.get_meta(conn, upstream.FINGERPRINT_KEY), rows, today)
    announcer = Announcer(
        listed_before=event_store.active_ids(conn),
        listed_now=known,
        first_scrape=not event_store.any_events(conn),
        at=run_row["finished_at"],
        today=today,
        min_requests=min_requests,
    )
    run_id = db_write.store_scrape(
        conn,
        db_write.ScrapeWrite(
            run=run_row,
            catalogue=result.catalogue,
            rows=rows,
            figures=figures,
            refreshed=refreshed,
            next_offset=result.next_offset,
            capacity=capacity,
            meta=upstream.meta_values(seen, run_row["finished_at"]),
            derive=announcer,
        ),
    )
    problem = None
    try:
        db_files.bump_data_version(run.database, run_id)
    except OSError as exc:
        path = db_files.version_path(run.database)
        log.error("could not write the data version %s: %s", path, exc)
        problem = "the new data version could not be written"
    # Read it back through a connection of its own while this one is still open (closing
    # the last connection checkpoints, which would hide a WAL removed under the run).
    problem = problem or stored_truth(run.database, run_id)
    if problem is not None:
        log.error(
            "the scrape's write did not stick: %s (run %s, %s)", problem, run_id, run.database
        )
        return RunOutcome(
            "failed",
            f"the scrape's write did not stick: {problem}; details in the scraper's log",
            result.source,
            errors=[*result.errors, problem],
        )
    outcome.recorded = True
    outcome.finished_at = run_row["finished_at"]
    for event in announcer.announced:
        log.info("event %s: %s", event.kind, event.summary)
    return outcome


def stored_truth(database: str, run_id: int) -> str | None:
    """Why what run `run_id` committed is not there (SPEC §3), or None when it is: its
    scrape_runs row, read by a new connection, and the data version naming the run."""
    try:
        check = connection.connect(database, create=False)
        try:
            row = check.execute("SELECT id FROM scrape_runs WHERE id = ?", (run_id,)).fetchone()
        finally:
            check.close()
    except sqlite3.Error as exc:
        return f"the database cannot be read back ({type(exc).__name__})"
    if row is None:
        return "its scrape_runs row is missing after the commit"
    if db_files.version_run(database) != run_id:
        return "the data version does not name this run"
    return None


def _run_row(started_at: str, outcome: RunOutcome) -> dict[str, Any]:
    outcome.finished_at = _now()
    return {
        "started_at": started_at,
        "finished_at": outcome.finished_at,
        "source": outcome.source,
        "status": outcome.status,
        "models_updated": outcome.models_updated,
        "errors": len(outcome.errors),
        "message": outcome.message,
    }


def _record_alone(database: str, started_at: str, outcome: RunOutcome) -> None:
    """Log a run that stored nothing (failed or skipped) in its own tiny transaction,
    and mark the outcome recorded.

    When even that cannot be written (disk full, read-only file), the failure is logged
    and the outcome stands: the record is lost, the exit status still says "failed" and
    the status file (write_status) carries the storage's public phrase to /api/health
    (what an operator must fix first; the run's own reason is in the log).
    """
    try:
        conn = connection.connect(database, create=False)
        try:
            run_log.record_run(conn, _run_row(started_at, outcome))
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as exc:
        reason = describe_storage_error(exc, database, public=False)
        log.error("could not record the run in scrape_runs: %s", reason)
        outcome.public = describe_storage_error(exc, database, public=True)
        return
    outcome.recorded = True


def _now() -> str:
    return clock.now().isoformat(timespec="seconds")
