"""Upstream freshness on plain data (app/upstream.py): fingerprints and the frozen rule."""

import json
from datetime import UTC, date, datetime, timedelta

from app.rows import DailyRow
from app.upstream import meta_values, row_fingerprints, upstream_frozen, upstream_seen

TODAY = date(2026, 10, 20)


def row(chute: str, back: int, requests: int = 100, tps: float | None = 50.0) -> DailyRow:
    day = (TODAY - timedelta(days=back)).isoformat()
    return DailyRow(chute, day, requests=requests, tps=tps)


def test_only_yesterday_and_today_are_fingerprinted():
    prints = row_fingerprints([row("a", 0), row("a", 1), row("a", 2)], TODAY)
    assert sorted(prints) == ["a 2026-10-19", "a 2026-10-20"]


def test_a_changed_or_new_row_is_news_an_absent_one_is_not():
    first = upstream_seen(None, [row("a", 0), row("b", 0)], TODAY)
    assert first.changed
    assert not upstream_seen(first.fingerprint, [row("a", 0), row("b", 0)], TODAY).changed
    # A batch of pages that only holds "a" this run: "b" is kept, nothing is news.
    batch = upstream_seen(first.fingerprint, [row("a", 0)], TODAY)
    assert not batch.changed and "b 2026-10-20" in json.loads(batch.fingerprint)
    assert upstream_seen(first.fingerprint, [row("a", 0, requests=101)], TODAY).changed
    assert upstream_seen(first.fingerprint, [row("a", 0, tps=None)], TODAY).changed
    assert upstream_seen(first.fingerprint, [row("c", 1)], TODAY).changed


def test_the_turn_of_the_day_is_no_news_and_old_days_are_dropped():
    kept = upstream_seen(None, [row("a", 1), row("a", 0)], TODAY).fingerprint
    tomorrow = TODAY + timedelta(days=1)
    # Upstream frozen: the same rows, asked a day later.
    seen = upstream_seen(kept, [row("a", 1), row("a", 0)], tomorrow)
    assert not seen.changed
    assert sorted(json.loads(seen.fingerprint)) == ["a 2026-10-20"]


def test_a_damaged_fingerprint_counts_as_none():
    assert upstream_seen("{not json", [row("a", 0)], TODAY).changed
    assert upstream_seen("[1]", [row("a", 0)], TODAY).changed


def test_frozen_after_the_threshold_only():
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    assert not upstream_frozen(None, now, 3600)
    assert not upstream_frozen("2026-10-20T11:00:00+00:00", now, 3600)
    assert upstream_frozen("2026-10-20T10:59:59+00:00", now, 3600)


def test_the_time_is_written_only_when_the_answer_changed():
    seen = upstream_seen(None, [row("a", 0)], TODAY)
    assert set(meta_values(seen, "t")) == {"upstream_fingerprint", "upstream_changed_at"}
    again = upstream_seen(seen.fingerprint, [row("a", 0)], TODAY)
    assert set(meta_values(again, "t")) == {"upstream_fingerprint"}
