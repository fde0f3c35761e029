"""The site's blueprint and the template helpers every page uses."""

from flask import Blueprint

from app import methodology
from app.web import formatting
from app.web.assets import asset_url
from app.web.freshness import site_freshness

bp = Blueprint("views", __name__)
bp.add_app_template_global(asset_url, "asset_url")
bp.add_app_template_global(site_freshness, "site_freshness")
# The methodology's numbers, for templates that state them ("20 % or more ...").
bp.record_once(lambda state: state.app.jinja_env.globals.update(methodology=methodology))
for _name, _filter in formatting.FILTERS.items():
    bp.add_app_template_filter(_filter, _name)
