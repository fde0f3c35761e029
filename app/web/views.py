"""The site's static pages and its own 404."""

from flask import render_template

from app.ranking import OFTEN_RATE_LIMITED_SHARE
from app.web.blueprint import bp


@bp.get("/methodology")
def methodology() -> str:
    # Config-only page: no SQL, nothing worth caching.
    return render_template(
        "methodology.html", often_share_percent=round(OFTEN_RATE_LIMITED_SHARE * 100)
    )


@bp.errorhandler(404)
def not_found(_error: Exception) -> tuple[str, int]:
    """Unknown model ids (app-wide 404s/500s are app.errors' job)."""
    return (
        render_template(
            "error.html",
            code=404,
            title="Model not found",
            message="No model with that id is on the leaderboard. It may have been renamed "
            "or removed from chutes.ai.",
        ),
        404,
    )
