"""Every run ends by itself (issue 8, SPEC §3): a hard deadline per request, its retries,
waits and whole body included (HTTP_REQUEST_DEADLINE), and for the run (RUN_BUDGET).

The chutes.ai stand-in on loopback misbehaves slowly: a stats answer trickling in a byte
at a time, a server slower than the read timeout, 429s asking to wait.
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.dbstate import scrape_runs, snapshot
from tests.helpers import timed_scrape
from tests.standin import Dataset, UpstreamApp, serve

ROOT = Path(__file__).resolve().parents[2]
FAST = {"REQUEST_DELAY": 0, "HTTP_BACKOFF": 0, "LOCK_WAIT": 0.3, "HTTP_CONNECT_TIMEOUT": 2}
STATS = "/invocations/stats/llm"


class Trickle:
    """WSGI middleware: the stats answer is a 200 whose body arrives a byte every
    `every` seconds for `lasting` seconds (then the real answer never comes)."""

    def __init__(self, app: UpstreamApp, every: float = 0.5, lasting: float = 20.0) -> None:
        self.app, self.every, self.lasting = app, every, lasting

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] != STATS:
            return self.app(environ, start_response)
        start_response("200 OK", [("Content-Type", "application/json")])
        return self.drip()

    def drip(self) -> Iterator[bytes]:
        yield b"["
        end = time.monotonic() + self.lasting
        while time.monotonic() < end:
            time.sleep(self.every)
            yield b" "


@pytest.fixture
def upstream() -> UpstreamApp:
    return UpstreamApp(Dataset.synthetic(4, days=8, seed=4))


# (RunOutcome, seconds) of one run with FAST (retries left at the app's default).
scrape = partial(timed_scrape, fast=FAST)


def test_a_trickling_answer_cannot_outlast_the_run_budget(upstream, db_path):
    with serve(upstream) as base:
        assert scrape(db_path, base)[0].status == "ok"
    before = snapshot(db_path)
    with serve(Trickle(upstream)) as base:  # type: ignore[arg-type]
        outcome, took = scrape(db_path, base, RUN_BUDGET=3, HTTP_TIMEOUT=10, HTTP_RETRIES=0)
    assert took < 6, f"the run took {took:.1f} s with RUN_BUDGET=3"
    assert outcome.status == "failed" and outcome.exit_code != 0
    assert "RUN_BUDGET" in outcome.message and "body still arriving" in outcome.message
    assert snapshot(db_path) == before
    assert scrape_runs(db_path)[-1]["status"] == "failed"
    assert "RUN_BUDGET" in scrape_runs(db_path)[-1]["message"]


def test_a_trickling_answer_cannot_outlast_the_request_deadline(upstream, db_path):
    with serve(Trickle(upstream)) as base:  # type: ignore[arg-type]
        outcome, took = scrape(db_path, base, HTTP_REQUEST_DEADLINE=2, HTTP_RETRIES=0)
    assert took < 5, f"the run took {took:.1f} s with HTTP_REQUEST_DEADLINE=2"
    assert outcome.status == "failed"
    assert "HTTP_REQUEST_DEADLINE" in outcome.message


def test_a_slow_server_costs_one_request_deadline_not_every_retry(upstream, db_path):
    # Each attempt outlasts the 1.5 s read timeout; five retries would take ~9 s.
    upstream.faults.add(STATS, delay=2.5)
    with serve(upstream) as base:
        outcome, took = scrape(
            db_path, base, HTTP_TIMEOUT=1.5, HTTP_RETRIES=5, HTTP_REQUEST_DEADLINE=3
        )
    assert took < 5, f"one request took {took:.1f} s with HTTP_REQUEST_DEADLINE=3"
    assert outcome.status == "failed"
    assert "timed out" in outcome.message or "deadline" in outcome.message


def test_retry_after_waits_stop_at_the_request_deadline(upstream, db_path):
    upstream.faults.add(STATS, status=429, retry_after=2)
    with serve(upstream) as base:
        outcome, took = scrape(
            db_path, base, HTTP_RETRIES=5, HTTP_MAX_RETRY_AFTER=30, HTTP_REQUEST_DEADLINE=3
        )
    assert took < 4.5, f"429s cost {took:.1f} s with HTTP_REQUEST_DEADLINE=3"
    assert outcome.status == "failed"
    assert "deadline" in outcome.message and "429" in outcome.message
    assert upstream.requests[STATS] == 2  # asked, waited 2 s, asked again, then gave up


def test_retries_within_the_deadline_still_happen(upstream, db_path):
    upstream.faults.add(STATS, status=503, times=2)
    with serve(upstream) as base:
        outcome, _ = scrape(db_path, base, HTTP_RETRIES=3, HTTP_REQUEST_DEADLINE=10)
    assert outcome.status == "ok", outcome.message
    # The last 30 days asked 3 times (then the month before, once: the first run's backfill).
    recent = [r for r in upstream.log if r.path == STATS]
    assert len({r.query for r in recent[:3]}) == 1 and len(recent) == 4


def test_scrape_py_ends_by_itself_and_records_the_failure(upstream, db_path):
    env = {**os.environ, "LEADERBOARD_DATABASE": db_path, "LEADERBOARD_RUN_BUDGET": "3"}
    env.update({f"LEADERBOARD_{key}": str(value) for key, value in FAST.items()})
    with serve(Trickle(upstream)) as base:  # type: ignore[arg-type]
        for key in ("API_URL", "LLM_URL", "WEB_URL"):
            env[f"LEADERBOARD_{key}"] = base
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "scrape.py", "--source", "api"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        took = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert took < 10, f"scrape.py took {took:.1f} s with RUN_BUDGET=3"
    assert [run["status"] for run in scrape_runs(db_path)] == ["failed"]
    assert "RUN_BUDGET" in scrape_runs(db_path)[0]["message"]
