"""The model page's capacity section: the daily rate-limited chart and a compare link."""

import sqlite3

from app.db import capacity as db_capacity
from app.web import charts, formatting


def rate_limited_chart(conn: sqlite3.Connection, chute_id: str) -> charts.Chart:
    """Daily share of requests refused, on the whole 0-100 % scale."""
    series = sorted(db_capacity.daily_rate_limited(conn, chute_id).items())
    return charts.chart(
        series,
        value_format=lambda v: f"{formatting.share(v)} rate-limited",
        tick_format=lambda v: f"{v * 100:.0f}%",
        y_max=1.0,
    )


def compare_partner(ranked: list[dict], chute_id: str) -> dict | None:
    """Whom to compare this model with: the best-ranked other model, if any."""
    by_rank = sorted((m for m in ranked if m.get("rank")), key=lambda m: m["rank"])
    return next((m for m in by_rank if m["chute_id"] != chute_id), None)
