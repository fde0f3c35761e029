"""The probe figures on plain data: type-7 percentiles, the minimum count, the windows,
refused-key probes left out of the success share."""

from datetime import UTC, datetime, timedelta

import pytest

from app import probe_figures as pf

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def probe(hours_ago, outcome="ok", tps=100.0, ttft=0.5, status=200):
    at = (NOW - timedelta(hours=hours_ago)).isoformat(timespec="milliseconds")
    return {"at": at, "outcome": outcome, "tps": tps, "ttft_s": ttft, "http_status": status}


# numpy.percentile's answers (its default, "linear", is type 7), worked by hand.
@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4, 5], 10, 1.4),
        ([1, 2, 3, 4, 5], 90, 4.6),
        ([5.5, 1, 9, 2, 8, 3, 7], 50, 5.5),
        ([5.5, 1, 9, 2, 8, 3, 7], 10, 1.6),
        ([5.5, 1, 9, 2, 8, 3, 7], 90, 8.4),
        (list(range(48)), 50, 23.5),
        (list(range(48)), 10, 4.7),
        (list(range(48)), 90, 42.3),
    ],
)
def test_percentile_is_type_7(values, q, expected):
    assert pf.percentile(values, q) == pytest.approx(expected)


def test_a_percentile_needs_five_values():
    assert pf.percentile([1, 2, 3, 4], 50) is None
    assert pf.percentile([1, 2, 3, 4, 5], 50) == 3


def test_the_two_windows_and_the_share():
    probes = [probe(h, tps=100 + h) for h in range(1, 6)]  # within 24 h
    probes += [probe(30 + h, tps=10.0) for h in range(5)]  # older than 24 h
    probes += [probe(2, "timeout", None, None), probe(3, "http_error", None, None, status=401)]
    figures = pf.model_figures(probes, NOW)
    assert figures["probe_n_24h"] == 6  # the refused-key probe is not counted
    assert figures["probe_ok_share_24h"] == pytest.approx(5 / 6)
    assert figures["probe_tps_p50_24h"] == 103
    assert figures["probe_n_7d"] == 11
    assert figures["probe_tps_p10_7d"] == pytest.approx(10.0)
    assert figures["probe_at"] == probes[0]["at"]
    assert set(figures) == set(pf.PROBE_FIELDS)


def test_failures_by_kind_and_the_gap():
    probes = [probe(1), probe(1, "timeout"), probe(2, "timeout"), probe(3, "bad_stream")]
    assert pf.failures_by_kind(probes) == {"timeout": 2, "bad_stream": 1}
    assert pf.gap_to_reported(80.0, 100.0) == pytest.approx(-0.2)
    assert pf.gap_to_reported(None, 100.0) is None
