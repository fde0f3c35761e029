"""Capacity figures from plain snapshots (SPEC §5 "Capacity"), and the source's parser."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.rows import CapacitySnapshot
from app.scraping.capacity.stats import (
    capacity_figures,
    daily_capacity,
    merge_snapshots,
    rate_limited_share,
    retention_start,
    usable,
)
from app.scraping.inputs import utc_timestamp
from app.scraping.sources import SourceError
from app.scraping.sources.capacity import parse_utilization
from tests.conftest import fixture_text

NEWEST = datetime(2026, 10, 3, 12, 0, 0, 250000, tzinfo=UTC)


def snap(hours_before: float, total, limited, **extra) -> CapacitySnapshot:
    taken = (NEWEST - timedelta(hours=hours_before)).isoformat(timespec="microseconds")
    return CapacitySnapshot(
        "c1", taken, total_requests_1h=total, rate_limited_requests_1h=limited, **extra
    )


def test_figures_take_the_newest_snapshot_and_the_24h_share():
    snapshots = [
        snap(25, 100.0, 100.0),
        snap(24, 1000.0, 1000.0),  # exactly 24 h before the newest: outside the window
        snap(2, 300.0, 30.0),
        snap(0, 100.0, 70.0, rate_limit_ratio_1h=0.7, utilization_1h=0.4, active_instance_count=5),
    ]
    figures = capacity_figures(reversed(snapshots))
    assert figures.instances == 5
    assert figures.utilization_1h == 0.4
    assert figures.rate_limited_1h == 0.7
    assert figures.rate_limited_24h == pytest.approx((30 + 70) / (300 + 100))
    assert figures.capacity_at == "2026-10-03T12:00:00.250000+00:00"


def test_share_is_none_without_requests_and_skips_incomplete_snapshots():
    assert capacity_figures([snap(0, 0.0, 0.0), snap(1, 0.0, 0.0)]).rate_limited_24h is None
    assert rate_limited_share([snap(0, None, 5.0), snap(1, 10.0, None), snap(2, 8.0, 2.0)]) == (
        8.0,
        2.0,
        0.25,
    )
    assert capacity_figures([]).capacity_at is None


def test_daily_share_is_per_utc_day():
    snapshots = [snap(11, 100.0, 50.0), snap(13, 300.0, 0.0), snap(0, 50.0, 10.0)]
    days = {d.date: d for d in daily_capacity(snapshots)}
    # NEWEST is 12:00.25 UTC: 11 h before is the same day, 13 h before the day before.
    assert days["2026-10-03"].rate_limited == pytest.approx(60 / 150)
    assert (days["2026-10-03"].snapshots, days["2026-10-03"].total_requests) == (2, 150.0)
    assert days["2026-10-02"].rate_limited == 0.0


def test_the_same_snapshot_served_twice_counts_once():
    merged = merge_snapshots([snap(1, 100.0, 50.0)], [snap(1, 900.0, 0.0), snap(0, 100.0, 0.0)])
    assert len(merged) == 2  # the stored one wins: it is what the database holds
    assert capacity_figures(merged).rate_limited_24h == 0.25


def test_retention_keeps_whole_days_and_refuses_old_or_future_snapshots():
    now = datetime(2026, 10, 3, 0, 30, tzinfo=UTC)
    keep_from = retention_start(now)
    assert keep_from == "2026-08-29"  # 35 days before 2026-10-03
    at = lambda moment: CapacitySnapshot("c", moment.isoformat(timespec="microseconds"))  # noqa: E731
    assert usable(at(datetime(2026, 8, 29, 0, 0, tzinfo=UTC)), now, keep_from)
    assert not usable(at(datetime(2026, 8, 28, 23, 59, tzinfo=UTC)), now, keep_from)
    assert not usable(at(now + timedelta(hours=2)), now, keep_from)


def test_real_sample_parses_exactly():
    snapshots = {
        s.chute_id: s for s in parse_utilization(json.loads(fixture_text("utilization.json")), "u")
    }
    assert len(snapshots) == 13
    gpt = snapshots["52bebe99-e55f-5bee-a386-b293b6e762c5"]  # openai/gpt-oss-20b
    assert gpt.taken_at == "2026-02-18T05:48:08.568123+00:00"
    assert gpt.rate_limit_ratio_1h == 0.952236115804889
    assert gpt.total_requests_1h == 27082.372881355932
    assert gpt.rate_limited_requests_1h == 25788.813559322032
    assert (gpt.active_instance_count, gpt.instance_count) == (6, 6)
    idle = snapshots["be72b813-34c2-51be-8b55-63e2513efc4a"]  # private, effective_multiplier null
    assert (idle.total_requests_1h, idle.active_instance_count) == (0.0, 0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-02-18T05:48:08", "2026-02-18T05:48:08.000000+00:00"),
        ("2026-02-18T05:48:08.5Z", "2026-02-18T05:48:08.500000+00:00"),
        ("2026-02-18T07:48:08.568123+02:00", "2026-02-18T05:48:08.568123+00:00"),
        ("2026-02-30T05:48:08", None),
        ("yesterday", None),
        (1771393688, None),
        (None, None),
    ],
)
def test_timestamps_become_fixed_width_utc(raw, expected):
    assert utc_timestamp(raw) == expected


def test_junk_values_are_no_data_and_junk_entries_are_skipped():
    good = json.loads(fixture_text("utilization.json"))[1]
    broken = {
        **good,
        "chute_id": "x",
        "total_requests_1h": "27082",
        "rate_limited_requests_1h": True,
        "rate_limit_ratio_1h": 1.5,
        "utilization_1h": float("nan"),
        "active_instance_count": 2.5,
        "instance_count": -1,
    }
    payload = [good, broken, {"chute_id": "no-time"}, "junk", None, {**good, "chute_id": ""}]
    parsed = {s.chute_id: s for s in parse_utilization(payload, "u")}
    assert set(parsed) == {good["chute_id"], "x"}
    x = parsed["x"]
    assert (x.total_requests_1h, x.rate_limited_requests_1h, x.rate_limit_ratio_1h) == (None,) * 3
    assert (x.utilization_1h, x.active_instance_count, x.instance_count) == (None,) * 3
    # More refused than asked is inconsistent: neither count is believed.
    liar = {**good, "chute_id": "y", "rate_limited_requests_1h": good["total_requests_1h"] * 2}
    [y] = parse_utilization([liar], "u")
    assert (y.total_requests_1h, y.rate_limited_requests_1h) == (None, None)


@pytest.mark.parametrize("payload", [[], {}, {"data": []}, [1, "a", {"name": "x"}]])
def test_empty_or_useless_answers_are_failures_naming_the_url(payload):
    with pytest.raises(SourceError, match=r"https://api\.example/chutes/utilization"):
        parse_utilization(payload, "https://api.example/chutes/utilization")
