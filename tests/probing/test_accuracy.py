"""Measured TTFT and TPS agree with what the stand-in was set to, within 10 %, across
20-400 tok/s and 0.1-2 s first-token delays (real streams in real time: three runs of a
few short ones, about 20 s in all).

The machine's noise is tolerated by repetition, not by a wider band: the median of three
probes per case must be within 10 %. One probe delayed by a loaded machine (under xdist
a browser test beside it once made a 0.1 s TTFT read 0.123 s) is the machine, not the
prober; a prober that is wrong is wrong in every run."""

import sqlite3
import statistics
from datetime import UTC, datetime

import pytest

from app.probing.run import run_probes
from app.settings import Settings
from tests.helpers import scrape
from tests.standin import Dataset, UpstreamApp
from tests.standin.chat import ChatBehaviour

# (first-token delay s, tokens/s): both ends of both ranges, and the middle.
CASES = [(0.1, 400.0), (2.0, 20.0), (0.5, 100.0), (0.1, 20.0)]
RUNS = 3


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
            "PROBE_DAILY_TOKENS": 10_000,  # three runs of ~550 tokens
        }
    )
    for _ in range(RUNS):
        assert run_probes(settings).status == "ok"
    conn = sqlite3.connect(db_path)
    measured: dict[str, list[tuple[float, float]]] = {}
    for name, outcome, ttft_s, tps_ in conn.execute(
        "SELECT m.name, p.outcome, p.ttft_s, p.tps FROM probes p JOIN models m USING (chute_id)"
    ):
        assert outcome == "ok", name
        measured.setdefault(name, []).append((ttft_s, tps_))
    conn.close()
    for name, (ttft, tps) in zip(names, CASES, strict=True):
        assert len(measured[name]) == RUNS
        got_ttft = statistics.median(t for t, _ in measured[name])
        got_tps = statistics.median(r for _, r in measured[name])
        assert got_ttft == pytest.approx(ttft, rel=0.10), (name, ttft, tps, measured[name])
        assert got_tps == pytest.approx(tps, rel=0.10), (name, ttft, tps, measured[name])
