"""Which hosts the scraper talks to (issue 20 item 7, SPEC §3 and §11): no redirect to
another host is followed, a host whose Retry-After is longer than the run can wait gets
no further request in that run, and the scrape unit's IPAddressAllow= is public unicast
only (no link-local, private, CGNAT or loopback but the stub resolvers).

Loopback servers only (a tiny WSGI app of this module, and the chutes.ai stand-in);
waits run on a WarpClock, so nothing sleeps.
"""

import ipaddress
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app import clock
from app.scraping.run import run_scrape
from app.scraping.sources import SourceError
from app.scraping.sources.http import MAX_REDIRECTS, Fetcher
from app.settings import Settings
from tests.clocks import WarpClock
from tests.standin import Dataset, UpstreamApp, serve

ROOT = Path(__file__).resolve().parents[2]
SCRAPE_UNIT = ROOT / "deploy/systemd/chutes-leaderboard-scrape.service"
TODAY = datetime.now(UTC).date()


class Redirector:
    """Answers by path: /ok 200, /to?url=U a 302 to U, /loop a 302 to itself,
    /busy?wait=N a 429 with Retry-After: N. Counts requests by path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.hits[request.path] += 1
        if request.path == "/to":
            response = Response("", 302, headers={"Location": request.args["url"]})
        elif request.path == "/loop":
            response = Response("", 302, headers={"Location": "/loop"})
        elif request.path == "/busy":
            response = Response("busy", 429, headers={"Retry-After": request.args["wait"]})
        elif request.path == "/ok":
            response = Response(f"ok from {request.host}")
        else:
            response = Response("not here", 404)
        return response(environ, start_response)


@contextmanager
def serving(host: str = "127.0.0.1") -> Iterator[tuple[Redirector, str]]:
    app = Redirector()
    server = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def one() -> Iterator[tuple[Redirector, str]]:
    with serving() as pair:
        yield pair


@pytest.fixture
def other() -> Iterator[tuple[Redirector, str]]:
    with serving() as pair:  # the same address, another port: another origin
        yield pair


def fetcher(**overrides: Any) -> Fetcher:
    values = {"REQUEST_DELAY": 0, "HTTP_RETRIES": 0, "HTTP_BACKOFF": 0, **overrides}
    return Fetcher(Settings.from_mapping(values))


# --- redirects ---------------------------------------------------------------------------


def test_a_same_host_redirect_is_followed(one):
    app, base = one
    f = fetcher()
    assert f.get_text(f"{base}/to", {"url": "/ok"}).startswith("ok from")
    assert f.get_text(f"{base}/to", {"url": f"{base}/ok"}).startswith("ok from")
    assert app.hits == Counter({"/to": 2, "/ok": 2})


def test_a_redirect_to_another_host_is_not_followed(one, other):
    app, base = one
    elsewhere, other_base = other
    f = fetcher()
    with pytest.raises(SourceError) as raised:
        f.get_bytes(f"{base}/to", {"url": f"{other_base}/ok"})
    message = str(raised.value)
    assert "redirect to another host" in message
    assert f"({base} -> {other_base})" in message  # both named
    assert elsewhere.hits == Counter()  # never asked
    assert app.hits["/to"] == 1  # and not retried


@pytest.mark.parametrize(
    "target",
    [
        "https://{hostport}/ok",  # another scheme
        "http://localhost:{port}/ok",  # another name for the same address
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "//{host}:1/ok",  # scheme-relative, another port
    ],
)
def test_any_other_origin_is_another_host(one, target):
    app, base = one
    hostport = base.removeprefix("http://")
    host, port = hostport.split(":")
    url = target.format(hostport=hostport, host=host, port=port)
    with pytest.raises(SourceError, match="redirect to another host"):
        fetcher().get_bytes(f"{base}/to", {"url": url})
    assert app.hits == Counter({"/to": 1})


def test_redirects_in_a_loop_end(one):
    app, base = one
    with pytest.raises(SourceError, match=f"more than {MAX_REDIRECTS} redirects"):
        fetcher().get_bytes(f"{base}/loop")
    assert app.hits["/loop"] == MAX_REDIRECTS + 1


# --- Retry-After longer than the run can wait ----------------------------------------------


def test_a_host_asking_for_too_long_a_wait_gets_no_more_requests(one, other):
    app, base = one
    elsewhere, other_base = other
    host = base.removeprefix("http://")
    with clock.use(WarpClock()) as warp:
        f = fetcher(HTTP_RETRIES=3, HTTP_MAX_RETRY_AFTER=30)
        with pytest.raises(SourceError, match="Retry-After"):
            f.get_bytes(f"{base}/busy", {"wait": "3600"})
        for _ in range(7):
            with pytest.raises(SourceError) as raised:
                f.get_bytes(f"{base}/ok")
            assert f"not sent: {host} asked to wait 3600 s (Retry-After)" in str(raised.value)
        # Other hosts are not affected.
        assert f.get_text(f"{other_base}/ok").startswith("ok from")
    assert app.hits == Counter({"/busy": 1})
    assert elsewhere.hits == Counter({"/ok": 1})
    assert warp.slept == []


def test_a_wait_past_the_run_budget_also_drops_the_host(one):
    app, base = one
    with clock.use(WarpClock()):
        f = fetcher(HTTP_RETRIES=2, HTTP_MAX_RETRY_AFTER=30, RUN_BUDGET=20)
        with pytest.raises(SourceError):
            f.get_bytes(f"{base}/busy", {"wait": "25"})
        with pytest.raises(SourceError, match="not sent"):
            f.get_bytes(f"{base}/ok")
    assert app.hits == Counter({"/busy": 1})


def test_a_short_wait_that_ended_a_request_is_waited_out_before_the_next(one):
    app, base = one
    with clock.use(WarpClock()) as warp:
        f = fetcher(HTTP_RETRIES=0)
        with pytest.raises(SourceError, match="HTTP 429"):
            f.get_bytes(f"{base}/busy", {"wait": "7"})
        assert f.get_text(f"{base}/ok").startswith("ok from")
    assert app.hits == Counter({"/busy": 1, "/ok": 1})
    assert len(warp.slept) == 1 and 6.5 < warp.slept[0] <= 7


def test_a_scrape_stops_asking_a_host_that_said_wait_an_hour(db_path):
    """The issue's case: Retry-After: 3600 on the web pages made the run fetch seven
    more pages at once; now the first such answer ends that host for the run."""
    upstream = UpstreamApp(Dataset.synthetic(10, days=3, today=TODAY, seed=7))
    upstream.faults.add("/app/chute/*", status=429, retry_after=3600)
    with serve(upstream) as base, clock.use(WarpClock()):
        settings = {
            "DATABASE": db_path,
            "REQUEST_DELAY": 0,
            "HTTP_RETRIES": 2,
            "BATCH_SIZE": 8,
            "API_URL": base,
            "LLM_URL": base,
            "WEB_URL": base,
        }
        outcome = run_scrape(settings, source="html")
    pages = sum(n for path, n in upstream.requests.items() if path.startswith("/app/chute/"))
    assert pages == 1, upstream.requests
    assert "Retry-After" in outcome.message
    assert outcome.status == "failed"


# --- the unit's allow-list ---------------------------------------------------------------

NOT_ALLOWED = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/3",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
    "::ffff:0:0/96",
]
STUB_RESOLVERS = ["127.0.0.53/32", "127.0.0.54/32"]


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for line in SCRAPE_UNIT.read_text().splitlines():
        if line.startswith("IPAddressAllow="):
            nets += [ipaddress.ip_network(n) for n in line.split("=", 1)[1].split()]
    return nets


def test_the_scrape_unit_allows_public_unicast_and_the_stub_resolvers_only():
    nets = allowed_networks()
    assert "IPAddressDeny=any" in SCRAPE_UNIT.read_text().splitlines()
    stubs = [ipaddress.ip_network(n) for n in STUB_RESOLVERS]
    for bad in map(ipaddress.ip_network, NOT_ALLOWED):
        overlapping = [n for n in nets if n.version == bad.version and n.overlaps(bad)]
        assert all(n in stubs for n in overlapping), (bad, overlapping)
    for stub in stubs:
        assert stub in nets
    # Nothing else is left out: every other IPv4 address is allowed, and global IPv6.
    v4 = [n for n in nets if n.version == 4 and n not in stubs]
    excluded = [ipaddress.ip_network(n) for n in NOT_ALLOWED if ":" not in n]
    assert sum(n.num_addresses for n in v4) == 2**32 - sum(n.num_addresses for n in excluded)
    assert [n for n in nets if n.version == 6] == [ipaddress.ip_network("2000::/3")]


@pytest.mark.parametrize(
    "address, allowed",
    [
        ("169.254.169.254", False),
        ("10.1.2.3", False),
        ("172.31.255.1", False),
        ("192.168.1.1", False),
        ("100.100.100.200", False),
        ("127.0.0.1", False),
        ("0.0.0.0", False),
        ("fd00::1", False),
        ("fe80::1", False),
        ("::1", False),
        ("127.0.0.53", True),
        ("8.8.8.8", True),
        ("104.16.0.1", True),
        ("172.32.0.1", True),
        ("2606:4700::1111", True),
    ],
)
def test_sample_addresses(address, allowed):
    ip = ipaddress.ip_address(address)
    assert any(ip in n for n in allowed_networks() if n.version == ip.version) == allowed
