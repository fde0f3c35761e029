"""GET /badge/<chute_id>.svg: an embeddable badge of a model's ranked-day TPS (SPEC §6)."""

from flask import Response, current_app

from app.db import flaskdb
from app.plumbing.bodies import (
    DATA_CACHE_CONTROL,
    Body,
    cached_body,
    conditional_response,
    make_body,
)
from app.readmodel import model_as_shown
from app.web import formatting
from app.web.badge_svg import GREY, badge
from app.web.blueprint import bp

SVG = "image/svg+xml"
LABEL = "chutes TPS"


class UnknownModel(Exception):
    """No such chute_id: answered uncached, so unknown ids cannot fill the cache."""


def badge_value(model: dict) -> tuple[str, bool]:
    """The badge's text and whether it has data: the ranked-day TPS while ranked (a model
    as shown: inactive ones and stale ranked days have no rank)."""
    if model["rank"] is None or model.get("rank_tps") is None:
        return "no data", False
    return f"{formatting.tps(model['rank_tps'])} tok/s", True


def _badge_body(chute_id: str) -> Body:
    conn = flaskdb.get_db()
    min_requests = int(current_app.config["MIN_REQUESTS"])
    model = model_as_shown(conn, chute_id, min_requests=min_requests)
    if model is None:
        raise UnknownModel(chute_id)
    value, has_data = badge_value(model)
    svg = badge(LABEL, value) if has_data else badge(LABEL, value, GREY)
    return make_body(svg, SVG, None)


@bp.get("/badge/<chute_id:chute_id>.svg")
def model_badge(chute_id: str) -> Response:
    try:
        entry = cached_body(f"badge/{chute_id}", lambda: _badge_body(chute_id))
    except UnknownModel:
        response = Response(badge(LABEL, "unknown", GREY), 404, mimetype=SVG)
        response.headers["Cache-Control"] = DATA_CACHE_CONTROL
        return response
    return conditional_response(entry)
