"""Upstream faults: whatever chutes.ai answers (errors, stalls, 429s, garbage, 100 MB), a run
that cannot get good data fails in bounds and keeps every figure.

Everything runs against the chutes.ai stand-in (tests/standin/) on 127.0.0.1. The
recurring assertion is SPEC §3's "nothing lost, ever": a run that cannot get good data
leaves models, daily_stats and meta exactly as they were.
"""

import re
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from app import clock
from app.db import connection
from app.db import models as model_store
from app.scraping.run import RunOutcome
from tests import helpers
from tests.clocks import WarpClock
from tests.conftest import new_app
from tests.dbstate import scrape_runs, snapshot
from tests.deploy_helpers import free_port
from tests.helpers import FAST_BOUNDED, history, ids_with_rows, model_row, shifted
from tests.standin import Dataset, UpstreamApp, make_row, make_upstream_app, serve

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
TODAY = datetime.now(UTC).date()
# Scrapes in these tests must be quick: no politeness delay, few and short retries.
scrape = partial(helpers.scrape, fast=FAST_BOUNDED)
scrape_env = partial(helpers.scrape_env, fast=FAST_BOUNDED)


def closed_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    return f"http://127.0.0.1:{free_port()}"


def assert_failed_and_unchanged(outcome: RunOutcome, db_path: str, before: dict, *fragments):
    """SPEC §3: a failed run says what and where, exits 1, and changes no figure."""
    assert outcome.status == "failed", outcome.message
    assert outcome.exit_code == 1
    for fragment in fragments:
        assert fragment in outcome.message, (fragment, outcome.message)
    assert snapshot(db_path) == before
    last = scrape_runs(db_path)[-1]
    assert (last["status"], last["message"]) == ("failed", outcome.message)


# --- upstream faults -------------------------------------------------------------------

BASE_DATASET = Dataset.synthetic(12, today=TODAY, seed=11)


@pytest.fixture(scope="module")
def shared_stand_in(serve_stand_in_for_module) -> tuple[UpstreamApp, str]:
    # One server for the module: stopping one costs ~0.5 s (its poll interval).
    return serve_stand_in_for_module(BASE_DATASET)


@pytest.fixture
def stand_in(shared_stand_in) -> tuple[UpstreamApp, str]:
    """The stand-in serving 12 synthetic models, threaded (stalls don't block others),
    healthy and with fresh request counts."""
    upstream_app, base = shared_stand_in
    upstream_app.faults.clear()
    upstream_app.dataset = BASE_DATASET
    upstream_app.reset_counts()
    return upstream_app, base


@pytest.fixture
def stored(db_path: str, stand_in) -> dict:
    """A database holding good scrapes from both sources; upstream then moves to new
    figures, so a faulty run that wrongly stored anything would show in the snapshot."""
    upstream_app, base = stand_in
    assert scrape(db_path, base, "html").status == "ok"
    assert scrape(db_path, base, "api").status == "ok"
    upstream_app.dataset = shifted(BASE_DATASET, 1)
    upstream_app.reset_counts()
    return snapshot(db_path)


# (source, fault path pattern, fault, config overrides, what the message must say)
FAULTS = [
    pytest.param(
        "api", "/v1/models", {"body": "html"}, {}, ["/v1/models", "not valid JSON"], id="api-html"
    ),
    pytest.param(
        "api", "/v1/models", {"body": "empty"}, {}, ["/v1/models", "empty"], id="api-no-models"
    ),
    pytest.param(
        "api",
        "/invocations/stats/llm",
        {"body": "empty"},
        {},
        ["/invocations/stats/llm", "[]"],
        id="api-stats-[]",
    ),
    pytest.param(
        "api",
        "/invocations/stats/llm",
        {"body": "truncated"},
        {},
        ["/invocations/stats/llm", "not valid JSON"],
        id="api-truncated",
    ),
    *[
        pytest.param(
            "api",
            "/invocations/stats/llm",
            {"status": status},
            {"HTTP_RETRIES": 1},
            ["/invocations/stats/llm", f"HTTP {status}"],
            id=f"api-{status}",
        )
        for status in (500, 502, 503)
    ],
    pytest.param(
        "html", "/app", {"status": 503}, {"HTTP_RETRIES": 1}, ["/app", "HTTP 503"], id="html-503"
    ),
    pytest.param(
        "html",
        "/app*",
        {"body": "no_script"},
        {},
        ["/app", "__data.json", "expected SvelteKit page data"],
        id="html-no-data-script",
    ),
    pytest.param(
        "html",
        "/app/chute/*",
        {"status": 500},
        {},
        ["all", "stats pages failed", "/app/chute/", "HTTP 500"],
        id="html-every-page-500",
    ),
    pytest.param("auto", "*", {"status": 502}, {}, ["/app", "HTTP 502"], id="auto-both-down"),
]


