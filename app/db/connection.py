"""Connections, the schema and its upgrades: how the database is opened and made."""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import quote

# app/db/connection.py -> the project root, where schema.sql lives.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA_PATH = os.path.join(PROJECT_ROOT, "schema.sql")
BUSY_TIMEOUT_S = 10.0


class DatabaseMissing(sqlite3.OperationalError):
    """No database file where one should be: the scraper never creates one (SPEC §3)."""


# The public phrase for a missing database (logs add the path).
MISSING_ADVICE = "database missing: run init-db or restore a backup"


def connect(path: str, *, query_only: bool = False, create: bool = True) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), rows as sqlite3.Row.

    `create=False` opens the file read-write (`mode=rw`): a missing database is an error
    instead of a new empty file. The scraper opens every connection so.

    `query_only` opens the file read-only (`mode=ro`): a missing database is an error
    (sqlite3.OperationalError) instead of a new empty file, and nothing can be written.
    WAL still works: SQLite opens or creates the -shm/-wal beside it, which the web
    service's StateDirectory allows.
    """
    if query_only or not create:
        mode = "ro" if query_only else "rw"
        uri = f"file:{quote(os.path.abspath(path))}?mode={mode}"
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


def upgrade_db(path: str) -> None:
    """The scraper's start: the same idempotent upgrade as init_db (new tables, indexes
    and columns of schema.sql, WAL), on an existing leaderboard database only.

    Why the scraper still upgrades: install.sh runs `init-db` on every install and
    upgrade, but a checkout updated by hand (git pull; the timer fires before anyone
    runs init-db) would otherwise fail every scrape on a missing column. Upgrades only
    add, so running them here is safe; creating a database is not (an empty one would
    report "ok"), so a missing file, or one without the schema (an empty file, a
    foreign database), raises DatabaseMissing and nothing is made.
    """
    try:
        os.stat(path)
    except FileNotFoundError:
        raise DatabaseMissing(MISSING_ADVICE) from None
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        schema = handle.read()
    conn = connect(path, create=False)
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'scrape_runs'"
        ).fetchone()
        if found is None:
            raise DatabaseMissing(MISSING_ADVICE + " (the file has no leaderboard schema)")
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


def repair_advice(path: str) -> str:
    """What to do with a damaged database file, said the same everywhere."""
    return f"check it with `sqlite3 {path} 'PRAGMA integrity_check'` and restore a backup"


def check_readable(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError unless SQLite's quick_check finds the file sound."""
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise sqlite3.DatabaseError("quick_check: " + "; ".join(problems))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
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
