"""GET /feed.atom: the last events as an Atom 1.0 feed (RFC 4287), built with ElementTree."""

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from flask import Response, request, url_for
from markupsafe import escape

from app.db import flaskdb
from app.plumbing.bodies import Body, cached_body, conditional_response, make_body
from app.plumbing.cache import query_key
from app.readmodel import events_as_shown
from app.web.blueprint import bp

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
FEED_EVENTS = 50
FEED_TITLE = "Chutes TPS Leaderboard: what changed"
# RFC 4287 wants an `updated` even for a feed with no entries yet.
EPOCH = "1970-01-01T00:00:00Z"
# Entry titles by kind; the summary carries the numbers.
TITLES = {
    "tracking_started": "The leaderboard started following chutes.ai",
    "model_added": "New model: {name}",
    "model_removed": "Model removed: {name}",
    "speed_change": "Speed change: {name}",
    "rate_limited": "Often rate-limited: {name}",
    "rate_limited_cleared": "No longer rate-limited: {name}",
    "price_change": "Price change: {name}",
    "probe_failing": "Our probes are failing: {name}",
    "probe_recovered": "Our probes succeed again: {name}",
}


def tag_authority(host: str) -> str:
    """The host as a tag: URI authority (RFC 4151 wants a DNS name): port and oddities off."""
    name = re.sub(r"[^a-z0-9.-]", "", host.rsplit(":", 1)[0].lower()).strip(".-")
    return name or "localhost"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def atom_feed(
    events: Sequence[dict],
    *,
    site_url: str,
    feed_url: str,
    authority: str,
    link_for: Callable[[dict], str],
    stylesheet: str | None = None,
) -> bytes:
    """The feed document for events (API objects, newest first). Pure: no request, no SQL.

    Ids are tag: URIs on the event's permanent id, so a reader never sees one twice.
    """
    # Plain tag names with an xmlns attribute: ElementTree's own namespace handling would
    # print ns0: prefixes, which some feed readers mishandle.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _add(feed, "id", f"tag:{authority},2026:feed")
    _add(feed, "title", FEED_TITLE)
    _add(feed, "subtitle", "Models added and removed, speed changes and rate-limit spells.")
    _add(feed, "updated", events[0]["at"] if events else EPOCH)
    _add(feed, "link", rel="self", type=ATOM_TYPE, href=feed_url)
    _add(feed, "link", rel="alternate", type="text/html", href=site_url)
    author = _add(feed, "author")
    _add(author, "name", "Chutes TPS Leaderboard")
    _add(author, "uri", site_url)
    for event in events:
        entry = _add(feed, "entry")
        _add(entry, "id", f"tag:{authority},{event['at'][:10]}:event-{event['id']}")
        title = TITLES.get(event["kind"], "{name}").format(name=event["name"] or "")
        _add(entry, "title", title)
        _add(entry, "updated", event["at"])
        _add(entry, "published", event["at"])
        _add(entry, "link", rel="alternate", type="text/html", href=link_for(event))
        _add(entry, "category", term=event["kind"])
        _add(entry, "summary", event["summary"], type="text")
    document = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    if stylesheet is None:
        return document
    # A browser renders the feed through this XSLT; feed readers ignore the instruction.
    declaration, _, body = document.partition(b"\n")
    instruction = f'<?xml-stylesheet type="text/xsl" href="{escape(stylesheet)}"?>'
    return b"\n".join((declaration, instruction.encode(), body))


def _feed_body() -> Body:
    conn = flaskdb.get_db()
    events = events_as_shown(conn, FEED_EVENTS)
    site_url = url_for("views.index", _external=True)

    def link_for(event: dict) -> str:
        if event["chute_id"] is None:
            return site_url
        return url_for("views.model", chute_id=event["chute_id"], _external=True)

    data = atom_feed(
        events,
        site_url=site_url,
        feed_url=url_for("views.feed", _external=True),
        authority=tag_authority(request.host),
        link_for=link_for,
        stylesheet=url_for("static", filename="feed.xsl"),
    )
    return make_body(data, ATOM_TYPE, events[0]["at"] if events else None)


@bp.get("/feed.atom")
def feed() -> Response:
    # The feed holds absolute URLs, so the host (and scheme) is part of the cache key.
    key = "feed.atom?" + query_key([("host", request.host_url)])
    return conditional_response(cached_body(key, _feed_body))
