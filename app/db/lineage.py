"""The catalogue rows lineage is computed from (app.lineage): every model ever seen."""

import sqlite3

from app.lineage import Listed


def listed_models(conn: sqlite3.Connection) -> list[Listed]:
    """Every model, departed ones included: a row a model, four small columns."""
    rows = conn.execute("SELECT chute_id, name, active, first_seen FROM models")
    return [Listed(r["chute_id"], r["name"], bool(r["active"]), r["first_seen"]) for r in rows]
