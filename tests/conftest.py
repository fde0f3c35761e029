"""Shared fixtures: an app over a temporary database, its client and CLI runner."""

import os
import pathlib

import pytest

from app import create_app
from app.db import connection
from tests.skip_policy import (  # noqa: F401  (hooks: pytest finds them by name)
    pytest_make_collect_report,
    pytest_runtest_makereport,
    pytest_terminal_summary,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "chutes"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def db_path(tmp_path: pathlib.Path) -> str:
    path = os.fspath(tmp_path / "leaderboard.sqlite3")
    connection.init_db(path)
    return path


@pytest.fixture
def app(db_path: str):
    return create_app({"TESTING": True, "DATABASE": db_path, "REQUEST_DELAY": 0})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
