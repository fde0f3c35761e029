"""The site's static pages, the API's documentation for people, favicon and the 404 page."""

from flask import Response, redirect, render_template, url_for
from werkzeug.exceptions import HTTPException, NotFound

from app.api.openapi import document
from app.errors import handle_http_exception, is_api_request
from app.ranking import OFTEN_RATE_LIMITED_SHARE
from app.web.blueprint import bp


@bp.get("/methodology")
def methodology() -> str:
    # Config-only page: no SQL, nothing worth caching.
    return render_template(
        "methodology.html", often_share_percent=round(OFTEN_RATE_LIMITED_SHARE * 100)
    )


@bp.get("/api")
def api_docs() -> str:
    """The API for people, rendered from the same OpenAPI document as /api/openapi.json."""
    return render_template("api.html", spec=document())


@bp.get("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for /favicon.ico whatever the <link rel=icon> says.
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.errorhandler(404)
def model_not_found(_error: Exception) -> tuple[str, int]:
    """Unknown model ids."""
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


@bp.app_errorhandler(404)
def page_not_found(error: NotFound) -> Response | HTTPException:
    """Unknown pages: the site's error page with words for people, not Werkzeug's stock
    text (app.errors renders it, JSON under /api/)."""
    if is_api_request():
        return handle_http_exception(error)
    return handle_http_exception(
        NotFound(
            "There is no page at this address. The leaderboard, the methodology and the "
            "API documentation are linked above."
        )
    )