@pytest.mark.parametrize(("source", "pattern", "fault", "overrides", "fragments"), FAULTS)
def test_faulty_upstream_fails_the_run_and_keeps_every_figure(
    db_path, stand_in, stored, source, pattern, fault, overrides, fragments
):
    """Bad statuses and bad bodies: a failed run naming the URL and the fault; no figure moves."""
    upstream_app, base = stand_in
    upstream_app.faults.add(pattern, **fault)

    outcome = scrape(db_path, base, source, **overrides)

    assert_failed_and_unchanged(outcome, db_path, stored, *fragments)


@pytest.mark.parametrize("source", ["api", "html", "auto"])
def test_connection_refused_fails_fast(db_path, stored, source):
    """Nothing listening: every source fails at once, retries included, data kept."""
    dead = closed_url()
    started = time.monotonic()

    outcome = scrape(db_path, dead, source, HTTP_RETRIES=2, HTTP_BACKOFF=0.05)

    where = f"{dead}/app" if source != "api" else f"{dead}/v1/models"
    assert_failed_and_unchanged(outcome, db_path, stored, where, "ConnectionError")
    assert "refused" in outcome.message.lower()
    assert time.monotonic() - started < 5


def test_unresolvable_host_fails_fast(db_path, stored):
    """A name that does not resolve fails in well under a second here, data kept."""
    # .invalid never resolves (RFC 2606); locally that is an immediate NXDOMAIN.
    base = "http://nonexistent.invalid"
    started = time.monotonic()

    outcome = scrape(db_path, base, "auto", HTTP_RETRIES=1, HTTP_BACKOFF=0.05)

    assert_failed_and_unchanged(outcome, db_path, stored, "nonexistent.invalid/app")
    assert "resolve" in outcome.message.lower() or "name" in outcome.message.lower()
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("source", "path"), [("api", "/v1/models"), ("html", "/app")])
def test_stalled_read_times_out_with_bounded_retries(db_path, stand_in, stored, source, path):
    """An upstream that stops answering costs HTTP_TIMEOUT per try, not forever."""
    upstream_app, base = stand_in
    upstream_app.faults.add(path, delay=3)
    started = time.monotonic()

    outcome = scrape(db_path, base, source, HTTP_TIMEOUT=1, HTTP_RETRIES=1)

    elapsed = time.monotonic() - started
    assert_failed_and_unchanged(outcome, db_path, stored, path, "timed out")
    assert upstream_app.requests[path] == 2  # the try and one retry, each cut at 1 s
    assert 1.8 < elapsed < 5


def test_429_retry_after_is_honoured_then_the_run_fails_in_bounds(db_path, stand_in, stored):
    """Persistent 429: Retry-After waited between tries, then a bounded failure."""
    upstream_app, base = stand_in
    upstream_app.faults.add("/v1/models", status=429, retry_after=1)

    # On a WarpClock the waits take no wall time, but the scraper still asks for them.
    with clock.use(WarpClock()) as warp:
        started = warp.monotonic()
        outcome = scrape(db_path, base, "api", HTTP_RETRIES=2, HTTP_BACKOFF=0.05)
        elapsed = warp.monotonic() - started

    assert_failed_and_unchanged(outcome, db_path, stored, "/v1/models", "HTTP 429")
    assert upstream_app.requests["/v1/models"] == 3
    assert warp.slept == [1, 1]  # Retry-After: 1 honoured before each retry, not the backoff
    assert 1.9 < elapsed < 6  # two waits of Retry-After: 1, nothing much longer


def test_transient_429_is_retried_and_the_run_succeeds(db_path, stand_in, stored):
    """A brief 429 is absorbed by the retries: the run still stores data."""
    upstream_app, base = stand_in
    upstream_app.faults.add("/invocations/stats/llm", status=429, retry_after=1, times=2)

    with clock.use(WarpClock()) as warp:
        outcome = scrape(db_path, base, "api", HTTP_RETRIES=3, HTTP_BACKOFF=0.05)
    assert warp.slept == [1, 1]

    assert outcome.status == "ok", outcome.message
    assert upstream_app.requests["/invocations/stats/llm"] == 3
    assert snapshot(db_path) != stored  # the new figures landed


