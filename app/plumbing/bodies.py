"""Serialised bodies (API JSON/CSV, badges, the feed), cached per data version and served
with HTTP validators."""

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypedDict

from flask import Response
from werkzeug.http import http_date, quote_etag

from app.clock import parse_utc, seconds_to_utc_midnight, today_utc
from app.plumbing.cache import cache, data_version, make_conditional
from app.plumbing.hotpath import replayable

# What browsers and CDNs may do with an answer (SPEC §11, "Beyond one machine"). The data
# changes every 10 minutes: an API body is fresh for 5 minutes, a page for one (its
# "updated N min ago" line moves). Past that a CDN may keep serving its copy for
# another 10 minutes while it fetches a new one in the background
# (stale-while-revalidate), and for a day while the origin is down or erroring
# (stale-if-error): an old board beats an error page. nginx's own micro-cache ignores
# these and keeps its 5 s (deploy/nginx).
CDN_STALE = "stale-while-revalidate=600, stale-if-error=86400"
DATA_CACHE_CONTROL = f"public, max-age=300, {CDN_STALE}"
PAGE_CACHE_CONTROL = f"public, max-age=60, {CDN_STALE}"


def json_body(data: Any) -> bytes:
    """Compact UTF-8 JSON. Strings stay as they are: it's data, not HTML."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


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


def conditional_response(entry: Body) -> Response:
    """A 200 (or 304 for a matching If-None-Match / If-Modified-Since) for a cached body."""
    response = Response(entry["body"], mimetype=entry["mimetype"])
    response.headers.extend(_entry_headers(entry["etag"], entry["last_modified"]))
    # The body is a function of the data version and the UTC date (cached_body's key).
    replayable(seconds_to_utc_midnight())
    return make_conditional(response)


@functools.lru_cache(maxsize=512)
def _entry_headers(etag: str, last_modified: str | None) -> tuple[tuple[str, str], ...]:
    """The headers of a cached body, built once per body rather than once per request
    (the same values set_etag, the last_modified setter and vary.add produce)."""
    headers = [("ETag", quote_etag(etag))]
    moment = parse_utc(last_modified)
    if moment is not None:
        # HTTP dates have whole seconds; keeping microseconds would defeat If-Modified-Since.
        headers.append(("Last-Modified", http_date(moment.replace(microsecond=0))))
    headers += [
        ("Cache-Control", DATA_CACHE_CONTROL),
        # Public, read-only, no credentials: let other sites' scripts read it.
        # Vary: Accept-Encoding comes from app/plumbing/hotpath.py, which may answer gzipped
        # (nginx's gzip_vary adds none to an answer already encoded: one Vary in all).
        ("Access-Control-Allow-Origin", "*"),
    ]
    return tuple(headers)
