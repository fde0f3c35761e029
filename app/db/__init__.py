"""All SQL: connections, schema, the scraper's one-transaction write, and the site's reads."""

import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import quote

import click
from flask import Flask, current_app, g

from app.db import capacity as db_capacity
from app.rows import DailyRow, Figures

# app/db/__init__.py -> the project root, where schema.sql lives.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA_PATH = os.path.join(PROJECT_ROOT, "schema.sql")
BUSY_TIMEOUT_S = 10.0


def connect(path: str, *, query_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), rows as sqlite3.Row.

    `query_only` opens the file read-only (`mode=ro`): a missing database is an error
    (sqlite3.OperationalError) instead of a new empty file, and nothing can be written.
    WAL still works: SQLite opens or creates the -shm/-wal beside it, which the web
    service's StateDirectory allows.
    """
    if query_only:
        uri = f"file:{quote(os.path.abspath(path))}?mode=ro"
        conn = sqlite3.connect(uri, timeout=BUSY_TIMEOUT_S, isolation_level=None, uri=True)
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
    if query_only:
        conn.execute("PRAGMA query_only = ON")
    else:
        conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def init_db(path: str) -> None:
    """Create the schema if missing and switch the file to WAL (idempotent)."""
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        schema = handle.read()
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(schema)
        add_missing_columns(conn, schema)
    finally:
        conn.close()


def add_missing_columns(conn: sqlite3.Connection, schema: str) -> list[str]:
    """Bring an older database up to schema.sql by adding the columns it lacks.

    `CREATE TABLE IF NOT EXISTS` leaves an existing table as it was, so a column added to
    schema.sql later would be missing from a deployed database. The schema is built in a
    scratch in-memory database and compared table by table; only additions are made
    (SQLite's ADD COLUMN), in one transaction, so upgrades never lose data.
    """
    wanted = sqlite3.connect(":memory:")
    try:
        wanted.executescript(schema)
        tables = [
            row[0]
            for row in wanted.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        added = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in tables:
                have = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
                for _cid, name, kind, notnull, default, _pk in wanted.execute(
                    f'PRAGMA table_info("{table}")'
                ):
                    if name in have:
                        continue
                    clause = f'"{name}" {kind}'
                    if notnull:
                        clause += f" NOT NULL DEFAULT {default}"
                    elif default is not None:
                        clause += f" DEFAULT {default}"
                    conn.execute(f'ALTER TABLE "{table}" ADD COLUMN {clause}')
                    added.append(f"{table}.{name}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return added
    finally:
        wanted.close()


def get_db() -> sqlite3.Connection:
    """The request's read-only connection, opened lazily and closed at teardown."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"], query_only=True)
    return g.db


def check_readable(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError unless SQLite's quick_check finds the file sound."""
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise sqlite3.DatabaseError("quick_check: " + "; ".join(problems))


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@click.command("init-db")
def init_db_command() -> None:
    """Create the database schema (safe to run again)."""
    init_db(current_app.config["DATABASE"])
    click.echo(f"Initialised {current_app.config['DATABASE']}")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)


# --- scraper side -------------------------------------------------------------------


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row["value"]


def history_of(conn: sqlite3.Connection, chute_ids: Iterable[str]) -> list[DailyRow]:
    """Every stored daily row of these models (history is small: a row a model a day)."""
    rows = conn.execute(
        "SELECT chute_id, date, requests, input_tokens, output_tokens, tps, ttft"
        " FROM daily_stats WHERE chute_id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(chute_ids))),),
    )
    return [DailyRow(**dict(row)) for row in rows]


# The daily_stats columns a drifted answer can lose (app.scraping.drift).
DRIFT_COLUMNS = ("tps", "ttft", "requests")


def columns_with_data(conn: sqlite3.Connection, chute_ids: Iterable[str]) -> set[str]:
    """Which of DRIFT_COLUMNS hold a value in some stored row of these models."""
    ids = json.dumps(sorted(set(chute_ids)))
    found = set()
    for column in DRIFT_COLUMNS:
        row = conn.execute(
            f"SELECT 1 FROM daily_stats WHERE {column} IS NOT NULL"
            " AND chute_id IN (SELECT value FROM json_each(?)) LIMIT 1",
            (ids,),
        ).fetchone()
        if row is not None:
            found.add(column)
    return found


def record_run(conn: sqlite3.Connection, run: Mapping[str, Any]) -> int:
    """Insert one scrape_runs row (used alone for failed or skipped runs)."""
    cur = conn.execute(
        "INSERT INTO scrape_runs (started_at, finished_at, source, status,"
        " models_updated, errors, message) VALUES (:started_at, :finished_at,"
        " :source, :status, :models_updated, :errors, :message)",
        dict(run),
    )
    return int(cur.lastrowid or 0)


def record_failed_run(
    conn: sqlite3.Connection, run: Mapping[str, Any], next_offset: int | None
) -> int:
    """A run that stored no data, and the batch offset it moved past, in one transaction."""
    with _transaction(conn):
        if next_offset is not None:
            _set_offset(conn, next_offset)
        return record_run(conn, run)


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT; on any error, ROLLBACK and re-raise that error.

    SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR),
    and a ROLLBACK then fails with "no transaction is active", which would hide the real
    cause ("database or disk is full"); so roll back only what is still open, and never
    let a failing rollback replace the original error.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def _set_offset(conn: sqlite3.Connection, offset: int) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('batch_offset', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(offset),),
    )