@pytest.mark.parametrize(
    "api_fault",
    [
        pytest.param({"status": 503}, id="api-503"),
        pytest.param({"body": "html"}, id="api-html"),
        pytest.param({"body": "empty"}, id="api-[]"),
    ],
)
def test_auto_falls_back_to_the_pages_and_stores_data(db_path, stand_in, stored, api_fault):
    """`auto`: when the JSON API fails, the web pages supply the run's data."""
    upstream_app, base = stand_in
    path = "/v1/models" if "status" in api_fault else "/invocations/stats/llm"
    upstream_app.faults.add(path, **api_fault)

    outcome = scrape(db_path, base, "auto")

    assert outcome.status == "partial", outcome.message
    assert outcome.source == "html" and outcome.exit_code == 0
    assert "API failed, used the web pages" in outcome.message and path in outcome.message
    assert scrape_runs(db_path)[-1]["source"] == "html"
    # The pages carried version 1's figures: every stored speed is now in 1000-1200.
    conn = connection.connect(db_path)
    speeds = [m["latest_tps"] for m in model_store.list_models(conn) if m["latest_tps"] is not None]
    conn.close()
    assert speeds and all(1000 < tps < 1300 for tps in speeds)


class OwnRowsUpstream(UpstreamApp):
    """The stand-in, except each stats page carries only its own chute's rows (how a
    narrower upstream would look), so a skipped page really leaves that model behind."""

    def _stats_page(self, chute: dict, mode: str):
        full = self.dataset
        self.dataset = replace(
            full, rows=[r for r in full.rows if r["chute_id"] == chute["chute_id"]]
        )
        try:
            return super()._stats_page(chute, mode)
        finally:
            self.dataset = full


def test_malformed_page_skips_that_model_only(db_path):
    """One broken stats page: that model keeps its old rows, the rest update."""
    upstream_app = OwnRowsUpstream(BASE_DATASET)
    victim = ids_with_rows(BASE_DATASET)[0]
    with serve(upstream_app) as base:
        # Models without stats have empty pages now: each is an error, but not a failure.
        first = scrape(db_path, base, "html", BATCH_SIZE=50)
        assert first.status == "partial", first.message
        before = history(db_path, victim)
        upstream_app.dataset = shifted(BASE_DATASET, 1)
        # The page's devalue literal is cut mid-value, and its __data.json twin is broken.
        upstream_app.faults.add(f"/app/chute/{victim}", body="malformed")
        upstream_app.faults.add(f"/app/chute/{victim}/__data.json", body="truncated")

        outcome = scrape(db_path, base, "html", BATCH_SIZE=50)

    assert outcome.status == "partial" and outcome.exit_code == 0
    [new_error] = set(outcome.errors) - set(first.errors)
    assert len(outcome.errors) == len(first.errors) + 1
    assert f"/app/chute/{victim}?tab=stats" in new_error and "__data.json" in new_error
    assert scrape_runs(db_path)[-1]["errors"] == len(outcome.errors)
    assert history(db_path, victim) == before  # old data kept, not wiped
    conn = connection.connect(db_path)
    others = [
        m for m in model_store.list_models(conn) if m["chute_id"] != victim and m["latest_tps"]
    ]
    conn.close()
    assert others and all(m["latest_tps"] > 1000 for m in others)  # everyone else moved on


def bad_values_dataset() -> tuple[Dataset, dict[str, dict]]:
    """BASE_DATASET with garbage in numeric fields of each of six models' newest row."""
    garbage = [
        {"average_tps": None, "average_ttft": None, "total_requests": None},
        {"average_tps": "fast", "average_ttft": "slow", "total_requests": "many"},
        {"average_tps": -5, "average_ttft": -0.5, "total_requests": -3},
        {"average_tps": 1e12, "average_ttft": 1e12, "total_output_tokens": 1e30},
        {"average_tps": True, "average_ttft": 0, "total_input_tokens": 2.5},
        {"average_tps": [], "average_ttft": {}, "total_requests": 10**20},
    ]
    rows = [dict(r) for r in BASE_DATASET.rows]
    victims: dict[str, dict] = {}
    for chute_id, bad in zip(ids_with_rows(BASE_DATASET), garbage, strict=False):
        newest = max((r for r in rows if r["chute_id"] == chute_id), key=lambda r: r["date"])
        newest.update(bad)
        victims[chute_id] = newest
    return replace(BASE_DATASET, rows=rows), victims


@pytest.mark.parametrize("source", ["api", "html"])
def test_garbage_numbers_are_stored_as_no_data(db_path, source):
    """null, strings, negatives, booleans, 1e12 in numeric fields: NULL, never a crash."""
    dataset, victims = bad_values_dataset()
    with serve(make_upstream_app(dataset)) as base:
        outcome = scrape(db_path, base, source)

    assert outcome.status == "ok", outcome.message
    conn = connection.connect(db_path)
    stored = {
        (r["chute_id"], r["date"]): dict(r)
        for r in conn.execute("SELECT * FROM daily_stats").fetchall()
    }
    models = {m["chute_id"]: m for m in model_store.list_models(conn)}
    conn.close()
    for chute_id, raw in victims.items():
        row = stored[(chute_id, raw["date"])]
        # Speeds: not a plain positive plausible number -> NULL, never 0 or the garbage.
        assert row["tps"] is None and row["ttft"] is None, (raw, row)
        for field, column in (
            ("total_requests", "requests"),
            ("total_input_tokens", "input_tokens"),
            ("total_output_tokens", "output_tokens"),
        ):
            if not isinstance(raw[field], int) or raw[field] < 0 or raw[field] > 10**15:
                assert row[column] is None, (field, raw, row)
        # The model's latest figures come from an earlier, real day instead.
        assert models[chute_id]["latest_date"] < raw["date"]
    for model in models.values():
        for field in ("latest_tps", "avg_7d", "avg_30d", "peak_tps"):
            assert model[field] is None or 0 < model[field] <= 200
    # And the site serves it.
    client = new_app({"DATABASE": db_path}).test_client()
    assert client.get("/api/models").status_code == 200
    assert client.get("/").status_code == 200


