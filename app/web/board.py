"""The leaderboard page (`/`) and its fragment (`/?fragment=board`, what Refresh fetches)."""

from datetime import datetime, timedelta

from flask import Response, current_app, render_template, request, url_for

from app import clock
from app.db import flaskdb
from app.db import models as model_store
from app.plumbing.pages import Page, page_lifetime, serve_cached
from app.ranking import ORDERS, SORTS, filter_models, hero_figures, sort_models
from app.readmodel import models_as_shown
from app.web import charts, table
from app.web.blueprint import bp
from app.web.freshness import freshness
from app.web.price_chart import price_chart

SPARK_DAYS = 30
BAND_DAYS = 7
MAX_QUERY = 100
VIEWS = ("cards", "table")
# The sort menu, in the order people look for things.
SORT_LABELS = {
    "rank": "Speed rank",
    "tps": "TPS (latest day)",
    "avg_7d": "7-day average",
    "avg_30d": "30-day average",
    "peak": "Peak TPS",
    "ttft": "TTFT (lowest)",
    "requests": "Requests",
    "rate_limited": "Rate-limited (least)",
    "instances": "Instances",
    "price_out": "Output price (cheapest)",
    "price_in": "Input price (cheapest)",
    "context": "Context length",
    "name": "Name",
}
# `?tokens=` as its exact spelling: a lookup, never int() on request input ("²" passes
# isdigit() and fails int(); a 4,301-digit number fails int() too).
TOKEN_VALUES = {str(n): n for n in table.TOKEN_CHOICES}
# The board follows the speed rank (SPEC §5); the API's default stays latest TPS.
BOARD_SORT = "rank"


def board_args() -> dict:
    """The board's query, leniently: an unknown value falls back to the default (HTML pages
    are lenient, the API is strict)."""
    args = request.args
    sort = args.get("sort", BOARD_SORT)
    order = args.get("order")
    tokens = args.get("tokens", "")
    return {
        "sort": sort if sort in SORTS else BOARD_SORT,
        "order": order if order in ORDERS else None,
        "view": args.get("view") if args.get("view") in VIEWS else "cards",
        "tokens": TOKEN_VALUES.get(tokens, table.DEFAULT_TOKENS),
        "q": args.get("q", "").strip()[:MAX_QUERY],
    }


@bp.get("/")
def index() -> Response:
    return serve_cached(render_index)


def render_index() -> Page:
    now = clock.now()
    context = board_context(flaskdb.get_db(), now)
    template = "_board.html" if request.args.get("fragment") == "board" else "index.html"
    html = render_template(template, **context)
    return html, page_lifetime(context["fresh"], now)


def board_context(conn, now: datetime) -> dict:
    """Everything the board's templates need. A function of its own so that the raw rows
    and daily series are freed before rendering: a 300-model page should not hold both."""
    today = now.date().isoformat()
    args = board_args()
    min_requests = current_app.config["MIN_REQUESTS"]
    ranked = models_as_shown(
        conn, min_requests=min_requests, sort=args["sort"], order=args["order"], today=today
    )
    # The rank order's position of every model (unranked ones too): the page's JavaScript
    # sorts on it to restore the speed order exactly as the server has it.
    position = {m["chute_id"]: i for i, m in enumerate(sort_models(ranked, "rank"), start=1)}
    # Every row is rendered; non-matches are `hidden`, so search in the browser can bring
    # them back without a round trip, and ranks never renumber.
    matches = {m["chute_id"] for m in filter_models(ranked, args["q"])}
    since = (now.date() - timedelta(days=SPARK_DAYS - 1)).isoformat()
    series = model_store.recent_tps(conn, since)
    bands = table.seven_day_bands(series, (now.date() - timedelta(days=BAND_DAYS - 1)).isoformat())
    rows: list[dict] = []
    no_data: list[dict] = []
    for model in ranked:
        row = table.board_row(
            model, sort=args["sort"], tokens=args["tokens"], today=today, min_requests=min_requests
        )
        row["match"] = model["chute_id"] in matches
        row["sort_values"]["rank"] = str(position[model["chute_id"]])
        row["band"] = bands.get(model["chute_id"])
        row["spark"] = charts.sparkline(series.get(model["chute_id"], []), since, today)
        (rows if model.get("latest_tps") is not None else no_data).append(row)
    if args["sort"] in table.BOARD_FIELDS:
        rows = sort_models(
            rows, args["sort"], args["order"], field=table.BOARD_FIELDS[args["sort"]]
        )
    return {
        "rows": rows,
        "no_data": no_data,
        "total": len(ranked),
        "matches": len(matches),
        "hero": hero_figures(ranked),
        "peak_model": peak_model(ranked),
        "args": args,
        "sorts": SORT_LABELS,
        "sort_directions": {key: descending for key, (_, descending) in SORTS.items()},
        "columns": table.COLUMNS,
        "token_choices": table.TOKEN_CHOICES,
        "leader": next((m["chute_id"] for m in ranked if m.get("rank") == 1), None),
        "price": price_chart(ranked),
        "fresh": freshness(conn, now),
    }


def peak_model(models: list[dict]) -> dict | None:
    """The model holding the highest peak TPS, for the hero's caption."""
    with_peak = [m for m in models if m.get("peak_tps") is not None]
    return max(with_peak, key=lambda m: m["peak_tps"]) if with_peak else None


@bp.app_template_global()
def board_url(args: dict, **changes: object) -> str:
    """The board's URL with `changes` applied; defaults are left out so URLs stay short."""
    merged = {**args, **changes}
    defaults: dict[str, object] = {
        "sort": BOARD_SORT,
        "order": None,
        "view": "cards",
        "q": "",
        "tokens": table.DEFAULT_TOKENS,
    }
    query = {k: v for k, v in merged.items() if k in defaults and v != defaults[k]}
    return url_for("views.index", **query)


@bp.app_template_global()
def header_sort(args: dict, sort: str) -> dict:
    """A sortable header's link and aria-sort: its natural order first, then reversed."""
    natural_desc = SORTS[sort][1]
    current = args["sort"] == sort
    descending = natural_desc if args["order"] is None else args["order"] == "desc"
    if not current:
        return {"href": board_url(args, sort=sort, order=None), "aria": None}
    flipped = "asc" if descending else "desc"
    # The rank sorts the TPS column: rank 1 first is the fastest first, TPS descending.
    shows_descending = not descending if sort == BOARD_SORT else descending
    return {
        "href": board_url(args, sort=sort, order=flipped),
        "aria": "descending" if shows_descending else "ascending",
    }
