"""Loss that reports success (issue 20 item 4, SPEC §3): the scraper never creates the
database, a failure the database cannot take is still visible to /api/health and the
freshness line at once (the runtime status file), and a commit that did not stick is a
failed run.

Real SQLite files; the stand-in upstream on loopback; read-only files and directories
made for real (chmod, or `chattr +i` when the tests run as root, which chmod does not
stop).
"""

import json
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import scrape
from app import create_app
from app.db import connection
from app.db import files as db_files
from app.scraping import run as scrape_run
from app.scraping.run import RunOutcome, run_scrape
from tests.seed import seed, simple_model
from tests.standin import Dataset, UpstreamApp, serve

TODAY = datetime.now(UTC).date()
FAST = {"REQUEST_DELAY": 0, "HTTP_RETRIES": 0, "HTTP_BACKOFF": 0, "LOCK_WAIT": 0.3}
MISSING = "database missing: run init-db or restore a backup"


@pytest.fixture
def stand_in() -> Iterator[str]:
    with serve(UpstreamApp(Dataset.synthetic(4, days=8, today=TODAY, seed=20))) as base:
        yield base


@pytest.fixture
def runtime_dir(tmp_path: Path) -> Path:
    """A directory of its own for the status file, as /run/chutes-leaderboard is."""
    path = tmp_path / "run"
    path.mkdir()
    return path


def settings_for(db_path: str, base: str = "http://127.0.0.1:9", **extra: Any) -> dict:
    return {
        "TESTING": True,
        "DATABASE": db_path,
        **FAST,
        "API_URL": base,
        "LLM_URL": base,
        "WEB_URL": base,
        **extra,
    }


def scrape_into(db_path: str, base: str = "http://127.0.0.1:9", **extra: Any) -> RunOutcome:
    return run_scrape(settings_for(db_path, base, **extra), source="api")


def status_of(path: str | Path) -> dict:
    text = Path(path).read_text(encoding="utf-8")
    assert text.count("\n") == 1, text  # one line
    return json.loads(text)


def health(db_path: str, **extra: Any) -> tuple[int, dict]:
    client = create_app(settings_for(db_path, **extra)).test_client()
    response = client.get("/api/health")
    return response.status_code, response.get_json()


def good_database(db_path: str) -> None:
    """One good scrape stored (health ok), as a live site has."""
    entry, rows = simple_model("m1", "Model One", {0: (80.0, 500), 1: (70.0, 500)})
    seed(db_path, [entry], rows)


