"""The methodology (SPEC §5) on hand-computed examples."""

import math
from datetime import datetime, timedelta, timezone

import pytest

from app.rows import NO_FIGURES, DailyRow
from app.scraping.inputs import (
    clean_count,
    clean_name,
    clean_speed,
    daily_row_from_raw,
    is_chute_id,
    utc_day,
)
from app.scraping.speeds.stats import (
    figures_by_model,
    merge_rows,
    model_figures,
    ranked_day,
    weighted_mean_tps,
)

# After every date used below: the ranked-day window is checked in its own tests.
TODAY = "2026-10-31"


def row(day: str, tps: float | None, requests: int | None, ttft: float | None = 1.0) -> DailyRow:
    return DailyRow(chute_id="m", date=day, requests=requests, tps=tps, ttft=ttft)


@pytest.mark.parametrize(
    "value, expected",
    [
        (42.5, 42.5),
        (7, 7.0),
        (0, None),
        (0.0, None),
        (None, None),
        (-3.2, None),
        (math.nan, None),
        (math.inf, None),
        ("55.1", None),
        (True, None),
        (1e12, None),
    ],
)
def test_clean_speed_keeps_only_plausible_positive_numbers(value, expected):
    assert clean_speed(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(0, 0), (12, 12), (12.0, 12), (-1, None), (1.5, None), ("9", None), (None, None)],
)
def test_clean_count(value, expected):
    assert clean_count(value) == expected


def test_daily_row_from_raw_maps_fields_and_rejects_unusable_rows():
    raw = {
        "chute_id": "0042dfa4-9781-507d-99f7-d162a9a063f9",
        "name": "org/Model",
        "date": "2026-10-02",
        "total_requests": 25911,
        "total_input_tokens": 41010160,
        "total_output_tokens": 3155265,
        "average_tps": 55.12,
        "average_ttft": 0,
    }
    assert daily_row_from_raw(raw) == DailyRow(
        chute_id="0042dfa4-9781-507d-99f7-d162a9a063f9",
        date="2026-10-02",
        name="org/Model",
        requests=25911,
        input_tokens=41010160,
        output_tokens=3155265,
        tps=55.12,
        ttft=None,
    )
    assert daily_row_from_raw({**raw, "date": "2026-02-30"}) is None
    assert daily_row_from_raw({**raw, "chute_id": None}) is None
    assert daily_row_from_raw({**raw, "average_tps": "fast"}).tps is None


def test_weighted_mean_is_not_a_mean_of_daily_means():
    rows = [row("2026-10-01", 100.0, 3), row("2026-10-02", 50.0, 50_000)]
    # (100*3 + 50*50000) / 50003, not (100+50)/2 = 75
    assert weighted_mean_tps(rows) == pytest.approx(2_500_300 / 50_003)
    assert weighted_mean_tps([row("2026-10-01", None, 10)]) is None
    assert weighted_mean_tps([row("2026-10-01", 20.0, 0)]) is None


def test_latest_skips_days_without_speed_data():
    fig = model_figures(
        [
            row("2026-10-03", None, 90, ttft=None),  # today: requests but no speed yet
            row("2026-10-02", 60.0, 400, ttft=0.4),
            row("2026-10-01", 40.0, 600, ttft=0.6),
        ],
        min_requests=100,
        today=TODAY,
    )
    assert fig.latest_date == "2026-10-02"
    assert fig.latest_tps == 60.0
    assert fig.latest_ttft == 0.4
    assert fig.latest_requests == 400
    assert fig.avg_7d == pytest.approx((60 * 400 + 40 * 600) / 1000)
    assert fig.peak_tps == 60.0


def test_windows_are_calendar_days_ending_at_latest_date_with_gaps():
    rows = [
        row("2026-10-30", 10.0, 100),
        row("2026-10-24", 20.0, 100),  # 7th calendar day back: inside 7d
        row("2026-10-23", 30.0, 100),  # 8th day back: outside 7d, inside 30d
        row("2026-10-01", 40.0, 100),  # 30th day back: inside 30d
        row("2026-09-30", 1000.0, 100),  # 31st day back: outside both
    ]
    fig = model_figures(rows, min_requests=100, today=TODAY)
    assert fig.avg_7d == pytest.approx(15.0)
    assert fig.avg_30d == pytest.approx(25.0)
    assert fig.peak_tps == 40.0


def test_peak_ignores_tiny_days():
    rows = [
        row("2026-10-03", 50.0, 5_000),
        row("2026-10-02", 900.0, 3),  # a 3-request burst is not a peak
        row("2026-10-01", 70.0, 100),  # exactly MIN_REQUESTS counts
    ]
    fig = model_figures(rows, min_requests=100, today=TODAY)
    assert fig.peak_tps == 70.0
    assert fig.avg_30d == pytest.approx((50 * 5000 + 900 * 3 + 70 * 100) / 5103)


def test_peak_is_null_when_no_day_has_enough_requests():
    fig = model_figures([row("2026-10-03", 50.0, 10)], min_requests=100, today=TODAY)
    assert fig.latest_tps == 50.0
    assert fig.peak_tps is None


def test_model_without_speed_data_has_every_figure_null():
    assert (
        model_figures([row("2026-10-03", None, 500)], min_requests=100, today=TODAY) == NO_FIGURES
    )
    assert model_figures([], min_requests=100, today=TODAY) == NO_FIGURES


