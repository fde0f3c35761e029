"""The leaderboard page (`/`) and its fragment (`/?fragment=board`, what Refresh fetches)."""

from datetime import datetime, timedelta

from flask import Response, current_app, render_template, request, url_for

from app import clock
from app.db import flaskdb
from app.db import models as model_store
from app.methodology import MAX_MIN_REQUESTS
from app.plumbing.pages import Page, page_lifetime, serve_cached
from app.ranking import ORDERS, SORTS
from app.web import charts, table
from app.web.blueprint import bp
from app.web.board_order import NO_DATA, RANKED, UNRANKED, board_order
from app.web.freshness import freshness
from app.web.price_chart import price_chart

SPARK_DAYS = 30
BAND_DAYS = 7
MAX_QUERY = 100
MAX_VALUE_LENGTH = 20
MAX_PAGE = 100_000
VIEWS = ("cards", "table")
# The sort menu, in the order people look for things.
SORT_LABELS = {
    "rank": "Speed rank",
    "tps": "TPS (ranked day)",
    "avg_7d": "7-day average",
    "avg_30d": "30-day average",
    "peak": "Peak TPS",
    "ttft": "Fastest TTFT",
    "requests": "Requests",
    "rate_limited": "Least rate-limited",
    "instances": "Instances",
    "price_out": "Cheapest output",
    "price_in": "Cheapest input",
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
    floor = int(current_app.config["MIN_REQUESTS"])
    sort = args.get("sort", BOARD_SORT)
    order = args.get("order")
    tokens = args.get("tokens", "")
    return {
        "sort": sort if sort in SORTS else BOARD_SORT,
        "order": order if order in ORDERS else None,
        "view": args.get("view") if args.get("view") in VIEWS else "cards",
        "tokens": TOKEN_VALUES.get(tokens, table.DEFAULT_TOKENS),
        "q": args.get("q", "").strip()[:MAX_QUERY],
        "min_requests": lenient_min_requests(args.get("min_requests"), floor),
        "page": lenient_page(args.get("page")),
    }


def lenient_min_requests(text: str | None, floor: int) -> int:
    """The board's `?min_requests=`: anything but a whole number is ignored (`floor`, the
    configured MIN_REQUESTS), and a number is clamped to floor..MAX_MIN_REQUESTS (the API
    answers 400 instead: app.api.params)."""
    if not text or len(text) > MAX_VALUE_LENGTH or not (text.isascii() and text.isdigit()):
        return floor
    return min(max(int(text), floor), MAX_MIN_REQUESTS)


def lenient_page(text: str | None) -> int:
    """`?page=` of a capped board: 1 unless a whole number from 1 to MAX_PAGE."""
    if not text or len(text) > MAX_VALUE_LENGTH or not (text.isascii() and text.isdigit()):
        return 1
    return min(max(int(text), 1), MAX_PAGE)


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
    and daily series are freed before rendering: a 300-model page should not hold both.

    At most BOARD_LIMIT models are rendered (SPEC §6 "Scale"): ranked first, then the
    unranked, then those without speed data, in the chosen order; `?page=` shows the rest.
    Below the cap every model is rendered and non-matches of `q` are `hidden`, so search
    in the browser brings them back without a round trip; above it only the matches are
    rendered and the browser asks the server. Ranks never renumber on search."""
    today = now.date().isoformat()
    args = board_args()
    min_requests = args["min_requests"]
    limit = max(1, int(current_app.config["BOARD_LIMIT"]))
    board = board_order(
        conn,
        current_app.config["DATABASE"],
        min_requests=min_requests,
        sort=args["sort"],
        order=args["order"],
        today=today,
    )
    total = len(board.models)
    matches = board.matches(args["q"]) if args["q"].split() else None
    counts = {RANKED: 0, UNRANKED: 0, NO_DATA: 0}
    for model, group in zip(board.ordered, board.groups, strict=True):
        if matches is None or model["chute_id"] in matches:
            counts[group] += 1
    capped = total > limit
    ordered = board.ordered
    if capped and matches is not None:
        ordered = tuple(m for m in ordered if m["chute_id"] in matches)
    pages = max(1, -(-len(ordered) // limit))
    page = min(args["page"], pages)
    shown: list[dict] = []
    # Only the page's rows are formatted, each a copy: the kept models are read-only.
    for model in ordered[(page - 1) * limit : page * limit]:
        row = table.board_row(
            dict(model),
            sort=args["sort"],
            tokens=args["tokens"],
            today=today,
            min_requests=min_requests,
        )
        row["match"] = matches is None or model["chute_id"] in matches
        # The rank order's position of every model (unranked ones too): the page's
        # JavaScript sorts on it to restore the speed order exactly as the server has it.
        row["sort_values"]["rank"] = str(board.position[model["chute_id"]])
        shown.append(row)
    shown_ids = [r["chute_id"] for r in shown]
    since = (now.date() - timedelta(days=SPARK_DAYS - 1)).isoformat()
    series = model_store.recent_tps(conn, since, shown_ids if capped else None)
    bands = table.seven_day_bands(series, (now.date() - timedelta(days=BAND_DAYS - 1)).isoformat())
    for row in shown:
        row["band"] = bands.get(row["chute_id"])
        row["spark"] = charts.sparkline(series.get(row["chute_id"], []), since, today)
    shown_rows = [r for r in shown if r.get("latest_tps") is not None]
    shown_no_data = [r for r in shown if r.get("latest_tps") is None]
    return {
        "rows": shown_rows,
        "no_data": shown_no_data,
        # Matching counts per group: search filters everything, counts too (JS updates
        # them as it filters).
        "counts": counts,
        "total": total,
        "with_speed": total - board.groups.count(NO_DATA),
        "matches": total if matches is None else len(matches),
        "capped": capped,
        "pagination": {"page": page, "pages": pages, "limit": limit, "of": len(ordered)},
        "hero": board.hero,
        "peak_model": board.peak_model,
        "args": args,
        "sorts": SORT_LABELS,
        "sort_directions": {key: descending for key, (_, descending) in SORTS.items()},
        "columns": table.columns_for(args["sort"]),
        "token_choices": table.TOKEN_CHOICES,
        "leader": board.leader,
        # The chart draws the models this page shows that match the search.
        "price": price_chart([r for r in shown if r["match"]]),
        "fresh": freshness(conn, now),
        # With probes on, every model object carries probe fields (app.readmodel).
        "probes_on": any("probe_at" in m for m in board.models[:1]),
    }


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
        "min_requests": int(current_app.config["MIN_REQUESTS"]),
        "page": 1,
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
    return {
        "href": board_url(args, sort=sort, order=flipped),
        "aria": "descending" if descending else "ascending",
    }
