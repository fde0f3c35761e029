"""The site's pages (blueprint `views`): the board, model pages, methodology.

Importing the page modules registers their routes on the blueprint.
"""

from app.web import badge, board, compare, feed, model_page, views
from app.web.blueprint import bp

__all__ = ["badge", "board", "bp", "compare", "feed", "model_page", "views"]
