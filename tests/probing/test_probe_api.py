"""Probe figures in the API, both ways: off, no probe field, column, endpoint or health
part; on, every field, the raw probes, the CSV columns and the health part."""

import csv
import io

import pytest

from app.probe_figures import PROBE_FIELDS
from app.probing.run import run_probes
from app.settings import Settings
from tests.conftest import new_app
from tests.helpers import scrape
from tests.standin import Dataset, UpstreamApp
from tests.standin.chat import ChatBehaviour


@pytest.fixture
def scraped_site(serve_stand_in, db_path):
    upstream, base = serve_stand_in(UpstreamApp(Dataset.synthetic(3, days=3, seed=5)))
    assert scrape(db_path, base).status == "ok"
    return upstream, base


def client_for(db_path):
    return new_app({"DATABASE": db_path, "HOT_PATH": False}).test_client()


def probe_once(db_path, base, tmp_path):
    key = tmp_path / "probe.key"
    key.write_text("cpk_api")
    settings = Settings.from_mapping(
        {"DATABASE": db_path, "LLM_URL": base, "REQUEST_DELAY": 0, "PROBE_KEY_FILE": str(key)}
    )
    for _ in range(5):
        assert run_probes(settings).status == "ok"


def test_off_nothing_about_probes(scraped_site, db_path):
    client = client_for(db_path)
    models = client.get("/api/models").get_json()
    assert models and not any(k.startswith("probe") for m in models for k in m)
    assert "probe" not in client.get("/api/models.csv").get_data(as_text=True)
    chute = models[0]["chute_id"]
    assert client.get(f"/api/models/{chute}/probes").status_code == 404
    assert client.get("/api/health").get_json()["probes"] == "off"


def test_on_every_field_the_raw_probes_csv_and_health(scraped_site, db_path, tmp_path):
    upstream, base = scraped_site
    upstream.chat.default = ChatBehaviour(ttft=0.01, tps=1000, tokens=8)
    probe_once(db_path, base, tmp_path)
    client = client_for(db_path)
    models = client.get("/api/models").get_json()
    for model in models:
        assert set(PROBE_FIELDS) <= set(model)
        assert model["probe_n_24h"] == 5 and model["probe_ok_share_24h"] == 1.0
        assert model["probe_tps_p50_24h"] > 0 and model["probe_ttft_p90_7d"] > 0
    chute = models[0]["chute_id"]
    raw = client.get(f"/api/models/{chute}/probes").get_json()
    assert len(raw) == 5 and raw[0]["outcome"] == "ok"
    assert list(raw[0]) == [
        "at",
        "outcome",
        "http_status",
        "ttft_s",
        "tps",
        "output_tokens",
        "total_s",
    ]
    assert raw == sorted(raw, key=lambda p: p["at"], reverse=True)
    header = next(csv.reader(io.StringIO(client.get("/api/models.csv").get_data(as_text=True))))
    assert "probe_tps_p50_24h" in header
    health = client.get("/api/health").get_json()["probes"]
    assert health["status"] == "ok" and health["last_run_at"]