class UnfilteredStatsUpstream(UpstreamApp):
    """The stand-in, except the stats API ignores start_date/end_date (sends every row)."""

    def _stats(self, args, empty: bool):
        return super()._stats({}, empty)


@pytest.mark.parametrize("source", ["api", "html"])
def test_rows_dated_in_the_future_are_not_stored(db_path, source):
    """A row dated 2999-01-01 is a glitch, not the model's newest day."""
    chute_id = ids_with_rows(BASE_DATASET)[0]
    glitch = make_row(chute_id, "glitch", "2999-01-01", 5000, 10**6, 10**5, 199.0, 0.5)
    upstream_app = UnfilteredStatsUpstream(replace(BASE_DATASET, rows=[*BASE_DATASET.rows, glitch]))
    with serve(upstream_app) as base:
        assert scrape(db_path, base, source).status == "ok"

    # Kept, the row would make 2999-01-01 this model's "latest day" for good.
    model = model_row(db_path, chute_id)
    assert model["latest_date"] <= TODAY.isoformat()
    assert model["latest_tps"] != 199.0
    assert all(day["date"] <= TODAY.isoformat() for day in history(db_path, chute_id))


# --- an oversized answer, in a real scraper process ------------------------------------


# scrape.py reporting its peak memory as it exits. VmHWM is per address space, so it
# starts afresh at exec; getrusage's ru_maxrss would include the forked pytest parent.
MEASURED_SCRAPE = """
import atexit, re, runpy, sys
def report():
    status = open("/proc/self/status").read()
    sys.stderr.write("PEAK-KB " + re.search(r"VmHWM:\\s+(\\d+)", status).group(1) + "\\n")
atexit.register(report)
sys.argv = ["scrape.py", *sys.argv[1:]]
runpy.run_path("scrape.py", run_name="__main__")
"""


def run_measured(env: dict[str, str]) -> tuple[int, str, float]:
    """Run `scrape.py --source api`; (exit code, its log, its peak RSS in MB)."""
    done = subprocess.run(
        [PYTHON, "-c", MEASURED_SCRAPE, "--source", "api"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    peak = re.search(r"PEAK-KB (\d+)", done.stderr)
    assert peak, done.stderr
    return done.returncode, done.stderr, int(peak.group(1)) / 1024


@pytest.mark.slow
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_100mb_answer_is_capped_not_loaded(db_path, stand_in, stored, declared):
    """A 100 MB answer stops at HTTP_MAX_BYTES; the scraper's memory barely moves."""
    upstream_app, base = stand_in
    size, cap = 100 * 1024 * 1024, 8 * 1024 * 1024
    env = scrape_env(db_path, base, HTTP_MAX_BYTES=cap)
    # What a scraper process weighs when it gives up early: the yardstick.
    upstream_app.faults.add("/invocations/stats/llm", status=503, times=1)
    _, _, baseline_mb = run_measured(env)
    upstream_app.faults.clear()
    upstream_app.faults.add(
        "/invocations/stats/llm", body="oversized", size=size, declare_length=declared
    )
    started = time.monotonic()

    code, log, peak_mb = run_measured(env)

    assert code == 1, log
    assert "/invocations/stats/llm" in log and "exceeds the" in log
    if declared:
        assert f"body of {size} bytes exceeds the cap" in log  # refused before reading
    else:
        assert f"exceeds the {cap}-byte cap" in log  # read up to the cap, then stopped
    print(f"peak RSS {peak_mb:.0f} MB, baseline {baseline_mb:.0f} MB")
    # At most the 8 MB cap (plus slack) above the baseline; reading the whole body
    # would add 100 MB, and parsing it several times that.
    assert peak_mb < baseline_mb + 8 + 16, f"peak {peak_mb:.0f} MB, base {baseline_mb:.0f}"
    assert time.monotonic() - started < 20
    assert snapshot(db_path) == stored
    assert scrape_runs(db_path)[-1]["status"] == "failed"
