"""The site's pages: the leaderboard, model pages, methodology (blueprint `views`)."""

from app.web.views import bp

__all__ = ["bp"]
