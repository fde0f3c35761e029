"""GET /badge/<chute_id>.svg: an embeddable badge of a model's ranked-day TPS (SPEC §6)."""

from flask import Response

from app import db
from app.api.bodies import DATA_CACHE_CONTROL, Body, cached_body, conditional_response, make_body
from app.clock import today_utc
from app.ranking import speed_ranks
from app.web import formatting
from app.web.badge_svg import GREY, badge
from app.web.blueprint import bp

SVG = "image/svg+xml"
LABEL = "chutes TPS"
MAX_CHUTE_ID = 200


class UnknownModel(Exception):
    """No such chute_id: answered uncached, so unknown ids cannot fill the cache."""


def badge_value(model: dict, today: str) -> tuple[str, bool]:
    """The badge's text and whether it has data: the ranked-day TPS while ranked."""
    ranked = model.get("active") and model["chute_id"] in speed_ranks([model], today)
    if not ranked or model.get("rank_tps") is None:
        return "no data", False
    return f"{formatting.tps(model['rank_tps'])} tok/s", True


def _badge_body(chute_id: str) -> Body:
    conn = db.get_db()
    model = db.get_model(conn, chute_id)
    if model is None:
        raise UnknownModel(chute_id)
    value, has_data = badge_value(model, today_utc())
    svg = badge(LABEL, value) if has_data else badge(LABEL, value, GREY)
    return make_body(svg, SVG, None)


@bp.get(f"/badge/<string(maxlength={MAX_CHUTE_ID}):chute_id>.svg")
def model_badge(chute_id: str) -> Response:
    try:
        entry = cached_body(f"badge/{chute_id}", lambda: _badge_body(chute_id))
    except UnknownModel:
        response = Response(badge(LABEL, "unknown", GREY), 404, mimetype=SVG)
        response.headers["Cache-Control"] = DATA_CACHE_CONTROL
        return response
    return conditional_response(entry)
