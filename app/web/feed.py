"""GET /feed.atom: the last events as an Atom 1.0 feed (RFC 4287), built with ElementTree,
and as a page of the site for a browser that opens it (the same events and titles)."""

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from flask import Response, render_template, request, url_for
from werkzeug.datastructures import MIMEAccept

from app import clock
from app.db import flaskdb
from app.plumbing.bodies import Body, cached_body, conditional_response, make_body
from app.plumbing.cache import query_key
from app.plumbing.pages import Page, page_lifetime, serve_cached
from app.readmodel import events_as_shown
from app.web.blueprint import bp
from app.web.freshness import freshness

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
# Browsers show application/atom+xml as raw text, and an XSLT stylesheet is no way out:
# every browser has deprecated XSLT (Chromium 156 covers such a page with a removal
# warning). So a browser, which asks for text/html before anything else, gets the feed as
# a page of the site; feed readers, curl and */* get the Atom document.
BROWSER_TYPE = "text/html"
FEED_EVENTS = 50
FEED_TITLE = "Chutes TPS Leaderboard: what changed"
FEED_SUBTITLE = "Models added and removed, speed changes and rate-limit spells."
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


def entry_title(event: dict) -> str:
    """An event's title in the feed and on its page ("New model: org/name")."""
    return TITLES.get(event["kind"], "{name}").format(name=event["name"] or "")


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
) -> bytes:
    """The feed document for events (API objects, newest first). Pure: no request, no SQL.

    Ids are tag: URIs on the event's permanent id, so a reader never sees one twice.
    """
    # Plain tag names with an xmlns attribute: ElementTree's own namespace handling would
    # print ns0: prefixes, which some feed readers mishandle.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _add(feed, "id", f"tag:{authority},2026:feed")
    _add(feed, "title", FEED_TITLE)
    _add(feed, "subtitle", FEED_SUBTITLE)
    _add(feed, "updated", events[0]["at"] if events else EPOCH)
    _add(feed, "link", rel="self", type=ATOM_TYPE, href=feed_url)
    _add(feed, "link", rel="alternate", type="text/html", href=site_url)
    author = _add(feed, "author")
    _add(author, "name", "Chutes TPS Leaderboard")
    _add(author, "uri", site_url)
    for event in events:
        entry = _add(feed, "entry")
        _add(entry, "id", f"tag:{authority},{event['at'][:10]}:event-{event['id']}")
        _add(entry, "title", entry_title(event))
        _add(entry, "updated", event["at"])
        _add(entry, "published", event["at"])
        _add(entry, "link", rel="alternate", type="text/html", href=link_for(event))
        _add(entry, "category", term=event["kind"])
        _add(entry, "summary", event["summary"], type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def feed_type(accept: MIMEAccept) -> str:
    """The feed's media type for a request's Accept (see BROWSER_TYPE); ties go to Atom."""
    if accept.best_match([ATOM_TYPE, "text/html"]) == "text/html":
        return BROWSER_TYPE
    return ATOM_TYPE


def _link_for(site_url: str) -> Callable[[dict], str]:
    def link_for(event: dict) -> str:
        if event["chute_id"] is None:
            return site_url
        return url_for("views.model", chute_id=event["chute_id"], _external=True)

    return link_for


def _feed_body() -> Body:
    conn = flaskdb.get_db()
    events = events_as_shown(conn, FEED_EVENTS)
    site_url = url_for("views.index", _external=True)
    data = atom_feed(
        events,
        site_url=site_url,
        feed_url=url_for("views.feed", _external=True),
        authority=tag_authority(request.host),
        link_for=_link_for(site_url),
    )
    return make_body(data, ATOM_TYPE, events[0]["at"] if events else None)


def _feed_page() -> Page:
    conn = flaskdb.get_db()
    now = clock.now()
    events = events_as_shown(conn, FEED_EVENTS)
    link_for = _link_for(url_for("views.index", _external=True))
    fresh = freshness(conn, now)
    html = render_template(
        "feed.html",
        title=FEED_TITLE,
        subtitle=FEED_SUBTITLE,
        feed_url=url_for("views.feed", _external=True),
        entries=[{**e, "title": entry_title(e), "link": link_for(e)} for e in events],
        fresh=fresh,
    )
    return html, page_lifetime(fresh, now)


@bp.get("/feed.atom")
def feed() -> Response:
    # The feed holds absolute URLs, so the host (and scheme) is part of the cache key.
    if feed_type(request.accept_mimetypes) == BROWSER_TYPE:
        response = serve_cached(_feed_page, vary_on_host=True, prefix="feed-page")
    else:
        key = "feed.atom?" + query_key([("host", request.host_url)])
        response = conditional_response(cached_body(key, _feed_body))
    response.vary.add("Accept")
    return response
