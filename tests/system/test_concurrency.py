"""Concurrency: real gunicorn serving complete snapshots while scrapes land, and two
scrapes at once (one runs, the other exits cleanly). Against the chutes.ai stand-in
(tests/standin/) on 127.0.0.1.
"""

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from tests import helpers
from tests.dbstate import scrape_runs
from tests.deploy_helpers import gunicorn_on
from tests.helpers import FAST_BOUNDED, shifted
from tests.standin import Dataset, make_upstream_app, serve

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
TODAY = datetime.now(UTC).date()
# Scrapes in these tests must be quick: no politeness delay, few and short retries.
scrape = partial(helpers.scrape, fast=FAST_BOUNDED)
scrape_env = partial(helpers.scrape_env, fast=FAST_BOUNDED)


BASE_DATASET = Dataset.synthetic(12, today=TODAY, seed=11)


# --- concurrency: real gunicorn, readers under load, scrapes landing ---------------------


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
        with gunicorn_on(db_path, tmp_path / "gunicorn.log") as site:
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
