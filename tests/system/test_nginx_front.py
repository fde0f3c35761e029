"""Real nginx -> gunicorn on loopback, as attacked: nginx's own error answers, the
security headers, long URIs, per-address limits, the micro-cache under a flood of
distinct URLs. (The app side: tests/plumbing/test_security_headers.py, test_cache.py.)"""

import http.client
import json
import re
import socket
from pathlib import Path

import pytest

from app.plumbing.security import PERMISSIONS_POLICY, resource_policy
from tests.deploy_helpers import DEPLOY, SERVER_NAME
from tests.system.test_deploy import Reply, Stack, assert_security_headers

# The module-scoped nginx -> gunicorn stack, a fresh one for this module.
from tests.system.test_deploy import stack as stack

pytestmark = pytest.mark.deploy

SITE = (DEPLOY / "nginx/chutes-leaderboard.conf").read_text()
SNIPPET = (DEPLOY / "nginx/security-headers.conf").read_text()
ISOLATION = {
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def fetch_from(stack: Stack, path: str, source: str = "127.0.0.1", **headers: str) -> Reply:
    """GET through nginx from a chosen loopback address (127.0.0.1 is exempt from the
    per-address limits; 127.0.0.2 and up are ordinary clients)."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", stack.port, timeout=15, source_address=(source, 0)
    )
    try:
        conn.request("GET", path, headers={"Host": SERVER_NAME, **headers})
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def raw(stack: Stack, request: bytes) -> tuple[int, dict[str, list[str]]]:
    """Send bytes as they are (nginx must parse them itself); status and headers."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in head[1:]:
        name, value = line.split(":", 1)
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers


def assert_isolation_headers(headers, path: str) -> None:
    for name, value in ISOLATION.items():
        assert headers.get_all(name) == [value], (name, headers)
    assert headers.get_all("Cross-Origin-Resource-Policy") == [resource_policy(path)], path


# --- nginx's own answers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: " + SERVER_NAME.encode() + b"\r\n\r\n", 414),
        (b"GARBAGE\x01 / HTTP/1.1\r\n\r\n", 400),
        (
            b"GET / HTTP/1.1\r\nHost: "
            + SERVER_NAME.encode()
            + b"\r\nX: "
            + b"b" * 9000
            + b"\r\n\r\n",
            400,
        ),
    ],
    ids=["uri-too-long", "bad-request-line", "header-too-large"],
)
def test_nginx_errors_hide_the_version_and_carry_security_headers(stack, request_bytes, status):
    got, headers = raw(stack, request_bytes)
    assert got == status
    assert headers["server"] == ["nginx"], headers  # no "/1.26.x"
    for name in ("content-security-policy", "x-content-type-options", "permissions-policy"):
        assert len(headers.get(name, [])) == 1, (name, headers)
    assert headers["cross-origin-opener-policy"] == ["same-origin"]


# --- the headers of every kind of answer -------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/static/robots.txt",
        "/static/nope.css",
        "/api/models",
        "/api/health",
        "/badge/x.svg",
        "/feed.atom",
        "/methodology",
    ],
)
def test_each_security_header_once_with_the_right_resource_policy(stack, path) -> None:
    reply = fetch_from(stack, path, **{"Accept-Encoding": "gzip"})
    assert reply.status in {200, 404, 503}, (path, reply.status)
    assert_security_headers(reply)
    assert_isolation_headers(reply.headers, path)
    assert reply.headers.get("Server") == "nginx"
    assert len(reply.headers.get_all("Vary") or []) <= 1, reply.headers.get_all("Vary")


def test_api_is_gzipped_with_a_single_vary(stack) -> None:
    reply = fetch_from(stack, "/api/models", **{"Accept-Encoding": "gzip"})
    assert reply.header("Content-Encoding") == "gzip"
    assert reply.headers.get_all("Vary") == ["Accept-Encoding"]


CHROMIUM_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_the_feed_is_a_page_for_browsers_and_atom_for_readers_through_the_cache(stack) -> None:
    """nginx passes only "does it ask for HTML" for /feed.atom and keys its micro-cache on
    it: past proxy_cache_min_uses, neither variant is ever served for the other."""
    for _ in range(4):
        page = fetch_from(
            stack, "/feed.atom", Accept=CHROMIUM_ACCEPT, **{"Accept-Encoding": "gzip"}
        )
        atom = fetch_from(stack, "/feed.atom", **{"Accept-Encoding": "gzip"})
        reader = fetch_from(stack, "/feed.atom", Accept="application/atom+xml")
        assert page.status == atom.status == reader.status == 200
        assert page.header("Content-Type").startswith("text/html"), page.headers
        assert "<h1>Chutes TPS Leaderboard: what changed</h1>" in page.text()
        for reply in (atom, reader):
            assert reply.header("Content-Type").startswith("application/atom+xml")
            assert reply.text().startswith("<?xml")
        for reply in (page, atom):
            assert len(reply.headers.get_all("Vary")) == 1, reply.headers.get_all("Vary")
            assert "Accept" in [v.strip() for v in reply.header("Vary").split(",")]
    assert page.header("X-Cache-Status") == "HIT" == atom.header("X-Cache-Status")


