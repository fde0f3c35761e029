"""A newcomer's path: what `make dev` says offline, scrape.py --verbose, the empty
board's pointer to `make demo`, and the README's HOST and PORT."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.db import connection
from tests.conftest import new_app

ROOT = Path(__file__).resolve().parents[2]


# --- make dev, offline ----------------------------------------------------------------


def test_make_dev_offline_says_one_sentence_and_goes_on(tmp_path) -> None:
    closed = "http://127.0.0.1:9"  # nothing listens on the discard port: refused at once
    env = {
        **os.environ,
        "LEADERBOARD_DATABASE": str(tmp_path / "dev.sqlite3"),
        "LEADERBOARD_API_URL": closed,
        "LEADERBOARD_LLM_URL": closed,
        "LEADERBOARD_WEB_URL": closed,
    }
    # The venv is already there: don't let make reinstall it.
    old = ["--assume-old=.venv/.runtime", "--assume-old=.venv/bin/python"]
    start = time.monotonic()
    proc = subprocess.run(
        ["make", "--no-print-directory", *old, "dev-scrape"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - start
    out = proc.stdout
    assert proc.returncode == 0, out
    assert "Retrying" not in out
    assert "Error 1" not in out and "ignored" not in out
    # One sentence (issue 19, defect 17): no exception text, no "after retries"; the
    # scraper's own lines are in instance/dev-scrape.log.
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert lines[-1].startswith("make dev: could not fetch from chutes.ai"), out
    assert "make demo" in lines[-1]
    assert not any(
        word in out for word in ("ERROR", "WARNING", "Connection", "after retries", "Errno")
    ), out
    assert elapsed < 10, elapsed


def test_scrape_verbose_shows_the_retries(tmp_path) -> None:
    closed = "http://127.0.0.1:9"
    connection.init_db(str(tmp_path / "dev.sqlite3"))  # make dev's init-db step
    env = {
        **os.environ,
        "LEADERBOARD_DATABASE": str(tmp_path / "dev.sqlite3"),
        "LEADERBOARD_LLM_URL": closed,
        "LEADERBOARD_SOURCE": "api",
        "LEADERBOARD_HTTP_RETRIES": "1",
    }
    proc = subprocess.run(
        [sys.executable, "scrape.py", "--verbose"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Retrying" in proc.stderr


@pytest.mark.parametrize(("debug", "make_demo"), [(True, True), (False, False)])
def test_empty_state_tells_a_developer_about_make_demo(db_path, debug, make_demo) -> None:
    app = new_app({"DATABASE": db_path, "DEBUG": debug})
    page = app.test_client().get("/").get_data(as_text=True)
    assert ("make demo" in page) is make_demo
    # Under `make dev` no timer runs: no promise of a scrape within minutes.
    assert ("scrape runs within" in page) is not debug


def test_readme_names_host_and_port() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "HOST=" in readme and "PORT=" in readme
