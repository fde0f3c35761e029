"""Lineage end to end (SPEC §5): chutes.ai moves a model to a new chute, the real scraper
follows it day by day over the loopback stand-in (on a manual clock), and the site links
the two: `predecessors` / `successor` in the API and the CSV, the model pages' links, and
the predecessor's history drawn as its own series beside the successor's."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from app import clock
from tests.clocks import ManualClock
from tests.conftest import new_app
from tests.helpers import scrape
from tests.standin import (
    Dataset,
    UtilizationFeed,
    make_chute,
    make_model_entry,
    make_row,
    make_upstream_app,
    moved_to_new_chute,
    serve,
)

MOVE_DAY = date(2026, 6, 10)
OLD_ID = "a1a1a1a1-0000-4000-8000-000000000001"
NEW_ID = "b2b2b2b2-0000-4000-8000-000000000002"
OTHER_ID = "c3c3c3c3-0000-4000-8000-000000000003"
OLD_NAME, NEW_NAME = "Qwen/Qwen3-32B", "Qwen/Qwen3-32B-TEE"


def model(chute_id: str, name: str, tps: float, first: date, last: date):
    rows, day = [], first
    while day <= last:
        rows.append(make_row(chute_id, name, day, 2000, 2000 * 900, 2000 * 300, tps, 0.7))
        day += timedelta(days=1)
    return make_model_entry(name, chute_id), make_chute(name, chute_id), rows


def before_the_move(old_name: str = OLD_NAME) -> Dataset:
    """Two models, the one that will move with 20 days of history up to the move day."""
    parts = [
        model(OLD_ID, old_name, 40.0, MOVE_DAY - timedelta(days=20), MOVE_DAY - timedelta(days=1)),
        model(OTHER_ID, "org/Other-8B", 90.0, MOVE_DAY - timedelta(days=20), MOVE_DAY),
    ]
    return Dataset([p[0] for p in parts], [p[1] for p in parts], [r for p in parts for r in p[2]])


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def follow_the_move(db_path: str, *, old_name: str = OLD_NAME, new_name: str = NEW_NAME, **config):
    """Scrape two days with the old chute listed, then the day the new one replaces it."""
    upstream = make_upstream_app(before_the_move(old_name))
    # Autoscaler snapshots on the same manual days as the runs (a snapshot a run).
    upstream.utilization = UtilizationFeed(noon(MOVE_DAY - timedelta(days=2)), timedelta(days=1))
    with serve(upstream) as base, clock.use(ManualClock(noon(MOVE_DAY - timedelta(days=2)))) as c:
        for _ in range(2):
            assert scrape(db_path, base, **config).status == "ok"
            c.advance(86400)
        upstream.dataset = moved_to_new_chute(
            upstream.dataset,
            OLD_ID,
            NEW_ID,
            new_name,
            first_day=MOVE_DAY,
            last_day=MOVE_DAY,
            tps_factor=2.0,
        )
        assert scrape(db_path, base, **config).status == "ok"


def site(db_path: str, **config):
    return new_app({"DATABASE": db_path, **config}).test_client()


def series_groups(page: str) -> dict[str, str]:
    """The lineage chart's series groups by role: lineage-predecessor / lineage-this."""
    chart = page[page.index('class="model-lineage"') :]
    chart = chart[: chart.index("</section>")]
    return dict(
        re.findall(
            r'<g class="overlay-series series-\d+ (lineage-\w+)"[^>]*>(.*?)</g>', chart, re.S
        )
    )


