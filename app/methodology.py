"""The methodology's numbers and rules (SPEC §5, §6), once for every reader.

The scraper computes with them, the pages and the methodology page show them, the API's
OpenAPI document states them: a threshold changed here changes everywhere. Pure: no I/O.
"""

from collections.abc import Iterable

# A model's ranked day is the newest day with TPS and enough requests within this many
# UTC days ending today; an older one no longer ranks.
RANK_WINDOW_DAYS = 7
# Why a model has no ranked day (SPEC §5), as the API's `unranked_reason` names it.
UNRANKED_NO_SPEED = "no_speed_data"  # no day with speed data in the rank window
UNRANKED_TOO_LITTLE_TRAFFIC = "too_little_traffic"  # speed only on days below MIN_REQUESTS
UNRANKED_BUSY_WITHOUT_SPEED = "no_speed_on_busy_days"  # busy days, no speed reported
UNRANKED_NOT_LISTED = "not_listed"  # left the catalogue: no rank fields at all
UNRANKED_REASONS = (
    UNRANKED_NO_SPEED,
    UNRANKED_TOO_LITTLE_TRAFFIC,
    UNRANKED_BUSY_WITHOUT_SPEED,
    UNRANKED_NOT_LISTED,
)
# `?min_requests=` (SPEC §6, §7) raises the ranking gate for one view, from MIN_REQUESTS
# up to this (a billion requests a day is beyond any model's traffic).
MAX_MIN_REQUESTS = 1_000_000_000
# Seconds for an answer of this many tokens: the API's e2e_1k_s.
E2E_TOKENS = 1000
# "Often rate-limited": at least this share of the last 24 h's requests refused. Crossing
# it either way is a `rate_limited` / `rate_limited_cleared` event.
OFTEN_RATE_LIMITED_SHARE = 0.2
# `speed_change`: the request-weighted TPS of the last SPEED_CHANGE_WINDOW_DAYS complete
# days differs by at least this share from the same number of days before, both windows
# holding at least SPEED_CHANGE_WINDOW_DAYS x MIN_REQUESTS requests.
SPEED_CHANGE_THRESHOLD = 0.2
SPEED_CHANGE_WINDOW_DAYS = 7

# Event kinds, as stored and as the API and the feed name them.
FIRST_SCRAPE = "tracking_started"
EVENT_KINDS = (
    FIRST_SCRAPE,
    "model_added",
    "model_removed",
    "speed_change",
    "rate_limited",
    "rate_limited_cleared",
    # A catalogue price (prompt, completion or cache-read) differs from its newest row.
    "price_change",
    "probe_failing",
    "probe_recovered",
)
# Own probes (SPEC §7): probe_failing once a model's last PROBE_FAILING_AFTER probes all
# failed; probe_recovered at its next ok probe.
PROBE_FAILING_AFTER = 3


def percent(share: float) -> int:
    """A share as the whole percentage the site prints (0.2 -> 20)."""
    return round(share * 100)


def often_rate_limited(rate_limited_24h: float | None) -> bool:
    return rate_limited_24h is not None and rate_limited_24h >= OFTEN_RATE_LIMITED_SHARE


def low_sample(latest_tps: float | None, latest_requests: int | None, min_requests: int) -> bool:
    """The one meaning of "low sample" (SPEC §5): the latest day with speed data (the
    `latest_*` figures) has fewer than MIN_REQUESTS requests. A ranked day has enough by
    definition, so it is never low sample."""
    return latest_tps is not None and (latest_requests or 0) < min_requests


def weighted_mean(pairs: Iterable[tuple[float | None, int | None]]) -> float | None:
    """The request-weighted mean of (tps, requests) pairs: Σ tps·requests / Σ requests,
    pairs without a speed or without requests left out (a 3-request day must not weigh
    like a 50,000-request one). None when nothing is left."""
    weighted = total = 0.0
    for tps, requests in pairs:
        if tps is not None and requests:
            weighted += tps * requests
            total += requests
    return weighted / total if total else None


def response_seconds(ttft: float | None, tps: float | None, tokens: int) -> float | None:
    """Seconds until an answer of `tokens` tokens is complete: TTFT + tokens / TPS."""
    if ttft is None or not tps:
        return None
    return ttft + tokens / tps
