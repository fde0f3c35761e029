"""Probe runs against the loopback stand-in: every outcome recorded as such, the key kept
secret, a refused key stopping the run, the daily budget across runs, no key = off."""

import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest

from app import clock
from app.probing.run import OFF_LINE, run_probes
from app.settings import Settings
from tests.clocks import WarpClock
from tests.helpers import probe_env, scrape
from tests.standin import Dataset, UpstreamApp
from tests.standin.chat import ChatBehaviour

KEY = "cpk_test.SECRET-probe-key-0123456789abcdef"
TODAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def stand_in(serve_stand_in, db_path):
    upstream = UpstreamApp(Dataset.synthetic(4, days=3, today=TODAY.date(), seed=3))
    _app, base = serve_stand_in(upstream)
    assert scrape(db_path, base).status == "ok"
    return upstream, base


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "probe.key"
    path.write_text(f"  {KEY}\n")
    return str(path)


def settings_for(db_path, base, key_file, **more):
    values = {
        "DATABASE": db_path,
        "LLM_URL": base,
        "REQUEST_DELAY": 0,
        "PROBE_KEY_FILE": key_file,
        "PROBE_TTFT_TIMEOUT": 1.5,
        "PROBE_TIMEOUT": 3,
        **more,
    }
    return Settings.from_mapping(values)


def names(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return [
            r[0] for r in conn.execute("SELECT name FROM models WHERE active = 1 ORDER BY name")
        ]
    finally:
        conn.close()


def probes(db_path):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(r)
            for r in conn.execute(
                "SELECT p.*, m.name FROM probes p JOIN models m USING (chute_id) ORDER BY p.id"
            )
        ]
    finally:
        conn.close()


def runs(db_path):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM probe_runs ORDER BY id")]
    finally:
        conn.close()


