"""Reliability: upstream faults, concurrent readers and writers, kills, bad requests, drift.

Everything runs against the chutes.ai stand-in (tests/standin/) on 127.0.0.1. The
recurring assertion is SPEC §3's "nothing lost, ever": a run that cannot get good data
leaves models, daily_stats and meta exactly as they were.
"""

import contextlib
import copy
import itertools
import json
import os
import queue
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app, db
from app.scraping.run import RunOutcome, run_scrape
from tests.dbstate import scrape_runs, snapshot
from tests.seed import seed, simple_model
from tests.standin import Dataset, UpstreamApp, UtilizationFeed, make_row, make_upstream_app, serve

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TODAY = datetime.now(UTC).date()

# Scrapes in these tests must be quick: no politeness delay, few and short retries.
FAST = {
    "REQUEST_DELAY": 0,
    "HTTP_RETRIES": 0,
    "HTTP_BACKOFF": 0,
    "HTTP_TIMEOUT": 5,
    "HTTP_CONNECT_TIMEOUT": 2,
    "LOCK_WAIT": 0.3,
}


# --- helpers ---------------------------------------------------------------------------


def shifted(dataset: Dataset, version: int) -> Dataset:
    """The same models with every real TPS moved up by 1000 x version.

    Synthetic speeds lie in 10-200 tok/s, so `figure // 1000` names the data version a
    stored or served figure came from (and stays under MAX_PLAUSIBLE_TPS).
    """
    rows = []
    for row in dataset.rows:
        tps = row["average_tps"]
        rows.append({**row, "average_tps": tps + 1000 * version} if tps else row)
    return replace(dataset, rows=rows)


def edited(
    dataset: Dataset, *, rename: dict[str, str] | None = None, drop: set[str] | None = None
) -> Dataset:
    """A copy of `dataset` with models renamed (by chute_id) or gone from the catalogue."""
    rename, drop = rename or {}, drop or set()
    models = [copy.deepcopy(m) for m in dataset.models if m["chute_id"] not in drop]
    chutes = [copy.deepcopy(c) for c in dataset.chutes if c["chute_id"] not in drop]
    rows = [dict(r) for r in dataset.rows]
    for model in models:
        model["id"] = rename.get(model["chute_id"], model["id"])
    for chute in chutes:
        chute["name"] = rename.get(chute["chute_id"], chute["name"])
    for row in rows:
        row["name"] = rename.get(row["chute_id"], row["name"])
    return replace(dataset, models=models, chutes=chutes, rows=rows)


def ids_with_rows(dataset: Dataset) -> list[str]:
    """Catalogue models that have at least one row with speed data, in catalogue order."""
    with_speed = {r["chute_id"] for r in dataset.rows if r["average_tps"]}
    return [m["chute_id"] for m in dataset.models if m["chute_id"] in with_speed]


def scrape_config(db_path: str, base: str, **overrides: Any) -> dict[str, Any]:
    """The app's config with all three chutes.ai URLs at `base`."""
    settings_ = {
        "TESTING": True,
        "DATABASE": db_path,
        "API_URL": base,
        "LLM_URL": base,
        "WEB_URL": base,
        **FAST,
        **overrides,
    }
    return dict(create_app(settings_).config)


def scrape(db_path: str, base: str, source: str, **overrides: Any) -> RunOutcome:
    """One in-process run of the real scraper."""
    return run_scrape(scrape_config(db_path, base, **overrides), source=source)


def scrape_env(db_path: str, base: str, **overrides: Any) -> dict[str, str]:
    """Environment for a `scrape.py` subprocess (LEADERBOARD_* as the timer would set)."""
    env = {**os.environ, "LEADERBOARD_DATABASE": db_path}
    for key, value in {**FAST, "API_URL": base, "LLM_URL": base, "WEB_URL": base}.items():
        env[f"LEADERBOARD_{key}"] = str(value)
    for key, value in overrides.items():
        env[f"LEADERBOARD_{key}"] = str(value)
    return env


def history(db_path: str, chute_id: str) -> list[dict]:
    conn = db.connect(db_path)
    try:
        return db.model_history(conn, chute_id)
    finally:
        conn.close()


