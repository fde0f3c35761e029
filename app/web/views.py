"""The site's static pages: methodology, favicon and the 404 pages."""

from flask import Response, redirect, render_template, url_for
from werkzeug import Response as WerkzeugResponse
from werkzeug.exceptions import HTTPException, NotFound

from app.plumbing.errors import error_page, handle_http_exception, is_api_request
from app.web.blueprint import bp


@bp.get("/methodology")
def methodology() -> str:
    # Config-only page: no SQL, nothing worth caching.
    return render_template("methodology.html")


@bp.get("/favicon.ico")
def favicon() -> WerkzeugResponse:
    # Browsers ask for /favicon.ico whatever the <link rel=icon> says.
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.errorhandler(404)
def model_not_found(_error: Exception) -> Response:
    """Unknown model ids."""
    return error_page(
        404,
        "Model not found",
        "No model with that id is on the leaderboard. It may have been renamed "
        "or removed from chutes.ai.",
    )


@bp.app_errorhandler(404)
def page_not_found(error: NotFound) -> Response | HTTPException:
    """Unknown pages: the site's error page with words for people, not Werkzeug's stock
    text (app.plumbing.errors renders it, JSON under /api/)."""
    if is_api_request():
        return handle_http_exception(error)
    return handle_http_exception(
        NotFound(
            "There is no page at this address. The leaderboard, the methodology and the "
            "API documentation are linked above."
        )
    )
