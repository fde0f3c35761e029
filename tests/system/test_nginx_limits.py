"""Real nginx -> gunicorn on loopback, with the project's own site, as issue 20's attack
run found it: /api/health flooded, nginx's own errors under /api/ as HTML, a keys zone
that answered 500 when full, slow request bodies, a loose Accept-Encoding map.

Each test speaks from its own loopback address (127.0.0.1 is exempt from the per-address
limits, 127.0.0.2 and up are ordinary clients) so that one test's requests never spend
another's budget. Every socket has a timeout; floods are a few thousand requests."""

import http.client
import json
import os
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.db import files as db_files
from tests.deploy_helpers import (
    DEPLOY,
    SERVER_NAME,
    free_port,
    nginx_binary,
    stop,
    wait_for,
    write_nginx_conf,
)
from tests.system.test_deploy import Reply, assert_security_headers

# The module-scoped nginx -> gunicorn stack, a fresh one for this module.
from tests.system.test_deploy import stack as stack

pytestmark = pytest.mark.deploy

SITE = (DEPLOY / "nginx/chutes-leaderboard.conf").read_text()
HOST = f"Host: {SERVER_NAME}\r\n".encode()


def get(stack_port: int, path: str, source: str, **headers: str) -> Reply:
    conn = http.client.HTTPConnection(
        "127.0.0.1", stack_port, timeout=10, source_address=(source, 0)
    )
    try:
        conn.request("GET", path, headers={"Host": SERVER_NAME, **headers})
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def raw(port: int, request: bytes, source: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    """Send bytes as they are; the status, headers (lower-case names, lists) and body."""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=10, source_address=(source, 0)
    ) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(lines[0].split()[1]), headers, body


def assert_json_error(status: int, headers: dict, body: bytes, expected: int) -> None:
    assert status == expected, (status, body[:200])
    assert headers["content-type"] == ["application/json"], (headers, body[:200])
    assert json.loads(body)["status"] == expected
    assert isinstance(json.loads(body)["error"], str)
    assert len(headers.get("content-security-policy", [])) == 1, headers


# --- 1. /api/health: limited, micro-cached, still truthful -------------------------------


def test_health_reaches_gunicorn_about_once_a_second_whatever_the_load(stack) -> None:
    # From the exempt address (no rate limit): 80 requests in well under two seconds.
    states = Counter(
        get(stack.port, "/api/health", "127.0.0.1").header("X-Cache-Status") for _ in range(80)
    )
    assert states["HIT"] >= 70, states
    assert states["MISS"] + states["EXPIRED"] <= 4, states
    # A query string makes no new entry (health takes no parameters).
    assert get(stack.port, "/api/health?x=1", "127.0.0.1").header("X-Cache-Status") == "HIT"


def test_one_address_flooding_health_gets_429s_others_do_not(stack) -> None:
    statuses = Counter(get(stack.port, "/api/health", "127.0.0.11").status for _ in range(120))
    assert statuses[429] >= 20, statuses
    status, headers, body = raw(
        stack.port, b"GET /api/health HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n",
        "127.0.0.11",
    )  # fmt: skip
    assert_json_error(status, headers, body, 429)
    assert headers["retry-after"] == ["1"]
    # Another address, at a monitor's pace, is unaffected.
    assert {get(stack.port, "/api/health", "127.0.0.12").status for _ in range(5)} <= {200, 503}


def test_health_limits_are_in_its_location() -> None:
    health = SITE.split("location = /api/health {", 1)[1].split("\n    }\n", 1)[0]
    assert "limit_req zone=chutes_leaderboard_req" in health
    assert "limit_conn chutes_leaderboard_conn" in health
    assert "proxy_cache_valid 200 503 1s;" in health
    assert "proxy_cache_use_stale" not in health  # never an old status past that second


