"""Cache-busting static URLs: /static/css/base.css?v=<content hash>.

nginx serves /static/ with long immutable caching, so a changed file must get a new URL.
The hash is computed once per file per process (files don't change under a running
server); in debug mode it is recomputed so edits show up on reload.
"""

import functools
import hashlib
import os

from flask import current_app, url_for


@functools.cache
def _digest(path: str) -> str:
    return _hash_file(path)


def _hash_file(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()[:10]
    except OSError:
        # A missing file still gets a URL (and a 404): never break the page over it.
        return "0"


def asset_url(filename: str) -> str:
    """The static URL of `filename` with a short content hash as ?v=."""
    path = os.path.join(current_app.static_folder or "", filename)
    version = _hash_file(path) if current_app.debug else _digest(path)
    return url_for("static", filename=filename, v=version)