def model_row(db_path: str, chute_id: str) -> dict | None:
    conn = db.connect(db_path)
    try:
        return db.get_model(conn, chute_id)
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
def shared_stand_in() -> Iterator[tuple[UpstreamApp, str]]:
    # One server for the module: stopping one costs ~0.5 s (its poll interval).
    upstream_app = make_upstream_app(BASE_DATASET)
    with serve(upstream_app) as base:
        yield upstream_app, base


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
    started = time.monotonic()

    outcome = scrape(db_path, base, "api", HTTP_RETRIES=2, HTTP_BACKOFF=0.05)

    elapsed = time.monotonic() - started
    assert_failed_and_unchanged(outcome, db_path, stored, "/v1/models", "HTTP 429")
    assert upstream_app.requests["/v1/models"] == 3
    assert 1.9 < elapsed < 6  # two waits of Retry-After: 1, nothing much longer
    stamps = [r.at for r in upstream_app.log if r.path == "/v1/models"]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(stamps))


def test_transient_429_is_retried_and_the_run_succeeds(db_path, stand_in, stored):
    """A brief 429 is absorbed by the retries: the run still stores data."""
    upstream_app, base = stand_in
    upstream_app.faults.add("/invocations/stats/llm", status=429, retry_after=1, times=2)

    outcome = scrape(db_path, base, "api", HTTP_RETRIES=3, HTTP_BACKOFF=0.05)

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
    conn = db.connect(db_path)
    speeds = [m["latest_tps"] for m in db.list_models(conn) if m["latest_tps"] is not None]
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
    conn = db.connect(db_path)
    others = [m for m in db.list_models(conn) if m["chute_id"] != victim and m["latest_tps"]]
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
    conn = db.connect(db_path)
    stored = {
        (r["chute_id"], r["date"]): dict(r)
        for r in conn.execute("SELECT * FROM daily_stats").fetchall()
    }
    models = {m["chute_id"]: m for m in db.list_models(conn)}
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
    client = create_app({"TESTING": True, "DATABASE": db_path}).test_client()
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


# --- concurrency: real gunicorn, readers under load, scrapes landing ---------------------


