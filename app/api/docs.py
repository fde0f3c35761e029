"""GET /api: the API documented for people, rendered from the same OpenAPI document as
/api/openapi.json (SPEC §6)."""

from flask import render_template

from app.api.openapi import document
from app.api.routes import bp


@bp.get("", provide_automatic_options=False)
def docs() -> str:
    return render_template("api.html", spec=document())
