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


@dataclass(frozen=True)
class DailyRow:
    """One chute's numbers for one UTC day, cleaned: None means no data."""

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
