"""A model page's events: listed, marked on its charts, and its badge's embed code."""

import html
import re

from app.db import connection
from app.db import events as event_store
from app.db import files as db_files
from app.scraping.events.detect import NewEvent
from app.web import charts
from app.web.model_page import event_mark
from tests.seed import days_ago, seed, simple_model


def seeded_with_events(db_path: str) -> None:
    entry, rows = simple_model("m", "org/M<1>", {n: (50.0 + n, 500) for n in range(1, 10)})
    seed(db_path, [entry], rows)
    conn = connection.connect(db_path)
    shift = NewEvent(
        "speed_change", "m", "org/M<1>", "org/M<1> got 25% faster", {"change": 0.25}, "s"
    )
    added = NewEvent("model_added", "m", "org/M<1>", "New on chutes.ai: org/M<1>", {}, "a")
    other = NewEvent("model_added", "x", "org/X", "New on chutes.ai: org/X", {}, "x")
    with conn:
        event_store.insert_events(conn, [added, other], days_ago(5) + "T08:00:00+00:00")
        event_store.insert_events(conn, [shift], days_ago(0) + "T08:00:00+00:00")
    conn.close()
    db_files.bump_data_version(db_path, 9)


def test_model_page_lists_its_events_newest_first(client, db_path):
    seeded_with_events(db_path)
    page = client.get("/models/m").get_data(as_text=True)
    listed = re.findall(r'<span class="event-summary">([^<]*)</span>', page)
    assert listed == ["org/M&lt;1&gt; got 25% faster", "New on chutes.ai: org/M&lt;1&gt;"]
    assert "org/X" not in page


def test_model_page_marks_events_on_every_chart(client, db_path):
    seeded_with_events(db_path)
    page = client.get("/models/m").get_data(as_text=True)
    labels = re.findall(r'<g class="mark">.*?<text [^>]*>([^<]*)</text>', page, re.S)
    assert labels == ["added", "+25%"] * 3  # TPS, TTFT and requests charts


def test_embed_code_has_absolute_urls_for_the_host_asked(client, db_path):
    seeded_with_events(db_path)
    for base in ("https://tps.example", "http://other.example:8080"):
        page = client.get("/models/m", base_url=base).get_data(as_text=True)
        markdown = html.unescape(re.search(r'id="embed-markdown"[^>]*>([^<]*)<', page).group(1))
        assert markdown == f"[![chutes TPS]({base}/badge/m.svg)]({base}/models/m)"
        snippet = html.unescape(re.search(r'id="embed-html"[^>]*>([^<]*)<', page).group(1))
        assert snippet == (
            f'<a href="{base}/models/m"><img src="{base}/badge/m.svg"'
            ' alt="chutes TPS of org/M&lt;1&gt;" height="20"></a>'
        )


def test_event_marks_label_the_kind_or_the_change():
    event = {"kind": "speed_change", "at": "2026-10-03T08:00:00Z", "summary": "s"}
    # A speed change is marked where its first changed week begins.
    shift = {"change": -0.312, "since": "2026-10-01"}
    assert event_mark({**event, "detail": shift}) == ("2026-09-25", "-31%", "s")
    assert event_mark({**event, "detail": {"change": 0.5}}) == ("2026-10-03", "+50%", "s")
    added = {**event, "kind": "model_added", "detail": {}}
    assert event_mark(added)[1] == "added"


def test_place_markers_clamps_to_the_charted_days_and_merges_a_day():
    def x_of(ordinal: int) -> float:
        return float(ordinal % 1000)

    markers = charts.place_markers(
        [
            ("2026-10-05", "b", "two"),
            ("2026-10-05", "a", "one"),
            ("2026-09-01", "old", "before the chart"),
            ("2026-10-20", "new", "after the chart"),
        ],
        "2026-10-01",
        "2026-10-10",
        x_of,
    )
    ordinal = charts._ordinal
    assert [(m.x, m.label) for m in markers] == [
        (x_of(ordinal("2026-10-01")), "old"),
        (x_of(ordinal("2026-10-05")), "a +1"),
        (x_of(ordinal("2026-10-10")), "new"),
    ]
    assert markers[1].title == "Oct 5: one; Oct 5: two"
    assert markers[2].title == "Oct 20: after the chart"


def test_chart_places_marks_on_its_own_x_scale():
    series = [("2026-10-01", 10.0), ("2026-10-11", 20.0)]
    line = charts.chart(series, marks=[("2026-10-06", "m", "t")])
    [marker] = line.markers
    assert marker.x == (line.points[0].x + line.points[1].x) / 2
    bars = charts.chart(series, kind="bar", marks=[("2026-10-06", "m", "t")])
    assert bars.markers[0].x == (bars.bars[0].x + bars.bars[1].x + bars.bars[1].width) / 2
    assert charts.chart([], marks=[("2026-10-06", "m", "t")]).markers == []


def test_methodology_explains_the_events(client):
    page = client.get("/methodology").get_data(as_text=True)
    for phrase in (
        "7 complete UTC days ending yesterday",
        "20&nbsp;%",
        "700 requests",
        "Atom feed",
    ):
        assert phrase in page, phrase
