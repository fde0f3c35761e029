"""deploy/backup.sh against real SQLite files: a consistent online copy, integrity-checked,
and the 7-daily + 4-weekly rotation over fake dates.

The unit that runs it daily, and deploy/restore.sh, are exercised on a booted systemd in
tests/system/test_systemd_boot.py (test_backup_and_restore).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.db import connection
from tests.deploy_helpers import DEPLOY
from tests.seed import seed, simple_model

pytestmark = pytest.mark.deploy

BACKUP_SH = DEPLOY / "backup.sh"


@pytest.fixture(autouse=True)
def _sqlite3_cli() -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command-line shell is not installed (CI installs it: .ci/run)")


def backup(database: Path, dest: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(BACKUP_SH), "--db", str(database), "--dest", str(dest), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def seeded(path: Path, models: int = 4, days: int = 10) -> Path:
    connection.init_db(str(path))
    pairs = [
        simple_model(f"chute-{i}", f"org/model-{i}", {d: (50.0 + i + d, 1000) for d in range(days)})
        for i in range(models)
    ]
    seed(str(path), [e for e, _ in pairs], [r for _, rows in pairs for r in rows])
    return path


def rows_in(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM daily_stats").fetchone()[0]
    finally:
        conn.close()


def test_backup_is_a_consistent_self_contained_copy(tmp_path: Path) -> None:
    database = seeded(tmp_path / "leaderboard.sqlite3")
    dest = tmp_path / "backups"
    dest.mkdir()
    # A writer keeps the database open with changes still only in its -wal (no
    # checkpoint yet): the backup must contain them.
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute(
        "INSERT INTO daily_stats (chute_id, date, requests) VALUES ('late', '2026-01-01', 5)"
    )
    assert Path(f"{database}-wal").stat().st_size > 0
    try:
        proc = backup(database, dest, "--date", "2026-11-29")
    finally:
        writer.close()
    assert proc.returncode == 0, proc.stderr
    copy = dest / "leaderboard-2026-11-29.sqlite3"
    assert "integrity ok" in proc.stdout
    assert rows_in(copy) == rows_in(database) == 41
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    # One file, nothing beside it: DELETE journal mode, not WAL.
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert sorted(p.name for p in dest.iterdir()) == [copy.name]


def expected_kept(days: list[date], daily: int = 7, weekly: int = 4) -> set[date]:
    """The policy, written independently: the newest `daily` days, plus the newest
    backup of each of the newest `weekly` ISO weeks (restic's keep-daily/keep-weekly)."""
    newest_first = sorted(days, reverse=True)
    kept = set(newest_first[:daily])
    weeks: dict[tuple[int, int], date] = {}
    for day in newest_first:
        weeks.setdefault(day.isocalendar()[:2], day)
    kept |= {weeks[w] for w in sorted(weeks, reverse=True)[:weekly]}
    return kept


def test_rotation_keeps_seven_daily_and_four_weekly(tmp_path: Path) -> None:
    database = seeded(tmp_path / "leaderboard.sqlite3", models=2, days=3)
    dest = tmp_path / "backups"
    dest.mkdir()
    start = date(2026, 9, 1)
    made: list[date] = []
    # Fifty days, with a few missed (the machine was down): gaps must not confuse it.
    for n in range(50):
        day = start + timedelta(days=n)
        if n in {20, 21, 33}:
            continue
        proc = backup(database, dest, "--date", day.isoformat())
        assert proc.returncode == 0, proc.stderr
        made.append(day)
        on_disk = {date.fromisoformat(p.name[12:22]) for p in dest.glob("leaderboard-*")}
        assert on_disk == expected_kept(made), day
    # Spelled out for the last day, 2026-10-20 (a Tuesday): the 7 newest days span two
    # ISO weeks, so two more weeks are kept by their newest backup: Sunday 2026-10-11
    # and Saturday 2026-10-03 (Sunday 2026-10-04 was one of the missed days).
    last_days = {date(2026, 10, d) for d in range(14, 21)}
    assert on_disk == last_days | {date(2026, 10, 11), date(2026, 10, 3)}
    # Every kept backup is whole.
    for path in dest.iterdir():
        assert rows_in(path) == 6


def test_failed_backup_keeps_the_old_ones_and_fails_loudly(tmp_path: Path) -> None:
    database = seeded(tmp_path / "leaderboard.sqlite3")
    dest = tmp_path / "backups"
    dest.mkdir()
    assert backup(database, dest, "--date", "2026-11-01").returncode == 0
    before = sorted(dest.iterdir())
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    proc = backup(broken, dest, "--date", "2026-11-02")
    assert proc.returncode != 0
    assert sorted(dest.iterdir()) == before  # no partial file, nothing rotated
    assert backup(tmp_path / "missing.sqlite3", dest).returncode != 0
    assert backup(database, dest, "--date", "2026-13-45").returncode != 0


def test_backup_size_and_time_of_a_year_of_history(tmp_path: Path) -> None:
    """A figure for the operator (printed): 100 models x 365 days."""
    database = seeded(tmp_path / "leaderboard.sqlite3", models=100, days=365)
    dest = tmp_path / "backups"
    dest.mkdir()
    started = time.perf_counter()
    proc = backup(database, dest, "--date", "2026-11-29")
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    size = (dest / "leaderboard-2026-11-29.sqlite3").stat().st_size
    print(f"backup of 100 models x 365 days: {size / 1e6:.1f} MB in {elapsed:.2f} s")
    assert rows_in(dest / "leaderboard-2026-11-29.sqlite3") == 36500
