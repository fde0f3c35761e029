"""Chutes TPS Leaderboard.

`create_app` (the factory: `flask --app app`, gunicorn's `app:create_app()`) is imported
on first use, so that `import app.scraping.run` (the scraper, the prober) loads no Flask.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> "Flask":
    """Build the app: defaults, then LEADERBOARD_* env vars, then test_config."""
    from app.factory import create_app as build

    return build(test_config)
