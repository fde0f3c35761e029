"""Shared fixtures: an app over a temporary database (and a factory for variants of it),
its client and CLI runner, the chutes.ai stand-in served over loopback, and a database
written by a real scrape. Browser fixtures: tests/browser/conftest.py."""

import contextlib
import os
import pathlib
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.db import connection
from app.scraping.run import run_scrape
from tests.skip_policy import (  # noqa: F401  (hooks: pytest finds them by name)
    pytest_configure,
    pytest_make_collect_report,
    pytest_runtest_makereport,
    pytest_terminal_summary,
)
from tests.standin import Dataset, UpstreamApp, make_upstream_app, serve

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "chutes"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def new_app(config: dict[str, Any]) -> Flask:
    """The app with `config` over the defaults and LEADERBOARD_* (TESTING unless said)."""
    return create_app({"TESTING": True, **config})


@pytest.fixture
def db_path(tmp_path: pathlib.Path) -> str:
    path = os.fspath(tmp_path / "leaderboard.sqlite3")
    connection.init_db(path)
    return path


@pytest.fixture
def make_app(db_path: str) -> Callable[..., Flask]:
    """`make_app(**config)`: a new app over the test's database (another with DATABASE=),
    TESTING unless TESTING=False; each call is a fresh app, as a new worker would be."""

    def make(**config: Any) -> Flask:
        return new_app({"DATABASE": db_path, **config})

    return make


@pytest.fixture
def app(make_app):
    return make_app(REQUEST_DELAY=0)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- the chutes.ai stand-in on loopback (tests/standin/) ---------------------------------


def _stand_in_server(stack: contextlib.ExitStack):
    def start(served: Dataset | UpstreamApp, page_form: str = "inline") -> tuple[UpstreamApp, str]:
        upstream_app = (
            served if isinstance(served, UpstreamApp) else make_upstream_app(served, page_form)
        )
        return upstream_app, stack.enter_context(serve(upstream_app))

    return start


@pytest.fixture
def serve_stand_in() -> Iterator[Callable[..., tuple[UpstreamApp, str]]]:
    """`serve_stand_in(dataset_or_app, page_form="inline") -> (upstream_app, base_url)`:
    the stand-in on a free loopback port (werkzeug, threaded) until the test ends."""
    with contextlib.ExitStack() as stack:
        yield _stand_in_server(stack)


@pytest.fixture(scope="module")
def serve_stand_in_for_module() -> Iterator[Callable[..., tuple[UpstreamApp, str]]]:
    """serve_stand_in for module-scoped fixtures: one server for the whole module (stopping
    one costs ~0.5 s, its poll interval)."""
    with contextlib.ExitStack() as stack:
        yield _stand_in_server(stack)


@pytest.fixture
def scraped(db_path: str, httpserver) -> str:
    """A database written by a real scrape (the JSON API samples), WAL checkpointed into
    the main file so damage to that file is what the site reads."""
    base = httpserver.url_for("").rstrip("/")
    for path, name in [
        ("/v1/models", "v1_models.json"),
        ("/invocations/stats/llm", "stats_llm.json"),
    ]:
        text = (FIXTURES / name).read_text()
        httpserver.expect_request(path).respond_with_data(text, content_type="application/json")
    config = create_app(
        {
            "DATABASE": db_path,
            "API_URL": base,
            "LLM_URL": base,
            "WEB_URL": base,
            "REQUEST_DELAY": 0,
            "HTTP_RETRIES": 0,
            "HTTP_BACKOFF": 0,
        }
    ).config
    assert run_scrape(config, source="api").status in {"ok", "partial"}
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db_path