def test_a_model_moved_to_a_new_chute_links_its_predecessor_everywhere(db_path):
    follow_the_move(db_path)
    client = site(db_path)
    with clock.use(ManualClock(noon(MOVE_DAY) + timedelta(hours=1))):
        listed = {m["chute_id"]: m for m in client.get("/api/models").get_json()}
        new, old = (client.get(f"/api/models/{cid}").get_json() for cid in (NEW_ID, OLD_ID))
        table = list(csv.DictReader(io.StringIO(client.get("/api/models.csv").text)))
        new_page = client.get(f"/models/{NEW_ID}").text
        old_page = client.get(f"/models/{OLD_ID}").text

    # The API: the new chute names its predecessor, the old one its successor.
    assert OLD_ID not in listed  # it left the catalogue
    assert listed[NEW_ID]["predecessors"] == [OLD_ID] and listed[NEW_ID]["successor"] is None
    assert listed[OTHER_ID]["predecessors"] == [] and listed[OTHER_ID]["successor"] is None
    assert new["predecessors"] == [OLD_ID] and new["successor"] is None
    assert old["successor"] == NEW_ID and old["predecessors"] == [] and old["active"] is False
    # Figures stay per chute: the new one's history is its own (first) day only.
    assert [h["date"] for h in new["history"]] == [MOVE_DAY.isoformat()]
    assert len(old["history"]) == 20
    by_id = {row["chute_id"]: row for row in table}
    assert by_id[NEW_ID]["predecessors"] == OLD_ID and by_id[NEW_ID]["successor"] == ""

    # The pages link each other.
    assert f'href="/models/{OLD_ID}" rel="prev">{OLD_NAME}</a>' in new_page
    assert f'href="/models/{NEW_ID}" rel="next">{NEW_NAME}</a>' in old_page

    # The predecessor's history is beside the new one's, drawn apart: its own series with
    # its own path, holding its 20 days and nothing of the new chute's.
    groups = series_groups(new_page)
    assert set(groups) == {"lineage-predecessor", "lineage-this"}
    old_marks = re.findall(r"<title>([^<]*)</title>", groups["lineage-predecessor"])
    new_marks = re.findall(r"<title>([^<]*)</title>", groups["lineage-this"])
    assert len(old_marks) == 20 and all(
        t.startswith(OLD_NAME + " (predecessor)") for t in old_marks
    )
    assert "40 tok/s" in old_marks[-1] or "40.0 tok/s" in old_marks[-1]
    assert len(new_marks) == 1 and new_marks[0].startswith(NEW_NAME + " (this chute)")
    paths = [
        re.findall(r'class="overlay-line" d="([^"]+)"', groups[role])
        for role in ("lineage-predecessor", "lineage-this")
    ]
    assert all(len(p) == 1 for p in paths), "one line per chute"
    old_path, new_path = paths[0][0], paths[1][0]
    # Not joined: the old line ends where its last day is, the new one starts apart.
    old_end_x = float(re.findall(r"[ML]([\d.]+) ", old_path)[-1])
    new_start_x = float(re.match(r"M([\d.]+) ", new_path).group(1))
    assert new_start_x > old_end_x


def test_lineage_override_links_chutes_the_name_rule_does_not(db_path, monkeypatch):
    """A move to an unrelated name is linked only through LINEAGE (old chute_id -> new), as
    the environment sets it; `null` unlinks a name-rule match."""
    follow_the_move(db_path, new_name="Qwen/Qwen3-32B-Fast")
    with clock.use(ManualClock(noon(MOVE_DAY) + timedelta(hours=1))):
        plain = site(db_path).get(f"/api/models/{NEW_ID}").get_json()
        assert plain["predecessors"] == []
        monkeypatch.setenv("LEADERBOARD_LINEAGE", f'{{"{OLD_ID}": "{NEW_ID}"}}')
        client = site(db_path)
        linked = client.get(f"/api/models/{NEW_ID}").get_json()
        old = client.get(f"/api/models/{OLD_ID}").get_json()
        page = client.get(f"/models/{NEW_ID}").text
    assert linked["predecessors"] == [OLD_ID] and old["successor"] == NEW_ID
    assert f'href="/models/{OLD_ID}" rel="prev"' in page


def test_lineage_override_null_unlinks_a_name_match(db_path):
    follow_the_move(db_path)
    with clock.use(ManualClock(noon(MOVE_DAY) + timedelta(hours=1))):
        client = site(db_path, LINEAGE={OLD_ID: None})
        new = client.get(f"/api/models/{NEW_ID}").get_json()
        page = client.get(f"/models/{NEW_ID}").text
    assert new["predecessors"] == []
    assert 'class="model-lineage"' not in page


@pytest.mark.parametrize("value", ["not json", '["a"]', '{"a": 5}', '{"a": "a"}', '{"": "b"}'])
def test_a_bad_lineage_setting_is_refused_naming_it(value, monkeypatch, tmp_path):
    from app.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="LINEAGE"):
        Settings.load(environ={"LEADERBOARD_LINEAGE": value})


def test_the_api_document_and_the_methodology_describe_lineage(client):
    spec = client.get("/api/openapi.json").get_json()
    model = spec["components"]["schemas"]["Model"]
    assert {"predecessors", "successor"} <= set(model["required"])
    assert "-TEE" in model["properties"]["predecessors"]["description"]
    assert "LINEAGE" in model["properties"]["successor"]["description"]
    methodology = client.get("/methodology").text
    assert 'id="m-lineage"' in methodology and "-TEE</code> removed" in methodology
