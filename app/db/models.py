"""Model reads: the catalogue with its stored figures, daily history, sparkline series."""

import json
import sqlite3
from collections.abc import Iterable, Iterator

from app.rows import DailyRow

# models.rank_* (the ranked day as of the last scrape) are not read here: the rank fields
# are figures of today, computed when read from daily_stats (app.readmodel, SPEC §5).
MODEL_COLUMNS = (
    "chute_id, name, latest_tps, latest_ttft, latest_requests, avg_7d, avg_30d, peak_tps,"
    " latest_date, scraped_at,"
    " price_input, price_output, context_length, engine, quantization, active,"
    " instances, utilization_1h, rate_limited_1h, rate_limited_24h, capacity_at"
)


def list_models(conn: sqlite3.Connection, *, include_inactive: bool = False) -> list[dict]:
    """Every model (active ones unless asked), unsorted: ranking is the caller's job."""
    return list(each_model(conn, include_inactive=include_inactive))


def each_model(conn: sqlite3.Connection, *, include_inactive: bool = False) -> Iterator[dict]:
    """list_models one at a time: a caller that copies each (ranking) holds one set."""
    where = "" if include_inactive else " WHERE active = 1"
    for row in conn.execute(f"SELECT {MODEL_COLUMNS} FROM models{where}"):
        yield dict(row)


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


def days_between(
    conn: sqlite3.Connection, first: str, last: str, chute_ids: Iterable[str] | None = None
) -> dict[str, list[DailyRow]]:
    """Daily rows from `first` to `last` (UTC days, both included) per model: of the
    active models, or of `chute_ids` when given. The rank window of every model is one
    small read (a row a model a day) of what ranking reads: requests, TPS and TTFT (the
    token counts are left None). Lean on purpose: at 10,000 models it is 70,000 rows, so
    plain tuples are read and each model's id and each day are one string, shared."""
    where = (
        "chute_id IN (SELECT value FROM json_each(:ids))"
        if chute_ids is not None
        else "chute_id IN (SELECT chute_id FROM models WHERE active = 1)"
    )
    cursor = conn.cursor()
    cursor.row_factory = None
    rows = cursor.execute(
        "SELECT chute_id, date, requests, tps, ttft"
        f" FROM daily_stats WHERE date >= :first AND date <= :last AND {where}",
        {"first": first, "last": last, "ids": json.dumps(sorted(set(chute_ids or ())))},
    )
    found: dict[str, list[DailyRow]] = {}
    days: dict[str, str] = {}
    for chute_id, day, requests, tps, ttft in rows:
        listed = found.get(chute_id)
        if listed is None:
            listed = found[chute_id] = []
        else:
            chute_id = listed[0].chute_id
        day = days.setdefault(day, day)
        listed.append(DailyRow(chute_id, day, None, requests, None, None, tps, ttft))
    return found


def recent_tps(
    conn: sqlite3.Connection, since: str, chute_ids: Iterable[str] | None = None
) -> dict[str, list[tuple[str, float | None]]]:
    """Daily TPS per model from `since` on, oldest first: the cards' sparklines (of these
    models only, when given: a capped board reads only the models it shows)."""
    series: dict[str, list[tuple[str, float | None]]] = {}
    if chute_ids is None:
        rows = conn.execute(
            "SELECT chute_id, date, tps FROM daily_stats WHERE date >= ? ORDER BY chute_id, date",
            (since,),
        )
    else:
        rows = conn.execute(
            "SELECT chute_id, date, tps FROM daily_stats WHERE date >= ?"
            " AND chute_id IN (SELECT value FROM json_each(?)) ORDER BY chute_id, date",
            (since, json.dumps(sorted(set(chute_ids)))),
        )
    for row in rows:
        series.setdefault(row["chute_id"], []).append((row["date"], row["tps"]))
    return series


def history_of(conn: sqlite3.Connection, chute_ids: Iterable[str]) -> list[DailyRow]:
    """Every stored daily row of these models (history is small: a row a model a day)."""
    rows = conn.execute(
        "SELECT chute_id, date, requests, input_tokens, output_tokens, tps, ttft"
        " FROM daily_stats WHERE chute_id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(chute_ids))),),
    )
    return [DailyRow(**dict(row)) for row in rows]


# The daily_stats columns a drifted answer can lose (app.scraping.speeds.drift).
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


def has_history(conn: sqlite3.Connection) -> bool:
    """Whether any daily row is stored (the first scrape backfills when none is)."""
    return conn.execute("SELECT 1 FROM daily_stats LIMIT 1").fetchone() is not None
