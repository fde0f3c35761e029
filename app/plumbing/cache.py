"""Response cache, keyed on the data version so a new scrape or probe run shows at once
everywhere."""

from collections.abc import Iterable
from urllib.parse import urlencode

from flask import Flask, Response, current_app, request
from flask_caching import Cache
from werkzeug.http import http_date

from app.db import files as db_files

cache = Cache()

# Request headers that can make Response.make_conditional() answer 304/412/206 (it reads
# the first three; the rest are listed to stay on its path whenever in doubt).
CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)


def init_app(app: Flask) -> None:
    cache.init_app(app)


def data_version() -> str:
    """An opaque token that changes whenever a scrape or a probe run commits (app.db.files)."""
    version = db_files.data_version(current_app.config["DATABASE"])
    if version == db_files.NO_VERSION:
        return "none"
    return "-".join(f"{part:x}" for part in version)


def query_key(pairs: Iterable[tuple[str, str]]) -> str:
    """An unambiguous, order-independent encoding of query parameters.

    Every name and value is percent-encoded, so a value holding `&` or `=` can never
    read as a second parameter: `q=a%26sort%3Dname` and `q=a&sort=name` differ.
    """
    return urlencode(sorted(pairs))


def versioned_key(prefix: str) -> str:
    """A cache key for this request's path and query under the current data version."""
    args = query_key(request.args.items(multi=True))
    return f"{prefix}:{data_version()}:{request.path}?{args}"


def make_conditional(response: Response) -> Response:
    """`response.make_conditional(request)`, minus its date parsing when nothing asks.

    Without validators in the request make_conditional only adds a Date header, yet it
    parses the response's Last-Modified back on every call; cached hits are mostly
    such requests, so add the Date directly.
    """
    environ = request.environ
    if any(name in environ for name in CONDITIONAL_HEADERS):
        response.make_conditional(request)  # in place; it returns the same object
        return response
    if "Date" not in response.headers:
        response.headers["Date"] = http_date()
    return response
