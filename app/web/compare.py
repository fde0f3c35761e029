"""GET /compare?ids=a,b[,c,d]: 2 to 4 models side by side, their last 30 days overlaid.

The URL is the state: ids in the order given, duplicates dropped, so a view can be shared.
Too few or too many ids → 400, an unknown id → 404, both as the site's error page.
"""

from datetime import timedelta

from flask import Response, abort, current_app, render_template, request

from app import clock
from app.db import capacity as db_capacity
from app.db import flaskdb
from app.db import models as model_store
from app.plumbing.converters import MAX_CHUTE_ID_LENGTH
from app.plumbing.errors import error_page
from app.plumbing.pages import Page, page_lifetime, serve_cached
from app.readmodel import model_as_shown, models_as_shown
from app.web import formatting
from app.web.blueprint import bp
from app.web.charts import tick_label
from app.web.freshness import freshness
from app.web.overlay import MARKERS, marker_path, overlay

MIN_MODELS, MAX_MODELS = 2, 4
COMPARE_DAYS = 30


def parse_ids(values: list[str]) -> list[str]:
    """Ids from one or more comma-separated ?ids= values: trimmed, in order, deduplicated."""
    ids: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part and part not in ids:
                ids.append(part)
    return ids


@bp.get("/compare")
def compare() -> Response:
    ids = parse_ids(request.args.getlist("ids"))
    if not MIN_MODELS <= len(ids) <= MAX_MODELS or any(len(i) > MAX_CHUTE_ID_LENGTH for i in ids):
        return error_page(
            400,
            "Pick 2 to 4 models",
            f"A comparison takes {MIN_MODELS} to {MAX_MODELS} different model ids, comma-"
            f"separated: /compare?ids=a,b. This link has {len(ids)}.",
        )
    return serve_cached(lambda: render_compare(ids))


def _models(conn, ids: list[str], today: str) -> list[dict]:
    min_requests = current_app.config["MIN_REQUESTS"]
    shown = models_as_shown(conn, min_requests=min_requests, today=today)
    models, unknown = [], []
    for chute_id in ids:
        # Inactive models stay comparable.
        model = model_as_shown(conn, chute_id, min_requests=min_requests, today=today, shown=shown)
        if model is None:
            unknown.append(chute_id)
            continue
        models.append(model)
    if unknown:
        abort(
            error_page(
                404,
                "Model not found",
                "No model with the id " + ", ".join(unknown) + " is on the leaderboard.",
            )
        )
    return models


def render_compare(ids: list[str]) -> Page:
    conn = flaskdb.get_db()
    now = clock.now()
    today = now.date().isoformat()
    models = _models(conn, ids, today)
    since = (now.date() - timedelta(days=COMPARE_DAYS - 1)).isoformat()
    shares = db_capacity.recent_rate_limited(conn, ids, since)
    histories = {m["chute_id"]: model_store.model_history(conn, m["chute_id"]) for m in models}

    def series(field: str) -> list:
        return [
            (m["name"], [(h["date"], h[field]) for h in histories[m["chute_id"]]]) for m in models
        ]

    charts = {
        "tps": overlay(
            series("tps"),
            since,
            today,
            value_format=lambda v: f"{formatting.tps(v)} tok/s",
            tick_format=tick_label,
        ),
        "ttft": overlay(
            series("ttft"),
            since,
            today,
            value_format=formatting.seconds,
            tick_format=tick_label,
        ),
        "rate_limited": overlay(
            [(m["name"], shares.get(m["chute_id"], [])) for m in models],
            since,
            today,
            value_format=formatting.share,
            tick_format=lambda v: f"{v * 100:.0f}%",
            y_max=1.0,
        ),
    }
    fresh = freshness(conn, now)
    scraped = [m["scraped_at"] for m in models if m.get("scraped_at")]
    html = render_template(
        "compare.html",
        models=models,
        charts=charts,
        days=COMPARE_DAYS,
        legend_markers=[marker_path(shape, 17, 7, 3.5) for shape in MARKERS],
        tps=formatting.tps,
        seconds=formatting.seconds,
        count=formatting.count,
        share=formatting.share,
        price=formatting.price,
        tokens=formatting.tokens,
        last_updated=max(scraped) if scraped else None,
        fresh=fresh,
    )
    return html, page_lifetime(fresh, now)
