"""A probe run's figures show at once: after its commit the run replaces
`<database>.probe-version`, part of the data version every cache is keyed on (app/db/files.py),
so cached pages and API bodies are rebuilt without waiting for the next scrape; a run that
cannot write that file failed (exit != 0), as a scrape's does."""

import os
import subprocess
import sys

import pytest

from app.db import files as db_files
from app.probing.run import run_probes
from app.settings import Settings
from tests.conftest import new_app
from tests.helpers import probe_env, scrape
from tests.standin import Dataset, UpstreamApp
from tests.standin.chat import ChatBehaviour


@pytest.fixture
def site(serve_stand_in, db_path):
    upstream, base = serve_stand_in(UpstreamApp(Dataset.synthetic(2, days=3, seed=7)))
    assert scrape(db_path, base).status == "ok"
    upstream.chat.default = ChatBehaviour(ttft=0.01, tps=1000, tokens=8)
    return upstream, base


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "probe.key"
    path.write_text("cpk_version")
    return str(path)


def settings_for(db_path, base, key_file):
    return Settings.from_mapping(
        {"DATABASE": db_path, "LLM_URL": base, "REQUEST_DELAY": 0, "PROBE_KEY_FILE": key_file}
    )


def probe_shown(client, chute_id):
    """What each of the three answers says of our probes (fetched three times, so the hot
    path, which keeps a URL on its second miss, holds each of them)."""
    for _ in range(3):
        board = client.get("/").get_data(as_text=True)
        page = client.get(f"/models/{chute_id}").get_data(as_text=True)
        models = client.get("/api/models").get_json()
    return {
        "/": "Our probes" in board,
        "/models/<id>": "Our own probes" in page,
        "/api/models": all("probe_n_24h" in m for m in models),
    }


@pytest.mark.parametrize("hot_path", [True, False], ids=["hot-path", "response-cache"])
def test_a_probe_run_is_shown_at_once_by_cached_answers(site, db_path, key_file, hot_path):
    _upstream, base = site
    client = new_app({"DATABASE": db_path, "HOT_PATH": hot_path}).test_client()
    chute_id = client.get("/api/models").get_json()[0]["chute_id"]
    assert probe_shown(client, chute_id) == dict.fromkeys(
        ("/", "/models/<id>", "/api/models"), False
    )
    before = db_files.data_version(db_path)
    for _ in range(5):
        assert run_probes(settings_for(db_path, base, key_file)).status == "ok"
    assert probe_shown(client, chute_id) == dict.fromkeys(
        ("/", "/models/<id>", "/api/models"), True
    )
    assert db_files.data_version(db_path) != before


def test_a_probe_run_that_cannot_write_the_data_version_failed(site, db_path, key_file):
    _upstream, base = site
    os.mkdir(db_files.probe_version_path(db_path))  # a directory where the file goes
    outcome = run_probes(settings_for(db_path, base, key_file))
    assert (outcome.status, outcome.exit_code) == ("failed", 1)
    assert "data version could not be written" in outcome.message
    env = probe_env(db_path, base, key_file)
    result = subprocess.run(
        [sys.executable, "probe.py"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "data version could not be written" in result.stderr


def test_the_data_version_is_both_files_and_none_before_a_scrape(tmp_path):
    database = str(tmp_path / "db.sqlite3")
    db_files.bump_probe_version(database, 1)
    assert db_files.data_version(database) == db_files.NO_VERSION  # no scrape yet
    db_files.bump_data_version(database, 7)
    scraped = db_files.data_version(database)
    assert scraped != db_files.NO_VERSION
    db_files.bump_probe_version(database, 2)
    probed = db_files.data_version(database)
    assert probed[:3] == scraped[:3] and probed != scraped
    os.unlink(db_files.probe_version_path(database))
    assert db_files.data_version(database)[3:] == (0, 0, 0)
    # The scrape's own check reads its file alone: a probe run never renames the scrape.
    db_files.bump_probe_version(database, 99)
    assert db_files.version_run(database) == 7
    assert oct(os.stat(db_files.probe_version_path(database)).st_mode & 0o777) == "0o644"
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".version-")]
