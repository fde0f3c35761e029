"""The site's pages (blueprint `views`): the board, model pages, methodology.

Importing the page modules registers their routes on the blueprint.
"""

from app.web import board, compare, model_page, views
from app.web.blueprint import bp

__all__ = ["board", "bp", "compare", "model_page", "views"]
