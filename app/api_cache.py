"""Serialised API bodies, cached per data version and served with HTTP validators."""

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypedDict

from flask import Response, request

from app.cache import cache, data_version
from app.leaderboard import today_utc

DATA_CACHE_CONTROL = "public, max-age=300"


class Body(TypedDict):
    """What the cache holds: plain data, never a Response object."""

    body: bytes
    mimetype: str
    etag: str
    last_modified: str | None


def make_body(data: bytes, mimetype: str, last_modified: str | None) -> Body:
    """A body with its strong ETag (a hash of the bytes)."""
    etag = hashlib.sha256(data).hexdigest()[:32]
    return {"body": data, "mimetype": mimetype, "etag": etag, "last_modified": last_modified}


def cached_body(name: str, build: Callable[[], Body]) -> Body:
    """The body called `name` for the current data version; `build` (SQL) runs on a miss.

    The version is read before building, so an entry is never older than its key.
    Today's date is in the key too: partial_day flips at UTC midnight without a scrape.
    """
    key = f"api:{data_version()}:{today_utc()}:{name}"
    entry = cache.get(key)
    if entry is None:
        entry = build()
        cache.set(key, entry)
    return entry


def parse_utc(text: str | None) -> datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime (naive means UTC); None if bad."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def conditional_response(entry: Body) -> Response:
    """A 200 (or 304 for a matching If-None-Match / If-Modified-Since) for a cached body."""
    response = Response(entry["body"], mimetype=entry["mimetype"])
    response.set_etag(entry["etag"])
    last_modified = parse_utc(entry["last_modified"])
    if last_modified is not None:
        # HTTP dates have whole seconds; keeping microseconds would defeat If-Modified-Since.
        response.last_modified = last_modified.replace(microsecond=0)
    response.headers["Cache-Control"] = DATA_CACHE_CONTROL
    # Public, read-only, no credentials: let other sites' scripts read it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Encoding")
    return response.make_conditional(request)
