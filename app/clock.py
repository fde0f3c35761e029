"""UTC time helpers shared by the site, the API and the scraper (pure, no I/O)."""

from datetime import UTC, datetime


def today_utc() -> str:
    return datetime.now(UTC).date().isoformat()


def parse_utc(text: str | None) -> datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime; naive means UTC; junk means None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
