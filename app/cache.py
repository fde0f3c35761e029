"""Response cache, keyed on the data version so a new scrape shows at once everywhere."""

import os

from flask import Flask, current_app
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
