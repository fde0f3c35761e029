"""Issue 17 item 9: the first scrape into an empty database asks for a year (SPEC §10).

Month-sized requests, newest first, inside the run's budget; later runs ask for the last
30 days + today as before. The real scraper against the loopback stand-in, real SQLite
files, the clock seam set to the run's moment.
"""

import itertools
import sqlite3
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs

from app import clock
from app.scraping.sources.api import BACKFILL_DAYS, backfill_windows
from tests.clocks import ManualClock
from tests.helpers import scrape
from tests.standin import Dataset, serve
from tests.standin.app import UpstreamApp

TODAY = date(2026, 10, 20)
NOON = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
STATS = "/invocations/stats/llm"


def stats_windows(upstream: UpstreamApp) -> list[tuple[str, str]]:
    asked = [parse_qs(r.query) for r in upstream.log if r.path == STATS]
    return [(q["start_date"][0], q["end_date"][0]) for q in asked]


def stored_days(db_path: str) -> tuple[str, str, int]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT min(date), max(date), count(*) FROM daily_stats").fetchone()
    finally:
        conn.close()


def run_at(db_path: str, base: str, moment: datetime = NOON, **settings):
    with clock.use(ManualClock(moment)):
        return scrape(db_path, base, **settings)


def test_the_windows_are_month_sized_and_cover_the_year_without_gaps():
    windows = backfill_windows(TODAY - timedelta(days=30), TODAY)
    assert windows[0][1] == TODAY - timedelta(days=31)
    assert windows[-1][0] == TODAY - timedelta(days=BACKFILL_DAYS)
    for (start, _), (_, older_end) in itertools.pairwise(windows):
        assert older_end == start - timedelta(days=1)
    assert all((end - start).days + 1 <= 31 for start, end in windows)


def test_a_first_scrape_fetches_a_year_and_later_runs_the_last_30_days(db_path):
    upstream = UpstreamApp(Dataset.synthetic(6, days=400, today=TODAY, seed=9))
    with serve(upstream) as base:
        outcome = run_at(db_path, base)
        assert outcome.status in ("ok", "partial") and "backfill" not in outcome.message
        windows = stats_windows(upstream)
        assert windows[0] == ((TODAY - timedelta(days=30)).isoformat(), TODAY.isoformat())
        assert windows[1:] == [
            (start.isoformat(), end.isoformat())
            for start, end in backfill_windows(TODAY - timedelta(days=30), TODAY)
        ]
        oldest, newest, _ = stored_days(db_path)
        assert oldest == (TODAY - timedelta(days=BACKFILL_DAYS)).isoformat()
        assert newest == TODAY.isoformat()

        upstream.reset_counts()
        run_at(db_path, base, NOON + timedelta(minutes=10))
        assert stats_windows(upstream) == [
            ((TODAY - timedelta(days=30)).isoformat(), TODAY.isoformat())
        ]


def test_history_ends_where_upstream_has_none(db_path):
    # Upstream holds 50 days: the month before them answers [] and the backfill stops
    # there, without an error.
    upstream = UpstreamApp(Dataset.synthetic(4, days=50, today=TODAY, seed=2))
    with serve(upstream) as base:
        outcome = run_at(db_path, base)
    assert "backfill" not in outcome.message, outcome.message
    assert len(stats_windows(upstream)) == 3  # recent, one month with rows, one empty
    assert stored_days(db_path)[0] == (TODAY - timedelta(days=49)).isoformat()


class FailingMonth(UpstreamApp):
    """The stand-in, answering 500 to the third stats request (the second older month)."""

    def handle(self, request):
        if request.path == STATS and len(stats_windows(self)) == 2:
            self.faults.add(STATS, status=500, times=1)
        return super().handle(request)


class SlowStats(UpstreamApp):
    """The stand-in, each stats answer taking `seconds` on the run's (manual) clock."""

    def __init__(self, dataset: Dataset, run_clock: ManualClock, seconds: float) -> None:
        super().__init__(dataset)
        self.run_clock, self.seconds = run_clock, seconds

    def handle(self, request):
        if request.path == STATS:
            self.run_clock.advance(self.seconds)
        return super().handle(request)


def test_a_failing_older_month_keeps_the_recent_data_and_says_so(db_path):
    upstream = FailingMonth(Dataset.synthetic(4, days=400, today=TODAY, seed=2))
    with serve(upstream) as base:
        outcome = run_at(db_path, base)
    assert outcome.status == "partial", outcome.message
    assert "history backfill stopped before" in outcome.message
    assert "HTTP 500" in outcome.message or "500" in outcome.message
    oldest, newest, _ = stored_days(db_path)
    # The recent window and the first older month are stored; no older month is asked.
    assert newest == TODAY.isoformat()
    assert oldest == (TODAY - timedelta(days=30 + 31)).isoformat()
    assert len(stats_windows(upstream)) == 3


def test_the_backfill_stays_inside_the_run_budget(db_path):
    # Each stats answer takes 40 s: with RUN_BUDGET 300 and a 60 s request deadline, the
    # backfill stops once less than 60 s are left, and the run still ends in its budget.
    run_clock = ManualClock(NOON)
    upstream = SlowStats(Dataset.synthetic(4, days=400, today=TODAY, seed=2), run_clock, 40)
    with serve(upstream) as base, clock.use(run_clock):
        started = run_clock.monotonic()
        outcome = scrape(db_path, base, RUN_BUDGET=300, HTTP_REQUEST_DEADLINE=60)
        took = run_clock.monotonic() - started
    assert outcome.status == "partial", outcome.message
    assert "history backfill stopped before" in outcome.message and "RUN_BUDGET" in outcome.message
    assert len(stats_windows(upstream)) == 7 and took <= 300
    oldest, newest, _ = stored_days(db_path)
    assert newest == TODAY.isoformat()
    assert oldest == (TODAY - timedelta(days=30 + 6 * 31)).isoformat()
