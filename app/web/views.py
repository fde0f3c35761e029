"""Server-rendered pages: the leaderboard, model pages, methodology."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request
from werkzeug.http import generate_etag

from app import db
from app.cache import cache, make_conditional, versioned_key
from app.ranking import SORTS, filter_models, hero_figures, rank_models
from app.web import charts, formatting
from app.web.assets import asset_url

bp = Blueprint("views", __name__)
bp.add_app_template_global(asset_url, "asset_url")
for _name, _filter in formatting.FILTERS.items():
    bp.add_app_template_filter(_filter, _name)

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
Page = tuple[str, float]  # rendered HTML, seconds it stays true without a new scrape


def serve_cached(render: Callable[[], Page]) -> Response:
    """Serve a page from the cache, keyed on path, args and the data version.

    A hit runs no SQL: the key costs one stat() of the version file. Pages that depend on
    the clock (stale badge, partial day) say how long they stay true, and are cached no
    longer than that.
    """
    # The entry is the encoded page and its ETag: a hit neither re-encodes nor re-hashes
    # ~100 KB of HTML (that was most of a cached request's time).
    key = versioned_key("page")
    entry = cache.get(key)
    if entry is None:
        html, ttl = render()
        body = html.encode()
        entry = (body, generate_etag(body))  # what Response.add_etag() would compute
        limit = current_app.config.get("CACHE_DEFAULT_TIMEOUT") or 300
        cache.set(key, entry, timeout=max(1, int(min(ttl, limit))))
    body, etag = entry
    response = make_response(body)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.set_etag(etag)
    return make_conditional(response)


def seconds_to_midnight(now: datetime) -> float:
    """When today's "partial day" flags stop being true."""
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return (tomorrow - now).total_seconds()


def freshness(conn, now: datetime) -> dict:
    """Last good scrape, whether it is stale (older than 2x the interval), that threshold in
    seconds (for the page's JavaScript to re-check after a refresh), and for how long the
    answer holds."""
    interval = float(current_app.config["SCRAPE_INTERVAL"])
    good = db.last_run(conn, good_only=True)
    finished = formatting.parse_utc(good["finished_at"]) if good else None
    stale, holds_for = False, float("inf")
    if finished is not None:
        stale_at = finished + timedelta(seconds=2 * interval)
        stale = now >= stale_at
        if not stale:
            holds_for = (stale_at - now).total_seconds()
    return {
        "last_good": good["finished_at"] if good else None,
        "stale": stale,
        "age": formatting.ago((now - finished).total_seconds()) if finished else None,
        "holds_for": holds_for,
        "stale_after": round(2 * interval),
    }


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
    }
    fresh = freshness(conn, now)
    html = render_template(
        "model.html",
        model=found,
        rank=placed["rank"] if placed else None,
        total=len(ranked),
        low_sample=flags["low_sample"],
        partial_day=flags["partial_day"],
        history=list(reversed(history)),
        charts=charts_,
        last_updated=found.get("scraped_at"),
        fresh=fresh,
    )
    return html, min(fresh["holds_for"], seconds_to_midnight(now))


def _tick(value: float) -> str:
    # Axis ticks are round numbers: "80", "2.5", "0.05" (the unit is in the chart title).
    return f"{value:,.10g}"


@bp.get("/methodology")
def methodology() -> str:
    # Config-only page: no SQL, nothing worth caching.
    return render_template("methodology.html")


@bp.errorhandler(404)
def not_found(_error: Exception) -> tuple[str, int]:
    """Unknown model ids (app-wide 404s/500s are app.errors' job)."""
    return (
        render_template(
            "error.html",
            code=404,
            title="Model not found",
            message="No model with that id is on the leaderboard. It may have been renamed "
            "or removed from chutes.ai.",
        ),
        404,
    )