def test_health_shows_a_change_within_two_seconds(stack) -> None:
    # The scraper's runtime status file says a run failed and could not record it:
    # health says "failing" at once (app side), so through nginx within its micro-cache.
    status_file = db_files.status_path(str(stack.work / "leaderboard.sqlite3"))
    before = json.loads(get(stack.port, "/api/health", "127.0.0.1").body)["status"]
    assert before != "failing"
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    db_files.write_status(
        status_file, status="failed", at=now, message="the disk is full", recorded=False
    )
    changed = time.monotonic()
    try:
        seen = before
        while seen == before and time.monotonic() - changed < 5:
            seen = json.loads(get(stack.port, "/api/health", "127.0.0.1").body)["status"]
            time.sleep(0.05)
        took = time.monotonic() - changed
    finally:
        os.unlink(status_file)
    assert seen == "failing"
    assert took <= 2.3, f"health still said {before!r} {took:.1f} s after the change"


# --- 5. every /api/ error nginx (or gunicorn) makes is JSON -------------------------------

CASES = {
    "post": (b"POST /api/models HTTP/1.1\r\n" + HOST + b"Content-Length: 3\r\n\r\nabc", 405),
    "put": (b"PUT /api/models HTTP/1.1\r\n" + HOST + b"Content-Length: 0\r\n\r\n", 405),
    "delete": (b"DELETE /api/models/x HTTP/1.1\r\n" + HOST + b"\r\n", 405),
    "options": (b"OPTIONS /api/models HTTP/1.1\r\n" + HOST + b"\r\n", 405),
    "trace": (b"TRACE /api/models HTTP/1.1\r\n" + HOST + b"\r\n", 405),
    "get-with-body": (b"GET /api/models HTTP/1.1\r\n" + HOST + b"Content-Length: 10\r\n\r\n", 413),
    "get-chunked": (
        b"GET /api/models HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        413,
    ),
    "uri-too-long": (b"GET /api/" + b"a" * 9000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414),
    "header-too-large": (
        b"GET /api/models HTTP/1.1\r\n" + HOST + b"X: " + b"b" * 9000 + b"\r\n\r\n",
        400,
    ),
    "header-too-large-before-host": (
        b"GET /api/models HTTP/1.1\r\nX: " + b"b" * 9000 + b"\r\n" + HOST + b"\r\n",
        400,
    ),
    "no-host": (b"GET /api/models HTTP/1.1\r\n\r\n", 400),
    "nul-in-path": (b"GET /api/models%00 HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "bad-percent": (b"GET /api/%zz HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "two-lengths": (
        b"GET /api/models HTTP/1.1\r\n" + HOST + b"Content-Length: 0\r\nContent-Length: 0\r\n\r\n",
        400,
    ),
    # gunicorn refused these with its own HTML pages; nginx now refuses them first...
    "raw-byte-in-path": (b"GET /api/\xff HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "raw-byte-in-query": (b"GET /api/models?q=\xff HTTP/1.1\r\n" + HOST + b"\r\n", 400),
    "unknown-coding": (
        b"GET /api/models HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip, chunked\r\n\r\n",
        501,
    ),
    "http-2.0-line": (b"GET /api/models HTTP/2.0\r\n" + HOST + b"\r\n", 505),
}
# ... or they never reach it: nginx forwards only its own headers.
REACH_THE_APP = {
    "control-character-in-a-header": b"GET /api/models HTTP/1.1\r\n"
    + HOST
    + b"X-A: a\x01b\r\n\r\n",
    "150-headers": b"GET /api/models HTTP/1.1\r\n"
    + HOST
    + b"".join(b"X-%d: a\r\n" % i for i in range(150))
    + b"\r\n",
    "control-character-in-a-validator": b"GET /api/models HTTP/1.1\r\n"
    + HOST
    + b'If-None-Match: "a\x01b"\r\n\r\n',
    "control-character-in-x-forwarded-for": b"GET /api/models HTTP/1.1\r\n"
    + HOST
    + b"X-Forwarded-For: 10.0.0.1\x01\r\n\r\n",
    "long-x-forwarded-for": b"GET /api/models HTTP/1.1\r\n"
    + HOST
    + b"X-Forwarded-For: "
    + b"1" * 8170
    + b"\r\n\r\n",
    "contradictory-scheme-headers": b"GET /api/models HTTP/1.1\r\n"
    + HOST
    + b"X-Forwarded-Ssl: on\r\nX-Forwarded-Protocol: ssl\r\n\r\n",
}


def closing(request: bytes) -> bytes:
    head, sep, rest = request.partition(b"\r\n\r\n")
    return head + b"\r\nConnection: close" + sep + rest


@pytest.mark.parametrize(("request_bytes", "expected"), CASES.values(), ids=CASES.keys())
def test_nginx_errors_under_api_are_json(stack, request_bytes, expected) -> None:
    status, headers, body = raw(stack.port, closing(request_bytes), "127.0.0.13")
    assert_json_error(status, headers, body, expected)
    if expected == 405:
        assert headers["allow"] == ["GET, HEAD"]
    assert headers["server"] == ["nginx"]


@pytest.mark.parametrize("request_bytes", REACH_THE_APP.values(), ids=REACH_THE_APP.keys())
def test_what_gunicorn_would_refuse_never_reaches_it(stack, request_bytes) -> None:
    status, headers, body = raw(stack.port, closing(request_bytes), "127.0.0.13")
    assert status == 200 and headers["content-type"] == ["application/json"], body[:300]
    assert isinstance(json.loads(body), list)


def test_refused_methods_elsewhere_get_a_page_with_allow(stack) -> None:
    status, headers, body = raw(
        stack.port,
        b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 0\r\nConnection: close\r\n\r\n",
    )
    assert status == 405 and headers["content-type"] == ["text/html"]
    assert headers["allow"] == ["GET, HEAD"]
    assert b"GET and HEAD only" in body


def test_the_apps_own_json_errors_pass_untouched(stack) -> None:
    # nginx intercepts nothing of the app's: its 400 names the parameter, its 404 is its own.
    bad = get(stack.port, "/api/models?sort=nope", "127.0.0.13")
    assert bad.status == 400 and json.loads(bad.body)["parameter"] == "sort"
    missing = get(stack.port, "/api/models/no-such-chute", "127.0.0.13")
    assert missing.status == 404 and missing.header("Content-Type") == "application/json"


@pytest.fixture(scope="module")
def nginx_without_gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The site with nothing listening on its upstream socket: nginx's own 502."""
    work = tmp_path_factory.mktemp("no-upstream")
    yield from _nginx(work, upstream_socket=work / "nobody-listens.sock")


def _nginx(work: Path, **options) -> Iterator[int]:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed")
    port = free_port()
    conf = write_nginx_conf(work, port, **options)
    with open(work / "nginx.log", "w") as log:
        proc = subprocess.Popen(
            [binary, "-p", str(work), "-c", str(conf), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def listens() -> bool:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True

        wait_for(listens, 10, "nginx", [proc])
        yield port
    finally:
        stop(proc)


def test_gunicorn_down_is_a_json_502_under_api(nginx_without_gunicorn) -> None:
    api = get(nginx_without_gunicorn, "/api/models", "127.0.0.14")
    assert api.status == 502 and api.header("Content-Type") == "application/json"
    assert json.loads(api.body)["status"] == 502
    assert api.header("Retry-After") == "5"
    assert_security_headers(api)
    health = get(nginx_without_gunicorn, "/api/health", "127.0.0.14")
    assert health.status == 502 and json.loads(health.body)["status"] == 502
    page = get(nginx_without_gunicorn, "/", "127.0.0.14")
    assert page.status == 502 and page.header("Content-Type") == "text/html"


# --- 5. a full keys zone evicts, never 500s ------------------------------------------------


@pytest.fixture(scope="module")
def small_keys_zone(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A second nginx in front of the same gunicorn, the site with a 32 KB keys zone (the
    smallest nginx allows, room for ~100 keys): 1 500 distinct URLs, 300 at once, fill
    it as ~64 000 would fill the shipped one. With more requests in flight than keys,
    nginx finds no idle key to evict: the old site answered most of them 500."""
    work = tmp_path_factory.mktemp("small-zone")
    yield from _nginx(work, upstream_socket=stack.work / "gunicorn.sock", keys_zone="32k")


def test_a_flood_of_distinct_urls_into_a_full_keys_zone_is_never_a_500(small_keys_zone) -> None:
    port = small_keys_zone
    statuses: Counter = Counter()
    lock = threading.Lock()
    numbers = iter(range(1500))

    def flood() -> None:
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            request = f"GET /?flood={n} HTTP/1.1\r\n".encode()
            status, _, _ = raw(port, request + HOST + b"Connection: close\r\n\r\n")
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=flood) for _ in range(300)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == {200: 1500}, statuses
    # The zone still works: a URL asked for three times is a hit.
    for _ in range(3):
        reply = get(port, "/api/models?limit=2", "127.0.0.1")
    assert reply.header("X-Cache-Status") == "HIT"


def test_the_shipped_keys_zone_is_sized_for_a_flood() -> None:
    assert "keys_zone=chutes_leaderboard:8m" in SITE
    assert SITE.count("error_page 500 = @app;") == 2  # both micro-cached locations


# --- 6. request bodies are refused before they are read -------------------------------------


def trickle(port: int, head: bytes, source: str) -> tuple[float | None, float | None, bytes]:
    """Send `head` (announcing a body), then a body byte every 2 s; when the answer came
    and when the connection was closed, in seconds after the head (None: not within 8 s)."""
    answered = closed = None
    data = b""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=10, source_address=(source, 0)
    ) as sock:
        sock.sendall(head)
        start = time.monotonic()
        next_byte = start + 2.0
        sock.settimeout(0.2)
        while time.monotonic() - start < 8:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                chunk = None
            except ConnectionResetError:
                closed = time.monotonic() - start
                break
            if chunk == b"":
                closed = time.monotonic() - start
                break
            if chunk:
                data += chunk
                if answered is None and b"\r\n\r\n" in data:
                    answered = time.monotonic() - start
            if time.monotonic() >= next_byte:
                try:
                    sock.sendall(b"x")
                except (BrokenPipeError, ConnectionResetError):
                    closed = time.monotonic() - start
                    break
                next_byte += 2.0
    return answered, closed, data


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"POST /api/health HTTP/1.1\r\n" + HOST + b"Content-Length: 100\r\n\r\n", 405),
        (b"GET /api/health HTTP/1.1\r\n" + HOST + b"Content-Length: 100\r\n\r\n", 413),
        (b"POST / HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n", 405),
    ],
    ids=["post", "get-with-a-body", "chunked-post"],
)
def test_a_slow_body_is_answered_at_once_and_cut(stack, head, expected) -> None:
    answered, closed, data = trickle(stack.port, head, "127.0.0.15")
    assert answered is not None and answered < 1.0, data[:200]
    assert data.startswith(f"HTTP/1.1 {expected} ".encode()), data[:200]
    # A byte every 2 s does not keep the connection: cut after 1 s of silence.
    assert closed is not None and closed < 4.0, (closed, data[:200])


def test_many_slow_bodies_from_one_address_hold_nothing(stack) -> None:
    head = b"POST /api/health HTTP/1.1\r\n" + HOST + b"Content-Length: 1000\r\n\r\n"
    results: list = []
    threads = [
        threading.Thread(target=lambda: results.append(trickle(stack.port, head, "127.0.0.16")))
        for _ in range(30)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(results) == 30
    assert all(closed is not None and closed < 4.0 for _, closed, _ in results), results


# --- 8. Accept-Encoding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("gzip;q=0.5", True),
        ("deflate, gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.001", True),
        ("GZip", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("deflate, gzip;q=0", False),
        ("x-gzip", False),
        ("nogzip", False),
        ("identity", False),
        ("gzip2", False),
        ("", False),
    ],
)
@pytest.mark.parametrize("path", ["/api/models", "/"])
def test_accept_encoding_is_honoured(stack, path, accept_encoding, gzipped) -> None:
    reply = get(stack.port, path, "127.0.0.1", **{"Accept-Encoding": accept_encoding})
    assert reply.status == 200
    assert reply.header("Content-Encoding") == ("gzip" if gzipped else None)
