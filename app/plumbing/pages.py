"""Rendered pages, cached per data version and URL, served with validators (the page
side of the response cache; app/plumbing/bodies.py is the API and badge side)."""

import ctypes
import ctypes.util
from collections.abc import Callable
from datetime import datetime

from flask import Response, current_app, make_response, request
from werkzeug.http import generate_etag

from app import clock
from app.plumbing.bodies import PAGE_CACHE_CONTROL
from app.plumbing.cache import cache, make_conditional, query_key, versioned_key
from app.plumbing.hotpath import replayable

Page = tuple[str, float]  # rendered HTML, seconds it stays true without a new scrape


def _malloc_trim() -> Callable[[], None]:
    """glibc's malloc_trim(0), or a no-op where there is none (musl, macOS)."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    return lambda: trim(0)


# Rendering a 300-model board allocates a few MB of short-lived strings; the long-lived
# cache entry stored after it pins the top of glibc's heap, so the freed pages are never
# returned and a flood of distinct searches ratchets a worker past SPEC §8's ~80 MB
# (measured: 94 MB without this, 64 MB with it). Trimming after a miss costs ~10 us.
release_freed_memory = _malloc_trim()


def serve_cached(
    render: Callable[[], Page], *, vary_on_host: bool = False, prefix: str = "page"
) -> Response:
    """Serve a page from the cache, keyed on path, args and the data version.

    A hit runs no SQL: the key costs a stat() of each version file. Pages that depend on
    the clock (stale badge, partial day) say how long they stay true, and are cached no
    longer than that. Pages holding absolute URLs vary on the host they were asked on;
    a URL with another representation (the feed's Atom) names its page by `prefix`.
    """
    # The entry is the encoded page and its ETag: a hit neither re-encodes nor re-hashes
    # ~100 KB of HTML (that was most of a cached request's time).
    if vary_on_host:
        prefix += "@" + query_key([("host", request.host_url)])  # no ":" left in it
    key = versioned_key(prefix)
    entry = cache.get(key)
    if entry is None:
        html, ttl = render()
        body = html.encode()
        limit = current_app.config["CACHE_DEFAULT_TIMEOUT"]
        timeout = max(1, int(min(ttl, limit)))
        # What Response.add_etag() would compute, and until when the page holds.
        entry = (body, generate_etag(body), clock.now().timestamp() + timeout)
        cache.set(key, entry, timeout=timeout)
        release_freed_memory()
    body, etag, holds_until = entry
    # The hot path (app/plumbing/hotpath.py) may replay this answer until then.
    replayable(holds_until - clock.now().timestamp())
    response = make_response(body)
    response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    response.set_etag(etag)
    return make_conditional(response)


def page_lifetime(fresh: dict, now: datetime) -> float:
    """Seconds a page stays true without a new scrape: until its freshness line changes
    ("3 min ago", stale) or the UTC day does (its partial-day flags)."""
    return min(fresh["holds_for"], clock.seconds_to_utc_midnight(now))
