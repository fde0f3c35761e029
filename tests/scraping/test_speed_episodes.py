"""Issue 17 item 3: one speed_change per episode (SPEC §5), end to end.

Upstream revises its recent days: a revision that moves the episode's first day (the day
that crossed the 20 % line falls back under it, the next day crosses it) is the same step,
not a second one. The real scraper against the loopback stand-in, a real SQLite file, the
clock seam set to each run's moment.
"""

import sqlite3
from datetime import UTC, date, datetime, timedelta

from app import clock
from tests.clocks import ManualClock
from tests.helpers import scrape
from tests.standin import Dataset, make_chute, make_model_entry, make_row, serve
from tests.standin.app import UpstreamApp

DAY = date(2026, 10, 20)  # the first run's UTC day
CHUTE = "eeeeeeee-0000-4000-8000-000000000005"
NAME = "org/Stepping-70B"


def rows(speeds: dict[date, float], requests: int = 1000) -> list[dict]:
    return [
        make_row(CHUTE, NAME, day, requests, requests * 900, requests * 300, tps, 0.8)
        for day, tps in speeds.items()
    ]


def upstream_on(day: date, speeds: dict[date, float]) -> Dataset:
    # Today is a thin partial day with no say in any window.
    today = rows({day: 100.0}, requests=20)
    return Dataset(
        models=[make_model_entry(NAME, CHUTE)],
        chutes=[make_chute(NAME, CHUTE)],
        rows=rows(speeds) + today,
    )


def scrape_on(db_path: str, base: str, day: date) -> None:
    moment = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
    with clock.use(ManualClock(moment)):
        outcome = scrape(db_path, base)
    # Partial at most: the stand-in's capacity snapshots are of the real now, not this day.
    assert outcome.status in ("ok", "partial") and "daily rows" in outcome.message, outcome.message


def speed_events(db_path: str) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "SELECT summary, json_extract(detail, '$.direction') FROM events"
            " WHERE kind = 'speed_change' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def test_an_upstream_revision_of_the_step_announces_it_once(db_path):
    # Days -20..-2 at 100 tok/s, day -1 at 247: one step, 21 % faster.
    speeds = {DAY - timedelta(days=back): 100.0 for back in range(2, 21)}
    speeds[DAY - timedelta(days=1)] = 247.0
    upstream = UpstreamApp(upstream_on(DAY, speeds))
    with serve(upstream) as base:
        scrape_on(db_path, base, DAY)
        [(first, direction)] = speed_events(db_path)
        assert direction == "faster" and "21% faster" in first

        # The next day upstream revises day -1 to 230 (under the line on its own) and
        # reports 150 for the day after: 26 % over the week, the same step.
        speeds[DAY - timedelta(days=1)] = 230.0
        speeds[DAY] = 150.0
        upstream.dataset = upstream_on(DAY + timedelta(days=1), speeds)
        scrape_on(db_path, base, DAY + timedelta(days=1))
        assert speed_events(db_path) == [(first, "faster")]

        # A slowdown is a new episode (the direction flipped): announced at once.
        later = DAY + timedelta(days=2)
        speeds.update({DAY - timedelta(days=back): 60.0 for back in range(-1, 7)})
        upstream.dataset = upstream_on(later, speeds)
        scrape_on(db_path, base, later)
        assert [d for _, d in speed_events(db_path)] == ["faster", "slower"]
