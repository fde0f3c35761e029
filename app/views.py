"""Server-rendered pages: the leaderboard, model pages, methodology."""

from flask import Blueprint

bp = Blueprint("views", __name__)
