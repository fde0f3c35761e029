"""What every page shares: the versioned page cache and the data's freshness."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Response, current_app, make_response, request
from werkzeug.http import generate_etag

from app import db
from app.cache import cache, make_conditional, query_key, versioned_key
from app.hotpath import replayable
from app.web import formatting

Page = tuple[str, float]  # rendered HTML, seconds it stays true without a new scrape


def serve_cached(render: Callable[[], Page], *, vary_on_host: bool = False) -> Response:
    """Serve a page from the cache, keyed on path, args and the data version.

    A hit runs no SQL: the key costs one stat() of the version file. Pages that depend on
    the clock (stale badge, partial day) say how long they stay true, and are cached no
    longer than that. Pages holding absolute URLs vary on the host they were asked on.
    """
    # The entry is the encoded page and its ETag: a hit neither re-encodes nor re-hashes
    # ~100 KB of HTML (that was most of a cached request's time).
    prefix = "page"
    if vary_on_host:
        prefix += "@" + query_key([("host", request.host_url)])  # no ":" left in it
    key = versioned_key(prefix)
    entry = cache.get(key)
    if entry is None:
        html, ttl = render()
        body = html.encode()
        limit = current_app.config.get("CACHE_DEFAULT_TIMEOUT") or 300
        timeout = max(1, int(min(ttl, limit)))
        # What Response.add_etag() would compute, and until when the page holds.
        entry = (body, generate_etag(body), time.time() + timeout)
        cache.set(key, entry, timeout=timeout)
    body, etag, holds_until = entry
    # The hot path (app/hotpath.py) may replay this answer until then.
    replayable(holds_until - time.time())
    response = make_response(body)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.set_etag(etag)
    return make_conditional(response)


def seconds_to_midnight(now: datetime) -> float:
    """When today's "partial day" flags stop being true."""
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return (tomorrow - now).total_seconds()


def freshness(conn, now: datetime) -> dict:
    """Last good scrape, whether it is stale (older than 2x the interval), that threshold in
    seconds (for the page's JavaScript to re-check after a refresh), and for how long the
    answer holds."""
    interval = float(current_app.config["SCRAPE_INTERVAL"])
    good = db.last_run(conn, good_only=True)
    finished = formatting.parse_utc(good["finished_at"]) if good else None
    stale, holds_for = False, float("inf")
    if finished is not None:
        stale_at = finished + timedelta(seconds=2 * interval)
        stale = now >= stale_at
        if not stale:
            holds_for = (stale_at - now).total_seconds()
    return {
        "last_good": good["finished_at"] if good else None,
        "stale": stale,
        "age": formatting.ago((now - finished).total_seconds()) if finished else None,
        "holds_for": holds_for,
        "stale_after": round(2 * interval),
    }
