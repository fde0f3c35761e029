"""The Atom feed as a feed reader sees it, and the embeddable badge."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from markupsafe import escape

from app.db import connection
from app.db import events as event_store
from app.db import files as db_files
from app.plumbing.bodies import DATA_CACHE_CONTROL
from app.scraping.events.detect import NewEvent
from app.web.badge_svg import SAFETY, badge, box_width, text_width
from tests.seed import seed, simple_model

ATOM = "{http://www.w3.org/2005/Atom}"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "org/<b>&'\"]]>"


def add_events(db_path: str, events: list[NewEvent], at: str) -> None:
    conn = connection.connect(db_path)
    with conn:
        event_store.insert_events(conn, events, at)
    conn.close()
    db_files.bump_data_version(db_path, 1 + len(events))


def rfc3339(text: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_feed(client, url: str = "/feed.atom", **kwargs) -> ET.Element:
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data)


def assert_rfc4287_feed(feed: ET.Element) -> None:
    """RFC 4287 §4.1.1: atom:feed has id, title, updated, an author (no entry here has
    its own), and SHOULD have a link rel=self; each entry has id, title, updated, a link."""
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    rfc3339(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    [self_link] = [x for x in feed.findall(f"{ATOM}link") if x.get("rel") == "self"]
    assert re.match(r"https?://", self_link.get("href"))
    for entry in feed.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{name}"), name
        rfc3339(entry.findtext(f"{ATOM}updated"))
        assert re.match(r"https?://", entry.find(f"{ATOM}link").get("href"))


def test_empty_feed_is_valid(client):
    feed = parse_feed(client)
    assert_rfc4287_feed(feed)
    assert feed.findall(f"{ATOM}entry") == []
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/feed.atom"


def test_feed_holds_the_last_50_events_with_stable_ids(client, db_path):
    events = [
        NewEvent("model_added", f"m{i}", f"org/M{i}", f"New on chutes.ai: org/M{i}", {}, f"k{i}")
        for i in range(55)
    ]
    add_events(
        db_path,
        [NewEvent("tracking_started", None, None, "Started", {}, "t")],
        "2026-10-01T00:00:00+00:00",
    )
    add_events(db_path, events, "2026-10-03T12:30:00+00:00")
    feed = parse_feed(client)
    assert_rfc4287_feed(feed)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 50
    assert entries[0].findtext(f"{ATOM}title") == "New model: org/M54"
    assert entries[0].findtext(f"{ATOM}summary") == "New on chutes.ai: org/M54"
    assert entries[0].find(f"{ATOM}link").get("href") == "http://localhost/models/m54"
    assert feed.findtext(f"{ATOM}updated") == "2026-10-03T12:30:00Z"
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 50 and all(i.startswith("tag:localhost,2026-10-03:") for i in ids)
    # A newer event does not change the ids of the older ones.
    add_events(
        db_path,
        [NewEvent("model_removed", "m1", "org/M1", "gone", {}, "r1")],
        "2026-10-04T00:00:00+00:00",
    )
    newer = [e.findtext(f"{ATOM}id") for e in parse_feed(client).findall(f"{ATOM}entry")]
    assert newer[1:] == ids[:49]


def test_feed_urls_follow_the_host_and_are_cached_per_host(client, db_path):
    add_events(
        db_path,
        [NewEvent("model_added", "m", "org/M", "New", {}, "k")],
        "2026-10-03T00:00:00+00:00",
    )
    a = parse_feed(client, base_url="https://a.example")
    b = parse_feed(client, base_url="https://b.example:8443")
    assert a.find(f"{ATOM}entry/{ATOM}link").get("href") == "https://a.example/models/m"
    assert b.find(f"{ATOM}link[@rel='self']").get("href") == "https://b.example:8443/feed.atom"
    assert b.findtext(f"{ATOM}entry/{ATOM}id").startswith("tag:b.example,")


def test_feed_escapes_text_and_is_conditional(client, db_path):
    add_events(
        db_path,
        [NewEvent("model_added", "m", HOSTILE, f"New: {HOSTILE}", {}, "k")],
        "2026-10-03T00:00:00+00:00",
    )
    response = client.get("/feed.atom")
    feed = ET.fromstring(response.data)
    assert feed.find(f"{ATOM}entry").findtext(f"{ATOM}title") == f"New model: {HOSTILE}"
    again = client.get("/feed.atom", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


@pytest.mark.parametrize("path", ["/", "/methodology", "/models/fast"])
def test_every_page_links_the_feed_in_its_head(client, db_path, path):
    entry, rows = simple_model("fast", "org/Fast", {1: (90.0, 500)})
    seed(db_path, [entry], rows)
    head = client.get(path).get_data(as_text=True).split("</head>")[0]
    assert (
        '<link rel="alternate" type="application/atom+xml"' in head and 'href="/feed.atom"' in head
    )


# --- badges ----------------------------------------------------------------------------


def parse_badge(data: bytes) -> tuple[ET.Element, list[str]]:
    svg = ET.fromstring(data)
    assert svg.tag == f"{SVG}svg"
    return svg, [t.text for t in svg.iter(f"{SVG}text")]


def test_badge_shows_the_ranked_day_tps(client, db_path):
    # Today has too few requests to rank: yesterday's 123.4 is the ranked day's TPS.
    entry, rows = simple_model("fast", "org/Fast", {0: (300.0, 20), 1: (123.44, 500)})
    seed(db_path, [entry], rows)
    response = client.get("/badge/fast.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == DATA_CACHE_CONTROL
    # Other sites' pages show it in an <img>.
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    svg, texts = parse_badge(response.data)
    assert texts == ["chutes TPS", "chutes TPS", "123.4 tok/s", "123.4 tok/s"]
    assert svg.get("aria-label") == "chutes TPS: 123.4 tok/s"
    again = client.get("/badge/fast.svg", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_unranked_model_gets_a_grey_no_data_badge(client, db_path):
    entry, rows = simple_model("thin", "org/Thin", {1: (50.0, 10)})
    seed(db_path, [entry], rows)
    svg, texts = parse_badge(client.get("/badge/thin.svg").data)
    assert texts[-1] == "no data"
    fills = [r.get("fill") for r in svg.iter(f"{SVG}rect")]
    assert "#6e7781" in fills and "#0969da" not in fills


def test_unknown_id_is_a_grey_unknown_badge_with_404(client, db_path):
    response = client.get("/badge/nope.svg")
    assert response.status_code == 404 and response.mimetype == "image/svg+xml"
    assert parse_badge(response.data)[1][-1] == "unknown"


def test_badge_boxes_fit_their_measured_text():
    svg, _ = parse_badge(badge("chutes TPS", "1,234.5 tok/s"))
    rects = [r for r in svg.iter(f"{SVG}rect") if r.get("fill", "").startswith("#")]
    label_box, value_box = (float(r.get("width")) for r in rects[-2:])
    assert label_box == box_width("chutes TPS") and value_box == box_width("1,234.5 tok/s")
    assert float(svg.get("width")) == pytest.approx(label_box + value_box)
    for text in svg.iter(f"{SVG}text"):
        assert float(text.get("textLength")) == text_width(text.text)


def test_text_width_is_per_character():
    assert text_width("0000") == text_width("9999") == pytest.approx(4 * 7.0)
    assert text_width("W") > text_width("i")
    assert text_width("漢") >= max(text_width(c) for c in "MW%")  # unknown: the widest
    assert box_width("abc") == pytest.approx(text_width("abc") * SAFETY + 12, abs=0.1)


CHROMIUM_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
READER_ACCEPTS = [
    None,  # curl, most readers
    "*/*",
    "application/atom+xml",
    "application/rss+xml, application/rdf+xml;q=0.8, application/atom+xml;q=0.6, "
    "application/xml;q=0.4, text/xml;q=0.4",
    "application/atom+xml, text/html;q=0.5",
]


@pytest.mark.parametrize("accept", READER_ACCEPTS)
def test_feed_readers_get_atom(client, accept):
    headers = {"Accept": accept} if accept else {}
    for _ in range(3):  # the third is replayed by app/plumbing/hotpath.py
        assert_rfc4287_feed(parse_feed(client, headers=headers))


def test_a_browser_gets_the_feed_as_a_page_of_the_site(client, db_path):
    """Defect 15: browsers show application/atom+xml as raw XML (and XSLT, deprecated in
    every browser, brings a removal warning): one that asks for HTML gets a page."""
    add_events(
        db_path,
        [NewEvent("model_added", "m", HOSTILE, f"New: {HOSTILE}", {}, "k")],
        "2026-10-03T00:00:00+00:00",
    )
    atom = client.get("/feed.atom")
    for _ in range(3):  # a variant replayed for the other would undo the fix
        page = client.get("/feed.atom", headers={"Accept": CHROMIUM_ACCEPT})
        assert page.mimetype == "text/html"
        assert client.get("/feed.atom").mimetype == "application/atom+xml"
    html = page.get_data(as_text=True)
    feed = ET.fromstring(atom.data)
    entry = feed.find(f"{ATOM}entry")
    # The same entry, its title linked to the same place, escaped; the feed's address.
    title = entry.findtext(f"{ATOM}title")
    link = entry.find(f"{ATOM}link").get("href")
    assert title == f"New model: {HOSTILE}"
    assert f'<a href="{link}">{escape(title)}</a>' in html
    assert "<b>" not in html.split("<main", 1)[1]
    assert '<code id="feed-url">http://localhost/feed.atom</code>' in html
    for response in (atom, page):
        assert "Accept" in response.headers["Vary"]
    # Each variant has its own validator: a cache holding one never answers for the other.
    assert page.headers["ETag"] != atom.headers["ETag"]
    again = client.get(
        "/feed.atom", headers={"Accept": CHROMIUM_ACCEPT, "If-None-Match": page.headers["ETag"]}
    )
    assert again.status_code == 304


def test_the_feed_page_says_when_nothing_changed_yet(client):
    page = client.get("/feed.atom", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html"
    assert "No changes recorded yet." in page.get_data(as_text=True)
