"""Crash safety: scrape.py killed (SIGKILL) at random points, in and out of its write,
leaves the database in the previous or the next state, never between.
"""

import contextlib
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from tests import helpers
from tests.dbstate import snapshot
from tests.helpers import FAST_BOUNDED, shifted
from tests.standin import Dataset, UtilizationFeed, make_upstream_app, serve

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
TODAY = datetime.now(UTC).date()
# Scrapes in these tests must be quick: no politeness delay, few and short retries.
scrape = partial(helpers.scrape, fast=FAST_BOUNDED)
scrape_env = partial(helpers.scrape_env, fast=FAST_BOUNDED)


# --- crash safety: SIGKILL at random points ----------------------------------------------

# scrape.py with the write bracketed by markers on stderr, so a test can tell where a
# kill landed. Only observation is added; the code under test is unchanged.
MARKED_SCRAPE = """
import runpy, sys
from app.db import write as db_write
store_scrape = db_write.store_scrape
def marked(*args, **kwargs):
    sys.stderr.write("WRITE-BEGIN\\n"); sys.stderr.flush()
    run_id = store_scrape(*args, **kwargs)
    sys.stderr.write("WRITE-END\\n"); sys.stderr.flush()
    return run_id
db_write.store_scrape = marked
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
    # When a run saw upstream change is a clock value too (app/upstream.py).
    snap["meta"] = [row for row in snap.get("meta", []) if row[0] != "upstream_changed_at"]
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