@contextlib.contextmanager
def gunicorn(db_path: str, log_path: Path) -> Iterator[str]:
    """gunicorn with deploy/gunicorn.conf.py and 2 workers on a loopback port."""
    port = free_port()
    env = {
        **os.environ,
        "LEADERBOARD_DATABASE": db_path,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_LOGLEVEL": "warning",
    }
    gunicorn_bin = str(Path(PYTHON).with_name("gunicorn"))
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [gunicorn_bin, "-c", "deploy/gunicorn.conf.py", "-w", "2", "app:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                with urllib.request.urlopen(f"{base}/api/models", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def versions_in(models: list[dict]) -> set[int]:
    """The data versions (see `shifted`) the figures of one /api/models answer come from."""
    found = set()
    for model in models:
        for field in ("latest_tps", "avg_7d", "avg_30d", "peak_tps"):
            if model[field] is not None:
                found.add(int(model[field] // 1000))
    return found


@pytest.mark.slow
def test_gunicorn_serves_complete_snapshots_while_scrapes_land(db_path, tmp_path):
    """2 gunicorn workers under load while 4 scrapes land: only 2xx, no locks, no torn data."""
    dataset = Dataset.synthetic(40, today=TODAY, seed=5)
    versions = [shifted(dataset, k) for k in range(5)]
    upstream_app = make_upstream_app(versions[0])
    problems: list[str] = []
    seen: list[int] = []
    counts = {"api": 0, "page": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def load(base: str, worker: int) -> None:
        # Bounded: at most 30 s and 5000 requests per thread, whatever happens.
        deadline = time.monotonic() + 30
        for i in range(5000):
            if stop.is_set() or time.monotonic() > deadline:
                return
            path = "/api/models" if (i + worker) % 3 else "/"
            status, body = fetch(base + path)
            if not 200 <= status < 300:
                problems.append(f"{path}: HTTP {status}: {body[:200]!r}")
            if b"database is locked" in body:
                problems.append(f"{path}: database is locked")
            if path == "/api/models":
                with lock:
                    counts["api"] += 1
                try:
                    models = json.loads(body)
                except ValueError:
                    problems.append(f"not JSON: {body[:200]!r}")
                    continue
                found = versions_in(models)
                if len(found) != 1 or len(models) != len(dataset.models):
                    problems.append(f"mixed or partial snapshot: {found}, {len(models)} models")
                seen.extend(found)
            else:
                with lock:
                    counts["page"] += 1

    with serve(upstream_app) as upstream_base:
        env = scrape_env(db_path, upstream_base)
        first = subprocess.run(
            [PYTHON, "scrape.py", "--source", "api"], cwd=ROOT, env=env, capture_output=True
        )
        assert first.returncode == 0, first.stderr
        scrape_logs = []
        with gunicorn(db_path, tmp_path / "gunicorn.log") as site:
            threads = [threading.Thread(target=load, args=(site, n)) for n in range(4)]
            for thread in threads:
                thread.start()
            try:
                started = time.monotonic()
                for k in range(1, 5):
                    upstream_app.dataset = versions[k]
                    source = "api" if k % 2 else "html"
                    done = subprocess.run(
                        [PYTHON, "scrape.py", "--source", source],
                        cwd=ROOT,
                        env=env,
                        capture_output=True,
                        text=True,
                        timeout=60,
                    )
                    scrape_logs.append(done.stderr)
                    assert done.returncode == 0, done.stderr
                # Keep the load on for at least ~4 s in all.
                time.sleep(max(0.0, 4 - (time.monotonic() - started)))
            finally:
                stop.set()
                for thread in threads:
                    thread.join(40)
            # Every worker sees the last scrape at once.
            for _ in range(4):
                status, body = fetch(site + "/api/models")
                assert status == 200 and versions_in(json.loads(body)) == {4}
        gunicorn_log = (tmp_path / "gunicorn.log").read_text()

    print(f"load: {counts}, versions seen {sorted(set(seen))}")
    assert not problems, problems[:10]
    assert counts["api"] > 50 and counts["page"] > 20, counts
    assert set(seen) >= {0, 4}  # the readers really watched the data change
    for text in [gunicorn_log, *scrape_logs]:
        assert "database is locked" not in text
    assert "Traceback" not in gunicorn_log and "[ERROR]" not in gunicorn_log, gunicorn_log
    assert [r["status"] for r in scrape_runs(db_path)] == ["ok"] * 5


@pytest.mark.slow
def test_two_scrapes_at_once_one_runs_the_other_exits_cleanly(db_path):
    """Timer and manual run together: one scrapes, the other exits 0 and says why."""
    upstream_app = make_upstream_app(BASE_DATASET)
    # The catalogue answers slowly, so the first run holds the lock for ~1.5 s.
    upstream_app.faults.add("/v1/models", delay=1.5)
    with serve(upstream_app) as base:
        env = scrape_env(db_path, base, LOCK_WAIT=0.3)
        procs = [
            subprocess.Popen(
                [PYTHON, "scrape.py", "--source", "api"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        try:
            logs = [proc.communicate(timeout=30)[1] for proc in procs]
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()

    assert [proc.returncode for proc in procs] == [0, 0], logs
    assert sum("another scrape is running" in log for log in logs) == 1, logs
    assert sorted(r["status"] for r in scrape_runs(db_path)) == ["ok", "skipped"]
    assert upstream_app.requests["/v1/models"] == 1  # the skipped run fetched nothing


# --- crash safety: SIGKILL at random points ----------------------------------------------

# scrape.py with the write bracketed by markers on stderr, so a test can tell where a
# kill landed. Only observation is added; the code under test is unchanged.
MARKED_SCRAPE = """
import runpy, sys
from app import db
store_scrape = db.store_scrape
def marked(*args, **kwargs):
    sys.stderr.write("WRITE-BEGIN\\n"); sys.stderr.flush()
    run_id = store_scrape(*args, **kwargs)
    sys.stderr.write("WRITE-END\\n"); sys.stderr.flush()
    return run_id
db.store_scrape = marked
sys.argv = ["scrape.py", *sys.argv[1:]]
runpy.run_path("scrape.py", run_name="__main__")
"""
# Columns that record *when* rather than *what*: they differ between two equal runs.
CLOCK_COLUMNS = {"scraped_at", "updated_at", "first_seen"}


def figures_only(db_path: str) -> dict[str, list[tuple]]:
    """snapshot() without the clock columns, to compare with a reference run's result."""
    conn = sqlite3.connect(db_path)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(models)")]
    finally:
        conn.close()
    keep = [i for i, name in enumerate(columns) if name not in CLOCK_COLUMNS]
    snap = snapshot(db_path)
    snap["models"] = [tuple(row[i] for i in keep) for row in snap["models"]]
    return snap


def copy_database(src: str, dst: str) -> None:
    """A consistent copy through SQLite's backup API (WAL content included)."""
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def integrity(db_path: str) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def kill_scrape_at_random(env: dict[str, str], rng: random.Random, in_write: bool) -> dict:
    """Start a marked scrape and SIGKILL it: after a random 0-1.5 s, or (in_write) a
    random moment just after its write began. Returns what the markers showed."""
    proc = subprocess.Popen(
        [PYTHON, "-c", MARKED_SCRAPE, "--source", "api"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines: queue.Queue[bytes] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True)
    reader.start()
    log: list[bytes] = []
    try:
        if in_write:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and proc.poll() is None:
                with contextlib.suppress(queue.Empty):
                    line = lines.get(timeout=0.05)
                    log.append(line)
                    if line.startswith(b"WRITE-BEGIN"):
                        break
            time.sleep(rng.uniform(0, 0.03))  # the write takes ~20-40 ms here
        else:
            time.sleep(rng.uniform(0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
        proc.wait(10)
    reader.join(5)
    proc.stderr.close()
    while not lines.empty():
        log.append(lines.get())
    text = b"".join(log).decode(errors="replace")
    return {
        "began": "WRITE-BEGIN" in text,
        "ended": "WRITE-END" in text,
        "completed": proc.returncode == 0,
        "killed": proc.returncode == -signal.SIGKILL,
    }


@pytest.mark.slow
def test_sigkill_at_random_points_leaves_previous_or_next_state(tmp_path, db_path):
    """SIGKILL anywhere, inside the write too: the old state or the new one, never a mix."""
    seed_ = int(os.environ.get("RELIABILITY_SEED", random.randrange(10**6)))
    rng = random.Random(seed_)
    print(f"kill schedule seed {seed_} (RELIABILITY_SEED to replay)")
    # ~300 models x 31 days (~8000 rows), so the single write takes long enough to hit.
    dataset = Dataset.synthetic(300, days=31, today=TODAY, seed=3)
    upstream_app = make_upstream_app(dataset)
    # One capacity snapshot throughout, so the reference run and the killed run see the same.
    upstream_app.utilization = UtilizationFeed(datetime.now(UTC).replace(tzinfo=None))
    reference = str(tmp_path / "reference.sqlite3")
    tally = dict.fromkeys(
        ["runs", "inside_write", "inside_write_rolled_back", "before_write", "after_commit"], 0
    )
    with serve(upstream_app) as base:
        env = scrape_env(db_path, base)
        assert scrape(db_path, base, "api").status == "ok"
        for run in range(20):
            upstream_app.dataset = shifted(dataset, run + 1)
            # The next complete state: the same scrape, unkilled, on a copy.
            before = snapshot(db_path)
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(reference + suffix)
            copy_database(db_path, reference)
            assert scrape(reference, base, "api").status == "ok"
            after_complete = figures_only(reference)
            # A slow catalogue spreads the run over ~0.8 s so random kills land
            # everywhere: starting up, fetching, parsing, writing, or after it exited.
            upstream_app.faults.add("/invocations/stats/llm", delay=0.4)
            result = kill_scrape_at_random(env, rng, in_write=run % 2 == 1)
            upstream_app.faults.clear()

            assert integrity(db_path) == "ok"
            now = snapshot(db_path)
            if now == before:
                assert not result["completed"], "a finished run changed nothing"
            else:
                assert figures_only(db_path) == after_complete, f"run {run}: torn state"
            tally["runs"] += 1
            if result["began"] and not result["ended"] and result["killed"]:
                # Killed inside the write: before COMMIT nothing shows (rolled back on
                # the next open); a kill between COMMIT and the marker shows it all.
                tally["inside_write"] += 1
                tally["inside_write_rolled_back"] += now == before
            elif not result["began"]:
                tally["before_write"] += 1
                assert now == before
            else:
                tally["after_commit"] += 1
                assert figures_only(db_path) == after_complete
        # The lock and the database are fine for the next timer run.
        assert scrape(db_path, base, "api").status == "ok"
    print(f"kills: {tally}")
    (tmp_path / "kills.json").write_text(json.dumps(tally))
    assert tally["inside_write"] >= 1, tally


# --- bad requests: every path and parameter, fuzzed ---------------------------------------

FUZZ_IDS = ["fast", "slow", "nodata"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("fuzz") / "leaderboard.sqlite3")
    db.init_db(path)
    models = [
        simple_model("fast", "Fast Model", {1: (120.0, 5000), 2: (100.0, 5000)}),
        simple_model("slow", "Slow <b>Model</b>", {0: (20.0, 50)}),
        simple_model("nodata", "No Data", {}),
    ]
    seed(path, [m for m, _ in models], [r for _, rows in models for r in rows])
    return create_app({"TESTING": True, "DATABASE": path})


JUNK = ["%", "%%", "%zz", "%00", "%ff%fe", "%E2%80", "..", "%2e%2e", "\x00", "é", "💥", "a" * 5000]
SEGMENT = st.one_of(
    st.sampled_from([*FUZZ_IDS, *JUNK, "", "models", "api", "static", "x.csv"]),
    st.text(max_size=40).map(lambda s: urllib.parse.quote(s, safe="")),
)
KNOWN_PATH = st.sampled_from(
    [
        "/",
        "/methodology",
        "/api/models",
        "/api/models.csv",
        "/api/health",
        "/api/openapi.json",
        "/api",
        "/api/",
        *[f"/models/{i}" for i in FUZZ_IDS],
        *[f"/api/models/{i}" for i in FUZZ_IDS],
    ]
)
# The real routes (weighted up, so the query fuzzing reaches the validators), ids that
# may or may not exist, and paths that are anything at all.
PATH = st.one_of(
    KNOWN_PATH,
    KNOWN_PATH,
    KNOWN_PATH,
    SEGMENT.map(lambda s: f"/models/{s}"),
    SEGMENT.map(lambda s: f"/api/models/{s}"),
    st.lists(SEGMENT, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts)),
    st.lists(SEGMENT, min_size=1, max_size=3).map(lambda parts: "/api/" + "/".join(parts)),
)
NAME = st.one_of(
    st.sampled_from(["sort", "order", "q", "limit", "SORT", "q[]", "", "utm_source"]),
    st.text(max_size=10),
)
VALUE = st.one_of(
    st.sampled_from(
        ["tps", "name", "peak", "asc", "desc", "1", "0", "1000", "1001", "-1", "1e3", "٣"]
    ),
    st.sampled_from(JUNK),
    st.text(max_size=300),
    st.integers(min_value=0, max_value=200_000).map(lambda n: "x" * n),  # huge
)


def encode_pair(name: str, value: str, raw: bool) -> str:
    if raw:  # sent as-is: stray %, NULs, raw unicode
        return f"{name}={value}"
    return urllib.parse.urlencode({name: value})


QUERY = st.lists(st.tuples(NAME, VALUE, st.booleans()), max_size=6).map(
    lambda pairs: "&".join(encode_pair(*p) for p in pairs)
)


def raw_get(app, path: str, query: str):
    """GET as gunicorn would pass it on: PATH_INFO percent-decoded, QUERY_STRING raw,
    both as WSGI latin-1 strings (the test client's URL parsing would reject e.g. "//x")."""
    environ = {
        "PATH_INFO": urllib.parse.unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query.encode("utf-8", "surrogatepass").decode("latin-1"),
        "REQUEST_URI": f"{path}?{query}",
    }
    return app.test_client().get("/", environ_overrides=environ)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(path=PATH, query=QUERY, repeat=st.booleans())
def test_fuzzed_paths_and_queries_never_500(fuzz_app, path, query, repeat):
    """Any path, any query string: never a 500; /api errors are JSON 4xx."""
    if repeat and query:
        query = f"{query}&{query}"  # every parameter repeated
    response = raw_get(fuzz_app, path, query)

    assert response.status_code < 500, (path, query[:200], response.data[:300])
    # Werkzeug routes on the percent-decoded path with leading slashes folded into one:
    # "/%61pi/x" and "//api/x" are API paths too.
    routed = "/" + urllib.parse.unquote_to_bytes(path).decode("latin-1").lstrip("/")
    if routed == "/api" or routed.startswith("/api/"):
        if response.status_code >= 400:
            assert response.mimetype == "application/json", (path, response.data[:200])
            body = response.get_json()
            assert body["status"] == response.status_code and body["error"]
        elif routed == "/api":  # the API's documentation for people (SPEC §6): HTML
            assert response.mimetype == "text/html"
        elif not path.endswith(".csv"):
            json.loads(response.data)
    elif response.status_code >= 400:
        assert response.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/api//models", "/api//models%0Ax", "/models//x%0D%0Ay"])
def test_doubled_slashes_are_not_redirected(fuzz_app, path):
    """Found by the fuzz: werkzeug's slash-merging redirect echoed a newline into
    Location (a 500) and answered /api paths with HTML. Now such paths are plain 404s."""
    response = raw_get(fuzz_app, path, "")
    assert response.status_code == 404
    assert "Location" not in response.headers
    expected = "application/json" if path.startswith("/api/") else "text/html"
    assert response.mimetype == expected


def test_schemathesis_finds_nothing_in_the_openapi_contract(fuzz_app):
    """Schemathesis (if installed) drives every documented operation from
    /api/openapi.json, with valid and invalid inputs, and checks each answer against it."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/models", "/api/models/{chute_id}"}
    checked = 0
    for operation in operations:
        for mode in GenerationMode:

            @settings(
                max_examples=60,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                # Schemathesis' WSGI transport asks for gzip but, unlike an HTTP client,
                # does not decode it; the app's gzip variants are tests/plumbing/test_hotpath.py's.
                case.call_and_validate(headers={"Accept-Encoding": "identity"})

            try:
                check()
            except Unsatisfiable:
                # Nothing to make invalid (no parameters): only positive cases exist.
                assert mode is GenerationMode.NEGATIVE
                assert not operation.query and not operation.path_parameters
            checked += 1
    assert checked == 2 * len(operations)


# --- data drift: renames, departures, returns ---------------------------------------------


def site_listing(db_path: str) -> tuple[list[str], str]:
    """The chute_ids /api/models lists and the HTML of /, as a fresh worker serves them."""
    client = create_app({"TESTING": True, "DATABASE": db_path}).test_client()
    listed = [m["chute_id"] for m in client.get("/api/models").get_json()]
    return listed, client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("source", ["api", "html"])
def test_renamed_departed_and_returning_models_keep_their_history(db_path, source):
    """Rename, leave, return: one row per chute_id, its history never lost."""
    renamed_id, gone_id = ids_with_rows(BASE_DATASET)[:2]
    new_name = "acme/Renamed-Model-9000B-TEE"
    upstream_app = make_upstream_app(BASE_DATASET)
    options = {"BATCH_SIZE": 50}
    with serve(upstream_app) as base:
        assert scrape(db_path, base, source, **options).status == "ok"
        renamed_history = history(db_path, renamed_id)
        gone_history = history(db_path, gone_id)
        gone_before = model_row(db_path, gone_id)
        assert renamed_history and gone_history

        # Upstream renames one model (same chute_id) and drops another.
        upstream_app.dataset = edited(BASE_DATASET, rename={renamed_id: new_name}, drop={gone_id})
        assert scrape(db_path, base, source, **options).status == "ok"

        renamed = model_row(db_path, renamed_id)
        assert renamed["name"] == new_name and renamed["active"] == 1
        assert history(db_path, renamed_id) == renamed_history
        gone = model_row(db_path, gone_id)
        assert gone["active"] == 0
        assert history(db_path, gone_id) == gone_history
        assert gone["latest_tps"] == gone_before["latest_tps"]
        listed, page = site_listing(db_path)
        assert renamed_id in listed and gone_id not in listed
        assert new_name in page and gone_id not in page
        assert re.search(re.escape(gone_before["name"]), page) is None
        client = create_app({"TESTING": True, "DATABASE": db_path}).test_client()
        detail = client.get(f"/api/models/{gone_id}").get_json()
        assert detail["active"] is False and detail["rank"] is None
        assert len(detail["history"]) == len(gone_history)

        # It comes back: active again, whole history, listed again.
        upstream_app.dataset = edited(BASE_DATASET, rename={renamed_id: new_name})
        assert scrape(db_path, base, source, **options).status == "ok"

    back = model_row(db_path, gone_id)
    assert back["active"] == 1 and back["name"] == gone_before["name"]
    assert history(db_path, gone_id) == gone_history
    listed, page = site_listing(db_path)
    assert gone_id in listed and renamed_id in listed
    assert len(listed) == len(BASE_DATASET.models)
