"""Pure statistics: daily rows in, leaderboard figures out (SPEC §5). No I/O here."""

import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from app.methodology import RANK_WINDOW_DAYS, weighted_mean
from app.rows import NO_FIGURES, DailyRow, Figures
from app.scraping.inputs import clean_name, is_chute_id, utc_day

# Speeds beyond these are upstream glitches, not measurements: stored as no data.
MAX_PLAUSIBLE_TPS = 100_000.0
MAX_PLAUSIBLE_TTFT = 3_600.0
MAX_PLAUSIBLE_COUNT = 10**15


def clean_speed(value: object, limit: float = MAX_PLAUSIBLE_TPS) -> float | None:
    """A positive, finite, plausible number, else None (0/null/NaN/negative = no data)."""
    # Text such as "55.12" is not read as a number: FORMATS says average_tps/average_ttft
    # are JSON numbers (or 0/null for no data), so text is a change of format upstream.
    # The row gets no speed, a stored one is kept (the daily upsert coalesces), and an
    # answer in which no row has a speed left is drift (app.scraping.speeds.drift).
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number) or number <= 0 or number > limit:
        return None
    return number


def clean_count(value: object) -> int | None:
    """A non-negative whole count, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0 or value > MAX_PLAUSIBLE_COUNT:
        return None
    if value != int(value):
        return None
    return int(value)


def clean_date(value: object) -> str | None:
    """The UTC day (YYYY-MM-DD) of an upstream date or timestamp, else None."""
    return utc_day(value)


def daily_row_from_raw(raw: dict) -> DailyRow | None:
    """Clean one upstream row (JSON API or page data); None when unusable."""
    chute_id = raw.get("chute_id")
    day = clean_date(raw.get("date"))
    if not is_chute_id(chute_id) or day is None:
        return None
    return DailyRow(
        chute_id=chute_id,
        date=day,
        name=clean_name(raw.get("name")),
        requests=clean_count(raw.get("total_requests")),
        input_tokens=clean_count(raw.get("total_input_tokens")),
        output_tokens=clean_count(raw.get("total_output_tokens")),
        tps=clean_speed(raw.get("average_tps")),
        ttft=clean_speed(raw.get("average_ttft"), MAX_PLAUSIBLE_TTFT),
    )


def weighted_mean_tps(rows: Iterable[DailyRow]) -> float | None:
    """Σ tps·requests / Σ requests over rows with speed data and requests."""
    return weighted_mean((row.tps, row.requests) for row in rows)


def _window(rows: list[DailyRow], end: str, days: int) -> list[DailyRow]:
    start = (date.fromisoformat(end) - timedelta(days=days - 1)).isoformat()
    return [row for row in rows if start <= row.date <= end]


def ranked_day(rows: Iterable[DailyRow], today: str, min_requests: int) -> DailyRow | None:
    """The newest day within the RANK_WINDOW_DAYS ending `today` with known TPS and at
    least `min_requests` requests: an early partial day with 30 requests never decides the
    order, yesterday's full day does until today has enough."""
    start = (date.fromisoformat(today) - timedelta(days=RANK_WINDOW_DAYS - 1)).isoformat()
    eligible = [
        row
        for row in rows
        if row.tps is not None
        and (row.requests or 0) >= min_requests
        and start <= row.date
        and row.date <= today
    ]
    return max(eligible, key=lambda row: row.date) if eligible else None


def model_figures(rows: Iterable[DailyRow], min_requests: int, today: str) -> Figures:
    """The leaderboard figures of one model from its daily rows (any order)."""
    with_speed = [row for row in rows if row.tps is not None]
    if not with_speed:
        return NO_FIGURES
    ranked = ranked_day(with_speed, today, min_requests)
    latest = max(with_speed, key=lambda row: row.date)
    last_30 = _window(with_speed, latest.date, 30)
    peaks = [row.tps for row in last_30 if (row.requests or 0) >= min_requests]
    return Figures(
        latest_tps=latest.tps,
        latest_ttft=latest.ttft,
        latest_requests=latest.requests,
        latest_date=latest.date,
        avg_7d=weighted_mean_tps(_window(with_speed, latest.date, 7)),
        avg_30d=weighted_mean_tps(last_30),
        peak_tps=max(peaks) if peaks else None,
        rank_tps=ranked.tps if ranked else None,
        rank_ttft=ranked.ttft if ranked else None,
        rank_requests=ranked.requests if ranked else None,
        rank_date=ranked.date if ranked else None,
    )


def figures_by_model(rows: Iterable[DailyRow], min_requests: int, today: str) -> dict[str, Figures]:
    """Group rows by chute_id and compute each model's figures."""
    grouped: dict[str, list[DailyRow]] = {}
    for row in rows:
        grouped.setdefault(row.chute_id, []).append(row)
    return {cid: model_figures(group, min_requests, today) for cid, group in grouped.items()}


def merge_rows(old: Iterable[DailyRow], new: Iterable[DailyRow]) -> list[DailyRow]:
    """Stored history overlaid with fresh rows, field by field: a fresh number replaces a
    stored one, a fresh "no data" (None) never does. The same rule as the daily upsert in
    app.db, so figures are computed from exactly what will be stored."""
    merged = {(row.chute_id, row.date): row for row in old}
    for row in new:
        key = (row.chute_id, row.date)
        stored = merged.get(key)
        merged[key] = row if stored is None else overlay(stored, row)
    return list(merged.values())


def overlay(stored: DailyRow, fresh: DailyRow) -> DailyRow:
    """`fresh` with each missing (None) figure taken from `stored`."""
    return replace(
        fresh,
        **{
            name: getattr(stored, name)
            for name in _FIGURE_FIELDS
            if getattr(fresh, name) is None and getattr(stored, name) is not None
        },
    )


_FIGURE_FIELDS = ("name", "requests", "input_tokens", "output_tokens", "tps", "ttft")