def _chattr(flag: str, path: Path) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    return subprocess.run([chattr, flag, str(path)], capture_output=True).returncode == 0


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` (a file or a directory) unwritable for this process, then as it was."""
    mode = path.stat().st_mode
    if os.geteuid() != 0:
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if not _chattr("+i", path):
        pytest.skip("running as root without chattr +i here: cannot make a file read-only")
    try:
        yield
    finally:
        _chattr("-i", path)


def assert_public(text: str, *paths: str | Path) -> None:
    """No path, no SQLite wording, no exception text (health is public)."""
    for path in paths:
        assert str(path) not in text
    for word in ("Traceback", "sqlite3.", "readonly", "/tmp"):
        assert word not in text


# --- the scraper never creates the database --------------------------------------------


def test_a_missing_database_exits_1_and_creates_nothing(tmp_path, monkeypatch, caplog):
    db_path = tmp_path / "leaderboard.sqlite3"
    monkeypatch.setenv("LEADERBOARD_DATABASE", str(db_path))
    monkeypatch.setenv("LEADERBOARD_API_URL", "http://127.0.0.1:9")
    caplog.set_level(logging.ERROR)

    assert scrape.main(["--source", "api"]) == 1

    assert not db_path.exists()
    # Only the status line (beside the database in dev): no -wal, -shm, lock or version.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaderboard.sqlite3.last-run.json"]
    assert MISSING in caplog.text and str(db_path) in caplog.text
    status = status_of(db_files.status_path(str(db_path)))
    assert status["status"] == "failed" and status["message"] == MISSING
    assert status["recorded"] is False


def test_a_missing_database_directory_is_not_made_either(tmp_path, runtime_dir):
    db_path = tmp_path / "gone" / "leaderboard.sqlite3"
    outcome = scrape_into(str(db_path), STATUS_FILE=str(runtime_dir / "last-run.json"))
    assert (outcome.status, outcome.exit_code) == ("failed", 1)
    assert outcome.message.startswith(MISSING)
    assert not db_path.parent.exists()
    code, body = health(str(db_path), STATUS_FILE=str(runtime_dir / "last-run.json"))
    assert code == 503 and body["status"] == "unavailable"
    assert body["failing"]["message"] == MISSING


def test_a_file_without_the_schema_is_not_filled_in(tmp_path):
    db_path = tmp_path / "leaderboard.sqlite3"
    db_path.write_bytes(b"")  # an emptied file: SQLite would take it as a new database
    outcome = scrape_into(str(db_path))
    assert outcome.status == "failed" and outcome.message.startswith(MISSING)
    assert db_path.read_bytes() == b""


def test_an_existing_database_is_still_upgraded(db_path, stand_in):
    """The scraper runs init-db's idempotent upgrade on an existing database (a checkout
    pulled by hand before anyone ran init-db): a column schema.sql gained comes back."""
    conn = sqlite3.connect(db_path)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(scrape_runs)")}
    conn.execute("ALTER TABLE scrape_runs DROP COLUMN errors")
    conn.close()
    assert scrape_into(db_path, stand_in).status == "ok"
    conn = sqlite3.connect(db_path)
    assert {row[1] for row in conn.execute("PRAGMA table_info(scrape_runs)")} == columns
    conn.close()


# --- every run writes its status line ---------------------------------------------------


def test_an_ok_run_writes_its_status_and_health_stays_ok(db_path, stand_in, runtime_dir):
    status_file = str(runtime_dir / "last-run.json")
    outcome = scrape_into(db_path, stand_in, STATUS_FILE=status_file)
    assert outcome.status == "ok"
    status = status_of(status_file)
    assert status["status"] == "ok" and status["recorded"] is True
    assert status["message"] == outcome.message
    conn = sqlite3.connect(db_path)
    finished = conn.execute("SELECT max(finished_at) FROM scrape_runs").fetchone()[0]
    conn.close()
    assert status["at"] == finished
    assert not list(runtime_dir.glob(".last-run-*"))  # no temporary file left behind
    code, body = health(db_path, STATUS_FILE=status_file)
    assert (code, body["status"]) == (200, "ok") and "failing" not in body


def test_a_skipped_run_writes_its_status(db_path, stand_in):
    with db_files.scrape_lock(db_path, 0):
        outcome = scrape_into(db_path, stand_in)
    assert outcome.status == "skipped"
    assert status_of(db_files.status_path(db_path))["status"] == "skipped"


# --- a failure the database cannot take is visible at once -----------------------------


def test_a_read_only_database_file_makes_health_fail_at_once(db_path, runtime_dir):
    good_database(db_path)
    status_file = str(runtime_dir / "last-run.json")
    assert health(db_path, STATUS_FILE=status_file)[0] == 200
    # The live site holds the database open (its -wal and -shm exist), as workers do.
    keeper = connection.connect(db_path)
    keeper.execute("SELECT count(*) FROM scrape_runs").fetchone()
    try:
        with read_only(Path(db_path)):
            outcome = scrape_into(db_path, STATUS_FILE=status_file)
            assert (outcome.status, outcome.exit_code, outcome.recorded) == ("failed", 1, False)
            code, body = health(db_path, STATUS_FILE=status_file)
            page = create_app(settings_for(db_path, STATUS_FILE=status_file)).test_client()
            html = page.get("/").text
    finally:
        keeper.close()

    assert code == 503 and body["status"] == "failing", body
    failing = body["failing"]
    assert failing["since"] == failing["at"] == status_of(status_file)["at"]
    assert failing["message"].startswith("cannot open the database")
    hhmm = datetime.fromisoformat(failing["since"]).strftime("%H:%M")
    assert body["reason"] == f"failing since {hhmm} UTC: {failing['message']}"
    assert body["last_good_run"] is not None  # the existing fields stay
    assert_public(json.dumps(body), db_path, runtime_dir)
    # The freshness line shows it too.
    assert "failed: cannot open the database" in html


def test_a_read_only_database_directory_makes_health_fail_at_once(db_path, runtime_dir):
    good_database(db_path)
    status_file = str(runtime_dir / "last-run.json")
    with read_only(Path(db_path).parent):
        outcome = scrape_into(db_path, STATUS_FILE=status_file)
        assert (outcome.status, outcome.exit_code, outcome.recorded) == ("failed", 1, False)
        code, body = health(db_path, STATUS_FILE=status_file)
    # Nothing can open a WAL database there (no -shm can be made): the web side cannot
    # read it either, and health says so together with the scraper's own failure.
    assert code == 503 and body["status"] in {"failing", "unavailable"}, body
    assert body["failing"]["message"].startswith("cannot open the database")
    assert_public(json.dumps(body), db_path, runtime_dir)


def test_failures_in_a_row_keep_their_since_and_a_good_run_clears_it(
    db_path, stand_in, runtime_dir
):
    good_database(db_path)
    status_file = str(runtime_dir / "last-run.json")
    with read_only(Path(db_path).parent):
        first = scrape_into(db_path, STATUS_FILE=status_file)
        since = status_of(status_file)["since"]
        second = scrape_into(db_path, STATUS_FILE=status_file)
    assert first.status == second.status == "failed"
    assert status_of(status_file)["since"] == since
    assert scrape_into(db_path, stand_in, STATUS_FILE=status_file).status == "ok"
    code, body = health(db_path, STATUS_FILE=status_file)
    assert code == 200 and body["status"] == "ok"


def test_a_failure_the_database_recorded_is_not_failing(db_path, runtime_dir):
    """A failure that is in scrape_runs is health's usual business (ok until stale)."""
    good_database(db_path)
    status_file = str(runtime_dir / "last-run.json")
    outcome = scrape_into(db_path, "http://127.0.0.1:9", STATUS_FILE=status_file)
    assert outcome.status == "failed" and outcome.recorded
    assert status_of(status_file)["recorded"] is True
    code, body = health(db_path, STATUS_FILE=status_file)
    assert code == 200 and body["status"] == "ok"


def test_a_status_older_than_the_newest_recorded_run_is_ignored(db_path, runtime_dir):
    status_file = runtime_dir / "last-run.json"
    good_database(db_path)
    status_file.write_text(
        json.dumps({"status": "failed", "at": "2000-01-01T00:00:00+00:00", "message": "x"}) + "\n"
    )
    code, body = health(db_path, STATUS_FILE=str(status_file))
    assert code == 200 and body["status"] == "ok"


@pytest.mark.parametrize("junk", [b"", b"{not json", b"[1, 2]", b'{"status": 1}', b"x" * 10000])
def test_a_damaged_status_file_is_no_status(db_path, runtime_dir, junk):
    good_database(db_path)
    status_file = runtime_dir / "last-run.json"
    status_file.write_bytes(junk)
    code, body = health(db_path, STATUS_FILE=str(status_file))
    assert code == 200 and body["status"] == "ok"


# --- a commit that did not stick is a failure -------------------------------------------


def test_a_wal_removed_under_the_run_is_a_failed_run(db_path, stand_in, monkeypatch):
    real_bump = db_files.bump_data_version

    def remove_wal_then_bump(database: str, run_id: int) -> None:
        os.unlink(database + "-wal")  # after the commit, before the run checks
        real_bump(database, run_id)

    monkeypatch.setattr(scrape_run.db_files, "bump_data_version", remove_wal_then_bump)
    outcome = scrape_into(db_path, stand_in)

    assert (outcome.status, outcome.exit_code) == ("failed", 1)
    assert outcome.message.startswith("the scrape's write did not stick")
    status = status_of(db_files.status_path(db_path))
    assert status["status"] == "failed"
    assert status["message"].startswith("the scrape's write did not stick")


def test_a_data_version_that_cannot_be_written_is_a_failed_run(db_path, stand_in):
    os.mkdir(db_files.version_path(db_path))  # a directory where the version file goes
    outcome = scrape_into(db_path, stand_in)
    assert (outcome.status, outcome.exit_code) == ("failed", 1)
    assert "data version could not be written" in outcome.message
    assert_public(outcome.message, db_path)
    assert status_of(db_files.status_path(db_path))["status"] == "failed"


# --- the deploy's runtime directory -------------------------------------------------------


def unit_values(name: str, key: str) -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "deploy/systemd" / name).read_text()
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(key + "=")]


def test_both_units_agree_on_a_status_file_the_scraper_may_write():
    scrape_unit, web_unit = "chutes-leaderboard-scrape.service", "chutes-leaderboard.service"
    wanted = "LEADERBOARD_STATUS_FILE=/run/chutes-leaderboard/scrape/last-run.json"
    assert wanted in unit_values(scrape_unit, "Environment")
    assert wanted in unit_values(web_unit, "Environment")
    # The scraper's own runtime directory (writable under ProtectSystem=strict), kept
    # after each oneshot run, and not the socket's directory (which systemd would chown,
    # gunicorn.sock included, to the service user).
    assert unit_values(scrape_unit, "RuntimeDirectory") == ["chutes-leaderboard/scrape"]
    assert unit_values(scrape_unit, "RuntimeDirectoryPreserve") == ["yes"]
    assert unit_values(scrape_unit, "RuntimeDirectoryMode") == ["0755"]
    # The web service makes no runtime directory of its own (stopping it would delete it).
    assert unit_values(web_unit, "RuntimeDirectory") == []