def test_nginx_and_the_app_share_one_resource_policy_rule() -> None:
    regex = re.search(r"map \$uri \$chutes_leaderboard_corp \{\s*~(\S+)\s+cross-origin;", SITE)
    assert regex, "the CORP map is missing from the site"
    pattern = re.compile(regex.group(1))
    for path in [
        "/api/",
        "/api/models",
        "/badge/a.svg",
        "/feed.atom",
        "/",
        "/apix",
        "/static/x",
        "/models/api/",
        "/feed",
        "/badges",
    ]:
        nginx_says = "cross-origin" if pattern.search(path) else "same-origin"
        assert nginx_says == resource_policy(path), path
    assert PERMISSIONS_POLICY in SNIPPET


# --- long URIs -------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [3900, 4100, 7900])
def test_long_searches_are_answered_by_the_app(stack, length) -> None:
    # Up to what nginx accepts (8 KB request lines), the app answers, not gunicorn's
    # bare 414 page: the board (it keeps the first 100 characters) and a JSON 400.
    q = "m" * length
    page = fetch_from(stack, f"/?q={q}")
    assert page.status == 200
    api = fetch_from(stack, f"/api/models?q={q}")
    assert api.status == 400 and api.header("Content-Type") == "application/json"
    assert_security_headers(api)


# --- per-address limits ------------------------------------------------------------------


def test_a_flood_from_one_address_gets_429s_a_person_never_does(stack) -> None:
    statuses = [fetch_from(stack, f"/api/models?q=f{i}", "127.0.0.2").status for i in range(120)]
    assert statuses[:40] == [200] * 40, statuses
    assert 429 in statuses, statuses
    limited = fetch_from(stack, "/api/models?q=more", "127.0.0.2")
    assert limited.status == 429 and limited.header("Content-Type") == "application/json"
    assert limited.header("Retry-After") == "1"
    assert json.loads(limited.body) == {
        "error": "Too many requests from this address; slow down.",
        "status": 429,
    }
    assert_security_headers(limited)
    page = fetch_from(stack, "/?q=more", "127.0.0.2")
    assert page.status == 429 and page.header("Content-Type") == "text/html"
    assert_security_headers(page)
    # Another address, at a person's pace, is unaffected by the first one's flood.
    person = [fetch_from(stack, f"/?q=p{i}", "127.0.0.3").status for i in range(15)]
    assert person == [200] * 15
    # Static files stay reachable for the flooding address; health is limited like
    # every other path (SPEC §11; tests/system/test_nginx_limits.py).
    assert fetch_from(stack, "/static/robots.txt", "127.0.0.2").status == 200
    health = {fetch_from(stack, "/api/health", "127.0.0.2").status for _ in range(60)}
    assert 429 in health, health


def test_slow_clients_are_cut_off() -> None:
    servers = SITE.split("\nserver {")[1:]
    assert len(servers) == 2
    for server in servers:
        assert "server_tokens off;" in server
        assert "client_header_timeout 10s;" in server
        assert "include @SNIPPET@;" in server
    assert "limit_req zone=chutes_leaderboard_req" in servers[1]
    assert "limit_conn chutes_leaderboard_conn" in servers[1]


# --- the micro-cache under a flood of distinct URLs ------------------------------------------


def cached_files(stack: Stack) -> list[Path]:
    return [p for p in (stack.work / "cache").rglob("*") if p.is_file()]


def test_one_off_urls_never_reach_the_micro_cache(stack) -> None:
    before = len(cached_files(stack))
    for i in range(60):
        assert fetch_from(stack, f"/?q=longtail{i}").status == 200
    assert len(cached_files(stack)) == before
    # A URL people share is still cached, from its second request on.
    for _ in range(3):
        reply = fetch_from(stack, "/?q=popular")
    assert reply.header("X-Cache-Status") == "HIT"
    assert len(cached_files(stack)) == before + 1
