"""Pure ranking: model rows in, the sorted, ranked, filtered leaderboard out."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.clock import today_utc
from app.methodology import (
    E2E_TOKENS,
    RANK_WINDOW_DAYS,
    UNRANKED_BUSY_WITHOUT_SPEED,
    UNRANKED_NO_SPEED,
    UNRANKED_NOT_LISTED,
    UNRANKED_TOO_LITTLE_TRAFFIC,
    low_sample,
    often_rate_limited,
    response_seconds,
    weighted_mean,
)
from app.rows import DailyRow

# sort name -> (model field, highest first?)
SORTS: dict[str, tuple[str, bool]] = {
    "rank": ("rank", False),
    "tps": ("latest_tps", True),
    "avg_7d": ("avg_7d", True),
    "avg_30d": ("avg_30d", True),
    "ttft": ("latest_ttft", False),
    "requests": ("latest_requests", True),
    "name": ("name", False),
    "peak": ("peak_tps", True),
    # The table's columns (SPEC §6): least rate-limited first, most instances first,
    # cheapest first, longest context first.
    "rate_limited": ("rate_limited_24h", False),
    "instances": ("instances", True),
    "price_in": ("price_input", False),
    "price_out": ("price_output", False),
    "context": ("context_length", True),
}
DEFAULT_SORT = "tps"
ORDERS = ("asc", "desc")


def sort_models(
    models: Iterable[dict],
    sort: str = DEFAULT_SORT,
    order: str | None = None,
    *,
    field: str | None = None,
) -> list[dict]:
    """Sort by a SORTS key; models without that figure always go last. `field` sorts on
    another field in that key's direction (the board shows ranked-day TTFT and requests)."""
    natural_field, descending = SORTS[sort]
    field = field or natural_field
    if order is not None:
        descending = order == "desc"
    with_value = [m for m in models if m.get(field) is not None]
    without = [m for m in models if m.get(field) is None]

    def value(model: dict) -> Any:
        return model[field].casefold() if field == "name" else model[field]

    with_value.sort(key=lambda m: m["name"].casefold())
    with_value.sort(key=value, reverse=descending)
    if field == "rank":
        # Unranked models: those with a speed first (fastest first), then those without.
        without.sort(
            key=lambda m: (
                m.get("latest_tps") is None,
                -(m.get("latest_tps") or 0),
                m["name"].casefold(),
            )
        )
    else:
        without.sort(key=lambda m: m["name"].casefold())
    return with_value + without


def _days_before(today: str, days: int) -> str:
    return (date.fromisoformat(today) - timedelta(days=days)).isoformat()


def rank_window_start(today: str) -> str:
    """The first UTC day of the RANK_WINDOW_DAYS ending `today`."""
    return _days_before(today, RANK_WINDOW_DAYS - 1)


def ranked_day(rows: Iterable[DailyRow], today: str, min_requests: int) -> DailyRow | None:
    """The newest day within the RANK_WINDOW_DAYS ending `today` with known TPS and at
    least `min_requests` requests: an early partial day with 30 requests never decides the
    order, yesterday's full day does until today has enough."""
    start = rank_window_start(today)
    eligible = [
        row
        for row in rows
        if row.tps is not None
        and (row.requests or 0) >= min_requests
        and start <= row.date <= today
    ]
    return max(eligible, key=lambda row: row.date) if eligible else None


@dataclass(frozen=True)
class Standing:
    """A model's place against today (SPEC §5): its ranked day, or why it has none.

    `reason` is one of app.methodology's UNRANKED_* codes (None when ranked); `day` and
    `requests` name the day the reason rests on: the busiest day with speed data (too
    little traffic), the busiest day without (busy days without speed), else None (the
    model's latest_date says when it last had speed data)."""

    ranked: DailyRow | None = None
    reason: str | None = None
    day: str | None = None
    requests: int | None = None


def _busiest(rows: list[DailyRow]) -> DailyRow:
    # Most requests; of equals, the newest.
    return max(rows, key=lambda row: ((row.requests or 0), row.date))


def standing(
    rows: Iterable[DailyRow], today: str, min_requests: int, *, listed: bool = True
) -> Standing:
    """The ranked day of a model's daily rows (any order, any span), or its true reason
    for having none, of SPEC §5's three (plus: no longer listed):

    - UNRANKED_BUSY_WITHOUT_SPEED: a day in the window had MIN_REQUESTS requests but
      chutes.ai reported no speed for it (the busiest such day named);
    - UNRANKED_NO_SPEED: no day in the window has speed data;
    - UNRANKED_TOO_LITTLE_TRAFFIC: speed data only on days below MIN_REQUESTS (the
      busiest such day named)."""
    if not listed:
        return Standing(reason=UNRANKED_NOT_LISTED)
    rows = list(rows)
    ranked = ranked_day(rows, today, min_requests)
    if ranked is not None:
        return Standing(ranked=ranked)
    start = rank_window_start(today)
    window = [row for row in rows if start <= row.date <= today]
    busy_without_speed = [
        row for row in window if row.tps is None and (row.requests or 0) >= min_requests
    ]
    if busy_without_speed:
        day = _busiest(busy_without_speed)
        return Standing(reason=UNRANKED_BUSY_WITHOUT_SPEED, day=day.date, requests=day.requests)
    with_speed = [row for row in window if row.tps is not None]
    if with_speed:
        day = _busiest(with_speed)
        return Standing(reason=UNRANKED_TOO_LITTLE_TRAFFIC, day=day.date, requests=day.requests)
    return Standing(reason=UNRANKED_NO_SPEED)


