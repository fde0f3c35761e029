"""Derive and store a run's events inside its write transaction (SPEC §6).

Runs after the run's rows, figures (and capacity) are written, so conditions are judged
on the state the run leaves; the events commit or roll back with the data that caused them.
"""

import sqlite3
from datetime import date

from app.db import events as event_store
from app.db import prices as price_store
from app.scraping.events.detect import ModelState, NewEvent, detect
from app.scraping.events.price_change import price_events
from app.scraping.events.speed_shift import history_needed
from app.scraping.events.types import SpeedAnnounced


class Announcer:
    """app.db.write.store_scrape's `derive` step: detects the run's events and stores them.

    `listed_before` (the models active before the run) and `first_scrape` are read before
    the transaction, under the scrape lock, so no other writer can change them meanwhile.
    After the commit, `announced` holds the events stored, for the run's log.
    """

    def __init__(
        self,
        *,
        listed_before: set[str],
        listed_now: set[str],
        first_scrape: bool,
        at: str,
        today: date,
        min_requests: int,
    ) -> None:
        self.listed_before, self.listed_now = listed_before, listed_now
        self.first_scrape, self.at = first_scrape, at
        self.today, self.min_requests = today, min_requests
        self.announced: list[NewEvent] = []

    def __call__(self, conn: sqlite3.Connection) -> None:
        states = model_states(conn, self.listed_before, self.listed_now, self.today)
        events = detect(
            states, first_scrape=self.first_scrape, today=self.today, min_requests=self.min_requests
        )
        # This run's price rows are in already (app.db.write): their changes, announced.
        events += price_events(price_store.changes_since(conn, self.at))
        self.announced = event_store.insert_events(conn, events, self.at)


def model_states(
    conn: sqlite3.Connection, listed_before: set[str], listed_now: set[str], today: date
) -> list[ModelState]:
    """Every model listed before or now, with its history and what was announced."""
    history = event_store.history_by_model(conn, history_needed(today))
    listings = event_store.last_of_family(conn, "listing")
    rates = event_store.last_of_family(conn, "rate")
    speeds = event_store.last_speed_changes(conn)
    states = []
    for model in event_store.model_rows(conn, listed_before | listed_now):
        cid = model["chute_id"]
        states.append(
            ModelState(
                chute_id=cid,
                name=model["name"],
                listed_before=cid in listed_before,
                listed_now=cid in listed_now,
                rate_limited_24h=model["rate_limited_24h"],
                rank_tps=model["rank_tps"],
                price_input=model["price_input"],
                price_output=model["price_output"],
                context_length=model["context_length"],
                rows=history.get(cid, []),
                last_listing=listings.get(cid),
                last_rate=rates.get(cid),
                last_speed=SpeedAnnounced(*speeds[cid]) if cid in speeds else None,
            )
        )
    states.sort(key=lambda s: s.name.casefold())
    return states