def test_figures_by_model_groups_on_chute_id():
    rows = [
        DailyRow(chute_id="a", date="2026-10-01", requests=200, tps=10.0),
        DailyRow(chute_id="b", date="2026-10-01", requests=200, tps=20.0),
        DailyRow(chute_id="b", date="2026-10-02", requests=200, tps=30.0),
    ]
    figures = figures_by_model(rows, min_requests=100, today=TODAY)
    assert figures["a"].latest_tps == 10.0
    assert figures["b"].latest_tps == 30.0
    assert figures["b"].avg_7d == pytest.approx(25.0)


def test_merge_rows_prefers_fresh_rows():
    old = [row("2026-10-01", 10.0, 1), row("2026-10-02", 20.0, 2)]
    new = [row("2026-10-02", 25.0, 5), row("2026-10-03", 30.0, 3)]
    merged = sorted(merge_rows(old, new), key=lambda r: r.date)
    assert [(r.date, r.tps) for r in merged] == [
        ("2026-10-01", 10.0),
        ("2026-10-02", 25.0),
        ("2026-10-03", 30.0),
    ]


def test_ranked_day_is_the_newest_full_enough_day_in_the_week_ending_today():
    rows = [
        row("2026-10-31", 90.0, 30),  # today, early: too few requests to rank on
        row("2026-10-30", 60.0, 5_000, ttft=0.5),  # yesterday's full day decides
        row("2026-10-29", 70.0, 9_000),
    ]
    fig = model_figures(rows, min_requests=100, today="2026-10-31")
    assert (fig.rank_date, fig.rank_tps, fig.rank_ttft, fig.rank_requests) == (
        "2026-10-30",
        60.0,
        0.5,
        5_000,
    )
    # The latest figures still show today's partial day.
    assert fig.latest_date == "2026-10-31" and fig.latest_tps == 90.0
    # Once today has enough requests, today decides.
    rows[0] = row("2026-10-31", 90.0, 100)
    assert model_figures(rows, min_requests=100, today="2026-10-31").rank_tps == 90.0


def test_ranked_day_window_is_seven_days_ending_today():
    rows = [row("2026-10-25", 50.0, 500), row("2026-10-24", 80.0, 500)]
    assert ranked_day(rows, "2026-10-31", 100).date == "2026-10-25"  # 7th day back
    assert ranked_day(rows, "2026-11-01", 100) is None  # 8th day back: unranked
    fig = model_figures(rows, min_requests=100, today="2026-11-01")
    assert fig.rank_tps is None and fig.rank_date is None and fig.latest_tps == 50.0
    # A day without speed never ranks, however many requests it had.
    assert ranked_day([row("2026-10-31", None, 10_000)], "2026-10-31", 100) is None


# --- issue 8: dates, names, ids, and "no data" never replacing a number -----------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-10-01", "2026-10-01"),
        ("2026-10-01T23:30:00-05:00", "2026-10-02"),  # the UTC day, not the local one
        ("2026-10-02T01:00:00+02:00", "2026-10-01"),
        ("2026-10-01T23:59:59.999Z", "2026-10-01"),
        ("2026-10-01T12:00:00", "2026-10-01"),  # naive: UTC
        (datetime(2026, 10, 1, 22, tzinfo=timezone(timedelta(hours=-3))), "2026-10-02"),
        ("2026-10-01junk", None),
        ("2026-W40-4", None),
        ("2026-274", None),
        ("20261001", None),
        ("2026-02-30", None),
        (" 2026-10-01", None),
        ("2026-10-01\n", None),
        (20261001, None),
    ],
)
def test_a_row_date_is_the_utc_day_and_rejects_everything_else(value, expected):
    assert utc_day(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("org/Model-TEE", "org/Model-TEE"),
        ("org/\u202eevil\u202c-name", "org/evil-name"),
        ("a\x00b\x07c\x1b[31md", "abc[31md"),
        ("\u2066isolated\u2069 \u200fmark", "isolated mark"),
        ("  spaced  ", "spaced"),
        ("\x00\u202e", None),
        ("Ünïcödé 模型", "Ünïcödé 模型"),
        (None, None),
        (5, None),
    ],
)
def test_clean_name_drops_controls_and_bidi_overrides(value, expected):
    assert clean_name(value) == expected


@pytest.mark.parametrize(
    "value, ok",
    [
        ("b048fe26-0352-5c46-acf7-335e527e7f3d", True),
        ("../../api/health", False),
        ("B048FE26-0352-5C46-ACF7-335E527E7F3D", False),
        ("b048fe26-0352-5c46-acf7-335e527e7f3d\n", False),
        ("{b048fe26-0352-5c46-acf7-335e527e7f3d}", False),
        ("b048fe2603525c46acf7335e527e7f3d", False),
        ("", False),
        (None, False),
    ],
)
def test_only_uuid_shaped_chute_ids_are_accepted(value, ok):
    assert is_chute_id(value) is ok
    raw = {"chute_id": value, "date": "2026-10-01", "average_tps": 50.0}
    assert (daily_row_from_raw(raw) is not None) is ok


def test_merge_rows_never_replaces_a_number_with_no_data():
    old = [DailyRow("a", "2026-10-02", requests=900, output_tokens=5, tps=40.0, ttft=1.5)]
    new = [DailyRow("a", "2026-10-02", requests=None, output_tokens=7, tps=None, ttft=2.0)]
    [merged] = merge_rows(old, new)
    assert merged == DailyRow("a", "2026-10-02", requests=900, output_tokens=7, tps=40.0, ttft=2.0)