def test_no_key_is_off_with_one_line(db_path, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LEADERBOARD_DATABASE": db_path}
    result = subprocess.run(
        [sys.executable, "probe.py"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == OFF_LINE and result.stderr == ""


def test_credential_systemd_names_but_the_run_cannot_read_is_an_error(db_path, tmp_path):
    """Under the probe unit (LoadCredential=) a missing or unreadable credential is a
    clear failure (exit != 0), never the "probes are off" line of a machine with no key."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "LEADERBOARD_DATABASE": db_path,
        "CREDENTIALS_DIRECTORY": str(credentials),
    }
    result = subprocess.run(
        [sys.executable, "probe.py"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode != 0, result.stdout
    assert OFF_LINE not in result.stdout + result.stderr
    assert "cannot read the probe key file" in result.stdout + result.stderr
    (credentials / "probe-key").write_text("\n")
    result = subprocess.run(
        [sys.executable, "probe.py"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode != 0 and "is empty" in result.stdout + result.stderr


OUTCOME_OF_MODE = {
    "ok": "ok",
    "no_usage": "ok",
    "reasoning": "ok",
    "keepalive": "ok",
    "gzip": "ok",
    "cut": "bad_stream",
    "garbage": "bad_stream",
    "hang": "timeout",
    "rate_limited": "rate_limited",
    "server_error": "http_error",
}


@pytest.mark.parametrize("mode", list(OUTCOME_OF_MODE))
def test_every_outcome_is_recorded_as_such(stand_in, db_path, key_file, mode):
    upstream, base = stand_in
    model = names(db_path)[0]
    upstream.chat.by_model[model] = ChatBehaviour(mode=mode, hang_for=3)
    outcome = run_probes(settings_for(db_path, base, key_file), model=model)
    assert outcome.exit_code == 0, outcome.message
    [probe] = probes(db_path)
    assert probe["outcome"] == OUTCOME_OF_MODE[mode], probe["detail"]
    assert probe["name"] == model
    if mode == "no_usage":
        assert probe["tokens_estimated"] == 1
    if mode == "gzip":  # decoded: the events as sent
        assert (probe["output_tokens"], probe["tokens_estimated"]) == (12, 0)
    if mode in ("rate_limited", "server_error"):
        assert probe["http_status"] in (429, 503)
    if probe["outcome"] != "ok":
        assert probe["tps"] is None and probe["ttft_s"] is None


def test_a_redirect_is_not_followed_and_carries_no_key(stand_in, serve_stand_in, db_path, key_file):
    upstream, base = stand_in
    other, other_base = serve_stand_in(
        UpstreamApp(Dataset.synthetic(1, days=1, today=TODAY.date()))
    )
    model = names(db_path)[0]
    upstream.chat.by_model[model] = ChatBehaviour(
        mode="redirect", redirect_to=other_base + "/v1/chat/completions"
    )
    run_probes(settings_for(db_path, base, key_file), model=model)
    [probe] = probes(db_path)
    assert (probe["outcome"], probe["http_status"]) == ("http_error", 307)
    assert other.chat.seen == []  # nothing reached the other port
    assert upstream.chat.seen == [(f"Bearer {KEY}", model)]


def test_a_refused_key_stops_the_run_after_one_request(stand_in, db_path, key_file):
    upstream, base = stand_in
    upstream.chat.default = ChatBehaviour(mode="refused")
    outcome = run_probes(settings_for(db_path, base, key_file))
    assert outcome.exit_code != 0 and outcome.status == "key_refused"
    assert "probe key refused" in outcome.message
    assert len(upstream.chat.seen) == 1
    assert [p["http_status"] for p in probes(db_path)] == [401]
    assert runs(db_path)[-1]["status"] == "key_refused"


def test_every_model_once_and_the_daily_budget_across_runs(stand_in, db_path, key_file):
    upstream, base = stand_in
    n = len(names(db_path))
    upstream.chat.default = ChatBehaviour(tokens=10)
    # Room for n + 1 worst-case probes of 10 tokens: the first run probes all n (10 each),
    # the second only one more; the next UTC day starts afresh.
    cfg = settings_for(
        db_path, base, key_file, PROBE_MAX_TOKENS=10, PROBE_DAILY_TOKENS=10 * (n + 1)
    )
    with clock.use(WarpClock(TODAY)):
        first = run_probes(cfg)
        assert sorted(p["name"] for p in probes(db_path)) == names(db_path)
        second = run_probes(cfg)
    assert (first.status, first.probes) == ("ok", n)
    assert (second.status, second.probes) == ("budget", 1)
    assert "daily budget" in second.message
    with clock.use(WarpClock(TODAY.replace(day=21))):
        assert run_probes(cfg).probes == n


def test_a_scrape_and_a_probe_at_the_same_time_both_succeed(stand_in, db_path, key_file):
    upstream, base = stand_in
    upstream.chat.default = ChatBehaviour(ttft=0.3, tps=50, tokens=20)
    done = {}
    thread = threading.Thread(
        target=lambda: done.setdefault("probe", run_probes(settings_for(db_path, base, key_file)))
    )
    thread.start()
    scraped = scrape(db_path, base)
    thread.join(timeout=30)
    assert scraped.status == "ok", scraped.message
    assert done["probe"].status == "ok", done["probe"].message


def test_the_key_is_nowhere_but_the_header(stand_in, db_path, key_file, tmp_path):
    upstream, base = stand_in
    upstream.chat.default = ChatBehaviour(mode="server_error")
    env = probe_env(db_path, base, key_file)
    result = subprocess.run(
        [sys.executable, "probe.py"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    upstream.chat.default = ChatBehaviour(mode="refused")
    refused = subprocess.run(
        [sys.executable, "probe.py"], capture_output=True, text=True, env=env, check=False
    )
    assert refused.returncode == 1 and "probe key refused" in refused.stderr
    secret = KEY.encode()
    for text in (result.stdout, result.stderr, refused.stdout, refused.stderr):
        assert KEY not in text
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "probe.key":
            assert secret not in path.read_bytes(), path
    assert json.dumps(probes(db_path)).find(KEY) < 0


def test_a_trickling_answer_is_cut_at_the_deadline(stand_in, db_path, key_file):
    """A token every 0.9 s keeps each read under the first-token wait (1 s), so only the
    whole answer's deadline (1.2 s) can end it: the next read must wait no longer than
    what is left. (The stand-in closes its connections, as many servers do: the socket
    is then no longer the pool's, and its wait was once left at the first-token one.)"""
    upstream, base = stand_in
    model = names(db_path)[0]
    upstream.chat.by_model[model] = ChatBehaviour(ttft=0.9, tps=1 / 0.9, tokens=10)
    settings = settings_for(db_path, base, key_file, PROBE_TTFT_TIMEOUT=1.0, PROBE_TIMEOUT=1.2)
    started = time.monotonic()
    run_probes(settings, model=model)
    took = time.monotonic() - started
    [probe] = probes(db_path)
    assert probe["outcome"] == "timeout", probe
    # The deadline plus the run's own work; a read left at 1 s would end near 1.8 s.
    assert took < 1.6, took
