"""The visitor's figures for `make bench`: what `/` costs to download, and how soon its
largest element is painted on a slow mobile connection.

- Transfer size: `/` (cards and table views) gzipped as nginx sends it
  (deploy/nginx: gzip_comp_level 5), with 60 and with 300 models of 35 days each.
- Largest Contentful Paint of `/` (60 models) in the system Chromium over a throttled
  "Slow 4G"-like link (Chrome DevTools Protocol Network.emulateNetworkConditions:
  150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, as Lighthouse's mobile profile),
  cache disabled, gzip on as in production; the median of a few cold loads.

Returns rows as (figure, measured, goal, met, why) for bench/run.py's table.
"""

from __future__ import annotations

import gzip
import os
import statistics
import sys
import threading
from pathlib import Path

from app import create_app
from app.db import connection
from tests.seed import seed, simple_model

CHROMIUM = "/usr/bin/chromium"
GZIP_LEVEL = 5  # deploy/nginx/chutes-leaderboard.conf
SIZE_GOALS_KB = {60: 50.0, 300: 100.0}
LCP_GOAL_S = 1.0
LCP_LOADS = 3
SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6e6 / 8,
    "uploadThroughput": 750e3 / 8,
}
LCP_SCRIPT = """() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: "largest-contentful-paint", buffered: true});
})"""

VisitorRow = tuple[str, str, str, bool | None, str]


def seeded_database(directory: Path, count: int) -> str:
    """`count` models with 35 days of gently varying speeds, through the real write path."""
    path = os.fspath(directory / f"visitor-{count}.sqlite3")
    connection.init_db(path)
    catalogue, rows = [], []
    for i in range(count):
        base = 20 + (i * 37) % 180
        requests = 300 + (i * 911) % 40000
        days = {n: (round(base * (1 + ((n + i) % 7 - 3) / 50), 2), requests) for n in range(35)}
        entry, model_rows = simple_model(f"chute-{i:04d}", f"org-{i % 17}/Model-{i}-Instruct", days)
        catalogue.append(entry)
        rows += model_rows
    seed(path, catalogue, rows)
    return path


def transfer_rows(directory: Path) -> list[VisitorRow]:
    out = []
    for count, goal in SIZE_GOALS_KB.items():
        client = create_app({"DATABASE": seeded_database(directory, count)}).test_client()
        for view in ("cards", "table"):
            body = client.get(f"/?view={view}").get_data()
            size = len(gzip.compress(body, GZIP_LEVEL)) / 1000
            met = size <= goal
            out.append(
                (
                    f"Transfer size of `/?view={view}`, {count} models, gzip level {GZIP_LEVEL}",
                    f"{size:.1f} KB (HTML {len(body) / 1000:.0f} KB uncompressed)",
                    f"<= {goal:.0f} KB",
                    met,
                    "" if met else "every model's row is in the page",
                )
            )
    return out


class GzipMiddleware:
    """nginx's gzip for the LCP run: compress text answers when the browser accepts it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return self.app(environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        kind = {k.lower(): v for k, v in headers}.get("content-type", "")
        if kind.startswith(("text/", "application/javascript", "image/svg")) and len(body) > 256:
            body = gzip.compress(body, GZIP_LEVEL)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers)
        return [body]


def lcp_row(directory: Path) -> VisitorRow:
    figure = "Largest Contentful Paint of `/` (60 models), Slow 4G-like, cold cache"
    goal = f"<= {LCP_GOAL_S:.1f} s"
    if not os.path.exists(CHROMIUM):
        return (figure, "—", goal, None, f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
        from werkzeug.serving import make_server
    except ImportError as exc:  # pragma: no cover - dev requirements always have both
        return (figure, "—", goal, None, str(exc))
    app = create_app({"DATABASE": seeded_database(directory, 60), "PROXY_HOPS": 0})
    server = make_server("127.0.0.1", 0, GzipMiddleware(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    times = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            for _ in range(LCP_LOADS):
                context = browser.new_context(viewport={"width": 390, "height": 844})
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cdp.send("Network.emulateNetworkConditions", SLOW_4G)
                page.goto(url, wait_until="load")
                times.append(page.evaluate(LCP_SCRIPT) / 1000)
                context.close()
            browser.close()
    finally:
        server.shutdown()
    median = statistics.median(times)
    met = median <= LCP_GOAL_S
    listed = ", ".join(f"{t:.2f}" for t in times)
    return (
        figure,
        f"{median:.2f} s median of {LCP_LOADS} ({listed} s; 390x844)",
        goal,
        met,
        "" if met else "the first screen waits for the HTML and stylesheet",
    )


def visitor_rows(directory: Path) -> list[VisitorRow]:
    """Every visitor figure; logs progress on stderr."""
    rows = transfer_rows(directory)
    for row in rows:
        print(f"bench: {row[0]}: {row[1]}", file=sys.stderr, flush=True)
    rows.append(lcp_row(directory))
    print(f"bench: {rows[-1][0]}: {rows[-1][1]}", file=sys.stderr, flush=True)
    return rows


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="chutes-visitor-") as scratch:
        for row in visitor_rows(Path(scratch)):
            print(" | ".join(str(part) for part in row))
