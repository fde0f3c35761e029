"""The site's static pages: methodology, favicon and the 404 pages."""

import sqlite3

from flask import Response, current_app, redirect, render_template, url_for
from werkzeug import Response as WerkzeugResponse
from werkzeug.exceptions import HTTPException, NotFound

from app.db import flaskdb
from app.db import models as model_store
from app.plumbing.errors import error_page, handle_http_exception, is_api_request
from app.readmodel import probes_on
from app.web.blueprint import bp


@bp.get("/methodology")
def methodology() -> str:
    # Config only, plus one small read: whether our own probes are on, and for how many
    # models (their cost in tokens a day).
    on, per_day = probe_facts()
    return render_template("methodology.html", probes_on=on, probe_tokens_per_day=per_day)


def probe_facts() -> tuple[bool, int]:
    """(probes on, worst-case output tokens a day for the active catalogue)."""
    try:
        conn = flaskdb.get_db()
        if not probes_on(conn):
            return False, 0
        models = len(model_store.list_models(conn))
    except sqlite3.Error:
        return False, 0
    max_tokens = int(current_app.config["PROBE_MAX_TOKENS"])
    return True, min(models * max_tokens * 48, int(current_app.config["PROBE_DAILY_TOKENS"]))


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