def standing_fields(found: Standing) -> dict[str, Any]:
    """The model fields a standing sets: the ranked day's figures and the reason."""
    day = found.ranked
    return {
        "rank_tps": day.tps if day else None,
        "rank_ttft": day.ttft if day else None,
        "rank_requests": day.requests if day else None,
        "rank_date": day.date if day else None,
        "unranked_reason": found.reason,
        "unranked_day": found.day,
        "unranked_requests": found.requests,
    }


def speed_ranks(models: Iterable[dict]) -> dict[str, int]:
    """The speed rank (SPEC §5): models with a ranked day (rank_tps set by
    standing_fields, against today), fastest first, ties by more requests, then by name.
    Models absent from the result are unranked."""
    ranked = [m for m in models if m.get("rank_tps") is not None]
    ranked.sort(
        key=lambda m: (-m["rank_tps"], -(m.get("rank_requests") or 0), m["name"].casefold())
    )
    return {m["chute_id"]: position for position, m in enumerate(ranked, start=1)}


def rank_models(
    models: Iterable[dict],
    *,
    min_requests: int,
    history: Mapping[str, Iterable[DailyRow]],
    sort: str = DEFAULT_SORT,
    order: str | None = None,
    today: str | None = None,
) -> list[dict]:
    """Copies of the models in sorted order with every field of today (SPEC §5): the
    ranked day's figures (rank_tps, rank_ttft, rank_requests, rank_date) and rank, or the
    unranked reason, all from `history` (each model's daily rows covering at least the
    rank window ending today) so they agree by construction; plus low_sample,
    partial_day, e2e_1k_s, often_rate_limited.

    A model that left the catalogue (`active` 0) has no rank fields at all. `rank` is
    the speed rank over the whole list, whatever the sort: sorting reorders, it does not
    renumber; filter afterwards, so searching does not renumber either.
    """
    return sort_models(
        rank_catalogue(models, min_requests=min_requests, history=history, today=today),
        sort,
        order,
    )


def rank_catalogue(
    models: Iterable[dict],
    *,
    min_requests: int,
    history: Mapping[str, Iterable[DailyRow]],
    today: str | None = None,
) -> list[dict]:
    """rank_models in the models' own order, unsorted: to sort one ranking several ways
    (each sort of it equals rank_models with that sort)."""
    today = today or today_utc()
    enriched = []
    for model in models:
        found = standing(
            history.get(model["chute_id"], ()),
            today,
            min_requests,
            listed=bool(model.get("active", 1)),
        )
        enriched.append(
            {
                **model,
                **standing_fields(found),
                "low_sample": low_sample(
                    model.get("latest_tps"), model.get("latest_requests"), min_requests
                ),
                "partial_day": model.get("latest_date") == today,
                "often_rate_limited": often_rate_limited(model.get("rate_limited_24h")),
                "e2e_1k_s": response_seconds(
                    found.ranked.ttft if found.ranked else None,
                    found.ranked.tps if found.ranked else None,
                    E2E_TOKENS,
                ),
            }
        )
    ranks = speed_ranks(enriched)
    for model in enriched:
        model["rank"] = ranks.get(model["chute_id"])
    return enriched


def filter_models(models: Iterable[dict], query: str | None) -> list[dict]:
    """Models whose name or chute_id contains every word of the query (case-insensitive)."""
    words = (query or "").casefold().split()
    if not words:
        return list(models)
    return [
        m
        for m in models
        if all(w in m["name"].casefold() or w in m["chute_id"].casefold() for w in words)
    ]


def hero_figures(models: Iterable[dict]) -> dict:
    """Total models, request-weighted average latest TPS, and the best peak TPS."""
    models = list(models)
    peaks = [m["peak_tps"] for m in models if m.get("peak_tps") is not None]
    tps = [m["latest_tps"] for m in models if m.get("latest_tps") is not None]
    return {
        "total_models": len(models),
        "average_tps": weighted_mean(
            (m.get("latest_tps"), m.get("latest_requests")) for m in models
        ),
        "peak_tps": max(peaks) if peaks else (max(tps) if tps else None),
    }
