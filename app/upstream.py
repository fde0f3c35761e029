"""Upstream freshness (SPEC §5): whether chutes.ai's figures still move. Pure, no I/O.

chutes.ai serves its stats from a cache that never expires: if its refresh stops, every
run "succeeds" on the same numbers. Each run fingerprints the stats answer's rows of
yesterday and today (UTC), one short hash per (chute, day); the answer changed when a
row's hash differs from the one kept for that (chute, day), or a row is new. A row that
is merely absent changes nothing, so the pages source (a batch of chutes a run) and the
turn of the UTC day (yesterday's rows leave the two-day window) do not count as news.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.clock import parse_utc
from app.rows import DailyRow

# The meta keys the scraper keeps them under.
FINGERPRINT_KEY = "upstream_fingerprint"
CHANGED_AT_KEY = "upstream_changed_at"


def row_fingerprints(rows: Iterable[DailyRow], today: date) -> dict[str, str]:
    """'chute_id date' -> a short hash of the row's figures, for rows of yesterday and today."""
    first = (today - timedelta(days=1)).isoformat()
    prints = {}
    for row in rows:
        if first <= row.date <= today.isoformat():
            figures = [row.requests, row.input_tokens, row.output_tokens, row.tps, row.ttft]
            digest = hashlib.sha256(json.dumps(figures).encode()).hexdigest()[:16]
            prints[f"{row.chute_id} {row.date}"] = digest
    return prints


@dataclass(frozen=True)
class UpstreamSeen:
    """What a run keeps: the fingerprint (JSON, for the meta table) and whether it changed."""

    fingerprint: str
    changed: bool


def upstream_seen(kept: str | None, rows: Iterable[DailyRow], today: date) -> UpstreamSeen:
    """Compare this run's rows with the kept fingerprint (`kept`, its JSON, None at first);
    the new fingerprint keeps the rows of yesterday and today, this run's over the kept."""
    try:
        previous = json.loads(kept) if kept else {}
    except ValueError:
        previous = {}
    if not isinstance(previous, dict):
        previous = {}
    current = row_fingerprints(rows, today)
    changed = any(previous.get(key) != digest for key, digest in current.items())
    first = (today - timedelta(days=1)).isoformat()
    merged = {k: v for k, v in {**previous, **current}.items() if k.split(" ")[-1] >= first}
    return UpstreamSeen(json.dumps(merged, sort_keys=True, separators=(",", ":")), changed)


def upstream_frozen(changed_at: str | None, now: datetime, frozen_after: float) -> bool:
    """Whether no run has seen upstream's figures change for more than `frozen_after`
    seconds. Callers ask only while runs succeed (stale data is said otherwise)."""
    moment = parse_utc(changed_at)
    return moment is not None and (now - moment).total_seconds() > frozen_after


def meta_values(seen: UpstreamSeen, at: str) -> Mapping[str, str]:
    """The meta rows a run writes: the fingerprint always, the time only when it changed."""
    values = {FINGERPRINT_KEY: seen.fingerprint}
    if seen.changed:
        values[CHANGED_AT_KEY] = at
    return values
