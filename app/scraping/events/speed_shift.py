"""Pure week-on-week speed comparison for the `speed_change` event (SPEC §6). No I/O.

The recent window is the 7 complete UTC days ending yesterday, the earlier one the 7
days before it: today is still in progress, so a thin partial day never triggers a change.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.methodology import SPEED_CHANGE_THRESHOLD, SPEED_CHANGE_WINDOW_DAYS
from app.rows import DailyRow
from app.scraping.events.types import ModelState, NewEvent, SpeedAnnounced
from app.scraping.speeds.stats import weighted_mean_tps

# How far back an unbroken shift is followed to find the day it started.
MAX_EPISODE_DAYS = 60


@dataclass(frozen=True)
class Shift:
    """A shift of at least SPEED_CHANGE_THRESHOLD between two adjacent 7-day windows."""

    direction: str  # "faster" or "slower"
    change: float  # (after - before) / before
    tps_before: float
    tps_after: float
    requests_before: int
    requests_after: int
    window_end: str  # last day of the recent window (UTC)


def _requests_with_speed(rows: Iterable[DailyRow]) -> int:
    return sum(row.requests or 0 for row in rows if row.tps is not None)


def _between(rows: Sequence[DailyRow], first: date, last: date) -> list[DailyRow]:
    return [row for row in rows if first.isoformat() <= row.date <= last.isoformat()]


def window_shift(rows: Sequence[DailyRow], end: date, min_requests: int) -> Shift | None:
    """The shift between the 7 days ending `end` and the 7 before, or None when below the
    threshold or when either week has fewer than 7 x `min_requests` requests with speed."""
    after = _between(rows, end - timedelta(days=SPEED_CHANGE_WINDOW_DAYS - 1), end)
    before_end = end - timedelta(days=SPEED_CHANGE_WINDOW_DAYS)
    before = _between(rows, before_end - timedelta(days=SPEED_CHANGE_WINDOW_DAYS - 1), before_end)
    enough = SPEED_CHANGE_WINDOW_DAYS * min_requests
    requests_after, requests_before = _requests_with_speed(after), _requests_with_speed(before)
    if requests_after < enough or requests_before < enough:
        return None
    tps_after, tps_before = weighted_mean_tps(after), weighted_mean_tps(before)
    if tps_after is None or tps_before is None:
        return None
    change = (tps_after - tps_before) / tps_before
    if abs(change) < SPEED_CHANGE_THRESHOLD:
        return None
    return Shift(
        direction="faster" if change > 0 else "slower",
        change=change,
        tps_before=tps_before,
        tps_after=tps_after,
        requests_before=requests_before,
        requests_after=requests_after,
        window_end=end.isoformat(),
    )


def current_shift(
    rows: Sequence[DailyRow], today: date, min_requests: int
) -> tuple[Shift, str] | None:
    """The shift holding now (recent week ending yesterday) and the first window end of
    the unbroken run of days on which a shift the same way held: the episode it belongs
    to, so one episode is announced once however many days it lasts."""
    end = today - timedelta(days=1)
    shift = window_shift(rows, end, min_requests)
    if shift is None:
        return None
    start = end
    for back in range(1, MAX_EPISODE_DAYS):
        earlier = window_shift(rows, end - timedelta(days=back), min_requests)
        if earlier is None or earlier.direction != shift.direction:
            break
        start = end - timedelta(days=back)
    return shift, start.isoformat()


def history_needed(today: date) -> str:
    """The oldest day current_shift may read."""
    return (today - timedelta(days=MAX_EPISODE_DAYS + 2 * SPEED_CHANGE_WINDOW_DAYS + 1)).isoformat()


def announced_already(last: SpeedAnnounced | None, shift: Shift, since: str) -> bool:
    """Whether the shift holding now was announced (SPEC §5): one speed_change per episode,
    at most one per (chute, direction) in 7 days unless the direction flips.

    The newest speed_change of the model, the same way, covers it when it was announced
    for a day inside the current episode (`since` .. now), or within the last 7 days: an
    upstream revision that moves the episode's first day (a revised day falls below the
    line, a later day rises above it) must not announce the same step again.
    """
    if last is None or last.direction != shift.direction or not last.window_end:
        return False
    announced, end = date.fromisoformat(last.window_end), date.fromisoformat(shift.window_end)
    in_episode = last.window_end >= since
    return in_episode or (end - announced).days < SPEED_CHANGE_WINDOW_DAYS


def speed_event(m: ModelState, today: date, min_requests: int) -> list[NewEvent]:
    """A speed_change for the shift holding now, unless its episode was announced."""
    found = current_shift(m.rows, today, min_requests)
    if found is None:
        return []
    shift, since = found
    if announced_already(m.last_speed, shift, since):
        return []
    # Keyed on the speed_change it follows: deriving again from the same state gives the
    # same key, so a re-run never stores it twice.
    after = m.last_speed.id if m.last_speed else 0
    key = f"speed_change:{m.chute_id}:{shift.direction}:after-{after}"
    text = (
        f"{m.name} got {abs(shift.change):.0%} {shift.direction}:"
        f" {shift.tps_before:.1f} → {shift.tps_after:.1f} tok/s"
        f" (7 days to {shift.window_end} vs the 7 before)"
    )
    detail = {
        "direction": shift.direction,
        "change": round(shift.change, 4),
        "tps_before": round(shift.tps_before, 2),
        "tps_after": round(shift.tps_after, 2),
        "requests_before": shift.requests_before,
        "requests_after": shift.requests_after,
        "window_end": shift.window_end,
        "since": since,
        "threshold": SPEED_CHANGE_THRESHOLD,
    }
    return [NewEvent("speed_change", m.chute_id, m.name, text, detail, key)]
