"""The leaderboard page: the ranked board with search and sort."""

from datetime import UTC, datetime, timedelta

from flask import Response, current_app, render_template, request

from app import db
from app.ranking import SORTS, filter_models, hero_figures, rank_models
from app.web import charts
from app.web.blueprint import bp
from app.web.rendering import Page, freshness, seconds_to_midnight, serve_cached

SPARK_DAYS = 30
MAX_QUERY = 100
# The sort menu, in the order people look for things.
SORT_LABELS = {
    "rank": "Speed rank",
    "tps": "TPS (latest)",
    "avg_7d": "7-day average",
    "avg_30d": "30-day average",
    "ttft": "TTFT (lowest)",
    "requests": "Requests",
    "name": "Name",
    "peak": "Peak TPS",
}
# Fields the page's JavaScript needs to sort, filter and re-rank without a round trip.
CLIENT_FIELDS = (
    "chute_id",
    "rank",
    "name",
    "latest_tps",
    "latest_ttft",
    "latest_requests",
    "avg_7d",
    "avg_30d",
    "peak_tps",
    "latest_date",
    "low_sample",
    "partial_day",
)

# The board follows the speed rank (SPEC §5); the API's default stays latest TPS.
BOARD_SORT = "rank"


def chosen_sort() -> str:
    """The ?sort= asked for, or the default: HTML pages are lenient, the API is strict."""
    sort = request.args.get("sort", BOARD_SORT)
    return sort if sort in SORTS else BOARD_SORT


@bp.get("/")
def index() -> Response:
    return serve_cached(render_index)


def render_index() -> Page:
    conn = db.get_db()
    now = datetime.now(UTC)
    today = now.date().isoformat()
    sort = chosen_sort()
    query = request.args.get("q", "").strip()[:MAX_QUERY]
    models = db.list_models(conn)
    ranked = rank_models(
        models, min_requests=current_app.config["MIN_REQUESTS"], sort=sort, today=today
    )
    # Every card is rendered; non-matches are `hidden`, so search in the browser can
    # bring them back without a round trip, and ranks never renumber.
    matches = {m["chute_id"] for m in filter_models(ranked, query)}
    since = (now.date() - timedelta(days=SPARK_DAYS - 1)).isoformat()
    series = db.recent_tps(conn, since)
    for model in ranked:
        model["match"] = model["chute_id"] in matches
        model["spark"] = charts.sparkline(series.get(model["chute_id"], []), since, today)
    fresh = freshness(conn, now)
    scraped = [m["scraped_at"] for m in models if m.get("scraped_at")]
    html = render_template(
        "index.html",
        models=ranked,
        matches=len(matches),
        hero=hero_figures(models),
        peak_model=peak_model(models),
        query=query,
        sort=sort,
        sorts=SORT_LABELS,
        last_updated=max(scraped) if scraped else None,
        fresh=fresh,
        client_data=[{k: m.get(k) for k in CLIENT_FIELDS} for m in ranked],
    )
    return html, min(fresh["holds_for"], seconds_to_midnight(now))


def peak_model(models: list[dict]) -> dict | None:
    """The model holding the highest peak TPS, for the hero's caption."""
    with_peak = [m for m in models if m.get("peak_tps") is not None]
    return max(with_peak, key=lambda m: m["peak_tps"]) if with_peak else None
