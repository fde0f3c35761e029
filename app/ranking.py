"""Pure ranking: model rows in, the sorted, ranked, filtered leaderboard out."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from app.clock import today_utc
from app.methodology import (
    E2E_TOKENS,
    RANK_WINDOW_DAYS,
    often_rate_limited,
    response_seconds,
    weighted_mean,
)

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


def speed_ranks(models: Iterable[dict], today: str) -> dict[str, int]:
    """The speed rank (SPEC §5): models with a current ranked day, fastest first, ties by
    more requests, then by name. Models absent from the result are unranked.

    A ranked day older than RANK_WINDOW_DAYS no longer ranks: the stored figures were
    computed at the last scrape, and a model not refreshed since must not keep its place
    on an old day."""
    oldest = _days_before(today, RANK_WINDOW_DAYS - 1)
    ranked = [
        m
        for m in models
        if m.get("rank_tps") is not None and oldest <= (m.get("rank_date") or "") <= today
    ]
    ranked.sort(
        key=lambda m: (-m["rank_tps"], -(m.get("rank_requests") or 0), m["name"].casefold())
    )
    return {m["chute_id"]: position for position, m in enumerate(ranked, start=1)}


def rank_models(
    models: Iterable[dict],
    *,
    min_requests: int,
    sort: str = DEFAULT_SORT,
    order: str | None = None,
    today: str | None = None,
) -> list[dict]:
    """Copies of the models in sorted order with rank, low_sample, partial_day, e2e_1k_s,
    often_rate_limited.

    `rank` is the speed rank over the whole list, whatever the sort: sorting reorders,
    it does not renumber; filter afterwards, so searching does not renumber either.
    """
    today = today or today_utc()
    models = list(models)
    ranks = speed_ranks(models, today)
    enriched = []
    for model in models:
        rank = ranks.get(model["chute_id"])
        requests = model.get("latest_requests")
        enriched.append(
            {
                **model,
                "rank": rank,
                "low_sample": model.get("latest_tps") is not None
                and (requests or 0) < min_requests,
                "partial_day": model.get("latest_date") == today,
                "often_rate_limited": often_rate_limited(model.get("rate_limited_24h")),
                "e2e_1k_s": response_seconds(
                    model.get("rank_ttft"), model.get("rank_tps"), E2E_TOKENS
                )
                if rank
                else None,
            }
        )
    return sort_models(enriched, sort, order)


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
