"""One model's page: its figures, charts and daily history."""

from datetime import UTC, datetime

from flask import Response, abort, current_app, render_template

from app import db
from app.ranking import OFTEN_RATE_LIMITED_SHARE, rank_models
from app.web import charts, formatting
from app.web.blueprint import bp
from app.web.capacity_view import compare_partner, rate_limited_chart
from app.web.rendering import Page, freshness, seconds_to_midnight, serve_cached


@bp.get("/models/<chute_id>")
def model(chute_id: str) -> Response:
    return serve_cached(lambda: render_model(chute_id))


def render_model(chute_id: str) -> Page:
    conn = db.get_db()
    now = datetime.now(UTC)
    found = db.get_model(conn, chute_id)
    if found is None:
        abort(404)
    # Its place on the board, by the default sort, among active models.
    ranked = rank_models(db.list_models(conn), min_requests=current_app.config["MIN_REQUESTS"])
    placed = next((m for m in ranked if m["chute_id"] == chute_id), None)
    flags = rank_models(
        [found], min_requests=current_app.config["MIN_REQUESTS"], today=now.date().isoformat()
    )[0]
    history = db.model_history(conn, chute_id)
    tps_series = [(h["date"], h["tps"]) for h in history]
    charts_ = {
        "tps": charts.chart(
            tps_series, value_format=lambda v: f"{formatting.tps(v)} tok/s", tick_format=_tick
        ),
        "ttft": charts.chart(
            [(h["date"], h["ttft"]) for h in history],
            value_format=formatting.seconds,
            tick_format=_tick,
        ),
        "requests": charts.chart(
            [(h["date"], h["requests"]) for h in history],
            kind="bar",
            value_format=lambda v: f"{formatting.count(v)} requests",
            tick_format=formatting.compact,
        ),
        "rate_limited": rate_limited_chart(conn, chute_id),
    }
    fresh = freshness(conn, now)
    html = render_template(
        "model.html",
        model=found,
        rank=placed["rank"] if placed else None,
        total=len(ranked),
        low_sample=flags["low_sample"],
        partial_day=flags["partial_day"],
        often_rate_limited=flags["often_rate_limited"],
        compare_with=compare_partner(ranked, chute_id),
        often_share=OFTEN_RATE_LIMITED_SHARE,
        history=list(reversed(history)),
        charts=charts_,
        last_updated=found.get("scraped_at"),
        fresh=fresh,
    )
    return html, min(fresh["holds_for"], seconds_to_midnight(now))


def _tick(value: float) -> str:
    # Axis ticks are round numbers: "80", "2.5", "0.05" (the unit is in the chart title).
    return f"{value:,.10g}"
