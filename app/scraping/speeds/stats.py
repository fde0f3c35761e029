"""Pure statistics: daily rows in, leaderboard figures out (SPEC §5). No I/O here.

The rows come cleaned (app.scraping.inputs.daily_row_from_raw)."""

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from app.methodology import weighted_mean
from app.ranking import ranked_day
from app.rows import NO_FIGURES, DailyRow, Figures

# The ranked day is defined once, in app.ranking (the read model computes the rank fields
# of today from stored history with it). The scraper still stores the ranked day of its
# run in models.rank_*: only the `model_removed` event reads them back ("last ranked at").


def weighted_mean_tps(rows: Iterable[DailyRow]) -> float | None:
    """Σ tps·requests / Σ requests over rows with speed data and requests."""
    return weighted_mean((row.tps, row.requests) for row in rows)


def _window(rows: list[DailyRow], end: str, days: int) -> list[DailyRow]:
    start = (date.fromisoformat(end) - timedelta(days=days - 1)).isoformat()
    return [row for row in rows if start <= row.date <= end]


def model_figures(rows: Iterable[DailyRow], min_requests: int, today: str) -> Figures:
    """The leaderboard figures of one model from its daily rows (any order)."""
    with_speed = [row for row in rows if row.tps is not None]
    if not with_speed:
        return NO_FIGURES
    ranked = ranked_day(with_speed, today, min_requests)
    latest = max(with_speed, key=lambda row: row.date)
    last_30 = _window(with_speed, latest.date, 30)
    peaks = [
        row.tps for row in last_30 if row.tps is not None and (row.requests or 0) >= min_requests
    ]
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
