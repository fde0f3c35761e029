"""The clock seam: the one place the product asks for "now", and the UTC helpers.

Wall time (`now`, `today_utc`), monotonic time (`monotonic`) and waiting (`sleep`) all go
through the current Clock, so a test can run the product "as of" another moment, or let
retries, backoff and polite pauses pass without waiting (`with clock.use(...)`; the test
clocks are in tests/clocks.py). Pure apart from the clock itself: no other I/O.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


_current: Clock = SystemClock()


def current() -> Clock:
    return _current


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Run the block on `clock` (tests), then put the previous clock back."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous


def now() -> datetime:
    """The current moment, an aware UTC datetime."""
    return _current.now()


def monotonic() -> float:
    return _current.monotonic()


def sleep(seconds: float) -> None:
    _current.sleep(seconds)


def today_utc() -> str:
    return now().date().isoformat()


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


def seconds_to_utc_midnight(moment: datetime | None = None) -> float:
    """Seconds until today_utc() changes."""
    moment = moment or now()
    tomorrow = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), UTC)
    return (tomorrow - moment).total_seconds()
