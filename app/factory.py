"""The Flask application factory (app.create_app imports it on first use)."""

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import api, web
from app.db import flaskdb
from app.plumbing import cache, converters, errors, security
from app.plumbing.hotpath import HotPath
from app.settings import PROJECT_ROOT, Settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then LEADERBOARD_* env vars, then test_config."""
    app = Flask(
        __name__,
        instance_path=os.path.join(PROJECT_ROOT, "instance"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
    )
    settings = Settings.load(test_config)
    # Flask's own keys (SECRET_KEY, TESTING, ...) from the environment and test_config as
    # Flask reads them; the leaderboard's settings coerced once, on top.
    app.config.from_prefixed_env("LEADERBOARD")
    app.config.from_mapping(test_config or {})
    app.config.from_mapping(settings.as_config())
    app.extensions["leaderboard.settings"] = settings

    # No redirects from "//x" to "/x": every route is flat, nginx already merges slashes,
    # and a redirect would echo a fuzzed path (newlines and all) into a Location header.
    app.url_map.merge_slashes = False
    flaskdb.init_app(app)
    cache.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    converters.init_app(app)
    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if settings.hot_path:
        # Outermost: a replayed answer skips ProxyFix too (app/plumbing/hotpath.py).
        app.wsgi_app = HotPath(app.wsgi_app, settings.database)  # type: ignore[method-assign]
    return app
