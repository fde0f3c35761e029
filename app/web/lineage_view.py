"""The model page's lineage and price parts (templates/_model_lineage.html, _model_prices.html).

Lineage: the chutes a model moved from and to (app.lineage), and one chart of daily TPS
with each chute's history as its own series: figures stay per chute, so the predecessor's
line is drawn apart (its own path, marker and dash), never joined to this one's.
"""

import sqlite3
from collections.abc import Mapping
from typing import Any

from app.db import models as model_store
from app.db import prices as price_store
from app.prices import PRICE_FIELDS, Price, changed_fields
from app.readmodel import lineage_as_shown
from app.web import charts, formatting
from app.web.overlay import MARKERS, marker_path, overlay


def model_extras(
    conn: sqlite3.Connection,
    model: dict,
    history: list[dict],
    today: str,
    overrides: Mapping[str, str | None],
) -> dict[str, Any]:
    """The template variables of the two parts: `lineage` and `price_history`."""
    return {
        "lineage": lineage_part(conn, model, history, today, overrides),
        "price_history": price_rows(price_store.price_history(conn, model["chute_id"])),
    }


def _span(history: list[dict]) -> tuple[str | None, str | None]:
    days = [h["date"] for h in history if h["tps"] is not None or h["requests"]]
    return (min(days), max(days)) if days else (None, None)


def lineage_part(
    conn: sqlite3.Connection,
    model: dict,
    history: list[dict],
    today: str,
    overrides: Mapping[str, str | None],
) -> dict[str, Any] | None:
    """This model's predecessors and successor with their names and the days their
    history covers, and the TPS chart of all of them; None when it has neither."""
    found = lineage_as_shown(conn, overrides).of(model["chute_id"])
    if not found["predecessors"] and not found["successor"]:
        return None

    def described(chute_id: str) -> dict[str, Any]:
        stored = model_store.get_model(conn, chute_id) or {"name": chute_id}
        rows = model_store.model_history(conn, chute_id)
        first, last = _span(rows)
        return {
            "chute_id": chute_id,
            "name": stored["name"],
            "first_day": first,
            "last_day": last,
            "history": rows,
        }

    predecessors = [described(cid) for cid in found["predecessors"]]
    successor = described(found["successor"]) if found["successor"] else None
    chart = None
    if predecessors:
        # The oldest chute first: series 0, 1, ... in time order, this one last; at most
        # the newest three predecessors, so that no two series share a style (overlay).
        chutes = [*predecessors[-(len(MARKERS) - 1) :], {"name": model["name"], "history": history}]
        series = [
            (
                f"{c['name']}" + (" (this chute)" if c is chutes[-1] else " (predecessor)"),
                [(h["date"], h["tps"]) for h in c["history"]],
            )
            for c in chutes
        ]
        days = [d for _, s in series for d, v in s if v is not None]
        if days:
            chart = overlay(
                series,
                min(days),
                max(max(days), today),
                value_format=lambda v: f"{formatting.tps(v)} tok/s",
                tick_format=charts.tick_label,
            )
    return {
        "predecessors": predecessors,
        "successor": successor,
        "chart": chart,
        "legend": [marker_path(shape, 17, 7, 3.5) for shape in MARKERS],
    }


def price_rows(rows: list[dict]) -> list[dict]:
    """The price history newest first, each row with the prices it changed (`changed`)."""
    shown = []
    before: Price | None = None
    for row in rows:
        price = Price(**{f: row[f] for f in PRICE_FIELDS})
        changed = set(changed_fields(before, price)) if before is not None else set()
        shown.append({**row, "changed": changed, "first": before is None})
        before = price
    return list(reversed(shown))
