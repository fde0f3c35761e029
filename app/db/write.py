"""The scraper's one write: a whole run in one transaction, all of it or none of it."""

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.db import capacity as db_capacity
from app.db import prices as db_prices
from app.db.connection import transaction
from app.db.runs import record_run, set_meta, set_offset
from app.rows import CatalogueEntry, DailyRow, Figures


@dataclass
class ScrapeWrite:
    """Everything one successful run stores."""

    run: Mapping[str, Any]  # the scrape_runs row
    catalogue: Iterable[CatalogueEntry]
    rows: Iterable[DailyRow]
    figures: Mapping[str, Figures]
    # chute_ids whose rows were fetched this run (their scraped_at moves).
    refreshed: set[str] = field(default_factory=set)
    # The pages' next batch offset; None leaves the stored one alone.
    next_offset: int | None = None
    capacity: db_capacity.CapacityUpdate | None = None
    # Meta rows the run sets (upstream's fingerprint and when it last changed).
    meta: Mapping[str, str] = field(default_factory=dict)
    # Runs last, inside the transaction, on the state the run leaves: the events it
    # stores commit or roll back with the data that caused them.
    derive: Callable[[sqlite3.Connection], Any] | None = None


def store_scrape(conn: sqlite3.Connection, scrape: ScrapeWrite) -> int:
    """Write a whole run in one transaction and return its scrape_runs id."""
    now = scrape.run["finished_at"]
    catalogue = list(scrape.catalogue)
    with transaction(conn):
        ids = []
        for entry in catalogue:
            ids.append(entry.chute_id)
            conn.execute(UPSERT_MODEL, {**vars(entry), "now": now})
        # A price row only when a price changed, dated by this run (SPEC §4).
        db_prices.record_prices(conn, catalogue, now)
        conn.execute(
            "UPDATE models SET active = 0 WHERE chute_id NOT IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
        conn.executemany(UPSERT_DAILY, (_daily_params(row) for row in scrape.rows))
        for chute_id, fig in scrape.figures.items():
            scraped_at = now if chute_id in scrape.refreshed else None
            conn.execute(
                UPDATE_FIGURES,
                {**vars(fig), "chute_id": chute_id, "scraped_at": scraped_at},
            )
        if scrape.next_offset is not None:
            set_offset(conn, scrape.next_offset)
        if scrape.capacity is not None:
            db_capacity.write(conn, scrape.capacity)
        for key, value in scrape.meta.items():
            set_meta(conn, key, value)
        if scrape.derive is not None:
            scrape.derive(conn)
        run_id = record_run(conn, scrape.run)
    return run_id


def _daily_params(row: DailyRow) -> dict[str, Any]:
    # DailyRow is slotted (no __dict__ for vars()); asdict would deep-copy every row.
    return {name: getattr(row, name) for name in DailyRow.__slots__}


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
# app.scraping.speeds.stats.merge_rows applies the same rule when computing figures.

UPDATE_FIGURES = """
UPDATE models SET
    latest_tps = :latest_tps, latest_ttft = :latest_ttft, latest_requests = :latest_requests,
    latest_date = :latest_date, avg_7d = :avg_7d, avg_30d = :avg_30d, peak_tps = :peak_tps,
    rank_tps = :rank_tps, rank_ttft = :rank_ttft, rank_requests = :rank_requests,
    rank_date = :rank_date,
    scraped_at = coalesce(:scraped_at, scraped_at)
WHERE chute_id = :chute_id
"""
