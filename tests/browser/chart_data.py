"""A catalogue whose charts crowd (defects 8 and 12): speed-for-price leaders close together
on the board's price chart, event marks where a model's TPS line runs along the top of its
chart, and models with only one or two days of history."""

import dataclasses
import math
import pathlib

from app.db import connection
from app.db import events as event_store
from app.db import files as db_files
from app.rows import CatalogueEntry, DailyRow
from app.scraping.events.types import NewEvent
from tests.browser.test_site import FAMILIES, daily_tps
from tests.seed import days_ago, seed, simple_model

# (output $/1M, TPS on every day): cheap-and-fast leaders a few pixels apart, so each
# leader's label lands on its neighbour's dot unless it is placed.
LEADERS = [
    (0.10, 40.0),
    (0.12, 46.0),
    (0.14, 52.0),
    (0.17, 58.0),
    (0.20, 66.0),
    (0.24, 70.0),
    (0.30, 78.0),
    (0.36, 88.0),
    (0.50, 97.0),
    (0.60, 104.0),
    (0.80, 120.0),
    (1.00, 128.0),
    (1.20, 135.0),
    (2.00, 160.0),
]
# The model whose page carries the marks: its line runs near its chart's top.
MARKED = "chute-lead-08"


def crowded_catalogue() -> tuple[list[CatalogueEntry], list[DailyRow]]:
    catalogue: list[CatalogueEntry] = []
    rows: list[DailyRow] = []
    for i, (price, tps) in enumerate(LEADERS):
        name = FAMILIES[i % len(FAMILIES)] + ("-FP8" if i >= len(FAMILIES) else "")
        # 30 days, the last one the leader's speed: a line that wanders to its top.
        days = {n: (daily_tps(tps, i, n) if n else tps, 600 + 37 * i) for n in range(30)}
        if f"chute-lead-{i:02d}" == MARKED:
            days = {n: (95.0 + 2 * math.sin(n), 800) for n in range(30)}
        entry, model_rows = simple_model(f"chute-lead-{i:02d}", name, days)
        catalogue.append(dataclasses.replace(entry, price_input=price / 4, price_output=price))
        rows += model_rows
    # Slower and dearer models: dots the leaders' labels must also keep off.
    for i in range(16):
        price = 0.1 * 1.25**i
        entry, model_rows = simple_model(
            f"chute-slow-{i:02d}",
            f"slow-org/Slow-{i}B",
            {n: (daily_tps(30 + 3 * i, i, n), 400) for n in range(1, 30)},
        )
        catalogue.append(dataclasses.replace(entry, price_output=round(price, 3)))
        rows += model_rows
    # New models: one and two days of history (a sparkline cannot be a line yet).
    for chute_id, days in (
        ("chute-new-1", {1: (70.0, 500)}),
        ("chute-new-2", {0: (64.0, 500), 1: (61.0, 500)}),
    ):
        entry, model_rows = simple_model(chute_id, f"new-org/{chute_id}", days)
        catalogue.append(entry)
        rows += model_rows
    return catalogue, rows


def seed_crowded(directory: pathlib.Path) -> str:
    """A database of the crowded catalogue plus events on MARKED's chart; returns its path."""
    path = str(directory / "crowded.sqlite3")
    connection.init_db(path)
    run_id = seed(path, *crowded_catalogue())
    name = {e.chute_id: e.name for e in crowded_catalogue()[0]}[MARKED]
    events = [
        ("price_change", 20, "price", {"old": 0.4, "new": 0.36}),
        ("speed_change", 12, "faster", {"change": 0.12}),
        ("rate_limited", 11, "limited", {}),
        ("model_added", 29, "added", {}),
    ]
    conn = connection.connect(path)
    with conn:
        for kind, ago, key, detail in events:
            event = NewEvent(kind, MARKED, name, f"{name}: {kind}", detail, f"{MARKED}-{key}")
            event_store.insert_events(conn, [event], days_ago(ago) + "T08:00:00+00:00")
    conn.close()
    db_files.bump_data_version(path, run_id + 1)
    return path
