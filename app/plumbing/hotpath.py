"""Whole responses replayed in front of Flask: the cached hit path without routing.

A view whose answer depends only on the URL and the data version (cached pages and API
bodies) marks its response with `replayable(seconds)`. This WSGI middleware keeps such
200 answers, status line, headers and bytes exactly as Flask produced them, and replays
them for the same URL while the data version is unchanged and the entry is younger than
`seconds` (pages hold their stale-badge and partial-day deadlines, API bodies the UTC
date). A hit costs two stat()s of the version files and a dict lookup: no request
context, routing, Response object, cache unpickling or header building, which were
most of a cached request's time (`make bench`: cached /api/models went from 0.7x to
above the bare-Flask baseline).

Compressed variants are kept too: a client (or nginx, which forwards a normalised
Accept-Encoding and keys its micro-cache on it) that accepts gzip gets the body gzipped
once per entry, with a weak ETag as nginx's own gzip would give it; nginx's gzip filter
leaves an answer that is already encoded alone, so micro-cache hits send stored bytes
instead of compressing ~100 KB of HTML on every request.

Anything else goes through Flask untouched: other methods (HEAD included), requests with
validators or ranges (Flask answers 304/412/206), unmarked views (/api/health) and
non-200 answers. Per worker, bounded in entries and bytes (on top of the response
cache's own budget, so small), cleared whenever the data version changes; like nginx's
proxy_cache_min_uses 2, a URL is stored on its second miss only, so a flood of one-off
searches never fills it.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import request

from app import clock
from app.db import files as db_files
from app.plumbing.cache import CONDITIONAL_HEADERS

ENVIRON_KEY = "leaderboard.replayable"
MAX_ENTRIES = 256
MAX_BYTES = 8 * 1024 * 1024
# URLs seen once (for the second-miss rule), remembered by hash, oldest forgotten first.
MAX_SEEN = 4096
# What a replayed answer may differ in: the server adds a fresh Date itself (gunicorn and
# werkzeug always do), so a stored one would be stale and doubled.
DROPPED_HEADERS = frozenset({"date"})
# The request's identity. Host and forwarding headers are in it although no answer uses
# them today, so one never could leak across hosts. Accept picks /feed.atom's media type
# (app/web/feed.py); behind nginx it reaches the app only for that URL (one value).
KEY_FIELDS = (
    "HTTP_ACCEPT",
    "PATH_INFO",
    "QUERY_STRING",
    "SCRIPT_NAME",
    "HTTP_HOST",
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PREFIX",
)

# Worth compressing (what nginx's gzip_types lists), from GZIP_MIN_LENGTH bytes on.
COMPRESSIBLE = re.compile(
    r"text/|application/(json|javascript|manifest\+json)|image/svg\+xml", re.IGNORECASE
)
GZIP_MIN_LENGTH = 256
GZIP_LEVEL = 6
# "gzip" as a coding in Accept-Encoding, unless refused with q=0.
ACCEPTS_GZIP = re.compile(r"(?:^|,)\s*(?:gzip|\*)\s*(?:,|$|;\s*q=(?!0(?:\.0*)?\s*(?:,|$)))", re.I)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def replayable(seconds: float) -> None:
    """Mark the current request's answer as replayable for `seconds` (at most), as long
    as the data version stays the same. Called by views, inside a request."""
    if seconds > 0:
        request.environ[ENVIRON_KEY] = seconds


class HotPath:
    """WSGI middleware: replay marked 200 answers (see the module docstring)."""

    def __init__(self, wsgi_app: WSGIApp, database: str) -> None:
        self.wsgi_app = wsgi_app
        self.database = database
        # key -> make_entry()
        self.entries: dict[tuple, list] = {}
        self.size = 0
        self.seen: dict[int, None] = {}
        self.version: db_files.Version | None = None
        self.lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or any(
            name in environ for name in CONDITIONAL_HEADERS
        ):
            return self.wsgi_app(environ, start_response)
        version = db_files.data_version(self.database)
        key = (version, *(environ.get(name) for name in KEY_FIELDS))
        entry = self.entries.get(key)
        if entry is not None and entry[0] > clock.monotonic():
            return self.replay(environ, start_response, entry, stored=True)
        return self.through(environ, start_response, key, version)

    def replay(
        self, environ: Environ, start_response: StartResponse, entry: list, *, stored: bool
    ) -> list[bytes]:
        if entry[4] and ACCEPTS_GZIP.search(environ.get("HTTP_ACCEPT_ENCODING", "")):
            variant = entry[5]
            if variant is None:
                variant = entry[5] = gzipped(entry[2], entry[3])
                if stored:
                    self.size += len(variant[1])  # approximate: outside the lock
            headers, body = variant
        else:
            headers, body = entry[2], entry[3]
        start_response(entry[1], list(headers))
        return [body]

    def through(
        self, environ: Environ, start_response: StartResponse, key: tuple, version: tuple
    ) -> Iterable[bytes]:
        """A miss: Flask answers; a marked 200 is stored on the way out."""
        seen: list = []

        # start_response is held back until the answer is known not to be stored: a
        # stored one may go out gzipped, with other headers. (WSGI allows calling it any
        # time before the first body bytes are returned.)
        def capture(status: str, headers: list[tuple[str, str]], exc_info=None):
            seen[:] = [status, headers, exc_info]
            return refuse_write

        result = self.wsgi_app(environ, capture)
        seconds = environ.get(ENVIRON_KEY)
        if not seconds or not seen or not seen[0].startswith("200 "):
            if seen:
                start_response(*seen)
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        entry = make_entry(clock.monotonic() + seconds, seen[0], seen[1], body)
        stored = self.second_miss(key)
        if stored:
            self.store(key, version, entry)
        return self.replay(environ, start_response, entry, stored=stored)

    def second_miss(self, key: tuple) -> bool:
        """False the first time a URL misses (it is remembered), True after that."""
        token = hash(key[1:])  # the URL, whatever the data version
        with self.lock:
            if token in self.seen:
                return True
            self.seen[token] = None
            if len(self.seen) > MAX_SEEN:
                del self.seen[next(iter(self.seen))]
            return False

    def store(self, key: tuple, version: tuple, entry: list) -> None:
        body = entry[3]
        if len(body) > MAX_BYTES // 8:
            return  # a few huge answers must not evict everything else
        with self.lock:
            if version != self.version:
                # New data: every entry is now unreachable.
                self.entries.clear()
                self.size = 0
                self.version = version
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= entry_size(old)
            while self.entries and (
                len(self.entries) >= MAX_ENTRIES or self.size + len(body) > MAX_BYTES
            ):
                # Oldest first (dicts keep insertion order).
                evicted = self.entries.pop(next(iter(self.entries)))
                self.size -= entry_size(evicted)
            self.entries[key] = entry
            self.size += len(body)


def entry_size(entry: list) -> int:
    return len(entry[3]) + (len(entry[5][1]) if entry[5] is not None else 0)


def refuse_write(data: bytes) -> None:
    # The legacy write() callable: Flask never uses it.
    raise RuntimeError("write() is not supported behind the hot path")


def make_entry(expires: float, status: str, headers: list[tuple[str, str]], body: bytes) -> list:
    """[expires (monotonic), status, headers, body, compressible, (headers, body)
    gzipped or None until first asked for]. A compressible answer's headers say it
    varies on Accept-Encoding, in both variants."""
    kept = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
    content_type = next((v for k, v in kept if k.lower() == "content-type"), "")
    compressible = len(body) >= GZIP_MIN_LENGTH and bool(COMPRESSIBLE.match(content_type))
    if compressible:
        kept = with_vary(kept, "Accept-Encoding")
    return [expires, status, kept, body, compressible, None]


def with_vary(headers: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    """The headers saying they vary on `name` too, in one Vary header (the feed's already
    varies on Accept; two Vary lines confuse caches and the nginx tests count them)."""
    for index, (key, value) in enumerate(headers):
        if key.lower() == "vary":
            if name.lower() in value.lower():
                return headers
            return [*headers[:index], (key, f"{value}, {name}"), *headers[index + 1 :]]
    return [*headers, ("Vary", name)]


def gzipped(headers: list[tuple[str, str]], body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """The gzip variant: mtime 0, so it is the same bytes in every worker."""
    data = gzip.compress(body, GZIP_LEVEL, mtime=0)
    out = []
    for name, value in headers:
        lname = name.lower()
        if lname == "content-length":
            value = str(len(data))
        elif lname == "etag" and not value.startswith("W/"):
            # Other bytes, same meaning: a weak validator (what nginx's gzip does), which
            # If-None-Match still matches (weak comparison) for a 304 from Flask.
            value = "W/" + value
        out.append((name, value))
    out.append(("Content-Encoding", "gzip"))
    return out, data
