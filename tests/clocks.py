"""Clocks for tests, put in place with `app.clock.use(...)` (the product's clock seam)."""

import threading
import time
from datetime import UTC, datetime, timedelta


class WarpClock:
    """Real time that jumps ahead instead of sleeping.

    Time still passes as it really does (sockets, which wait in real time, and the
    deadlines computed around them stay consistent), but `sleep` returns at once and moves
    both clocks forward by what it was asked to wait: a run's backoff and Retry-After
    waits take no wall time, yet every deadline sees them. `slept` records each wait.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._real_start = time.monotonic()
        self._wall_start = start or datetime.now(UTC)
        self.slept: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._offset

    def now(self) -> datetime:
        return self._wall_start + timedelta(seconds=self.monotonic() - self._real_start)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._offset += seconds
                self.slept.append(seconds)


class ManualClock:
    """A clock that moves only when told: `advance(seconds)`, or a `sleep`."""

    def __init__(self, start: datetime | None = None, monotonic: float = 1000.0) -> None:
        self._now = start or datetime.now(UTC)
        self._monotonic = monotonic
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.slept.append(seconds)
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds
