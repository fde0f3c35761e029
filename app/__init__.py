"""Chutes TPS Leaderboard: the Flask application factory."""

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import api, web
from app.config import DEFAULTS
from app.db import flaskdb
from app.plumbing import cache, errors, security
from app.plumbing.hotpath import HotPath

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then LEADERBOARD_* env vars, then test_config."""
    app = Flask(
        __name__,
        instance_path=os.path.join(PROJECT_ROOT, "instance"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("LEADERBOARD")
    if test_config is not None:
        app.config.from_mapping(test_config)
    database = str(app.config["DATABASE"])
    if not os.path.isabs(database):
        app.config["DATABASE"] = os.path.join(PROJECT_ROOT, database)

    # No redirects from "//x" to "/x": every route is flat, nginx already merges slashes,
    # and a redirect would echo a fuzzed path (newlines and all) into a Location header.
    app.url_map.merge_slashes = False
    flaskdb.init_app(app)
    cache.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    if app.config["PROXY_HOPS"]:
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config.get("HOT_PATH", True):
        # Outermost: a replayed answer skips ProxyFix too (app/plumbing/hotpath.py).
        app.wsgi_app = HotPath(app.wsgi_app, app.config["DATABASE"])
    return app
