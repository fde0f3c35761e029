"""The models as shown today: one read model for the API, the board, the model page,
compare and the badge.

"As shown" is the stored figures plus what depends on the day they are read (SPEC §5):
every rank field (rank, rank_tps, rank_ttft, rank_requests, rank_date, e2e_1k_s) and
the unranked reason, computed together from the stored daily history of the rank window
ending today (one read for all active models), plus low_sample, partial_day and
often_rate_limited, by app.ranking over the active catalogue. A model that left the
catalogue keeps its page and its API object, with its flags and no rank fields at all.
Events are shown the same way everywhere: the feed, /api/events and the model pages.
Lineage (predecessors / successor, app.lineage) is computed here when read, never stored.
"""

import sqlite3
from collections.abc import Mapping
from datetime import datetime, timedelta

from app import clock
from app.clock import parse_utc, today_utc
from app.db import events as event_store
from app.db import lineage as lineage_store
from app.db import models as model_store
from app.db import probes as probe_store
from app.lineage import Lineage, link
from app.probe_figures import model_figures
from app.ranking import DEFAULT_SORT, rank_catalogue, rank_models, rank_window_start, sort_models

# The keys of an event as the API, the feed and the model page show it.
EVENT_FIELDS = ("id", "kind", "chute_id", "name", "at", "summary", "detail")


def models_as_shown(
    conn: sqlite3.Connection,
    *,
    min_requests: int,
    sort: str = DEFAULT_SORT,
    order: str | None = None,
    today: str | None = None,
) -> list[dict]:
    """Every active model, ranked and flagged, in `sort` order (unfiltered)."""
    return sort_models(models_ranked(conn, min_requests=min_requests, today=today), sort, order)


def models_ranked(
    conn: sqlite3.Connection, *, min_requests: int, today: str | None = None
) -> list[dict]:
    """models_as_shown unsorted (in the catalogue's stored order): each sort of it is
    models_as_shown with that sort (app.web.board_order sorts one ranking several ways)."""
    today = today or today_utc()
    history = model_store.days_between(conn, rank_window_start(today), today)
    # One model at a time: ranking copies each, so the stored rows are never all held
    # beside their copies (10,000 models: SPEC §6 "Scale").
    ranked = rank_catalogue(
        model_store.each_model(conn), min_requests=min_requests, history=history, today=today
    )
    return with_probe_figures(conn, ranked)


def model_as_shown(
    conn: sqlite3.Connection,
    chute_id: str,
    *,
    min_requests: int,
    today: str | None = None,
    shown: list[dict] | None = None,
) -> dict | None:
    """One model as the board shows it, or None for an unknown id.

    Its rank is its place among the active models (`shown`, when the caller has them
    already); a model no longer listed is flagged on its own, with rank None.
    """
    today = today or today_utc()
    if shown is None:
        shown = models_as_shown(conn, min_requests=min_requests, today=today)
    found = next((m for m in shown if m["chute_id"] == chute_id), None)
    if found is not None:
        return found
    stored = model_store.get_model(conn, chute_id)
    if stored is None:
        return None
    # Not among the active models: it left the catalogue, so it has no rank fields at
    # all (app.ranking.standing: not listed).
    shown_alone = rank_models([stored], min_requests=min_requests, history={}, today=today)
    return {**shown_alone[0], "rank": None}


def event_object(event: dict) -> dict:
    """A stored event as it is shown (see EVENT_FIELDS); `at` as UTC ISO-8601 with a Z."""
    obj = {field: event.get(field) for field in EVENT_FIELDS}
    moment = parse_utc(event.get("at"))
    obj["at"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else event.get("at")
    return obj


def events_as_shown(conn: sqlite3.Connection, limit: int, chute_id: str | None = None) -> list:
    """The newest `limit` events (of one model, if given), newest first, as shown."""
    return [event_object(e) for e in event_store.recent_events(conn, limit, chute_id)]


def lineage_as_shown(
    conn: sqlite3.Connection, overrides: Mapping[str, str | None] | None = None
) -> Lineage:
    """Who succeeded whom (SPEC §5), from the catalogue rows and the LINEAGE setting."""
    return link(lineage_store.listed_models(conn), overrides)


def with_lineage(models: list[dict], lineage: Lineage) -> list[dict]:
    """The models with their `predecessors` (chute_ids, oldest first) and `successor`."""
    return [{**m, **lineage.of(m["chute_id"])} for m in models]


# --- own probes (SPEC §2 D, §5) ------------------------------------------------------------
# Probes are "on" when the last PROBE_SHOWN_DAYS hold a probe: the web service never sees
# the key, and with no key probe.py records nothing, so no probe field appears anywhere.
PROBE_SHOWN_DAYS = 7


def recent_probes(
    conn: sqlite3.Connection, now: datetime | None = None, chute_id: str | None = None
) -> list[dict]:
    """The probes of the last PROBE_SHOWN_DAYS, newest first ([] on a database from
    before probes, whose web connection cannot add the tables)."""
    since = ((now or clock.now()) - timedelta(days=PROBE_SHOWN_DAYS)).isoformat(
        timespec="milliseconds"
    )
    try:
        return probe_store.probes_since(conn, since, chute_id)
    except sqlite3.OperationalError:
        return []


def with_probe_figures(
    conn: sqlite3.Connection, models: list[dict], now: datetime | None = None
) -> list[dict]:
    """`models` with every probe field (app.probe_figures.PROBE_FIELDS) when probes are
    on; unchanged (no probe key at all) when they are off."""
    now = now or clock.now()
    probes = recent_probes(conn, now)
    if not probes:
        return models
    by_model: dict[str, list[dict]] = {}
    for probe in probes:
        by_model.setdefault(probe["chute_id"], []).append(probe)
    return [{**m, **model_figures(by_model.get(m["chute_id"], []), now)} for m in models]


def probes_on(conn: sqlite3.Connection, now: datetime | None = None) -> bool:
    return bool(recent_probes(conn, now))
