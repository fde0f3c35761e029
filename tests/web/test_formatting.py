"""Display formatting: plain data in, strings out."""

import pytest

from app.web import formatting as f


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        (f.tps, 1234.56, "1,234.6"),
        (f.tps, 0.04, "0.0"),
        (f.tps, None, "—"),
        (f.tps, True, "—"),
        (f.seconds, 0.953, "0.95 s"),
        (f.seconds, 12.34, "12.3 s"),
        (f.seconds, None, "—"),
        (f.count, 52113, "52,113"),
        (f.count, 0, "0"),
        (f.count, None, "—"),
        (f.compact, 950, "950"),
        (f.compact, 1000, "1K"),
        (f.compact, 52113, "52.1K"),
        (f.compact, 999_949, "999.9K"),
        (f.compact, 999_950, "1M"),
        (f.compact, 3_200_000, "3.2M"),
        (f.compact, 7e9, "7B"),
        (f.compact, None, "—"),
        (f.price, 0.1, "$0.100"),
        (f.price, 2.5, "$2.50"),
        (f.price, 0.0123, "$0.0123"),
        (f.price, 0.27, "$0.270"),
        (f.price, 0.00001, "$0.0000100"),
        (f.price, 0, "free"),
        (f.price, -1, "—"),
        (f.price, None, "—"),
        (f.short_day, "2026-10-03", "Oct 3"),
        (f.short_day, "junk", "—"),
    ],
)
def test_formats(fn, value, expected):
    assert fn(value) == expected


def test_times_are_utc():
    assert f.utc_time("2026-10-03T14:05:09+00:00") == "2026-10-03 14:05 UTC"
    assert f.utc_time("2026-10-03T16:05:09+02:00") == "2026-10-03 14:05 UTC"
    assert f.utc_time("2026-10-03T14:05:09") == "2026-10-03 14:05 UTC"  # naive = UTC
    assert f.iso_utc("2026-10-03T14:05:09Z") == "2026-10-03T14:05:09Z"
    assert f.utc_time(None) == "—" and f.iso_utc("nope") == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "just now"), (600, "10 min ago"), (7200, "2 h ago"), (200_000, "2 days ago")],
)
def test_ago_never_says_just_now_ago(seconds, text):
    assert f.ago(seconds) == text
    assert "just now ago" not in f.ago(seconds)


def test_age_is_a_duration():
    assert f.age(30) == "under a minute" and f.age(600) == "10 min" and f.age(7200) == "2 h"


def test_board_formats():
    assert f.clock_time("2026-10-03T21:31:09Z") == "21:31 UTC"
    assert f.share(0.234) == "23 %" and f.share(0.004) == "0.4 %" and f.share(0) == "0 %"
    assert f.share(None) == "—"
    assert f.trend(103, 100) == "+3 %" and f.trend(98, 100) == "\u22122 %"
    assert f.trend(100.2, 100) == "±0 %" and f.trend(None, 100) == "" and f.trend(1, 0) == ""
    assert f.band(142.04, 151.3) == "142\u2013151" and f.band(142.2, 141.9) == "142"
    assert f.band(None, 3) == "—"
    assert f.tokens(131072) == "131K" and f.tokens(1_000_000) == "1M" and f.tokens(None) == "—"
