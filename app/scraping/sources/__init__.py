"""Upstream sources. Each returns a SourceResult or raises SourceError; none touch the DB."""

from dataclasses import dataclass, field

from app.rows import CatalogueEntry, DailyRow


class SourceError(Exception):
    """The source gave nothing usable; the message names the URL and what was expected."""


@dataclass
class SourceResult:
    """What one source produced in one run."""

    source: str
    catalogue: list[CatalogueEntry]
    rows: list[DailyRow]
    # chute_ids whose rows were fetched this run (their scraped_at moves).
    refreshed: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    # The web pages' next batch offset; None leaves the stored one alone.
    next_offset: int | None = None
    # Stored column -> why no row of this answer carries it (app.scraping.speeds.drift).
    field_gaps: dict[str, str] = field(default_factory=dict)
    # Set when the source reached upstream but got no rows (every page failed): the run
    # fails with this message, yet the batch offset still moves past those pages.
    failure: str | None = None
