"""The site's blueprint and the template helpers every page uses."""

from flask import Blueprint

from app.web import formatting
from app.web.assets import asset_url
from app.web.freshness import site_freshness

bp = Blueprint("views", __name__)
bp.add_app_template_global(asset_url, "asset_url")
bp.add_app_template_global(site_freshness, "site_freshness")
for _name, _filter in formatting.FILTERS.items():
    bp.add_app_template_filter(_filter, _name)
