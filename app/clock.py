"""UTC time helpers shared by the site, the API and the scraper (pure, no I/O)."""

from datetime import UTC, datetime, timedelta


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


def seconds_to_utc_midnight(now: datetime | None = None) -> float:
    """Seconds until today_utc() changes."""
    now = now or datetime.now(UTC)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return (tomorrow - now).total_seconds()
