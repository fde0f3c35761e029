"""Pure capacity figures: autoscaler snapshots in, SPEC §5 "Capacity" figures out. No I/O.

Only the 1-hour windows are used: a snapshot's `*_1h` counts describe the hour before it,
so summing them over the snapshots of a day or of 24 h weighs each snapshot by the
traffic it saw. How often upstream takes snapshots is unknown; the figures are shares of
requests refused, not an uptime.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from app.clock import parse_utc
from app.rows import CapacityFigures, CapacitySnapshot, DailyCapacity

# Snapshots older than this many days are pruned; their daily figures stay.
SNAPSHOT_RETENTION_DAYS = 35
WINDOW_24H = timedelta(hours=24)


def rate_limited_share(snapshots: Iterable[CapacitySnapshot]) -> tuple[float, float, float | None]:
    """(Σ total_requests_1h, Σ rate_limited_requests_1h, their ratio or None when Σ is 0).

    A snapshot missing either count is left out of both sums.
    """
    total = limited = 0.0
    for snap in snapshots:
        if snap.total_requests_1h is not None and snap.rate_limited_requests_1h is not None:
            total += snap.total_requests_1h
            limited += snap.rate_limited_requests_1h
    return total, limited, (limited / total if total > 0 else None)


def capacity_figures(snapshots: Iterable[CapacitySnapshot]) -> CapacityFigures:
    """One model's figures: the newest snapshot's, plus the share over the 24 h ending at
    (and including) it; snapshots taken exactly 24 h before it are outside."""
    snaps = list(snapshots)
    if not snaps:
        return CapacityFigures()
    newest = max(snaps, key=lambda s: s.taken_at)
    end = parse_utc(newest.taken_at)
    assert end is not None, "taken_at is always a parsed ISO time"
    start = (end - WINDOW_24H).isoformat(timespec="microseconds")
    window = [s for s in snaps if start < s.taken_at <= newest.taken_at]
    return CapacityFigures(
        instances=newest.active_instance_count,
        utilization_1h=newest.utilization_1h,
        rate_limited_1h=newest.rate_limit_ratio_1h,
        rate_limited_24h=rate_limited_share(window)[2],
        capacity_at=newest.taken_at,
    )


def snapshot_day(snap: CapacitySnapshot) -> str:
    return snap.taken_at[:10]  # fixed-width UTC ISO: the first 10 characters are the day


def daily_capacity(snapshots: Iterable[CapacitySnapshot]) -> list[DailyCapacity]:
    """Per (chute, UTC day): the rate-limited share over that day's snapshots."""
    grouped: dict[tuple[str, str], list[CapacitySnapshot]] = {}
    for snap in snapshots:
        grouped.setdefault((snap.chute_id, snapshot_day(snap)), []).append(snap)
    days = []
    for (chute_id, day), group in sorted(grouped.items()):
        total, limited, share = rate_limited_share(group)
        days.append(DailyCapacity(chute_id, day, len(group), total, limited, share))
    return days


def figures_by_chute(snapshots: Iterable[CapacitySnapshot]) -> dict[str, CapacityFigures]:
    grouped: dict[str, list[CapacitySnapshot]] = {}
    for snap in snapshots:
        grouped.setdefault(snap.chute_id, []).append(snap)
    return {cid: capacity_figures(group) for cid, group in grouped.items()}


def merge_snapshots(
    old: Iterable[CapacitySnapshot], new: Iterable[CapacitySnapshot]
) -> list[CapacitySnapshot]:
    """Stored and fresh snapshots, one per (chute, taken_at): the same snapshot served
    again (upstream had not taken a new one) counts once, as first stored."""
    merged = {(s.chute_id, s.taken_at): s for s in new}
    merged.update({(s.chute_id, s.taken_at): s for s in old})
    return list(merged.values())


def retention_start(now: datetime) -> str:
    """The first UTC day whose snapshots are kept. Whole days, so a day is either complete
    in storage or gone (its daily figure already stored), never recomputed from a part."""
    return (now.date() - timedelta(days=SNAPSHOT_RETENTION_DAYS)).isoformat()


def usable(snap: CapacitySnapshot, now: datetime, keep_from: str) -> bool:
    """Not older than retention (it would be pruned at once and counted again next run),
    and not in the future beyond clock skew (it would pin the newest snapshot)."""
    latest = (now + timedelta(hours=1)).isoformat(timespec="microseconds")
    return keep_from <= snapshot_day(snap) and snap.taken_at <= latest
