"""App-wide error responses: JSON under /api/, the site's error page elsewhere."""

import sqlite3

from flask import Flask, Response, current_app, render_template, request
from jinja2 import TemplateNotFound
from markupsafe import escape
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from app.db import connection
from app.plumbing.bodies import json_body

FALLBACK_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>{code} {title}</title>"
    "<h1>{code} {title}</h1><p>{message}</p><p><a href=/>Back to the leaderboard</a></p>"
)


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _html_page(code: int, title: str, message: str) -> str:
    try:
        return render_template("error.html", code=code, title=title, message=message)
    except TemplateNotFound:
        pass
    except Exception:
        # A broken error page must not turn a 404 into a 500: log it, serve the fallback.
        current_app.logger.exception("error.html failed to render")
    return FALLBACK_PAGE.format(code=code, title=escape(title), message=escape(message))


def handle_http_exception(exc: HTTPException) -> Response | HTTPException:
    """Every HTTP error, including the 500 Flask makes from an unhandled exception
    (Flask has already logged that one with its traceback)."""
    if exc.code is None:
        return exc
    code = exc.code
    title = exc.name
    message = exc.description or title
    # Keep meaningful headers such as Allow (405) or Retry-After; the body type is ours.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if is_api_request():
        data: dict = {"error": message, "status": code}
        parameter = getattr(exc, "parameter", None)
        if parameter:
            data["parameter"] = parameter
        return Response(json_body(data), code, headers, mimetype="application/json")
    return error_page(code, title, message, headers)


def error_page(
    code: int, title: str, message: str, headers: list[tuple[str, str]] | None = None
) -> Response:
    """The site's error page: a sentence for people, in the site's layout."""
    return Response(_html_page(code, title, message), code, headers, mimetype="text/html")


UNAVAILABLE = "The leaderboard's data is unavailable right now; try again soon."


def log_database_error(exc: sqlite3.DatabaseError) -> None:
    """One log line naming the file, what SQLite said, and what to do about it."""
    path = current_app.config["DATABASE"]
    current_app.logger.error(
        "database %s unavailable (%s: %s): if it is missing, run `flask --app app init-db`;"
        " if it is damaged, %s",
        path,
        type(exc).__name__,
        exc,
        connection.repair_advice(path),
    )


def handle_database_error(exc: sqlite3.DatabaseError) -> Response | HTTPException:
    """A missing, unreadable or corrupt database (before `init-db`, a bad path, a damaged
    file) is a 503, not a 500: the site is up, its data is not."""
    log_database_error(exc)
    return handle_http_exception(ServiceUnavailable(UNAVAILABLE))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    # DatabaseError covers OperationalError (missing file, no such table) and corruption
    # ("file is not a database", "database disk image is malformed").
    app.register_error_handler(sqlite3.DatabaseError, handle_database_error)
