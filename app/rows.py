"""Row types shared by the scraping side and storage: plain data, no behaviour, no I/O.

Sources produce them, statistics turn them into figures, `app.db` stores them; living
here, they let storage import them without reaching up into the scraper.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueEntry:
    """One rankable model as a catalogue lists it."""

    chute_id: str
    name: str
    price_input: float | None = None
    price_output: float | None = None
    context_length: int | None = None
    engine: str | None = None
    quantization: str | None = None
    # USD per 1M cached input tokens (kept in model_prices only).
    price_cache_read: float | None = None


@dataclass(frozen=True, slots=True)
class DailyRow:
    """One chute's numbers for one UTC day, cleaned: None means no data. Slotted: a first
    run's year of history holds ~100,000 of them at once (300 models)."""

    chute_id: str
    date: str
    name: str | None = None
    requests: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    tps: float | None = None
    ttft: float | None = None


@dataclass(frozen=True)
class Figures:
    latest_tps: float | None = None
    latest_ttft: float | None = None
    latest_requests: int | None = None
    latest_date: str | None = None
    avg_7d: float | None = None
    avg_30d: float | None = None
    peak_tps: float | None = None
    # The ranked day (SPEC §5 "Rank"): the newest day within the 7 ending today whose TPS
    # is known and whose requests reach MIN_REQUESTS; the board's order rests on it.
    rank_tps: float | None = None
    rank_ttft: float | None = None
    rank_requests: int | None = None
    rank_date: str | None = None


NO_FIGURES = Figures()


@dataclass(frozen=True)
class CapacitySnapshot:
    """One chute's autoscaler snapshot from /chutes/utilization, cleaned: None = no data.

    `taken_at` is upstream's timestamp as UTC ISO-8601 with microseconds
    ("2026-02-18T05:48:08.568123+00:00"): fixed width, so text order is time order.
    Request counts are floats upstream (rates scaled to the window) and stay floats.
    """

    chute_id: str
    taken_at: str
    utilization_1h: float | None = None
    rate_limit_ratio_1h: float | None = None
    total_requests_1h: float | None = None
    rate_limited_requests_1h: float | None = None
    instance_count: int | None = None
    active_instance_count: int | None = None


@dataclass(frozen=True)
class CapacityFigures:
    """A model's capacity columns (SPEC §5 "Capacity"), from its newest snapshot."""

    instances: int | None = None
    utilization_1h: float | None = None
    rate_limited_1h: float | None = None
    rate_limited_24h: float | None = None
    capacity_at: str | None = None


@dataclass(frozen=True)
class DailyCapacity:
    """One chute's rate limiting over one UTC day's snapshots (kept after pruning)."""

    chute_id: str
    date: str
    snapshots: int
    total_requests: float
    rate_limited_requests: float
    rate_limited: float | None
