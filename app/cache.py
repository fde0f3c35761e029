"""Response cache, keyed on the data version so a new scrape shows at once everywhere."""

import os

from flask import Flask, current_app, request
from flask_caching import Cache

from app.db import version_path

cache = Cache()


def init_app(app: Flask) -> None:
    cache.init_app(app)


def data_version() -> str:
    """An opaque token that changes whenever a scrape commits new data.

    A stat() of the version file, not a query: the cached hot path runs no SQL.
    The scraper replaces the file atomically, so its inode changes every time.
    """
    try:
        st = os.stat(version_path(current_app.config["DATABASE"]))
    except FileNotFoundError:
        return "none"
    return f"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"


def versioned_key(prefix: str) -> str:
    """A cache key for this request's path and query under the current data version."""
    args = "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))
    return f"{prefix}:{data_version()}:{request.path}?{args}"
