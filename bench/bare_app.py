"""The serving baseline: a bare Flask app answering `/` and `/api/models` with constant
bodies (copies of the real app's answers, read once from $BENCH_BARE_DIR at start-up).

Run under the same gunicorn settings as the real app, its requests/s is the ceiling that
Flask + gunicorn allow on this machine; the benchmark reports the app as a ratio to it.
"""

import os
from pathlib import Path

from flask import Flask, Response

BODIES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/api/models": ("models.json", "application/json"),
}


def create_app() -> Flask:
    """gunicorn entry point: `bench.bare_app:create_app()`."""
    folder = Path(os.environ["BENCH_BARE_DIR"])
    app = Flask(__name__)
    for path, (filename, mimetype) in BODIES.items():
        body = (folder / filename).read_bytes()
        # Bind body and mimetype now: each route gets its own constant.
        app.add_url_rule(
            path,
            endpoint=filename,
            view_func=lambda body=body, mimetype=mimetype: Response(body, mimetype=mimetype),
        )
    return app
