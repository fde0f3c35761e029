"""Measured TTFT and TPS agree with what the stand-in was set to, within 10 %, across
20-400 tok/s and 0.1-2 s first-token delays (real streams in real time: a few short ones,
about 7 s in all)."""

import sqlite3
from datetime import UTC, datetime

import pytest

from app.probing.run import run_probes
from app.settings import Settings
from tests.helpers import scrape
from tests.standin import Dataset, UpstreamApp
from tests.standin.chat import ChatBehaviour

# (first-token delay s, tokens/s): both ends of both ranges, and the middle.
CASES = [(0.1, 400.0), (2.0, 20.0), (0.5, 100.0), (0.1, 20.0)]


def test_measured_ttft_and_tps_within_ten_percent(serve_stand_in, db_path, tmp_path):
    today = datetime(2026, 11, 20, tzinfo=UTC).date()
    upstream, base = serve_stand_in(UpstreamApp(Dataset.synthetic(len(CASES), days=2, today=today)))
    assert scrape(db_path, base).status == "ok"
    key = tmp_path / "probe.key"
    key.write_text("cpk_accuracy")
    conn = sqlite3.connect(db_path)
    names = [r[0] for r in conn.execute("SELECT name FROM models ORDER BY name")]
    conn.close()
    for name, (ttft, tps) in zip(names, CASES, strict=True):
        # About one second of decoding whatever the rate.
        upstream.chat.by_model[name] = ChatBehaviour(ttft=ttft, tps=tps, tokens=int(tps) + 1)
    settings = Settings.from_mapping(
        {
            "DATABASE": db_path,
            "LLM_URL": base,
            "REQUEST_DELAY": 0,
            "PROBE_KEY_FILE": str(key),
            "PROBE_MAX_TOKENS": 500,
            "PROBE_DAILY_TOKENS": 10_000,
        }
    )
    assert run_probes(settings).status == "ok"
    conn = sqlite3.connect(db_path)
    measured = {
        name: (ttft_s, tps_)
        for name, outcome, ttft_s, tps_ in conn.execute(
            "SELECT m.name, p.outcome, p.ttft_s, p.tps FROM probes p JOIN models m USING (chute_id)"
        )
        if outcome == "ok"
    }
    conn.close()
    for name, (ttft, tps) in zip(names, CASES, strict=True):
        got_ttft, got_tps = measured[name]
        assert got_ttft == pytest.approx(ttft, rel=0.10), (name, ttft, tps)
        assert got_tps == pytest.approx(tps, rel=0.10), (name, ttft, tps)
