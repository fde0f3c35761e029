"""The plain data of event detection: what a model's state is, what an event is. No I/O."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.rows import DailyRow


@dataclass(frozen=True)
class ModelState:
    """One model as the run leaves it, plus what was announced about it before."""

    chute_id: str
    name: str
    listed_before: bool  # active in the catalogue before this run
    listed_now: bool
    rate_limited_24h: float | None = None
    rank_tps: float | None = None
    price_input: float | None = None
    price_output: float | None = None
    context_length: int | None = None
    rows: Sequence[DailyRow] = ()  # recent daily history (see speed_shift.history_needed)
    # The newest listing (added/removed) and rate-limit events: (kind, id); None if none.
    last_listing: tuple[str, int] | None = None
    last_rate: tuple[str, int] | None = None
    # The newest speed_change announced for the model; None if none.
    last_speed: "SpeedAnnounced | None" = None


@dataclass(frozen=True)
class SpeedAnnounced:
    """What the newest speed_change of a model said: its id, direction, and the last day
    of the recent window it was announced for (UTC)."""

    id: int
    direction: str
    window_end: str


@dataclass(frozen=True)
class NewEvent:
    kind: str
    chute_id: str | None
    name: str | None
    summary: str
    detail: dict[str, Any]
    key: str  # unique: the same announcement derived twice is stored once
