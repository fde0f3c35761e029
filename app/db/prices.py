"""The SQL of `model_prices`: the scraper's write (inside its one transaction) and the
reads of the site (a model's price history) and of the events (this run's changes)."""

import sqlite3
from collections.abc import Iterable

from app.prices import PRICE_FIELDS, Price, PriceChange, next_price
from app.rows import CatalogueEntry

_COLUMNS = ", ".join(PRICE_FIELDS)


def _price(row: sqlite3.Row) -> Price:
    return Price(**{f: row[f] for f in PRICE_FIELDS})


def newest_prices(conn: sqlite3.Connection) -> dict[str, Price]:
    """Each model's newest price row."""
    rows = conn.execute(
        f"SELECT p.chute_id, {_COLUMNS} FROM model_prices AS p"
        " JOIN (SELECT chute_id, max(since) AS since FROM model_prices GROUP BY chute_id) AS n"
        " ON n.chute_id = p.chute_id AND n.since = p.since"
    )
    return {row["chute_id"]: _price(row) for row in rows}


def record_prices(conn: sqlite3.Connection, catalogue: Iterable[CatalogueEntry], since: str) -> int:
    """Add a row for each catalogue model whose prices changed (app.prices.next_price),
    all `since` this run's time. Returns how many rows were added."""
    newest = newest_prices(conn)
    added = 0
    for entry in catalogue:
        seen = Price(entry.price_input, entry.price_output, entry.price_cache_read)
        row = next_price(newest.get(entry.chute_id), seen)
        if row is None:
            continue
        cur = conn.execute(
            f"INSERT INTO model_prices (chute_id, since, {_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (chute_id, since) DO NOTHING",
            (entry.chute_id, since, row.prompt, row.completion, row.cache_read),
        )
        added += cur.rowcount
    return added


def price_history(conn: sqlite3.Connection, chute_id: str) -> list[dict]:
    """The model's price rows, oldest first: {since, prompt, completion, cache_read}."""
    rows = conn.execute(
        f"SELECT since, {_COLUMNS} FROM model_prices WHERE chute_id = ? ORDER BY since",
        (chute_id,),
    )
    return [dict(row) for row in rows]


def changes_since(conn: sqlite3.Connection, since: str) -> list[PriceChange]:
    """The rows dated `since` (one run's) that follow an earlier row of their model: the
    price changes that run found. A model's first row is no change."""
    rows = conn.execute(
        f"SELECT p.chute_id, m.name, {', '.join('p.' + f for f in PRICE_FIELDS)},"
        f" {', '.join(f'b.{f} AS before_{f}' for f in PRICE_FIELDS)}"
        " FROM model_prices AS p JOIN models AS m ON m.chute_id = p.chute_id"
        " JOIN model_prices AS b ON b.chute_id = p.chute_id AND b.since = ("
        "   SELECT max(since) FROM model_prices WHERE chute_id = p.chute_id AND since < p.since)"
        " WHERE p.since = ? ORDER BY m.name COLLATE NOCASE, p.chute_id",
        (since,),
    )
    return [
        PriceChange(
            chute_id=row["chute_id"],
            name=row["name"],
            since=since,
            before=Price(**{f: row[f"before_{f}"] for f in PRICE_FIELDS}),
            after=_price(row),
        )
        for row in rows
    ]
