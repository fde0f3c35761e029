"""One way to run the real scraper in a test: in-process against a base URL (the stand-in
or a pytest-httpserver), or the environment for a `scrape.py` subprocess.

`fast` is the module's speed-up of the app's defaults (no politeness delay, few and short
retries); modules that test retries or timeouts pass their own.
"""

import copy
import os
from dataclasses import replace
from typing import Any

from flask import Flask

from app import clock
from app.db import connection
from app.db import models as model_store
from app.scraping.run import RunOutcome, run_scrape
from tests.clocks import WarpClock
from tests.conftest import new_app
from tests.standin import Dataset, config_for

FAST = {"REQUEST_DELAY": 0, "HTTP_RETRIES": 0, "HTTP_BACKOFF": 0, "LOCK_WAIT": 0.3}
# FAST with short HTTP timeouts too: the fault tests, where a stalled read must fail in seconds.
FAST_BOUNDED = {**FAST, "HTTP_TIMEOUT": 5, "HTTP_CONNECT_TIMEOUT": 2}


def scrape_config(
    db_path: str, base: str, *, fast: dict[str, Any] = FAST, **overrides: Any
) -> dict[str, Any]:
    """The app's config with all three chutes.ai URLs at `base`."""
    return dict(new_app({"DATABASE": db_path, **fast, **overrides, **config_for(base)}).config)


def scrape(
    db_path: str, base: str, source: str = "api", *, fast: dict[str, Any] = FAST, **overrides: Any
) -> RunOutcome:
    """One in-process run of the real scraper."""
    return run_scrape(scrape_config(db_path, base, fast=fast, **overrides), source=source)


def timed_scrape(
    db_path: str, base: str, source: str = "api", *, fast: dict[str, Any] = FAST, **overrides: Any
) -> tuple[RunOutcome, float]:
    """scrape() on a WarpClock, and how long it took on that clock: its waits (Retry-After,
    backoff, pauses) take no wall time but count against every deadline as if waited."""
    with clock.use(WarpClock()) as warp:
        started = warp.monotonic()
        outcome = run_scrape(scrape_config(db_path, base, fast=fast, **overrides), source=source)
        return outcome, warp.monotonic() - started


def scrape_ok(app: Flask, source: str = "api") -> None:
    """A run with an app's own config, which must succeed."""
    outcome = run_scrape(app.config, source=source)
    assert outcome.status == "ok", outcome.message


def scrape_env(
    db_path: str, base: str, *, fast: dict[str, Any] = FAST, **overrides: Any
) -> dict[str, str]:
    """Environment for a `scrape.py` subprocess (LEADERBOARD_* as the timer would set)."""
    env = {**os.environ, "LEADERBOARD_DATABASE": db_path}
    for key, value in {**fast, **config_for(base)}.items():
        env[f"LEADERBOARD_{key}"] = str(value)
    for key, value in overrides.items():
        env[f"LEADERBOARD_{key}"] = str(value)
    return env


def history(db_path: str, chute_id: str) -> list[dict]:
    conn = connection.connect(db_path)
    try:
        return model_store.model_history(conn, chute_id)
    finally:
        conn.close()


def model_row(db_path: str, chute_id: str) -> dict | None:
    conn = connection.connect(db_path)
    try:
        return model_store.get_model(conn, chute_id)
    finally:
        conn.close()


# --- the stand-in's data, edited ----------------------------------------------------


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


def probe_env(db_path: str, base: str, key_file: str) -> dict[str, str]:
    """The environment of a `probe.py` child against the stand-in at `base`: nothing of
    this process's own (no key or setting leaks in from the test runner)."""
    return {
        "PATH": "/usr/bin:/bin",
        "LEADERBOARD_DATABASE": db_path,
        "LEADERBOARD_LLM_URL": base,
        "LEADERBOARD_REQUEST_DELAY": "0",
        "LEADERBOARD_PROBE_KEY_FILE": key_file,
    }
