"""The pages both ways: off, no probe word, column or section on the board, a model page,
compare or the methodology; on, ours beside chutes.ai's figures, the model page's section
with its strip charts, and the methodology's section."""

import pytest

from app.probing.run import run_probes
from app.settings import Settings
from tests.conftest import new_app
from tests.helpers import scrape
from tests.standin import Dataset, UpstreamApp
from tests.standin.chat import ChatBehaviour

KEY = "cpk_pages_SECRET_0123456789"


@pytest.fixture
def site(serve_stand_in, db_path):
    upstream, base = serve_stand_in(UpstreamApp(Dataset.synthetic(2, days=3, seed=7)))
    assert scrape(db_path, base).status == "ok"
    return upstream, base


def pages(db_path):
    client = new_app({"DATABASE": db_path, "HOT_PATH": False}).test_client()
    models = client.get("/api/models").get_json()
    ids = [m["chute_id"] for m in models]
    paths = [
        "/",
        "/?view=table",
        "/methodology",
        f"/models/{ids[0]}",
        f"/compare?ids={ids[0]},{ids[1]}",
    ]
    out = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        out[path] = response.get_data(as_text=True)
    return out


def test_off_no_probe_anything_on_any_page(site, db_path):
    for path, html in pages(db_path).items():
        assert "Our probes" not in html and "Our own probes" not in html, path
        assert "ours:" not in html and 'class="probes"' not in html, path
        assert "Our probes:" not in html, path
        assert "our probes: every 30 min" not in html, path


def test_on_ours_beside_theirs_and_the_sections(site, db_path, tmp_path):
    upstream, base = site
    upstream.chat.default = ChatBehaviour(ttft=0.01, tps=1000, tokens=8)
    key = tmp_path / "probe.key"
    key.write_text(KEY)
    settings = Settings.from_mapping(
        {"DATABASE": db_path, "LLM_URL": base, "REQUEST_DELAY": 0, "PROBE_KEY_FILE": str(key)}
    )
    for _ in range(5):
        assert run_probes(settings).status == "ok"
    found = pages(db_path)
    board = found["/"]
    assert "Our probes" in board  # the cards
    # The one line saying whose numbers these are names ours too (SPEC §6).
    assert "over all traffic · our probes: every 30 min" in board
    assert "ours:" in found["/?view=table"]  # the table
    model_page = next(html for path, html in found.items() if path.startswith("/models/"))
    assert "Our own probes" in model_page
    assert model_page.count("<circle") >= 10  # 5 probes, two strips
    assert "Failures by kind" in model_page
    assert "Our own probes" in found["/methodology"]
    assert "Our probes: TPS p50" in next(h for p, h in found.items() if p.startswith("/compare"))
    for html in found.values():
        assert KEY not in html


def test_the_probe_charts_place_each_probe_in_time_and_value():
    """Plain data: a dot per ok probe, x by time across 7 days, y from zero; the axes."""
    from datetime import UTC, datetime

    from app.web.probes_view import strip

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    probes = [
        {"at": "2026-11-26T12:00:00+00:00", "outcome": "ok", "tps": 100.0},
        {"at": "2026-11-30T00:00:00+00:00", "outcome": "ok", "tps": 50.0},
        {"at": "2026-12-03T12:00:00+00:00", "outcome": "ok", "tps": 200.0},
        {"at": "2026-12-01T00:00:00+00:00", "outcome": "http_5xx", "tps": None},
    ]
    chart = strip(probes, "tps", now, str)
    first, middle, last = chart.points
    assert first.x < middle.x < last.x
    assert round((middle.x - first.x) / (last.x - first.x), 3) == 0.5  # 3.5 of 7 days
    assert chart.left < first.x and last.x < chart.right
    zero = chart.y_ticks[0].pos
    assert zero == chart.bottom and (zero - middle.y) * 2 == pytest.approx(zero - first.y)
    assert [t.label for t in chart.x_ticks] == ["Nov 26", "Nov 28", "Dec 1", "Dec 3"]
    assert strip([], "tps", now, str).empty