def store_scrape(
    conn: sqlite3.Connection,
    *,
    run: Mapping[str, Any],
    catalogue: Iterable[Any],
    rows: Iterable[DailyRow],
    figures: Mapping[str, Figures],
    refreshed: set[str],
    next_offset: int | None,
    capacity: db_capacity.CapacityUpdate | None = None,
    derive: Callable[[sqlite3.Connection], Any] | None = None,
) -> int:
    """Write a whole run in one transaction: all of it lands, or none of it.

    `derive` runs last, inside the transaction, on the state the run leaves: the events
    it stores commit or roll back with the data that caused them.
    """
    now = run["finished_at"]
    with _transaction(conn):
        ids = []
        for entry in catalogue:
            ids.append(entry.chute_id)
            conn.execute(UPSERT_MODEL, {**vars(entry), "now": now})
        conn.execute(
            "UPDATE models SET active = 0 WHERE chute_id NOT IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
        conn.executemany(UPSERT_DAILY, [vars(row) for row in rows])
        for chute_id, fig in figures.items():
            scraped_at = now if chute_id in refreshed else None
            conn.execute(
                UPDATE_FIGURES,
                {**vars(fig), "chute_id": chute_id, "scraped_at": scraped_at},
            )
        if next_offset is not None:
            _set_offset(conn, next_offset)
        if capacity is not None:
            db_capacity.write(conn, capacity)
        if derive is not None:
            derive(conn)
        run_id = record_run(conn, run)
    return run_id


def version_path(database: str) -> str:
    """The file whose identity is the data version (see app.cache)."""
    return database + ".version"


def bump_data_version(database: str, run_id: int) -> None:
    """Atomically replace the version file so every web worker sees new data at once."""
    directory = os.path.dirname(os.path.abspath(database))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".version-")
    with os.fdopen(fd, "w") as out:
        out.write(f"{run_id}\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, version_path(database))


UPSERT_MODEL = """
INSERT INTO models (chute_id, name, price_input, price_output, context_length, engine,
                    quantization, active, first_seen, updated_at)
VALUES (:chute_id, :name, :price_input, :price_output, :context_length, :engine,
        :quantization, 1, :now, :now)
ON CONFLICT (chute_id) DO UPDATE SET
    name = excluded.name,
    price_input = coalesce(excluded.price_input, models.price_input),
    price_output = coalesce(excluded.price_output, models.price_output),
    context_length = coalesce(excluded.context_length, models.context_length),
    engine = coalesce(excluded.engine, models.engine),
    quantization = coalesce(excluded.quantization, models.quantization),
    active = 1,
    updated_at = excluded.updated_at
"""

UPSERT_DAILY = """
INSERT INTO daily_stats (chute_id, date, requests, input_tokens, output_tokens, tps, ttft)
VALUES (:chute_id, :date, :requests, :input_tokens, :output_tokens, :tps, :ttft)
ON CONFLICT (chute_id, date) DO UPDATE SET
    requests = coalesce(excluded.requests, daily_stats.requests),
    input_tokens = coalesce(excluded.input_tokens, daily_stats.input_tokens),
    output_tokens = coalesce(excluded.output_tokens, daily_stats.output_tokens),
    tps = coalesce(excluded.tps, daily_stats.tps),
    ttft = coalesce(excluded.ttft, daily_stats.ttft)
"""
# A stored figure is replaced only by a newer number, never by "no data" (NULL): a row
# that loses its speed upstream (drift, a 0 in today's partial row) keeps what we had.
# app.scraping.stats.merge_rows applies the same rule when computing figures.

UPDATE_FIGURES = """
UPDATE models SET
    latest_tps = :latest_tps, latest_ttft = :latest_ttft, latest_requests = :latest_requests,
    latest_date = :latest_date, avg_7d = :avg_7d, avg_30d = :avg_30d, peak_tps = :peak_tps,
    rank_tps = :rank_tps, rank_ttft = :rank_ttft, rank_requests = :rank_requests,
    rank_date = :rank_date,
    scraped_at = coalesce(:scraped_at, scraped_at)
WHERE chute_id = :chute_id
"""

# --- site side (read-only) --------------------------------------------------------------

MODEL_COLUMNS = (
    "chute_id, name, latest_tps, latest_ttft, latest_requests, avg_7d, avg_30d, peak_tps,"
    " latest_date, scraped_at, rank_tps, rank_ttft, rank_requests, rank_date,"
    " price_input, price_output, context_length, engine, quantization, active,"
    " instances, utilization_1h, rate_limited_1h, rate_limited_24h, capacity_at"
)


def list_models(conn: sqlite3.Connection, *, include_inactive: bool = False) -> list[dict]:
    """Every model (active ones unless asked), unsorted: ranking is the caller's job."""
    where = "" if include_inactive else " WHERE active = 1"
    rows = conn.execute(f"SELECT {MODEL_COLUMNS} FROM models{where}")
    return [dict(row) for row in rows]


def get_model(conn: sqlite3.Connection, chute_id: str) -> dict | None:
    row = conn.execute(
        f"SELECT {MODEL_COLUMNS} FROM models WHERE chute_id = ?", (chute_id,)
    ).fetchone()
    return None if row is None else dict(row)


def model_history(conn: sqlite3.Connection, chute_id: str) -> list[dict]:
    """The model's daily rows, oldest first, each with that day's rate-limited share."""
    rows = conn.execute(
        "SELECT d.date, d.requests, d.input_tokens, d.output_tokens, d.tps, d.ttft,"
        " c.rate_limited FROM daily_stats AS d LEFT JOIN daily_capacity AS c"
        " ON c.chute_id = d.chute_id AND c.date = d.date"
        " WHERE d.chute_id = ? ORDER BY d.date",
        (chute_id,),
    )
    return [dict(row) for row in rows]


def recent_tps(conn: sqlite3.Connection, since: str) -> dict[str, list[tuple[str, float | None]]]:
    """Daily TPS per model from `since` on, oldest first: the cards' sparklines."""
    series: dict[str, list[tuple[str, float | None]]] = {}
    rows = conn.execute(
        "SELECT chute_id, date, tps FROM daily_stats WHERE date >= ? ORDER BY chute_id, date",
        (since,),
    )
    for row in rows:
        series.setdefault(row["chute_id"], []).append((row["date"], row["tps"]))
    return series


def last_run(conn: sqlite3.Connection, *, good_only: bool = False) -> dict | None:
    """The newest scrape run; with good_only, the newest that stored data."""
    where = " WHERE status IN ('ok', 'partial')" if good_only else ""
    row = conn.execute(f"SELECT * FROM scrape_runs{where} ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else dict(row)
